#![no_main]
//! Oracle: see `ftpspec_harness::fuzz::scenario`. Seeds: `corpora/scenario/`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpspec_harness::fuzz::scenario(data));
