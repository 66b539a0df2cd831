//! Reporters consume runner [`Event`]s as they happen and the final
//! [`Report`]. Formats: `human` (terminal), `json`, `junit` and `markdown`.
//!
//! [`Event`]: crate::events::Event
//! [`Report`]: crate::events::Report

pub mod html;
mod human;
pub mod json;
pub mod junit;
pub mod markdown;

pub use html::Html;
pub use human::{Human, Style};
pub use json::Json;
pub use junit::Junit;
pub use markdown::Markdown;

use crate::events::{Event, Report};
use std::io;

/// A consumer of runner events.
pub trait Reporter {
    /// Something happened.
    fn event(&mut self, _event: &Event) {}
    /// The run is over.
    fn finish(&mut self, report: &Report) -> io::Result<()>;
}
