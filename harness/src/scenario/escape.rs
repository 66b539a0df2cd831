//! Quoted strings: `"..."` with `\r`, `\n`, `\t`, `\0`, `\\`, `\"`, `\xNN`,
//! and `\{N}`, which repeats the byte before it so that it stands N times
//! in all (`"NOOP A\{9000}\r\n"`: an over-long line in a few characters).

/// The most bytes one `\{N}` may make (a scenario names data, not disks).
pub const MAX_REPEAT: usize = 1 << 20;

/// Why a quoted string is malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EscapeError {
    /// No opening or closing quote.
    #[error("expected a string in double quotes")]
    NotQuoted,
    /// Text after the closing quote.
    #[error("unexpected text after the closing quote")]
    Trailing,
    /// An unknown escape.
    #[error("unknown escape \\{0}")]
    BadEscape(char),
    /// `\{N}` with no byte before it, or N not in 1..=MAX_REPEAT.
    #[error("bad repetition: write \\{{N}} after a byte, N from 1 to {MAX_REPEAT}")]
    BadRepeat,
}

/// Unquote `"..."`, returning the bytes and the rest of the input after the closing quote.
pub fn unquote_prefix(s: &str) -> Result<(Vec<u8>, &str), EscapeError> {
    let body = s.strip_prefix('"').ok_or(EscapeError::NotQuoted)?;
    let mut out = Vec::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &body[i + 1..])),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('r') => out.push(b'\r'),
                Some('n') => out.push(b'\n'),
                Some('t') => out.push(b'\t'),
                Some('0') => out.push(0),
                Some('\\') => out.push(b'\\'),
                Some('"') => out.push(b'"'),
                Some('x') => {
                    let hex: String = (0..2)
                        .filter_map(|_| chars.next().map(|(_, c)| c))
                        .collect();
                    let b =
                        u8::from_str_radix(&hex, 16).map_err(|_| EscapeError::BadEscape('x'))?;
                    out.push(b);
                }
                Some('{') => {
                    let digits: String = chars
                        .by_ref()
                        .map(|(_, c)| c)
                        .take_while(|c| *c != '}')
                        .collect();
                    let n: usize = digits.parse().map_err(|_| EscapeError::BadRepeat)?;
                    let last = *out.last().ok_or(EscapeError::BadRepeat)?;
                    if n == 0 || n > MAX_REPEAT {
                        return Err(EscapeError::BadRepeat);
                    }
                    out.extend(std::iter::repeat_n(last, n - 1));
                }
                Some(other) => return Err(EscapeError::BadEscape(other)),
                None => return Err(EscapeError::NotQuoted),
            },
            c => {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    Err(EscapeError::NotQuoted)
}

/// Unquote a whole `"..."` string.
pub fn unquote(s: &str) -> Result<Vec<u8>, EscapeError> {
    let (v, rest) = unquote_prefix(s.trim())?;
    if rest.trim().is_empty() {
        Ok(v)
    } else {
        Err(EscapeError::Trailing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(unquote(r#""a\r\n\x00\"\\""#).unwrap(), b"a\r\n\0\"\\");
        assert_eq!(unquote("\"é\"").unwrap(), "é".as_bytes());
        assert_eq!(unquote("x"), Err(EscapeError::NotQuoted));
        assert_eq!(unquote("\"a\" b"), Err(EscapeError::Trailing));
        assert_eq!(unquote(r#""\q""#), Err(EscapeError::BadEscape('q')));
        assert_eq!(unquote(r#""\xZZ""#), Err(EscapeError::BadEscape('x')));
        assert_eq!(unquote(r#""NA\{4}\r""#).unwrap(), b"NAAAA\r");
        assert_eq!(unquote(r#""\r\{2}""#).unwrap(), b"\r\r");
        assert_eq!(unquote(r#""\{2}""#), Err(EscapeError::BadRepeat));
        assert_eq!(unquote(r#""a\{0}""#), Err(EscapeError::BadRepeat));
        assert_eq!(unquote(r#""a\{x}""#), Err(EscapeError::BadRepeat));
    }
}
