#![no_main]
//! Oracle: see `ftpspec_harness::fuzz_bodies::extaddr`. Seeds: `corpora/extaddr/`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpspec_harness::fuzz_bodies::extaddr(data));
