//! The 229 reply to EPSV (RFC 2428 §3): `(<d><d><d><tcp-port><d>)`, found
//! in the reply text with or without its parentheses.

use super::addr_error::AddrError;
use super::extaddr::check_delimiter;
use super::hostport::parse_number;
use super::leniency::{Deviation, Deviations, Leniency, Parsed};
use super::reply::Reply;
use super::reply_code::ReplyCode;
use std::io::Write as _;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
