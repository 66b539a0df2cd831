//! `<host-port>` (RFC 959 §5.3.2) for PORT, and the 227 reply to PASV.
//!
//! RFC 1123 §4.1.2.6 notes that the 227 format "is not well standardized";
//! the strict parse wants the RFC 959 form `(h1,h2,h3,h4,p1,p2)` and each
//! variant seen in the wild is a named [`Deviation`].

use super::addr_error::AddrError;
use super::leniency::{Deviation, Deviations, Leniency, Parsed};
use super::reply::Reply;
use super::reply_code::ReplyCode;
use std::fmt;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddrV4};

/// An IPv4 address and port in host-port form: `h1,h2,h3,h4,p1,p2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HostPort(pub SocketAddrV4);

/// Parse one decimal field of at most `max_digits` digits, tolerating
/// surrounding spaces and leading zeros when allowed.
pub(crate) fn parse_number(
    text: &[u8],
    field: usize,
    max: u32,
    spaces: Option<Deviation>,
    leniency: Leniency,
    seen: &mut Deviations,
) -> Result<u32, AddrError> {
    let trimmed = trim_spaces(text);
    if trimmed.len() != text.len() {
        match spaces {
            Some(d) => leniency.tolerate(d, seen, AddrError::Disallowed)?,
            None => return Err(AddrError::NotANumber { field }),
        }
    }
    if trimmed.is_empty() {
        return Err(AddrError::NotANumber { field });
    }
    // One pass: each byte is checked and added in. The value stops growing
    // once it is past any `max`, so long runs of digits cannot overflow.
    let mut value = 0u64;
    for &b in trimmed {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return Err(AddrError::NotANumber { field });
        }
        value = (value * 10 + u64::from(digit)).min(1 << 33);
    }
    if trimmed.len() > 1 && trimmed[0] == b'0' {
        leniency.tolerate(Deviation::LeadingZeros, seen, AddrError::Disallowed)?;
    }
    u32::try_from(value)
        .ok()
        .filter(|v| *v <= max)
        .ok_or(AddrError::OutOfRange { field })
}

/// `text` split at every `sep` when that gives exactly `N` fields; else
/// how many fields there are. One pass over the bytes, no allocation: this
/// runs for every PORT, 227, EPRT and 229, and several times per input
/// under the fuzzer.
pub(crate) fn split_exact<const N: usize>(text: &[u8], sep: u8) -> Result<[&[u8]; N], usize> {
    let mut out = [&text[..0]; N];
    let (mut fields, mut start) = (1, 0);
    for (i, &b) in text.iter().enumerate() {
        if b == sep {
            if fields < N {
                out[fields - 1] = &text[start..i];
            }
            fields += 1;
            start = i + 1;
        }
    }
    if fields != N {
        return Err(fields);
    }
    out[N - 1] = &text[start..];
    Ok(out)
}

fn trim_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

impl HostPort {
    /// From an address and port.
    pub fn new(ip: Ipv4Addr, port: u16) -> HostPort {
        HostPort(SocketAddrV4::new(ip, port))
    }

    /// The address.
    pub fn ip(&self) -> Ipv4Addr {
        *self.0.ip()
    }

    /// The port: `p1 * 256 + p2`.
    pub fn port(&self) -> u16 {
        self.0.port()
    }

    /// Parse `h1,h2,h3,h4,p1,p2` strictly (the PORT argument).
    pub fn parse(text: &[u8]) -> Result<HostPort, AddrError> {
        HostPort::parse_with(text, Leniency::STRICT).map(|p| p.value)
    }

    /// Parse with the given leniency.
    pub fn parse_with(text: &[u8], leniency: Leniency) -> Result<Parsed<HostPort>, AddrError> {
        let mut seen = Deviations::NONE;
        let fields =
            split_exact::<6>(text, b',').map_err(|found| AddrError::FieldCount { found })?;
        let mut n = [0u8; 6];
        for (i, f) in fields.iter().enumerate() {
            n[i] = parse_number(
                f,
                i,
                255,
                Some(Deviation::HostPortSpaces),
                leniency,
                &mut seen,
            )? as u8;
        }
        let ip = Ipv4Addr::new(n[0], n[1], n[2], n[3]);
        Ok(Parsed::new(
            HostPort::new(ip, u16::from_be_bytes([n[4], n[5]])),
            seen,
        ))
    }

    /// Append `h1,h2,h3,h4,p1,p2`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        // Writing to a Vec cannot fail; no String in between.
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.ip().octets();
        let [p1, p2] = self.port().to_be_bytes();
        write!(f, "{a},{b},{c},{d},{p1},{p2}")
    }
}

/// The 227 reply to PASV: `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PassiveReply(pub HostPort);

impl PassiveReply {
    /// Parse the text of a 227 reply (after `227 `) strictly.
    pub fn parse(text: &[u8]) -> Result<PassiveReply, AddrError> {
        PassiveReply::parse_with(text, Leniency::STRICT).map(|p| p.value)
    }

