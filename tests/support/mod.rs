//! Shared fixtures for integration tests.

pub mod cli;
pub mod fuzz;
pub mod scripted_server;
pub mod suite;
