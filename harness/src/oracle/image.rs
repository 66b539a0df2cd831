//! TYPE I byte-exactness (RFC 959 §3.1.1.3): a file stored in TYPE I comes
//! back byte for byte, whatever a scenario's download step checks. The
//! [`ImageTracker`] follows what a session sent and stored; a
//! [`ByteComparison`] checks a download against the stored bytes as it streams.

use super::rule::{Rule, Violation};
use crate::codec::{Command, ReplyCode, Verb};
use crate::verdict::Check;
use std::collections::BTreeMap;
use std::sync::Arc;

/// RFC 959 §3.1.1.3, IMAGE TYPE.
pub const CONTIGUOUS: Rule = Rule::must(
    959,
    "3.1.1.3",
    "The receiving site must store the data as contiguous bits.",
);

/// Every rule this family enforces.
pub const RULES: &[Rule] = &[CONTIGUOUS];

/// Follows TYPE and what was stored in TYPE I, so that a later RETR of the
/// same path in TYPE I is compared with what was stored.
#[derive(Debug, Default)]
pub struct ImageTracker {
    /// TYPE I is in force (a `TYPE I` got a 2yz).
    image: bool,
    /// A `TYPE` was sent and its reply is awaited: whether it was `TYPE I`.
    pending_type: Option<bool>,
    /// REST was sent: the next transfer is partial, not comparable.
    restarted: bool,
    /// The last transfer command: verb and path.
    transfer: Option<(Verb, String)>,
    /// Bytes stored per path in TYPE I.
    stored: BTreeMap<String, Arc<Vec<u8>>>,
}

impl ImageTracker {
    /// A command was sent.
    pub fn sent(&mut self, cmd: &Command) {
        let arg = cmd.arg().map(|a| a.to_string()).unwrap_or_default();
        let verb = cmd.verb();
        if *verb == Verb::TYPE {
            self.pending_type = Some(arg.trim().eq_ignore_ascii_case("I"));
        } else if *verb == Verb::REST {
            self.restarted = true;
        } else if *verb == Verb::ABOR {
            // An aborted transfer is cut short by design: nothing to compare.
            self.transfer = None;
        } else if [Verb::STOR, Verb::RETR, Verb::APPE].contains(verb) {
            self.transfer = Some((verb.clone(), arg.clone()));
            if *verb == Verb::APPE {
                self.stored.remove(&arg);
            }
        }
    }

    /// A reply arrived.
    pub fn replied(&mut self, code: ReplyCode) {
        if let Some(image) = self.pending_type.take() {
            if code.is_completion() {
                self.image = image;
            }
        }
    }

    /// `bytes` were uploaded for the last transfer command.
    pub fn uploaded(&mut self, bytes: Arc<Vec<u8>>) {
        match self.transfer.take() {
            Some((v, path)) if v == Verb::STOR && self.image && !self.restarted => {
                self.stored.insert(path, bytes);
            }
            Some((_, path)) => {
                self.stored.remove(&path);
            }
            None => {}
        }
        self.restarted = false;
    }

    /// A download starts: the path and the bytes it must equal, if known.
    pub fn expected_download(&mut self) -> Option<(String, Arc<Vec<u8>>)> {
        let restarted = std::mem::take(&mut self.restarted);
        match self.transfer.take() {
            Some((v, path)) if v == Verb::RETR && self.image && !restarted => {
                self.stored.get(&path).map(|b| (path, b.clone()))
            }
            _ => None,
        }
    }
}

/// A download compared with expected bytes chunk by chunk, so that memory
/// stays flat however much the server sends.
#[derive(Clone, Debug)]
pub struct ByteComparison {
    expected: Arc<Vec<u8>>,
    received: u64,
    first_difference: Option<u64>,
}

impl ByteComparison {
    /// Compare with `expected`.
    pub fn new(expected: Arc<Vec<u8>>) -> ByteComparison {
        ByteComparison {
            expected,
            received: 0,
            first_difference: None,
        }
    }

    /// The next bytes of the download.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.first_difference.is_none() {
            let start = usize::try_from(self.received).unwrap_or(usize::MAX);
            let want = self.expected.get(start..).unwrap_or_default();
            let at = want
                .iter()
                .zip(chunk)
                .position(|(a, b)| a != b)
                .or((chunk.len() > want.len()).then_some(want.len()));
            self.first_difference = at.map(|i| self.received + i as u64);
        }
        self.received += chunk.len() as u64;
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Bytes expected.
    pub fn expected_len(&self) -> u64 {
        self.expected.len() as u64
    }

    /// Where the download first departs from the expected bytes (a short
    /// download departs where it ends); `None` when they are equal.
    pub fn first_difference(&self) -> Option<u64> {
        self.first_difference
            .or_else(|| (self.received != self.expected.len() as u64).then_some(self.received))
    }
}

/// Judge a finished download of `path`, stored earlier in TYPE I.
pub fn round_trip(path: &str, download: &ByteComparison) -> Option<Violation> {
    let at = download.first_difference()?;
    Some(Violation::broken(
        Check::ImageBytes,
        CONTIGUOUS,
        format!(
            "the {} bytes stored earlier in this case as {path} (TYPE I: a file comes back as stored)",
            download.expected_len()
        ),
        format!(
            "{} bytes, first difference at offset {at}",
            download.received()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compare(expected: &[u8], chunks: &[&[u8]]) -> Option<u64> {
        let mut c = ByteComparison::new(Arc::new(expected.to_vec()));
        for ch in chunks {
            c.feed(ch);
        }
        c.first_difference()
    }

    #[test]
    fn comparison_across_chunks() {
        assert_eq!(compare(b"abcdef", &[b"abc", b"def"]), None);
        assert_eq!(compare(b"abcdef", &[b"abc", b"dxf"]), Some(4));
        assert_eq!(compare(b"abcdef", &[b"abc"]), Some(3));
        assert_eq!(compare(b"abc", &[b"ab", b"cd"]), Some(3));
        assert_eq!(compare(b"", &[]), None);
        assert_eq!(compare(b"", &[b"x"]), Some(0));
    }

    #[test]
    fn tracker_follows_type_and_rest() {
        let cmd = |s: &str| Command::parse(format!("{s}\r\n").as_bytes()).unwrap();
        let ok = ReplyCode::new(200).unwrap();
        let mut t = ImageTracker::default();
        t.sent(&cmd("TYPE I"));
        t.replied(ok);
        t.sent(&cmd("STOR a"));
        t.uploaded(Arc::new(b"data".to_vec()));
        t.sent(&cmd("RETR a"));
        assert_eq!(t.expected_download().unwrap().1.as_slice(), b"data");
        t.sent(&cmd("REST 2"));
        t.sent(&cmd("RETR a"));
        assert!(t.expected_download().is_none());
        t.sent(&cmd("TYPE A"));
        t.replied(ok);
        t.sent(&cmd("RETR a"));
        assert!(t.expected_download().is_none());
    }
}
