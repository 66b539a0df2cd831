//! The protocol list of a 522 reply (RFC 2428 §2): `<text> (prot1,prot2,...)`.

use super::addr_error::AddrError;
use super::extaddr::NetProtocol;
use super::hostport::parse_number;
use super::leniency::{Deviations, Leniency};

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
    fn protocols_522() {
        let p = parse_522_protocols(b"Network protocol not supported, use (1,2)").unwrap();
        assert_eq!(p, [NetProtocol::IPV4, NetProtocol::IPV6]);
        assert_eq!(parse_522_protocols(b"nope"), Err(AddrError::NotFound));
    }
}
