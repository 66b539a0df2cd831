#![no_main]
//! Oracle: see `ftpspec_harness::fuzz_bodies::command`. Seeds: `corpora/command/`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpspec_harness::fuzz_bodies::command(data));
