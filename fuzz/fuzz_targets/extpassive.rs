#![no_main]
//! Oracle: see `ftpspec_harness::fuzz_bodies::extpassive`. Seeds: `corpora/extpassive/`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpspec_harness::fuzz_bodies::extpassive(data));
