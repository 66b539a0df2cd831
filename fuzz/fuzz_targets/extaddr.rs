#![no_main]
//! Oracle: see `ftpspec_harness::fuzz::extaddr`. Seeds: `corpora/extaddr/`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpspec_harness::fuzz::extaddr(data));
