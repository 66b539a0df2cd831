//! Extended addresses (RFC 2428): the EPRT argument
//! `<d><net-prt><d><net-addr><d><tcp-port><d>`, the 229 reply to EPSV
//! `(<d><d><d><tcp-port><d>)`, and the protocol list of a 522 reply.

use super::addr_error::AddrError;
use super::hostport::{parse_number, split_exact};
use super::leniency::{Deviation, Deviations, Leniency, Parsed};
use super::reply::Reply;
use super::reply_code::ReplyCode;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A network protocol number (RFC 2428 §2: "An address family number as
/// defined by IANA"). Open: unknown numbers are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetProtocol(pub u16);

impl NetProtocol {
    /// `1`: IPv4.
    pub const IPV4: NetProtocol = NetProtocol(1);
    /// `2`: IPv6.
    pub const IPV6: NetProtocol = NetProtocol(2);

    /// The protocol of an address.
    pub fn of(ip: IpAddr) -> NetProtocol {
        if ip.is_ipv4() {
            NetProtocol::IPV4
        } else {
            NetProtocol::IPV6
        }
    }
}

impl fmt::Display for NetProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The network address of an EPRT argument.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExtHost {
    /// Protocol 1, dotted decimal.
    V4(Ipv4Addr),
    /// Protocol 2, RFC 4291 text form.
    V6(Ipv6Addr),
    /// Another protocol number, its address kept as text.
    Other {
        /// The protocol number.
        protocol: NetProtocol,
        /// The address text.
        address: String,
    },
}

impl ExtHost {
    /// The protocol number.
    pub fn protocol(&self) -> NetProtocol {
        match self {
            ExtHost::V4(_) => NetProtocol::IPV4,
            ExtHost::V6(_) => NetProtocol::IPV6,
            ExtHost::Other { protocol, .. } => *protocol,
        }
    }

    /// The IP address, for protocols 1 and 2.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            ExtHost::V4(a) => Some(IpAddr::V4(*a)),
            ExtHost::V6(a) => Some(IpAddr::V6(*a)),
            ExtHost::Other { .. } => None,
        }
    }
}

/// The address text, as it appears between the delimiters.
impl fmt::Display for ExtHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtHost::V4(a) => a.fmt(f),
            ExtHost::V6(a) => a.fmt(f),
            ExtHost::Other { address, .. } => f.write_str(address),
        }
    }
}

/// A formatting sink that only notes whether a byte was written: checks
/// the text of the fields for the delimiter without building it.
struct Contains(u8, bool);

impl fmt::Write for Contains {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.1 |= s.as_bytes().contains(&self.0);
        Ok(())
    }
}

fn check_delimiter(d: u8) -> Result<(), AddrError> {
    if (33..=126).contains(&d) {
        Ok(())
    } else {
        Err(AddrError::BadDelimiter(d))
    }
}

/// The EPRT argument: `|1|132.235.1.2|6275|`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExtAddr {
    delimiter: u8,
    host: ExtHost,
    port: u16,
}

impl ExtAddr {
    /// An extended address; fails if the delimiter is outside ASCII 33–126 or
    /// appears in a field, or an `Other` address is empty or not printable.
    pub fn new(delimiter: u8, host: ExtHost, port: u16) -> Result<ExtAddr, AddrError> {
        check_delimiter(delimiter)?;
        if let ExtHost::Other { protocol, address } = &host {
            if address.is_empty() || !address.bytes().all(|b| (33..=126).contains(&b)) {
                return Err(AddrError::BadAddress {
                    protocol: protocol.0,
                    address: address.clone(),
                });
            }
        }
        let mut seen = Contains(delimiter, false);
        let _ = write!(seen, "{}{host}{port}", host.protocol());
        if seen.1 {
            return Err(AddrError::DelimiterInField(delimiter as char));
        }
        Ok(ExtAddr {
            delimiter,
            host,
            port,
        })
    }

    /// `|1|a.b.c.d|port|` or `|2|addr|port|` for a socket address.
    pub fn from_socket(addr: SocketAddr) -> ExtAddr {
        let host = match addr.ip() {
            IpAddr::V4(a) => ExtHost::V4(a),
            IpAddr::V6(a) => ExtHost::V6(a),
        };
        ExtAddr {
            delimiter: b'|',
            host,
            port: addr.port(),
        }
    }

