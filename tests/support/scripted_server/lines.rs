//! Reading command lines from the control connection, bounded in length
//! and idle time, Telnet commands removed.

use super::tls::Ctl;
use super::{IDLE, MAX_LINE, SILENT_MAX};
use tokio::io::AsyncReadExt;
use tokio::io::ReadHalf;
use tokio::time::timeout;

/// Drop Telnet commands (RFC 854) from a command line: `IAC IAC` is a literal
/// 0xFF, `IAC WILL/WONT/DO/DONT x` and `IAC x` (e.g. IP, DM before ABOR) go.
pub(super) fn strip_telnet(line: &[u8]) -> Vec<u8> {
    const IAC: u8 = 0xFF;
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i] != IAC {
            out.push(line[i]);
            i += 1;
            continue;
        }
        match line.get(i + 1) {
            Some(&IAC) => {
                out.push(IAC);
                i += 2;
            }
            Some(0xFB..=0xFE) => i += 3,
            _ => i += 2,
        }
    }
    // A Telnet Synch leaves a bare DM (0xF2) in the stream before the command.
    while out.first() == Some(&0xF2) {
        out.remove(0);
    }
    out
}

/// Text back to the bytes it was read from (see `LineReader::next`): every
/// char the server handles is one byte.
pub(super) fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

pub(super) enum Line {
    Text(String),
    TooLong,
    Idle,
    Eof,
}

pub(super) struct LineReader {
    pub(super) r: ReadHalf<Ctl>,
    pub(super) buf: Vec<u8>,
    /// `Fault::MergesPipelined`: everything read up to the last LF is one
    /// line, the line ends inside it kept.
    pub(super) merge: bool,
}

impl LineReader {
    /// The next line (CRLF or bare LF terminated), bounded by `MAX_LINE` and `IDLE`.
    pub(super) async fn next(&mut self) -> Line {
        let mut tmp = [0u8; 4096];
        loop {
            let end = if self.merge {
                self.buf.iter().rposition(|&b| b == b'\n')
            } else {
                self.buf.iter().position(|&b| b == b'\n')
            };
            if let Some(i) = end {
                let mut line: Vec<u8> = self.buf.drain(..=i).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > MAX_LINE {
                    return Line::TooLong;
                }
                let line = strip_telnet(&line);
                // Latin-1: one char per byte, so that a pathname's bytes,
                // UTF-8 or not, come back as they were (RFC 2640 §3.1:
                // "Pathnames are sequences of bytes"); see `latin1`.
                return Line::Text(line.iter().map(|&b| char::from(b)).collect());
            }
            if self.buf.len() > MAX_LINE {
                return Line::TooLong;
            }
            match timeout(IDLE, self.r.read(&mut tmp)).await {
                Err(_) => return Line::Idle,
                Ok(Ok(0)) | Ok(Err(_)) => return Line::Eof,
                Ok(Ok(n)) => self.buf.extend_from_slice(&tmp[..n]),
            }
        }
    }

    /// Whether the next line, arriving `within`, is `verb` alone: if so it
    /// is consumed; any other line stays to be read by [`LineReader::next`].
    pub(super) async fn take(&mut self, within: std::time::Duration, verb: &[u8]) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        let mut tmp = [0u8; 4096];
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line = strip_telnet(&self.buf[..i]);
                let found = line.trim_ascii().eq_ignore_ascii_case(verb);
                if found {
                    self.buf.drain(..=i);
                }
                return found;
            }
            if self.buf.len() > MAX_LINE {
                return false;
            }
            match tokio::time::timeout_at(deadline, self.r.read(&mut tmp)).await {
                Ok(Ok(n)) if n > 0 => self.buf.extend_from_slice(&tmp[..n]),
                _ => return false,
            }
        }
    }

    /// Read and discard input until EOF, idleness, or `SILENT_MAX`.
    pub(super) async fn drain(&mut self) {
        self.buf.clear();
        let r = &mut self.r;
        let _ = timeout(SILENT_MAX, async move {
            let mut tmp = [0u8; 4096];
            while let Ok(Ok(n)) = timeout(IDLE, r.read(&mut tmp)).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
    }
}
