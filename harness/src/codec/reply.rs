//! Replies (RFC 959 §4.2): single-line `nnn text` and multi-line
//! `nnn-first` … `nnn last`, whose inner lines may hold anything but the
//! terminator. The value and its line grammar live here; turning a byte
//! stream into replies (one-shot [`Reply::parse`] included) is `decoder.rs`,
//! which depends on this file and not the other way round.

use super::leniency::{Deviation, Deviations, Leniency, Parsed};
use super::line::escape_bytes;
use super::reply_code::ReplyCode;
use std::fmt;

/// Bounds on what a reply may take: hostile servers send endless lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyLimits {
    /// Longest line, in bytes, without its CRLF.
    pub max_line_len: usize,
    /// Most lines in one reply.
    pub max_lines: usize,
}

impl Default for ReplyLimits {
    fn default() -> Self {
        ReplyLimits {
            max_line_len: 8 * 1024,
            max_lines: 4096,
        }
    }
}

/// How replies are parsed: which deviations are tolerated, and the bounds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplyOptions {
    /// Tolerated deviations ([`Leniency::STRICT`] by default).
    pub leniency: Leniency,
    /// Size bounds.
    pub limits: ReplyLimits,
}

impl ReplyOptions {
    /// Strict grammar, default limits.
    pub const STRICT: ReplyOptions = ReplyOptions {
        leniency: Leniency::STRICT,
        limits: ReplyLimits {
            max_line_len: 8 * 1024,
            max_lines: 4096,
        },
    };
}

/// Why a reply could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The input ended inside a reply.
    #[error("input ended inside a reply")]
    Incomplete,
    /// A line did not start with three digits.
    #[error("reply line does not start with a three-digit code: {line:?}")]
    BadCode {
        /// The start of the line, escaped.
        line: String,
    },
    /// The code was followed by something other than space or hyphen.
    #[error("reply code {code} followed by {found:?} instead of space or hyphen")]
    BadSeparator {
        /// The code.
        code: ReplyCode,
        /// The byte found, escaped.
        found: String,
    },
    /// A CR not followed by LF.
    #[error("CR not followed by LF inside a reply line")]
    BareCr,
    /// A line longer than [`ReplyLimits::max_line_len`].
    #[error("reply line longer than {limit} bytes")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// More lines than [`ReplyLimits::max_lines`].
    #[error("reply has more than {limit} lines")]
    TooManyLines {
        /// The limit.
        limit: usize,
    },
    /// Bytes after a complete reply where one reply was expected.
    #[error("{len} bytes after the end of the reply")]
    TrailingData {
        /// How many.
        len: usize,
    },
    /// A deviation that the parse's [`Leniency`] does not tolerate.
    #[error("{0}")]
    Disallowed(Deviation),
    /// The decoder already failed; its stream position is lost.
    #[error("the reply stream is unusable after an earlier error")]
    Poisoned,
}

/// Why a reply could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyBuildError {
    /// A reply needs at least one line.
    #[error("a reply needs at least one line")]
    NoLines,
    /// A line holds CR or LF.
    #[error("line {index} holds CR or LF")]
    LineBreak {
        /// Which line.
        index: usize,
    },
    /// An inner line that would end the reply early.
    #[error("inner line {index} would be read as the last line")]
    InnerTerminator {
        /// Which line.
        index: usize,
    },
}

/// A complete reply.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    code: ReplyCode,
    lines: Vec<Box<[u8]>>,
}

impl Reply {
    /// A reply from its lines: one line gives `nnn text`; several give a
    /// multi-line reply whose first and last lines carry the code and whose
    /// inner lines are sent verbatim.
    pub fn new<L: AsRef<[u8]>>(code: ReplyCode, lines: &[L]) -> Result<Reply, ReplyBuildError> {
        if lines.is_empty() {
            return Err(ReplyBuildError::NoLines);
        }
        let digits = code.digits();
        for (index, line) in lines.iter().enumerate() {
            let line = line.as_ref();
            if line.iter().any(|&b| b == b'\r' || b == b'\n') {
                return Err(ReplyBuildError::LineBreak { index });
            }
            let inner = index > 0 && index + 1 < lines.len();
            if inner && line.starts_with(&digits) && matches!(line.get(3), None | Some(b' ')) {
                return Err(ReplyBuildError::InnerTerminator { index });
            }
        }
        Ok(Reply {
            code,
            lines: lines.iter().map(|l| l.as_ref().into()).collect(),
        })
    }

    /// A single-line reply.
    pub fn single(code: ReplyCode, text: &str) -> Result<Reply, ReplyBuildError> {
        Reply::new(code, &[text])
    }