    /// Parse the text of a 227 reply with the given leniency.
    pub fn parse_with(text: &[u8], leniency: Leniency) -> Result<Parsed<PassiveReply>, AddrError> {
        let mut seen = Deviations::NONE;
        let inner = match text.iter().position(|&b| b == b'(') {
            Some(open) => {
                let rest = &text[open + 1..];
                let close = rest
                    .iter()
                    .position(|&b| b == b')')
                    .ok_or(AddrError::Unbalanced)?;
                &rest[..close]
            }
            None => {
                // RFC 1123 §4.1.2.6: "it MUST scan the reply for the first
                // digit of the host and port numbers".
                let start = text
                    .iter()
                    .position(u8::is_ascii_digit)
                    .ok_or(AddrError::NotFound)?;
                leniency.tolerate(
                    Deviation::HostPortUnparenthesized,
                    &mut seen,
                    AddrError::Disallowed,
                )?;
                let run = &text[start..];
                let len = run
                    .iter()
                    .position(|&b| !(b.is_ascii_digit() || b == b',' || b == b' '))
                    .unwrap_or(run.len());
                &run[..len]
            }
        };
        let hp = HostPort::parse_with(inner, leniency)?;
        seen.extend(hp.deviations);
        Ok(Parsed::new(PassiveReply(hp.value), seen))
    }

    /// Parse a whole reply, which must carry code 227.
    pub fn from_reply(
        reply: &Reply,
        leniency: Leniency,
    ) -> Result<Parsed<PassiveReply>, AddrError> {
        if reply.code() != ReplyCode::ENTERING_PASSIVE {
            return Err(AddrError::NotFound);
        }
        PassiveReply::parse_with(reply.first_line(), leniency)
    }

    /// The canonical text, `Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
    pub fn encode(&self, out: &mut Vec<u8>) {
        let _ = write!(out, "Entering Passive Mode ({}).", self.0);
    }

    /// The canonical 227 reply.
    pub fn to_reply(&self) -> Reply {
        let mut text = Vec::new();
        self.encode(&mut text);
        Reply::new(ReplyCode::ENTERING_PASSIVE, &[text]).expect("host-port text has no line break")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_exact_counts_fields_in_one_pass() {
        assert_eq!(
            split_exact::<3>(b"a,b,c", b','),
            Ok([&b"a"[..], b"b", b"c"])
        );
        assert_eq!(split_exact::<3>(b",,", b','), Ok([&b""[..], b"", b""]));
        assert_eq!(split_exact::<3>(b"a,b", b','), Err(2));
        assert_eq!(split_exact::<3>(b"a,b,c,", b','), Err(4));
        assert_eq!(split_exact::<1>(b"", b','), Ok([&b""[..]]));
        assert_eq!(
            HostPort::parse(b"1,2,3,4,5,6,7"),
            Err(AddrError::FieldCount { found: 7 })
        );
    }

    fn hp(a: [u8; 4], port: u16) -> HostPort {
        HostPort::new(Ipv4Addr::from(a), port)
    }

    #[test]
    fn port_argument() {
        assert_eq!(
            HostPort::parse(b"127,0,0,1,4,1").unwrap(),
            hp([127, 0, 0, 1], 1025)
        );
        assert_eq!(hp([10, 1, 2, 3], 65535).to_string(), "10,1,2,3,255,255");
        assert_eq!(
            HostPort::parse(b"1,2,3,4,5"),
            Err(AddrError::FieldCount { found: 5 })
        );
        assert_eq!(
            HostPort::parse(b"1,2,3,256,5,6"),
            Err(AddrError::OutOfRange { field: 3 })
        );
        assert_eq!(
            HostPort::parse(b"1,2,3,-4,5,6"),
            Err(AddrError::NotANumber { field: 3 })
        );
        assert_eq!(
            HostPort::parse(b"1,2,3,,5,6"),
            Err(AddrError::NotANumber { field: 3 })
        );
        assert_eq!(
            HostPort::parse(b"1,2,3,99999999999999999999,5,6"),
            Err(AddrError::OutOfRange { field: 3 })
        );
    }

    #[test]
    fn wild_227_forms() {
        let want = hp([192, 168, 1, 2], 5 * 256 + 6);
        let strict: &[&[u8]] = &[
            b"Entering Passive Mode (192,168,1,2,5,6).",
            b"Entering Passive Mode (192,168,1,2,5,6)",
            b"(192,168,1,2,5,6)",
        ];
        for t in strict {
            assert_eq!(PassiveReply::parse(t).unwrap().0, want, "{t:?}");
        }
        let lenient: &[(&[u8], Deviation)] = &[
            (
                b"Entering Passive Mode 192,168,1,2,5,6.",
                Deviation::HostPortUnparenthesized,
            ),
            (b"192,168,1,2,5,6", Deviation::HostPortUnparenthesized),
            (b"=192,168,1,2,5,6", Deviation::HostPortUnparenthesized),
            (
                b"Entering Passive Mode (192, 168, 1, 2, 5, 6)",
                Deviation::HostPortSpaces,
            ),
            (
                b"Entering Passive Mode (192,168,001,002,5,6)",
                Deviation::LeadingZeros,
            ),
        ];
        for (t, dev) in lenient {
            assert_eq!(
                PassiveReply::parse(t),
                Err(AddrError::Disallowed(*dev)),
                "{t:?}"
            );
            let p = PassiveReply::parse_with(t, Leniency::PERMISSIVE).unwrap();
            assert_eq!(p.value.0, want);
            assert!(p.deviations.contains(*dev));
        }
        assert_eq!(
            PassiveReply::parse(b"Entering Passive Mode"),
            Err(AddrError::NotFound)
        );
        assert_eq!(
            PassiveReply::parse(b"Entering (1,2,3"),
            Err(AddrError::Unbalanced)
        );
    }

    #[test]
    fn canonical_reply_round_trips() {
        let p = PassiveReply(hp([127, 0, 0, 1], 50000));
        let r = p.to_reply();
        assert_eq!(
            r.to_bytes(),
            b"227 Entering Passive Mode (127,0,0,1,195,80).\r\n"
        );
        assert_eq!(
            PassiveReply::from_reply(&r, Leniency::STRICT)
                .unwrap()
                .value,
            p
        );
    }
}
