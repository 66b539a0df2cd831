#![no_main]
//! Oracle: see `ftpspec_harness::fuzz_bodies::protocols522`. Seeds: `corpora/protocols522/`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpspec_harness::fuzz_bodies::protocols522(data));
