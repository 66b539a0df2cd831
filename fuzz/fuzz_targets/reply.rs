#![no_main]
//! Oracle: see `ftpspec_harness::fuzz_bodies::reply`. Seeds: `corpora/reply/`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpspec_harness::fuzz_bodies::reply(data));
