//! ftpspec's engine: an FTP conformance and fuzz test harness.
//!
//! # Layout
//!
//! | module | what it holds | touches sockets? |
//! |--------|---------------|------------------|
//! | [`catalogue`] | the requirement catalogue and coverage | no |
//! | `builtin` | the suite built into the crate (`build.rs` embeds `scenarios/`), its digest | no |
//! | [`codec`] | sans-IO parsing and encoding of commands, replies and addresses | no |
//! | [`scenario`] | the scenario language: model, parser, patterns | no |
//! | [`fixtures`] | generated file contents scenarios upload and compare | no |
//! | [`fuzz_bodies`] | cargo-fuzz target bodies with their oracles, shared by `fuzz/` and the tests | no |
//! | `target` | the server under test, from an `ftp://` URL | resolves names |
//! | `driver` | control and data connections, bounded in size and time; the login | **yes, only here** |
//! | `oracle` | every built-in check, one file per family, each under the RFC sentence it enforces | no |
//! | `verdict` | pass / fail / warn / unsupported / skip / error, and findings | no |
//! | `runner` | capabilities probe, case expansion, parallel execution; `runner/case/` runs one case | via `driver` |
//! | `events` | what the runner emits and reporters consume: events, case results, the report | no |
//! | `redact` | the password masked in everything ftpspec writes | no |
//! | `report` | reporters: human, JSON, JUnit, Markdown, HTML | no |
//! | `baseline` | known failures with reasons, and the CI gate against them | no |
//! | `snapshot` | normalised transcripts kept as files, and their diffs | files only |
//! | `suite` | the library API: load scenarios, run against a target, get a [`events::Report`] | via `runner` |
//! | `fuzzer` | the live stateful fuzzer behind `ftpspec fuzz` (calls the same `oracle` checks) | via `driver` |
//! | `embedded` | libunftp in-process on loopback, the default target | serves |
//! | `descriptors` | the process's file descriptor limit and how many are open | no |
//!
//! Dependencies point one way: `codec` ← `driver` ← `oracle` ← `runner` and
//! `fuzzer`; `runner` → `events` ← `report`; `redact` masks text and knows
//! no report type (a case result redacts itself, in `events`).
//!
//! The codec is strict by default: every departure from the RFC grammar it
//! can tolerate is a named [`codec::Deviation`], enabled through
//! [`codec::Leniency`] and reported back so that it can become a warning.
//!
//! Features: `engine` (default) adds everything that needs tokio; `embedded`
//! (default) adds the libunftp target. The fuzz crate builds with neither.
#![warn(missing_docs)]

pub mod catalogue;
pub mod codec;
pub mod fixtures;
pub mod fuzz_bodies;
pub mod scenario;

#[cfg(feature = "engine")]
pub mod baseline;
#[cfg(feature = "engine")]
pub mod builtin;
#[cfg(feature = "engine")]
pub mod descriptors;
#[cfg(feature = "engine")]
pub mod driver;
#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(feature = "engine")]
pub mod events;
#[cfg(feature = "engine")]
pub mod fuzzer;
#[cfg(feature = "engine")]
pub mod oracle;
#[cfg(feature = "engine")]
pub mod redact;
#[cfg(feature = "engine")]
pub mod report;
#[cfg(feature = "engine")]
pub mod runner;
#[cfg(feature = "engine")]
pub mod snapshot;
#[cfg(feature = "engine")]
pub mod suite;
#[cfg(feature = "engine")]
pub mod target;
#[cfg(feature = "engine")]
pub mod verdict;