    /// The code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The lines: for a multi-line reply the first and last without their
    /// code prefix and the inner ones verbatim.
    pub fn lines(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        self.lines.iter().map(|l| &l[..])
    }

    /// Whether the reply spans several lines.
    pub fn is_multiline(&self) -> bool {
        self.lines.len() > 1
    }

    /// The text of the first line.
    pub fn first_line(&self) -> &[u8] {
        &self.lines[0]
    }

    /// All text, lines joined by `\n`, invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.text_bytes()).into_owned()
    }

    /// The text as sent, lines joined with `\n`: bytes, since a server may
    /// name a path that is not UTF-8 (RFC 2640 §2.2).
    pub fn text_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            out.extend_from_slice(l);
        }
        out
    }

    /// Append the encoded reply.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let digits = self.code.digits();
        let last = self.lines.len() - 1;
        for (i, line) in self.lines.iter().enumerate() {
            if i == 0 || i == last {
                out.extend_from_slice(&digits);
                out.push(if i == last { b' ' } else { b'-' });
            }
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// The encoded reply.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("code", &self.code)
            .field(
                "lines",
                &self
                    .lines
                    .iter()
                    .map(|l| escape_bytes(l))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape_bytes(&self.to_bytes()))
    }
}

/// What a line did to the reply being assembled.
pub(crate) enum LineOutcome {
    /// More lines are needed.
    More,
    /// The reply is complete.
    Done(Parsed<Reply>),
}

/// Assembles one reply from lines whose CRLF is already stripped. Shared by
/// every decoding path so that they agree on the grammar.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    code: Option<ReplyCode>,
    lines: Vec<Box<[u8]>>,
    seen: Deviations,
}

impl Assembler {
    /// Whether a reply has been started.
    pub(crate) fn in_progress(&self) -> bool {
        self.code.is_some()
    }

    pub(crate) fn line(
        &mut self,
        line: &[u8],
        options: &ReplyOptions,
        line_seen: Deviations,
    ) -> Result<LineOutcome, ReplyError> {
        let leniency = options.leniency;
        self.seen.extend(line_seen);
        if line.len() > options.limits.max_line_len {
            return Err(ReplyError::LineTooLong {
                limit: options.limits.max_line_len,
            });
        }
        if line.contains(&b'\r') {
            return Err(ReplyError::BareCr);
        }
        if self.lines.len() >= options.limits.max_lines {
            return Err(ReplyError::TooManyLines {
                limit: options.limits.max_lines,
            });
        }
        let lead = ReplyCode::from_digits(line.get(..3).unwrap_or(line));
        match self.code {
            None => {
                let code = lead.ok_or_else(|| ReplyError::BadCode {
                    line: escape_bytes(&line[..line.len().min(16)]),
                })?;
                match line.get(3) {
                    Some(b' ') => return Ok(self.finish(code, &line[4..])),
                    Some(b'-') => {
                        self.code = Some(code);
                        self.lines.push(line[4..].into());
                    }
                    None => {
                        leniency.tolerate(
                            Deviation::CodeWithoutText,
                            &mut self.seen,
                            ReplyError::Disallowed,
                        )?;
                        return Ok(self.finish(code, b""));
                    }
                    Some(&other) => {
                        return Err(ReplyError::BadSeparator {
                            code,
                            found: escape_bytes(&[other]),
                        });
                    }
                }
            }
            Some(code) => {
                // RFC 959 §4.2: "The user-process then simply needs to search
                // for the second occurrence of the same reply code, followed
                // by <SP> (Space), at the beginning of a line". Only that
                // ends the reply; `nnn-text` continuation lines, common
                // practice, are inner lines like any other. The padding rule
                // ("If an intermediary line begins with a 3-digit number, the
                // Server must pad the front to avoid confusion") is about the
                // confusion: an inner line starting with another code and a
                // space (or nothing), which a client could take for the end.
                if lead == Some(code) {
                    match line.get(3) {
                        Some(b' ') => return Ok(self.finish(code, &line[4..])),
                        None => {
                            leniency.tolerate(
                                Deviation::CodeWithoutText,
                                &mut self.seen,
                                ReplyError::Disallowed,
                            )?;
                            return Ok(self.finish(code, b""));
                        }
                        Some(_) => {}
                    }
                } else if lead.is_some() && matches!(line.get(3), None | Some(b' ')) {
                    leniency.tolerate(
                        Deviation::UnpaddedInnerNumber,
                        &mut self.seen,
                        ReplyError::Disallowed,
                    )?;
                }
                self.lines.push(line.into());
            }
        }
        Ok(LineOutcome::More)
    }

