//! The JSON report: the [`Report`] value itself. Its `schema` field is
//! [`SCHEMA_VERSION`], bumped on any incompatible change; the JSON Schema
//! of the document ([`schema`]) is derived from the Rust types and kept in
//! `docs/report.schema.json`, so it cannot drift from what is written.

use super::Reporter;
use crate::events::Report;
use std::io::{self, Write};

/// Writes the report as pretty JSON.
pub struct Json<W: Write> {
    out: W,
}

impl<W: Write> Json<W> {
    /// A reporter writing to `out`.
    pub fn new(out: W) -> Self {
        Json { out }
    }
}

impl<W: Write> Reporter for Json<W> {
    fn finish(&mut self, report: &Report) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut self.out, report).map_err(io::Error::other)?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

pub use crate::events::SCHEMA_VERSION;

/// The JSON Schema (draft 2020-12) of the report, pretty-printed.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Report);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