    /// The delimiter.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The network address.
    pub fn host(&self) -> &ExtHost {
        &self.host
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The socket address, for protocols 1 and 2.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        self.host.ip().map(|ip| SocketAddr::new(ip, self.port))
    }

    /// Parse strictly.
    pub fn parse(text: &[u8]) -> Result<ExtAddr, AddrError> {
        ExtAddr::parse_with(text, Leniency::STRICT).map(|p| p.value)
    }

    /// Parse with the given leniency (which governs leading zeros in the port).
    pub fn parse_with(text: &[u8], leniency: Leniency) -> Result<Parsed<ExtAddr>, AddrError> {
        let mut seen = Deviations::NONE;
        let &d = text.first().ok_or(AddrError::Shape)?;
        check_delimiter(d)?;
        let Ok([b"", proto, addr, port, b""]) = split_exact::<5>(text, d) else {
            return Err(AddrError::Shape);
        };
        if proto.len() > 1 && proto[0] == b'0' {
            leniency.tolerate(Deviation::LeadingZeros, &mut seen, AddrError::Disallowed)?;
        }
        let protocol =
            NetProtocol(
                parse_number(proto, 0, u32::from(u16::MAX), None, leniency, &mut seen)? as u16,
            );
        let port = parse_number(port, 2, u32::from(u16::MAX), None, leniency, &mut seen)? as u16;
        let text = std::str::from_utf8(addr).ok();
        let bad = || AddrError::BadAddress {
            protocol: protocol.0,
            address: String::from_utf8_lossy(addr).into_owned(),
        };
        let host = match protocol {
            NetProtocol::IPV4 => ExtHost::V4(text.and_then(|t| t.parse().ok()).ok_or_else(bad)?),
            NetProtocol::IPV6 => ExtHost::V6(text.and_then(|t| t.parse().ok()).ok_or_else(bad)?),
            _ => ExtHost::Other {
                protocol,
                address: text.ok_or_else(bad)?.to_owned(),
            },
        };
        let value = ExtAddr::new(d, host, port)?;
        Ok(Parsed::new(value, seen))
    }

    /// Append the argument text.
    pub fn encode(&self, out: &mut Vec<u8>) {
        // Writing to a Vec cannot fail; no String in between.
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for ExtAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.delimiter as char;
        write!(
            f,
            "{d}{}{d}{}{d}{}{d}",
            self.host.protocol(),
            self.host,
            self.port
        )
    }
}

/// The 229 reply to EPSV: `229 Entering Extended Passive Mode (|||6446|)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExtPassiveReply {
    delimiter: u8,
    port: u16,
}

impl ExtPassiveReply {
    /// A 229 payload; the delimiter must be ASCII 33–126 and not a digit.
    pub fn new(delimiter: u8, port: u16) -> Result<ExtPassiveReply, AddrError> {
        check_delimiter(delimiter)?;
        if delimiter.is_ascii_digit() {
            return Err(AddrError::DelimiterInField(delimiter as char));
        }
        Ok(ExtPassiveReply { delimiter, port })
    }

    /// The delimiter.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Parse the text of a 229 reply (after `229 `) strictly.
    pub fn parse(text: &[u8]) -> Result<ExtPassiveReply, AddrError> {
        ExtPassiveReply::parse_with(text, Leniency::STRICT).map(|p| p.value)
    }

