//! Reply-text patterns: literal text, `*` for any run of characters
//! (elision), `#` for one ASCII digit, `{=name}` to capture a run as a
//! variable (never past a line end; before `*` or at the end, the rest of
//! the line). Anchored at both ends; `\*`, `\#`, `\{` and `\\` are literals.

use std::collections::BTreeMap;

/// Variables captured by a match.
pub type Captures = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Lit(String),
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
}

impl Pattern {
    /// Compile a pattern.
    pub fn new(source: &str) -> Result<Pattern, PatternError> {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut chars = source.chars().peekable();
        let flush = |lit: &mut String, pieces: &mut Vec<Piece>| {
            if !lit.is_empty() {
                pieces.push(Piece::Lit(std::mem::take(lit)));
            }
        };
        while let Some(c) = chars.next() {
            match c {
                '\\' => lit.push(chars.next().ok_or(PatternError::TrailingBackslash)?),
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
                c => lit.push(c),
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

    /// Match the whole of `text`; captures on success. Wildcards are
    /// shortest-first, so `{=a}x*` captures up to the first `x`.
    pub fn matches(&self, text: &str) -> Option<Captures> {
        let mut caps = Captures::new();
        // Bounded backtracking: pieces × positions.
        fn go(pieces: &[Piece], text: &str, caps: &mut Captures, budget: &mut u32) -> bool {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            match pieces.split_first() {
                None => text.is_empty(),
                Some((Piece::Lit(l), rest)) => text
                    .strip_prefix(l.as_str())
                    .is_some_and(|t| go(rest, t, caps, budget)),
                Some((Piece::Digit, rest)) => text
                    .strip_prefix(|c: char| c.is_ascii_digit())
                    .is_some_and(|t| go(rest, t, caps, budget)),
                Some((wild, rest)) => {
                    // A capture is a value on one line: it never runs past
                    // a line end (a multi-line reply's text joins its
                    // lines with \n); `*` may.
                    let reach = match wild {
                        Piece::Capture(_) => text.find(['\r', '\n']).unwrap_or(text.len()),
                        _ => text.len(),
                    };
                    // A capture with nothing after it on its line (then `*`,
                    // or the end) takes the rest of the line.
                    let whole_line = matches!(wild, Piece::Capture(_))
                        && matches!(rest.first(), None | Some(Piece::Any));
                    let from = if whole_line { reach } else { 0 };
                    for (i, _) in text[from..reach]
                        .char_indices()
                        .map(|(i, c)| (i + from, c))
                        .chain(std::iter::once((reach, ' ')))
                    {
                        if go(rest, &text[i..], caps, budget) {
                            if let Piece::Capture(name) = wild {
                                caps.insert(name.clone(), text[..i].to_owned());
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
    fn pathological_patterns_stay_bounded() {
        let p = Pattern::new(&"*a".repeat(30)).unwrap();
        assert!(p.matches(&"a".repeat(29)).is_none());
    }
}