    fn finish(&mut self, code: ReplyCode, last: &[u8]) -> LineOutcome {
        let mut lines = std::mem::take(&mut self.lines);
        lines.push(last.into());
        let seen = std::mem::take(&mut self.seen);
        self.code = None;
        LineOutcome::Done(Parsed::new(Reply { code, lines }, seen))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(input: &[u8]) -> Result<Reply, ReplyError> {
        Reply::parse(input)
    }

    #[test]
    fn single_line() {
        let r = strict(b"220 Service ready\r\n").unwrap();
        assert_eq!(r.code().get(), 220);
        assert_eq!(r.text(), "Service ready");
        assert!(!r.is_multiline());
    }

    #[test]
    fn rfc959_multiline_example() {
        // RFC 959 §4.2, the example verbatim (inner lines padded).
        let input = b"123-First line\r\nSecond line\r\n  234 A line beginning with numbers\r\n123 The last line\r\n";
        let r = strict(input).unwrap();
        assert_eq!(r.lines().len(), 4);
        assert_eq!(r.to_bytes(), input);
    }

    #[test]
    fn continuation_lines_with_the_code_are_inner_lines() {
        // The style of many servers: every line but the last `211-`.
        let input = b"211-Features:\r\n211-MDTM\r\n211-2026-01-01 x\r\n211 End\r\n";
        let r = strict(input).unwrap();
        assert_eq!(r.lines().len(), 4);
        assert_eq!(r.lines().nth(1).unwrap(), b"211-MDTM");
    }

    #[test]
    fn an_inner_line_that_could_pass_for_the_end_is_a_deviation() {
        for input in [
            &b"211-Features:\r\n234 x\r\n211 End\r\n"[..],
            b"211-Features:\r\n234\r\n211 End\r\n",
        ] {
            assert_eq!(
                strict(input),
                Err(ReplyError::Disallowed(Deviation::UnpaddedInnerNumber))
            );
            let p = Reply::parse_with(
                input,
                ReplyOptions {
                    leniency: Leniency::PERMISSIVE,
                    ..Default::default()
                },
            )
            .unwrap();
            assert!(p.deviations.contains(Deviation::UnpaddedInnerNumber));
            assert_eq!(p.value.lines().len(), 3);
        }
        // Digits not followed by a space cannot pass for the end: no deviation.
        assert!(strict(b"211-a\r\n2026-11-25 b\r\n214-c\r\n211 End\r\n").is_ok());
    }

    #[test]
    fn errors() {
        assert_eq!(strict(b"220 hi"), Err(ReplyError::Incomplete));
        assert_eq!(strict(b"220-hi\r\n"), Err(ReplyError::Incomplete));
        assert!(matches!(
            strict(b"22 hi\r\n"),
            Err(ReplyError::BadCode { .. })
        ));
        assert!(matches!(
            strict(b"220x\r\n"),
            Err(ReplyError::BadSeparator { .. })
        ));
        assert_eq!(
            strict(b"220\r\n"),
            Err(ReplyError::Disallowed(Deviation::CodeWithoutText))
        );
        assert_eq!(strict(b"220 a\rb\r\n"), Err(ReplyError::BareCr));
        assert_eq!(
            strict(b"220 a\r\n221 b\r\n"),
            Err(ReplyError::TrailingData { len: 7 })
        );
        assert_eq!(
            strict(b"220 hi\n"),
            Err(ReplyError::Disallowed(Deviation::BareLf))
        );
    }

    #[test]
    fn limits() {
        let opts = ReplyOptions {
            limits: ReplyLimits {
                max_line_len: 10,
                max_lines: 3,
            },
            ..Default::default()
        };
        assert_eq!(
            Reply::parse_with(b"220 0123456789\r\n", opts),
            Err(ReplyError::LineTooLong { limit: 10 })
        );
        assert_eq!(
            Reply::parse_with(b"220-a\r\n b\r\n c\r\n220 d\r\n", opts),
            Err(ReplyError::TooManyLines { limit: 3 })
        );
    }

    #[test]
    fn build_refuses_ambiguous_inner_lines() {
        let c = ReplyCode::new(211).unwrap();
        assert_eq!(
            Reply::new(c, &["a", "211 b", "c"]),
            Err(ReplyBuildError::InnerTerminator { index: 1 })
        );
        assert_eq!(Reply::new::<&str>(c, &[]), Err(ReplyBuildError::NoLines));
        assert_eq!(
            Reply::new(c, &["a\nb"]),
            Err(ReplyBuildError::LineBreak { index: 0 })
        );
    }
}
