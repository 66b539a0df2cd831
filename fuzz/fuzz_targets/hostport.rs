#![no_main]
//! Oracle: see `ftpspec_harness::fuzz_bodies::hostport`. Seeds: `corpora/hostport/`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpspec_harness::fuzz_bodies::hostport(data));
