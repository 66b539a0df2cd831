#![no_main]
//! Oracle: see `ftpspec_harness::fuzz::protocols522`. Seeds: `corpora/protocols522/`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpspec_harness::fuzz::protocols522(data));
