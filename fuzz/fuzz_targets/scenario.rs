#![no_main]
//! Oracle: see `ftpspec_harness::fuzz_bodies::scenario`. Seeds: `corpora/scenario/`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpspec_harness::fuzz_bodies::scenario(data));
