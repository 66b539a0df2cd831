#![no_main]
//! Oracle: see `ftpspec_harness::fuzz_bodies::reply_stream`. Seeds: `corpora/reply_stream/`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpspec_harness::fuzz_bodies::reply_stream(data));
