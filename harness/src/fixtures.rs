//! Generated file contents that scenarios upload and compare by name. They
//! are deterministic, so a download can be checked byte for byte.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Every fixture: name and what it exercises.
pub const FIXTURES: &[(&str, &str)] = &[
    ("empty", "zero bytes"),
    ("hello", "a short ASCII line with CRLF"),
    (
        "random-64k",
        "65,536 pseudo-random bytes (all byte values, CR and LF included)",
    ),
    ("random-1m", "1 MiB of pseudo-random bytes"),
    (
        "random-16m",
        "16 MiB of pseudo-random bytes: more than loopback socket buffers hold, so an unread RETR is still in progress",
    ),
    (
        "text-lf",
        "ASCII text with LF line ends (TYPE A conversion)",
    ),
    ("text-crlf", "the same text with CRLF line ends"),
    (
        "binary-crlf",
        "bytes rich in CR, LF and CRLF that TYPE I must not touch",
    ),
];

fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect()
}

fn text(eol: &str) -> Vec<u8> {
    (0..200)
        .map(|i| format!("line {i:03}: The quick brown fox jumps over the lazy dog.{eol}"))
        .collect::<String>()
        .into_bytes()
}

/// The bytes of a fixture, or `None` for an unknown name.
pub fn fixture(name: &str) -> Option<Vec<u8>> {
    Some(match name {
        "empty" => Vec::new(),
        "hello" => b"hello, ftpspec\r\n".to_vec(),
        "random-64k" => random(64 * 1024, 0x9E37_79B9_7F4A_7C15),
        "random-1m" => random(1024 * 1024, 0xD1B5_4A32_D192_ED03),
        "random-16m" => random(16 * 1024 * 1024, 0x94D0_49BB_1331_11EB),
        "text-lf" => text("\n"),
        "text-crlf" => text("\r\n"),
        "binary-crlf" => b"\r\n\r\r\n\n\r\x00\xff\r\n".repeat(512),
        _ => return None,
    })
}

/// A fixture's bytes, made once per process and then shared: parallel
/// cases uploading the same 16 MiB fixture hold one copy between them, not
/// one each (the difference between 40 and 110 MB peak for the suite).
pub fn shared(name: &str) -> Option<Arc<Vec<u8>>> {
    // `Arc<Vec>` rather than `Arc<[u8]>`: converting would copy the bytes
    // once more, doubling the peak while the fixture is made.
    static MADE: OnceLock<Mutex<HashMap<String, Arc<Vec<u8>>>>> = OnceLock::new();
    let made = MADE.get_or_init(Default::default);
    // A poisoned lock only means another case panicked mid-insert; the map
    // itself is still consistent.
    let mut made = made.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(bytes) = made.get(name) {
        return Some(bytes.clone());
    }
    let bytes = Arc::new(fixture(name)?);
    made.insert(name.to_owned(), bytes.clone());
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_fixture_exists_and_is_stable() {
        for (name, _) in FIXTURES {
            let first = fixture(name).unwrap_or_else(|| panic!("{name} is listed but not made"));
            assert_eq!(
                Some(&first),
                fixture(name).as_ref(),
                "{name} changes between calls"
            );
            let shared = shared(name).unwrap_or_else(|| panic!("{name}: no shared copy"));
            assert_eq!(*shared, first, "{name}: the shared copy differs");
        }
        assert!(fixture("nope").is_none());
        assert!(shared("nope").is_none());
    }

    #[test]
    fn fixtures_hold_what_their_descriptions_say() {
        let len = |n: &str| fixture(n).map(|b| b.len());
        assert_eq!(len("empty"), Some(0));
        assert_eq!(len("random-64k"), Some(65536));
        assert_eq!(len("random-1m"), Some(1 << 20));
        assert_eq!(len("random-16m"), Some(16 << 20));
        // "all byte values, CR and LF included".
        let r = fixture("random-64k").unwrap();
        let mut seen = [false; 256];
        r.iter().for_each(|&b| seen[b as usize] = true);
        assert!(seen.iter().all(|&s| s), "a byte value is missing");
        // The same text, two line ends.
        let lf = fixture("text-lf").unwrap();
        let crlf = fixture("text-crlf").unwrap();
        assert!(!lf.contains(&b'\r'));
        assert_eq!(
            String::from_utf8(lf)
                .unwrap()
                .replace('\n', "\r\n")
                .into_bytes(),
            crlf
        );
        // Seeds differ, so the random fixtures are not prefixes of each other.
        assert_ne!(&fixture("random-1m").unwrap()[..65536], &r[..]);
    }
}
