//! Line framing shared by commands and replies.

use super::leniency::{Deviation, Deviations, Leniency};

/// Why a line could not be framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineError {
    /// No LF at the end.
    Unterminated,
    /// A CR or LF inside the line.
    EmbeddedEol { offset: usize },
    /// A bare LF that strict parsing refuses.
    Disallowed(Deviation),
}

/// Strip the terminator of one complete line: CRLF, or a bare LF when tolerated.
/// The rest must hold no CR or LF.
pub(crate) fn strip_eol(
    line: &[u8],
    leniency: Leniency,
    seen: &mut Deviations,
) -> Result<usize, LineError> {
    let Some(body_end) = line.len().checked_sub(1).filter(|&i| line[i] == b'\n') else {
        return Err(LineError::Unterminated);
    };
    let body_end = if body_end > 0 && line[body_end - 1] == b'\r' {
        body_end - 1
    } else {
        leniency.tolerate(Deviation::BareLf, seen, LineError::Disallowed)?;
        body_end
    };
    if let Some(offset) = line[..body_end]
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
    {
        return Err(LineError::EmbeddedEol { offset });
    }
    Ok(body_end)
}

/// Render bytes for humans: printable ASCII as is, the rest escaped.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}
