//! The JSON report: the [`Report`] value itself (schema version in `schema`).

use super::Reporter;
use crate::runner::Report;
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
