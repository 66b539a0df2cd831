//! A hand-built TLS ClientHello offering only TLS 1.0 and 1.1, and what
//! the server answers to it: whether a server still negotiates the
//! versions RFC 8996 deprecates can be seen without a TLS library that
//! speaks them (rustls does not, by design). Nothing after the server's
//! first answer is read or sent: no keys are made, nothing is negotiated.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `{03,02}`: TLS 1.1 (RFC 4346); `{03,01}`: TLS 1.0.
pub const TLS11: u16 = 0x0302;

/// Cipher suites of TLS 1.0 and 1.1 servers still run (ECDHE and RSA key
/// exchange, AES-CBC, 3DES).
const SUITES: [u16; 9] = [
    0xc00a, 0xc009, 0xc014, 0xc013, 0x0035, 0x002f, 0x0039, 0x0033, 0x000a,
];

fn u16be(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Prefix `body` with its length in `width` bytes (1, 2 or 3).
fn with_len(width: usize, body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_be_bytes();
    let mut out = len[4 - width..].to_vec();
    out.extend_from_slice(body);
    out
}

fn extension(kind: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    u16be(&mut out, kind);
    out.extend(with_len(2, body));
    out
}

/// The ClientHello record: `client_version` `max` (TLS 1.1 at most),
/// `sni` the server's DNS name if it has one. The random is fixed: the
/// hello is never completed, so nothing depends on it.
pub fn client_hello(max: u16, sni: Option<&str>) -> Vec<u8> {
    let mut hello = Vec::new();
    u16be(&mut hello, max);
    hello.extend_from_slice(&[0x5a; 32]); // random
    hello.push(0); // no session id
    let mut suites = Vec::new();
    for s in SUITES {
        u16be(&mut suites, s);
    }
    hello.extend(with_len(2, &suites));
    hello.extend_from_slice(&[1, 0]); // compression: null only
    let mut ext = Vec::new();
    if let Some(name) = sni {
        let mut entry = vec![0]; // host_name
        entry.extend(with_len(2, name.as_bytes()));
        ext.extend(extension(0x0000, &with_len(2, &entry)));
    }
    // supported_groups: x25519, secp256r1, secp384r1 (RFC 8422).
    ext.extend(extension(
        0x000a,
        &with_len(2, &[0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]),
    ));
    ext.extend(extension(0x000b, &with_len(1, &[0]))); // ec_point_formats: uncompressed
    ext.extend(extension(0xff01, &[0])); // renegotiation_info, empty
    hello.extend(with_len(2, &ext));
    let mut handshake = vec![1]; // ClientHello
    handshake.extend(with_len(3, &hello));
    let mut record = vec![22, 0x03, 0x01]; // handshake, record version TLS 1.0
    record.extend(with_len(2, &handshake));
    record
}

/// What a server answered to the legacy ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LegacyAnswer {
    /// A ServerHello choosing this version.
    Accepted(u16),
    /// An alert (level, description): 70 is protocol_version.
    Alert(u8, u8),
    /// The server closed or reset the connection.
    Closed,
    /// Nothing within the time allowed.
    Silent,
    /// Something else: the first bytes.
    Other(Vec<u8>),
}

impl LegacyAnswer {
    /// Whether the server agreed to TLS 1.1 or older.
    pub fn accepted_legacy(&self) -> bool {
        matches!(self, LegacyAnswer::Accepted(v) if *v <= TLS11)
    }
}

impl std::fmt::Display for LegacyAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let version = |v: u16| match v {
            0x0300 => "SSL 3.0".to_owned(),
            0x0301 => "TLS 1.0".to_owned(),
            0x0302 => "TLS 1.1".to_owned(),
            0x0303 => "TLS 1.2".to_owned(),
            v => format!("version {v:#06x}"),
        };
        match self {
            LegacyAnswer::Accepted(v) => write!(f, "a ServerHello choosing {}", version(*v)),
            LegacyAnswer::Alert(_, 70) => f.write_str("a protocol_version alert"),
            LegacyAnswer::Alert(level, d) => write!(f, "an alert (level {level}, description {d})"),
            LegacyAnswer::Closed => f.write_str("the connection closed"),
            LegacyAnswer::Silent => f.write_str("no answer"),
            LegacyAnswer::Other(b) => {
                write!(
                    f,
                    "bytes that are not TLS: {}",
                    crate::codec::escape_bytes(b)
                )
            }
        }
    }
}

/// Send the legacy hello on `s` and read the first record of the answer,
/// within `limit`.
pub async fn ask(
    s: &mut TcpStream,
    sni: Option<&str>,
    limit: std::time::Duration,
) -> std::io::Result<LegacyAnswer> {
    s.write_all(&client_hello(TLS11, sni)).await?;
    let mut head = [0u8; 11];
    let read = tokio::time::timeout(limit, async {
        let mut got = 0;
        while got < head.len() {
            match s.read(&mut head[got..]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        got
    })
    .await;
    let got = match read {
        Err(_) => return Ok(LegacyAnswer::Silent),
        Ok(n) => n,
    };
    Ok(match &head[..got] {
        [] => LegacyAnswer::Closed,
        [21, 3, _, _, _, level, desc, ..] => LegacyAnswer::Alert(*level, *desc),
        // handshake record, ServerHello (2), 3-byte length, server_version
        [22, 3, _, _, _, 2, _, _, _, hi, lo] => {
            LegacyAnswer::Accepted(u16::from_be_bytes([*hi, *lo]))
        }
        other => LegacyAnswer::Other(other.to_vec()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hello_is_well_formed() {
        let r = client_hello(TLS11, Some("localhost"));
        assert_eq!(&r[..3], &[22, 3, 1]);
        let record_len = u16::from_be_bytes([r[3], r[4]]) as usize;
        assert_eq!(record_len, r.len() - 5);
        assert_eq!(r[5], 1);
        let hs_len = u32::from_be_bytes([0, r[6], r[7], r[8]]) as usize;
        assert_eq!(hs_len, r.len() - 9);
        assert_eq!(&r[9..11], &[3, 2]);
        assert!(r.windows(9).any(|w| w == b"localhost"));
    }

    #[test]
    fn only_tls11_or_older_counts_as_accepted() {
        assert!(LegacyAnswer::Accepted(0x0301).accepted_legacy());
        assert!(LegacyAnswer::Accepted(0x0302).accepted_legacy());
        assert!(!LegacyAnswer::Accepted(0x0303).accepted_legacy());
        assert!(!LegacyAnswer::Alert(2, 70).accepted_legacy());
    }
}