    /// Parse the text of a 229 reply with the given leniency.
    pub fn parse_with(
        text: &[u8],
        leniency: Leniency,
    ) -> Result<Parsed<ExtPassiveReply>, AddrError> {
        let mut seen = Deviations::NONE;
        // `contains` is std's memchr: one call instead of a comparison per
        // byte (each of which the fuzzer instruments) when there is no '('.
        let open = if text.contains(&b'(') {
            text.iter().position(|&b| b == b'(')
        } else {
            None
        };
        let (d, [proto, addr, port]) = match open {
            Some(open) => parenthesized(&text[open + 1..])?,
            None => {
                leniency.tolerate(
                    Deviation::ExtAddrUnparenthesized,
                    &mut seen,
                    AddrError::Disallowed,
                )?;
                let found = find_unparenthesized(text).ok_or(AddrError::NotFound)?;
                (found[0], [&[][..], &[], &found[3..found.len() - 1]])
            }
        };
        check_delimiter(d)?;
        if d.is_ascii_digit() {
            return Err(AddrError::DelimiterInField(d as char));
        }
        if !proto.is_empty() || !addr.is_empty() {
            leniency.tolerate(
                Deviation::ExtAddrFieldsNotBlank,
                &mut seen,
                AddrError::Disallowed,
            )?;
        }
        let port = parse_number(port, 2, u32::from(u16::MAX), None, leniency, &mut seen)? as u16;
        Ok(Parsed::new(ExtPassiveReply { delimiter: d, port }, seen))
    }

    /// Parse a whole reply, which must carry code 229.
    pub fn from_reply(
        reply: &Reply,
        leniency: Leniency,
    ) -> Result<Parsed<ExtPassiveReply>, AddrError> {
        if reply.code() != ReplyCode::ENTERING_EXTENDED_PASSIVE {
            return Err(AddrError::NotFound);
        }
        ExtPassiveReply::parse_with(reply.first_line(), leniency)
    }

    /// The canonical text, `Entering Extended Passive Mode (|||port|)`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let d = self.delimiter as char;
        let _ = write!(
            out,
            "Entering Extended Passive Mode ({d}{d}{d}{}{d})",
            self.port
        );
    }

    /// The canonical 229 reply.
    pub fn to_reply(&self) -> Reply {
        let mut text = Vec::new();
        self.encode(&mut text);
        Reply::new(ReplyCode::ENTERING_EXTENDED_PASSIVE, &[text]).expect("no line break")
    }
}

/// The delimiter and the three fields of `<d><proto><d><addr><d><port><d>)`,
/// the text after a 229's `(`. The four delimiters are walked, once, rather
/// than `)` searched for: the delimiter may itself be a parenthesis.
fn parenthesized(rest: &[u8]) -> Result<(u8, [&[u8]; 3]), AddrError> {
    let &d = rest.first().ok_or(AddrError::Unbalanced)?;
    let (mut at, mut seen) = ([0; 4], 0);
    for (i, &b) in rest.iter().enumerate() {
        if b == d {
            at[seen] = i;
            seen += 1;
            if seen == 4 {
                break;
            }
        }
    }
    if seen == 4 && rest.get(at[3] + 1) == Some(&b')') {
        let field = |k: usize| &rest[at[k] + 1..at[k + 1]];
        return Ok((d, [field(0), field(1), field(2)]));
    }
    Err(if rest.contains(&b')') {
        AddrError::Shape
    } else {
        AddrError::Unbalanced
    })
}

/// Find `<d><d><d><digits><d>` in text without parentheses.
///
/// A reply line is scanned here whenever it lacks a `(`, and under the
/// fuzzer every byte comparison is an instrumented call, so a byte-by-byte
/// scan was most of the 229 parser's cost. This one tests eight positions
/// per step with word arithmetic and looks only at exact candidates.
fn find_unparenthesized(text: &[u8]) -> Option<&[u8]> {
    let mut base = 0;
    while base + 4 < text.len() {
        let mut hits = candidates(text, base);
        while hits != 0 {
            let i = base + (hits.trailing_zeros() / 8) as usize;
            if let Some(found) = delimited_port_at(text, i) {
                return Some(found);
            }
            hits &= hits - 1;
        }
        base += 8;
    }
    None
}

/// For the eight positions from `base`: the high bit of byte `k` is set
/// exactly when `text[base + k..]` starts with three equal bytes and a digit.
/// Bytes past the end read as NUL, which is not a digit, so no position is
/// claimed that the text cannot back.
fn candidates(text: &[u8], base: usize) -> u64 {
    let mut window = [0u8; 16];
    let have = &text[base..(base + 11).min(text.len())];
    window[..have.len()].copy_from_slice(have);
    let word = |i: usize| u64::from_le_bytes(window[i..i + 8].try_into().expect("8 bytes"));
    let (a, b, c, digit) = (word(0), word(1), word(2), word(3));
    let equal_three = bytes_below((a ^ b) | (a ^ c), 1);
    equal_three & bytes_below(digit ^ (LOW * u64::from(b'0')), 10)
}

