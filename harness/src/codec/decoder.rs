//! Incremental reply decoding: feed bytes as they arrive, in any chunks, and
//! take complete replies out. Memory stays bounded by [`ReplyLimits`]: a line
//! that outgrows the limit fails as soon as it does, without waiting for its end.
//!
//! [`ReplyLimits`]: super::ReplyLimits

use super::leniency::{Deviations, Parsed};
use super::line::{LineError, strip_eol};
use super::reply::{Assembler, LineOutcome, Reply, ReplyError, ReplyOptions};

/// A push/pull reply decoder with no I/O of its own.
#[derive(Debug)]
pub struct ReplyDecoder {
    options: ReplyOptions,
    buf: Vec<u8>,
    /// Start of the bytes not yet consumed.
    start: usize,
    /// Bytes before this offset hold no LF.
    scanned: usize,
    assembler: Assembler,
    poisoned: bool,
}

impl ReplyDecoder {
    /// A decoder with the given grammar and limits.
    pub fn new(options: ReplyOptions) -> ReplyDecoder {
        ReplyDecoder {
            options,
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            assembler: Assembler::default(),
            poisoned: false,
        }
    }

    /// The options in force.
    pub fn options(&self) -> &ReplyOptions {
        &self.options
    }

    /// Append received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received and not yet part of a returned reply or a consumed line.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Whether nothing is pending: no partial line, no partial reply.
    pub fn is_idle(&self) -> bool {
        self.buffered() == 0 && !self.assembler.in_progress()
    }

    /// The next complete reply, `Ok(None)` if more bytes are needed. After an
    /// error every call fails with [`ReplyError::Poisoned`].
    pub fn next_reply(&mut self) -> Result<Option<Parsed<Reply>>, ReplyError> {
        if self.poisoned {
            return Err(ReplyError::Poisoned);
        }
        let result = self.step();
        if result.is_err() {
            self.poisoned = true;
        }
        result
    }

    fn step(&mut self) -> Result<Option<Parsed<Reply>>, ReplyError> {
        loop {
            let Some(lf) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') else {
                self.scanned = self.buf.len();
                // +2 leaves room for the CRLF that may still come.
                let limit = self.options.limits.max_line_len;
                if self.buffered() > limit.saturating_add(2) {
                    return Err(ReplyError::LineTooLong { limit });
                }
                return Ok(None);
            };
            let end = self.scanned + lf + 1;
            let line = &self.buf[self.start..end];
            // The same bound as for a partial line above, checked first, so
            // that the error does not depend on where the chunks were cut.
            let limit = self.options.limits.max_line_len;
            if line.len() > limit.saturating_add(2) {
                return Err(ReplyError::LineTooLong { limit });
            }
            let mut seen = Deviations::NONE;
            let body_len =
                strip_eol(line, self.options.leniency, &mut seen).map_err(|e| match e {
                    LineError::Disallowed(d) => ReplyError::Disallowed(d),
                    LineError::EmbeddedEol { .. } | LineError::Unterminated => ReplyError::BareCr,
                })?;
            let outcome = self.assembler.line(&line[..body_len], &self.options, seen);
            self.start = end;
            self.scanned = end;
            if let LineOutcome::Done(reply) = outcome? {
                return Ok(Some(reply));
            }
        }
    }

    /// Declare the end of input: fails with [`ReplyError::Incomplete`] if a
    /// reply or line was left unfinished.
    pub fn finish(&self) -> Result<(), ReplyError> {
        if self.poisoned {
            return Err(ReplyError::Poisoned);
        }
        if self.is_idle() {
            Ok(())
        } else {
            Err(ReplyError::Incomplete)
        }
    }
}

/// One-shot parsing: a whole reply in one buffer, through the same decoder
/// as a stream so that both agree on the grammar.
impl Reply {
    /// Parse exactly one reply, strictly.
    pub fn parse(input: &[u8]) -> Result<Reply, ReplyError> {
        Reply::parse_with(input, ReplyOptions::STRICT).map(|p| p.value)
    }

    /// Parse exactly one reply with the given options.
    pub fn parse_with(input: &[u8], options: ReplyOptions) -> Result<Parsed<Reply>, ReplyError> {
        let mut dec = ReplyDecoder::new(options);
        dec.push(input);
        let first = dec.next_reply()?.ok_or(ReplyError::Incomplete)?;
        match dec.buffered() {
            0 => Ok(first),
            len => Err(ReplyError::TrailingData { len }),
        }
    }
}

/// Decode every reply in `input`: the replies decoded before the first error,
/// and that error (`Incomplete` when the input stops inside a reply).
pub fn decode_all(input: &[u8], options: ReplyOptions) -> (Vec<Parsed<Reply>>, Option<ReplyError>) {
    let mut dec = ReplyDecoder::new(options);
    dec.push(input);
    let mut out = Vec::new();
    loop {
        match dec.next_reply() {
            Ok(Some(r)) => out.push(r),
            Ok(None) => return (out, dec.finish().err()),
            Err(e) => return (out, Some(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::ReplyLimits;

    #[test]
    fn byte_at_a_time() {
        let input = b"220-a\r\n b\r\n220 c\r\n331 pw\r\n";
        let mut dec = ReplyDecoder::new(ReplyOptions::STRICT);
        let mut got = Vec::new();
        for b in input {
            dec.push(&[*b]);
            while let Some(r) = dec.next_reply().unwrap() {
                got.push(r.value.code().get());
            }
        }
        assert_eq!(got, [220, 331]);
        assert!(dec.finish().is_ok());
    }

    #[test]
    fn endless_line_fails_before_its_end() {
        let opts = ReplyOptions {
            limits: ReplyLimits {
                max_line_len: 100,
                max_lines: 10,
            },
            ..Default::default()
        };
        let mut dec = ReplyDecoder::new(opts);
        dec.push(b"220 ");
        assert!(dec.next_reply().unwrap().is_none());
        dec.push(&[b'x'; 200]);
        assert_eq!(
            dec.next_reply(),
            Err(ReplyError::LineTooLong { limit: 100 })
        );
        assert_eq!(dec.next_reply(), Err(ReplyError::Poisoned));
    }

    #[test]
    fn idle_only_between_replies() {
        let mut dec = ReplyDecoder::new(ReplyOptions::STRICT);
        assert!(dec.is_idle());
        dec.push(b"220-a\r\n");
        assert!(dec.next_reply().unwrap().is_none());
        assert!(!dec.is_idle());
        assert_eq!(dec.finish(), Err(ReplyError::Incomplete));
    }
}
