//! One file per subcommand of the `ftpspec` binary (the live fuzzer itself
//! is `ftpspec_harness::fuzzer`; the cargo-fuzz bodies are
//! `ftpspec_harness::fuzz_bodies`). `gate.rs` is `run`'s baseline and
//! snapshot gate.

pub mod coverage;
pub mod decode;
pub mod fuzz;
pub mod gate;
pub mod matrix;
pub mod run;
pub mod show;
pub mod suite;
pub mod target_args;