/// `1` in every byte of a word.
const LOW: u64 = 0x0101_0101_0101_0101;

/// The high bit of each byte of `word` whose value is below `n` (1..=128),
/// and no other bit. Exact: the sum of a low-7-bit value and `128 - n` never
/// carries into the next byte, and bytes of 128 or more are masked out.
fn bytes_below(word: u64, n: u8) -> u64 {
    const SEVEN: u64 = LOW * 0x7f;
    !(((word & SEVEN) + LOW * u64::from(128 - n)) | word | SEVEN)
}

/// `<d><d><d><digits><d>` starting at `i`, with `d` a valid delimiter.
fn delimited_port_at(text: &[u8], i: usize) -> Option<&[u8]> {
    let d = text[i];
    if text[i + 1] != d || text[i + 2] != d || !(33..=126).contains(&d) || d.is_ascii_digit() {
        return None;
    }
    let digits = text[i + 3..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    (digits > 0 && text.get(i + 3 + digits) == Some(&d)).then(|| &text[i..i + 4 + digits])
}

/// The protocols a 522 reply offers: RFC 2428 §2, "the format of the
/// response string MUST be: <some text> (prot1,prot2,...,protn)".
pub fn parse_522_protocols(text: &[u8]) -> Result<Vec<NetProtocol>, AddrError> {
    if !text.contains(&b'(') {
        return Err(AddrError::NotFound);
    }
    let open = text
        .iter()
        .rposition(|&b| b == b'(')
        .ok_or(AddrError::NotFound)?;
    let rest = &text[open + 1..];
    if !rest.contains(&b')') {
        return Err(AddrError::Unbalanced);
    }
    // One pass to the `)`, each field parsed as its comma or the `)` is met.
    let (mut seen, mut protocols, mut start) = (Deviations::NONE, Vec::new(), 0);
    for (i, &b) in rest.iter().enumerate() {
        if b == b',' || b == b')' {
            let field = &rest[start..i];
            let n = parse_number(
                field,
                protocols.len(),
                u32::from(u16::MAX),
                None,
                Leniency::STRICT,
                &mut seen,
            )?;
            protocols.push(NetProtocol(n as u16));
            if b == b')' {
                break;
            }
            start = i + 1;
        }
    }
    Ok(protocols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2428_examples() {
        let a = ExtAddr::parse(b"|1|132.235.1.2|6275|").unwrap();
        assert_eq!(a.socket_addr(), Some("132.235.1.2:6275".parse().unwrap()));
        let b = ExtAddr::parse(b"|2|1080::8:800:200C:417A|5282|").unwrap();
        assert_eq!(b.host().protocol(), NetProtocol::IPV6);
        assert_eq!(
            ExtPassiveReply::parse(b"Entering Extended Passive Mode (|||6446|)")
                .unwrap()
                .port(),
            6446
        );
    }

    #[test]
    fn other_delimiters_and_protocols() {
        let a = ExtAddr::parse(b"!1!10.0.0.1!21!").unwrap();
        assert_eq!(a.delimiter(), b'!');
        assert_eq!(a.to_string(), "!1!10.0.0.1!21!");
        let o = ExtAddr::parse(b"|5|some-addr|99|").unwrap();
        assert_eq!(
            o.host(),
            &ExtHost::Other {
                protocol: NetProtocol(5),
                address: "some-addr".into()
            }
        );
        assert_eq!(
            ExtPassiveReply::parse(b"(###1234#)").unwrap().delimiter(),
            b'#'
        );
    }

    #[test]
    fn eprt_errors() {
        assert_eq!(
            ExtAddr::parse(b"|1|1.2.3.4|99999|"),
            Err(AddrError::OutOfRange { field: 2 })
        );
        assert!(matches!(
            ExtAddr::parse(b"|1|::1|21|"),
            Err(AddrError::BadAddress { .. })
        ));
        assert!(matches!(
            ExtAddr::parse(b"|2|1.2.3.4|21|"),
            Err(AddrError::BadAddress { .. })
        ));
        assert_eq!(ExtAddr::parse(b"|1|1.2.3.4|21"), Err(AddrError::Shape));
        assert_eq!(
            ExtAddr::parse(b" 1 1.2.3.4 21 "),
            Err(AddrError::BadDelimiter(b' '))
        );
        assert_eq!(ExtAddr::parse(b""), Err(AddrError::Shape));
        assert_eq!(
            ExtAddr::new(b'.', ExtHost::V4(Ipv4Addr::LOCALHOST), 21),
            Err(AddrError::DelimiterInField('.'))
        );
    }

    #[test]
    fn wild_229_forms() {
        let lenient: &[(&[u8], Deviation)] = &[
            (
                b"Entering Extended Passive Mode |||6446|",
                Deviation::ExtAddrUnparenthesized,
            ),
            (
                b"Entering Extended Passive Mode (|1|127.0.0.1|6446|)",
                Deviation::ExtAddrFieldsNotBlank,
            ),
            (
                b"Entering Extended Passive Mode (|||06446|)",
                Deviation::LeadingZeros,
            ),
        ];
        for (t, dev) in lenient {
            assert_eq!(
                ExtPassiveReply::parse(t),
                Err(AddrError::Disallowed(*dev)),
                "{t:?}"
            );
            let p = ExtPassiveReply::parse_with(t, Leniency::PERMISSIVE).unwrap();
            assert_eq!(p.value.port(), 6446);
        }
        assert_eq!(
            ExtPassiveReply::parse(b"(|||x|)"),
            Err(AddrError::NotANumber { field: 2 })
        );
        assert_eq!(ExtPassiveReply::parse(b"(||6446|)"), Err(AddrError::Shape));
    }

    #[test]
    fn bytes_below_marks_exactly_the_small_bytes() {
        for n in [1u8, 10, 128] {
            for v in 0..=255u8 {
                let word = u64::from_le_bytes([v, 200, v, 0, 255, v, 9, 128]);
                let got = bytes_below(word, n).to_le_bytes();
                for (k, byte) in word.to_le_bytes().iter().enumerate() {
                    assert_eq!(got[k], if *byte < n { 0x80 } else { 0 }, "{v} {n} {k}");
                }
            }
        }
    }

    #[test]
    fn unparenthesized_scan_matches_a_byte_by_byte_scan() {
        fn naive(t: &[u8]) -> Option<&[u8]> {
            (0..t.len().saturating_sub(2)).find_map(|i| delimited_port_at(t, i))
        }
        let cases: &[&[u8]] = &[
            b"",
            b"||",
            b"|||",
            b"|||1|",
            b"a|||6446|",
            b"xxxxxxxxxxxxxxxxxxxx",
            b"Entering Extended Passive Mode |||6446|",
            b"0123456|||a|||b|||c||||d|||77|",
            b"\x01\x00\x00\x01\x01\x01\x00\x01\x02\x03\x80\x80\x80\xff\xfe\xff",
        ];
        for t in cases {
            assert_eq!(find_unparenthesized(t), naive(t), "{t:?}");
        }
        for n in 0..40 {
            let t: Vec<u8> = (0..n).map(|i| b"|||7|x"[i % 6]).collect();
            assert_eq!(find_unparenthesized(&t), naive(&t), "{t:?}");
        }
        // Few distinct bytes, so that runs of three are common.
        let alphabet = &b"||||\x00\x01\x7f\x80\xff1"[..];
        let bytes = proptest::collection::vec(proptest::sample::select(alphabet), 0..64);
        proptest::proptest!(|(t in bytes)| {
            proptest::prop_assert_eq!(find_unparenthesized(&t), naive(&t));
        });
    }

    #[test]
    fn protocols_522() {
        let p = parse_522_protocols(b"Network protocol not supported, use (1,2)").unwrap();
        assert_eq!(p, [NetProtocol::IPV4, NetProtocol::IPV6]);
        assert_eq!(parse_522_protocols(b"nope"), Err(AddrError::NotFound));
    }
}
