//! Reply-text patterns: literal text, `*` for any run of characters
//! (elision), `#` for one ASCII digit, `{=name}` to capture a run as a
//! variable. Anchored at both ends; `\*`, `\#`, `\{` and `\\` are literals.

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
                    for (i, _) in text
                        .char_indices()
                        .chain(std::iter::once((text.len(), ' ')))
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
    fn pathological_patterns_stay_bounded() {
        let p = Pattern::new(&"*a".repeat(30)).unwrap();
        assert!(p.matches(&"a".repeat(29)).is_none());
    }
}
