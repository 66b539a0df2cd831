//! Quoted strings: `"..."` with `\r`, `\n`, `\t`, `\\`, `\"` and `\xNN`.

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
    }
}
