//! The hostile tokens every verb's arguments draw on (format strings,
//! globs, path traversal, numeric edges, shell and DOS oddities), from the
//! dictionary `corpora/ftp.dict` (which also seeds cargo-fuzz), and the
//! values learnt from the server during the run (paths from listings and
//! 257 replies, names from FEAT and HELP, sizes from SIZE), which later
//! arguments reuse.

use std::collections::VecDeque;

/// The dictionary, as built into the binary.
const DICT: &str = include_str!("../../../corpora/ftp.dict");

/// Most values learnt from the server kept at once (the oldest go first).
pub const LEARNT: usize = 256;

/// One `name="value"` line of a libFuzzer/AFL dictionary: the value, its
/// `\xNN`, `\\` and `\"` escapes resolved.
fn dict_value(line: &str) -> Option<Vec<u8>> {
    let line = line.trim();
    if line.starts_with('#') {
        return None;
    }
    let (_, quoted) = line.split_once('=')?;
    let body = quoted.trim().strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Vec::new();
    let mut bytes = body.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next()? {
            b'x' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            other => out.push(other),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The line that opens the dictionary's argument tokens (what comes
/// before it, verbs and reply codes, serves the codec fuzz targets).
const HOSTILE: &str = "# Hostile argument tokens";

/// The dictionary's hostile argument tokens.
pub fn pool() -> Vec<Vec<u8>> {
    DICT.lines()
        .skip_while(|l| !l.starts_with(HOSTILE))
        .filter_map(dict_value)
        .collect()
}

/// Values learnt from the server's replies and listings, most recent last.
#[derive(Clone, Debug, Default)]
pub struct Learnt {
    values: VecDeque<Vec<u8>>,
}

impl Learnt {
    /// Keep `value` (once; bounded at [`LEARNT`]).
    pub fn add(&mut self, value: &[u8]) {
        if value.is_empty() || value.len() > 512 || self.values.iter().any(|v| v == value) {
            return;
        }
        if self.values.len() == LEARNT {
            self.values.pop_front();
        }
        self.values.push_back(value.to_vec());
    }

    /// Everything kept.
    pub fn values(&self) -> Vec<Vec<u8>> {
        self.values.iter().cloned().collect()
    }
}

/// What a reply teaches: the path of a 257 (between its first quotes), the
/// number of a 213, the words of a FEAT or HELP listing (211, 214).
pub fn from_reply(code: u16, text: &[u8]) -> Vec<Vec<u8>> {
    match code {
        257 => {
            let mut parts = text.split(|b| *b == b'"');
            parts.next();
            parts.next().map(|p| vec![p.to_vec()]).unwrap_or_default()
        }
        213 => text
            .split(|b| *b == b' ')
            .filter(|w| !w.is_empty() && w.iter().all(u8::is_ascii_digit))
            .map(<[u8]>::to_vec)
            .collect(),
        211 | 214 => text
            .split(|b| b.is_ascii_whitespace() || *b == b';' || *b == b',')
            .filter(|w| (2..=24).contains(&w.len()) && w.iter().all(u8::is_ascii_graphic))
            .map(<[u8]>::to_vec)
            .take(64)
            .collect(),
        _ => Vec::new(),
    }
}

/// What a listing teaches: the last word of each line (the name, in LIST,
/// NLST and MLSD alike), at most 64.
pub fn from_listing(data: &[u8]) -> Vec<Vec<u8>> {
    data.split(|b| *b == b'\n')
        .filter_map(|l| {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            l.split(|b| *b == b' ').rfind(|w| !w.is_empty())
        })
        .map(<[u8]>::to_vec)
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dictionary_gives_its_hostile_tokens() {
        let p = pool();
        assert!(p.contains(&b"%s%s%s%s".to_vec()));
        assert!(p.contains(&b"~1".to_vec()));
        assert!(p.contains(&b"\xc0\xae\xc0\xae/".to_vec()));
        assert!(p.contains(&b"..\\".to_vec()));
        // Verbs and reply codes are the codec targets' business.
        assert!(!p.contains(&b"220 ".to_vec()) && !p.contains(&b"QUIT".to_vec()));
        assert!(p.len() >= 30);
    }

    #[test]
    fn replies_and_listings_teach_values() {
        assert_eq!(from_reply(257, b"\"/a b\" created"), vec![b"/a b".to_vec()]);
        assert_eq!(from_reply(213, b"1234"), vec![b"1234".to_vec()]);
        assert!(from_reply(214, b"USER PASS SITE").contains(&b"SITE".to_vec()));
        assert_eq!(
            from_listing(b"-rw-r--r-- 1 ftp ftp 5 Jan 01 00:00 x.txt\r\nsub\r\n"),
            vec![b"x.txt".to_vec(), b"sub".to_vec()]
        );
        let mut l = Learnt::default();
        for i in 0..(LEARNT + 10) {
            l.add(format!("v{i}").as_bytes());
        }
        l.add(b"v300");
        assert_eq!(l.values().len(), LEARNT);
    }
}
