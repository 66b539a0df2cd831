//! ftpspec's engine: an FTP conformance and fuzz test harness.
//!
//! # Layout
//!
//! | module | what it holds | touches sockets? |
//! |--------|---------------|------------------|
//! | [`codec`] | sans-IO parsing and encoding of commands, replies and addresses | no |
//! | [`fuzz`] | fuzz target bodies with their oracles, shared by `fuzz/` and the tests | no |
//!
//! The codec is strict by default: every departure from the RFC grammar it
//! can tolerate is a named [`codec::Deviation`], enabled through
//! [`codec::Leniency`] and reported back so that it can become a warning.
#![warn(missing_docs)]

pub mod codec;
pub mod fixtures;
pub mod fuzz;
pub mod scenario;
