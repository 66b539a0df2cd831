//! What was said on a case's connections, in order.

use crate::codec::escape_bytes;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Who sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The harness, on the control connection.
    Client,
    /// The server, on the control connection.
    Server,
    /// Either side, on a data connection (summarised).
    Data,
    /// The harness's own remark (a connection made, a finding).
    Note,
}

impl Direction {
    /// The two-character marker reports print before a transcript line.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::Client => "C>",
            Direction::Server => "S<",
            Direction::Data => "D ",
            Direction::Note => "--",
        }
    }
}

/// One transcript line.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Entry {
    /// Milliseconds since the case started.
    pub ms: u64,
    /// Who.
    pub dir: Direction,
    /// What, with control bytes escaped.
    pub text: String,
}

/// A case's transcript.
#[derive(Clone, Debug)]
pub struct Transcript {
    start: Instant,
    entries: Vec<Entry>,
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript {
            start: Instant::now(),
            entries: Vec::new(),
        }
    }
}

impl Transcript {
    /// Most entries kept: a hostile server must not grow a report without bound.
    pub const MAX_ENTRIES: usize = 2000;
    /// Most characters kept per entry.
    pub const MAX_TEXT: usize = 512;

    /// Record bytes.
    pub fn bytes(&mut self, dir: Direction, bytes: &[u8]) {
        self.push(dir, escape_bytes(bytes));
    }

    /// Record text.
    pub fn push(&mut self, dir: Direction, text: impl Into<String>) {
        if self.entries.len() >= Self::MAX_ENTRIES {
            return;
        }
        let mut text = text.into();
        if text.len() > Self::MAX_TEXT {
            let mut cut = Self::MAX_TEXT;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str("…[truncated]");
        }
        let ms = self.start.elapsed().as_millis() as u64;
        self.entries.push(Entry { ms, dir, text });
    }

    /// The entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Take the entries.
    pub fn into_entries(self) -> Vec<Entry> {
        self.entries
    }
}
