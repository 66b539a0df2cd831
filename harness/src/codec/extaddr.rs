//! Extended addresses (RFC 2428 §2): the EPRT argument
//! `<d><net-prt><d><net-addr><d><tcp-port><d>` and its parts. The 229
//! reply to EPSV is `extpassive.rs`; a 522's protocol list is
//! `protocols522.rs`.

use super::addr_error::AddrError;
use super::hostport::{parse_number, split_exact};
use super::leniency::{Deviation, Deviations, Leniency, Parsed};
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

pub(super) fn check_delimiter(d: u8) -> Result<(), AddrError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::ExtPassiveReply;
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
}
