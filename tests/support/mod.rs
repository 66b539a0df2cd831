//! Shared fixtures for integration tests.

pub mod scripted_server;
