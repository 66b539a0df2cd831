//! Reporters consume runner [`Event`]s as they happen and the final
//! [`Report`]. Formats: `human` (terminal) and `json`.
//!
//! [`Event`]: crate::runner::Event
//! [`Report`]: crate::runner::Report

mod human;
mod json;

pub use human::Human;
pub use json::Json;

use crate::runner::{Event, Report};
use std::io;

/// A consumer of runner events.
pub trait Reporter {
    /// Something happened.
    fn event(&mut self, _event: &Event) {}
    /// The run is over.
    fn finish(&mut self, report: &Report) -> io::Result<()>;
}
