//! Reply-text patterns: literal text, `*` for any run of bytes (elision),
//! `#` for one ASCII digit, `{=name}` to capture a run as a variable (never
//! past a line end; before `*` or at the end, the rest of the line).
//! Anchored at both ends; `\*`, `\#`, `\{` and `\\` are literals, and
//! `\xNN` is the byte NN (any byte: pathnames are bytes, RFC 2640 §2.2).
//! Patterns match bytes; a capture is text (bytes that are not UTF-8 become
//! U+FFFD).

use std::collections::BTreeMap;

/// Variables captured by a match.
pub type Captures = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Lit(Vec<u8>),
    Digit,
    Any,
    Capture(String),
}

/// A compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    pieces: Vec<Piece>,
}

/// Why a pattern does not compile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// `{=` without `}` or with an empty or invalid name.
    #[error("bad capture: write {{=name}} with a name of letters, digits, '_' or '-'")]
    BadCapture,
    /// A trailing backslash.
    #[error("pattern ends in a lone backslash")]
    TrailingBackslash,
    /// `\x` not followed by two hex digits.
    #[error("bad byte escape: write \\xNN with two hex digits")]
    BadByte,
}

/// The pattern source for `bytes` as a scenario's quoted string gives them:
/// valid UTF-8 kept, any other byte written `\xNN` (which [`Pattern::new`]
/// reads back as that byte).
pub fn source_of(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

impl Pattern {
    /// Compile a pattern.
    pub fn new(source: &str) -> Result<Pattern, PatternError> {
        let mut pieces = Vec::new();
        let mut lit: Vec<u8> = Vec::new();
        let mut chars = source.chars().peekable();
        let flush = |lit: &mut Vec<u8>, pieces: &mut Vec<Piece>| {
            if !lit.is_empty() {
                pieces.push(Piece::Lit(std::mem::take(lit)));
            }
        };
        let mut buf = [0u8; 4];
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next().ok_or(PatternError::TrailingBackslash)? {
                    'x' => {
                        let hex: String = (0..2).filter_map(|_| chars.next()).collect();
                        let b = u8::from_str_radix(&hex, 16).map_err(|_| PatternError::BadByte)?;
                        lit.push(b);
                    }
                    other => lit.extend_from_slice(other.encode_utf8(&mut buf).as_bytes()),
                },
                '#' => {
                    flush(&mut lit, &mut pieces);
                    pieces.push(Piece::Digit);
                }
                '*' => {
                    flush(&mut lit, &mut pieces);
                    if pieces.last() != Some(&Piece::Any) {
                        pieces.push(Piece::Any);
                    }
                }
                '{' if chars.peek() == Some(&'=') => {
                    chars.next();
                    let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    if name.is_empty()
                        || !name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    {
                        return Err(PatternError::BadCapture);
                    }
                    flush(&mut lit, &mut pieces);
                    pieces.push(Piece::Capture(name));
                }
                c => lit.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
            }
        }
        flush(&mut lit, &mut pieces);
        Ok(Pattern {
            source: source.to_owned(),
            pieces,
        })
    }

    /// The pattern as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Match the whole of `text`; captures on success.
    pub fn matches(&self, text: &str) -> Option<Captures> {
        self.matches_bytes(text.as_bytes())
    }

    /// Match the whole of `text`, as bytes; captures on success. Wildcards
    /// are shortest-first, so `{=a}x*` captures up to the first `x`.
    pub fn matches_bytes(&self, text: &[u8]) -> Option<Captures> {
        let mut caps = Captures::new();
        // Bounded backtracking: pieces × positions.
        fn go(pieces: &[Piece], text: &[u8], caps: &mut Captures, budget: &mut u32) -> bool {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            match pieces.split_first() {
                None => text.is_empty(),
                Some((Piece::Lit(l), rest)) => text
                    .strip_prefix(l.as_slice())
                    .is_some_and(|t| go(rest, t, caps, budget)),
                Some((Piece::Digit, rest)) => match text.split_first() {
                    Some((d, t)) if d.is_ascii_digit() => go(rest, t, caps, budget),
                    _ => false,
                },
                Some((wild, rest)) => {
                    // A capture is a value on one line: it never runs past
                    // a line end (a multi-line reply's text joins its
                    // lines with \n); `*` may.
                    let reach = match wild {
                        Piece::Capture(_) => text
                            .iter()
                            .position(|b| matches!(b, b'\r' | b'\n'))
                            .unwrap_or(text.len()),
                        _ => text.len(),
                    };
                    // A capture with nothing after it on its line (then `*`,
                    // or the end) takes the rest of the line.
                    let whole_line = matches!(wild, Piece::Capture(_))
                        && matches!(rest.first(), None | Some(Piece::Any));
                    let from = if whole_line { reach } else { 0 };
                    for i in from..=reach {
                        if go(rest, &text[i..], caps, budget) {
                            if let Piece::Capture(name) = wild {
                                caps.insert(
                                    name.clone(),
                                    String::from_utf8_lossy(&text[..i]).into_owned(),
                                );
                            }
                            return true;
                        }
                    }
                    false
                }
            }
        }
        let mut budget = 100_000;
        go(&self.pieces, text, &mut caps, &mut budget).then_some(caps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_elision_and_captures() {
        let p = Pattern::new("\"{=dir}\" *").unwrap();
        let caps = p.matches("\"/tmp/x\" is current directory").unwrap();
        assert_eq!(caps["dir"], "/tmp/x");
        assert!(
            Pattern::new("Entering*")
                .unwrap()
                .matches("Entering Passive Mode")
                .is_some()
        );
        assert!(Pattern::new("abc").unwrap().matches("abcd").is_none());
        assert!(Pattern::new("a\\*b").unwrap().matches("a*b").is_some());
        assert!(Pattern::new("*").unwrap().matches("").is_some());
        assert!(Pattern::new("##.#").unwrap().matches("12.3").is_some());
        assert!(Pattern::new("##").unwrap().matches("1a").is_none());
        assert!(Pattern::new("\\#1").unwrap().matches("#1").is_some());
        assert_eq!(Pattern::new("{=}"), Err(PatternError::BadCapture));
        assert_eq!(Pattern::new("x\\"), Err(PatternError::TrailingBackslash));
    }

    #[test]
    fn captures_stop_at_the_line_end() {
        // The STOU name of a multi-line 150: the capture is the name only.
        let p = Pattern::new("*FILE: {=name}*").unwrap();
        let caps = p.matches("Opening\nFILE: x.1\nend").unwrap();
        assert_eq!(caps["name"], "x.1");
        let p = Pattern::new("FILE: {=name}").unwrap();
        assert!(p.matches("FILE: a\nb").is_none());
        assert_eq!(p.matches("FILE: a b").unwrap()["name"], "a b");
    }

    #[test]
    fn bytes_that_are_not_utf8_match_as_written() {
        let p = Pattern::new("*name-\\xff\\xfe.txt").unwrap();
        assert!(p.matches_bytes(b"-rw 1 name-\xff\xfe.txt").is_some());
        assert!(p.matches_bytes(b"-rw 1 name-\xfe\xff.txt").is_none());
        assert_eq!(source_of(b"caf\xc3\xa9 \xff"), "caf\u{e9} \\xff");
        assert!(
            Pattern::new(&source_of(b"a\xffb"))
                .unwrap()
                .matches_bytes(b"a\xffb")
                .is_some()
        );
        assert_eq!(Pattern::new("\\xg1"), Err(PatternError::BadByte));
        // A capture is text.
        let caps = Pattern::new("{=n}")
            .unwrap()
            .matches_bytes(b"a\xff")
            .unwrap();
        assert_eq!(caps["n"], "a\u{fffd}");
    }

    #[test]
    fn pathological_patterns_stay_bounded() {
        let p = Pattern::new(&"*a".repeat(30)).unwrap();
        assert!(p.matches(&"a".repeat(29)).is_none());
    }
}
