//! The address rule: every PORT, EPRT or LPRT line the fuzzer sends names
//! a loopback address of the control connection's family, whatever the
//! generator or the mutator made of it. Applied to the exact bytes about to
//! be written, so no path around it exists.

use super::session::verb_of;
use std::borrow::Cow;

/// The bytes with every address-naming line rewritten to a loopback
/// address (IPv4: 127.0.0.1 or 127.0.0.2; IPv6: ::1). Other lines are left alone.
pub fn make_safe(bytes: &[u8], ipv6: bool) -> Cow<'_, [u8]> {
    // Lines are split at CR as well as LF: some servers end lines at either.
    let risky = bytes
        .split(|&b| b == b'\n' || b == b'\r')
        .any(|seg| is_address_verb(&verb_of(&strip_telnet(seg))));
    if !risky {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + 16);
    let mut seg = Vec::new();
    for &b in bytes {
        if b == b'\n' || b == b'\r' {
            out.extend_from_slice(&safe_segment(&seg, ipv6));
            out.push(b);
            seg.clear();
        } else {
            seg.push(b);
        }
    }
    out.extend_from_slice(&safe_segment(&seg, ipv6));
    Cow::Owned(out)
}

fn is_address_verb(v: &str) -> bool {
    matches!(v, "PORT" | "EPRT" | "LPRT")
}

/// The segment without Telnet IAC pairs and NULs, the way a server that
/// interprets Telnet would see it.
fn strip_telnet(seg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(seg.len());
    let mut it = seg.iter().copied();
    while let Some(b) = it.next() {
        match b {
            0xff => {
                it.next();
            }
            0 => {}
            b => out.push(b),
        }
    }
    out
}

fn safe_segment(seg: &[u8], ipv6: bool) -> Vec<u8> {
    let norm = strip_telnet(seg);
    let verb = verb_of(&norm);
    if !is_address_verb(&verb) {
        return seg.to_vec();
    }
    let start = norm
        .iter()
        .position(|b| b.is_ascii_alphabetic())
        .unwrap_or(0)
        + verb.len();
    // One separator byte (space, tab, anything) belongs to the verb.
    let arg = norm.get(start + 1..).unwrap_or_default();
    let safe_arg = match verb.as_str() {
        "PORT" if !ipv6 => safe_port(arg),
        "EPRT" => safe_eprt(arg, ipv6),
        // PORT cannot name an IPv6 address, and nothing here speaks LPRT.
        _ => b"x".to_vec(),
    };
    let mut out = norm[..start].to_vec();
    out.push(b' ');
    out.extend_from_slice(&safe_arg);
    out
}

/// `h1,h2,h3,h4,...`: the first four fields must read 127,0,0,1 or 127,0,0,2.
fn safe_port(arg: &[u8]) -> Vec<u8> {
    let fields: Vec<&[u8]> = arg.split(|&b| b == b',').collect();
    if fields.len() < 4 {
        // Not an address at all; but digits could still be read as one by
        // a lax server, so keep only what cannot name a host.
        return arg.to_vec();
    }
    let paren = arg.first() == Some(&b'(');
    let ok = fields[0] == (if paren { &b"(127"[..] } else { b"127" })
        && fields[1] == b"0"
        && fields[2] == b"0"
        && (fields[3] == b"1" || fields[3] == b"2");
    if ok {
        return arg.to_vec();
    }
    let mut out = if paren {
        b"(127,0,0,1".to_vec()
    } else {
        b"127,0,0,1".to_vec()
    };
    for f in &fields[4..] {
        out.push(b',');
        out.extend_from_slice(f);
    }
    out
}

/// `<d>proto<d>addr<d>port<d>`: the address must be loopback of our family.
fn safe_eprt(arg: &[u8], ipv6: bool) -> Vec<u8> {
    let allowed: &[&[u8]] = if ipv6 {
        &[b"::1"]
    } else {
        &[b"127.0.0.1", b"127.0.0.2"]
    };
    let Some(&d) = arg.first() else {
        return Vec::new();
    };
    // A delimiter that can occur inside an address would let the server
    // split our replacement differently: use `|` instead.
    let d_ok = d.is_ascii_graphic() && !d.is_ascii_alphanumeric() && !b".:".contains(&d);
    let fields: Vec<&[u8]> = arg[1..].split(|&b| b == d).collect();
    if d_ok && fields.len() < 2 {
        return arg.to_vec();
    }
    if d_ok && allowed.contains(&fields[1]) {
        return arg.to_vec();
    }
    let d = if d_ok { d } else { b'|' };
    let proto: &[u8] = if d_ok {
        fields[0]
    } else if ipv6 {
        b"2"
    } else {
        b"1"
    };
    let mut out = vec![d];
    out.extend_from_slice(proto);
    out.push(d);
    out.extend_from_slice(allowed[0]);
    for f in fields.iter().skip(2) {
        out.push(d);
        out.extend_from_slice(if d_ok { f } else { b"0" });
    }
    if fields.len() < 3 {
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::ExtAddr;

    fn s(b: &[u8], v6: bool) -> Vec<u8> {
        make_safe(b, v6).into_owned()
    }

    #[test]
    fn port_is_pinned_to_loopback() {
        assert_eq!(
            s(b"PORT 10,0,0,1,0,21\r\n", false),
            b"PORT 127,0,0,1,0,21\r\n"
        );
        assert_eq!(
            s(b"PORT 127,0,0,2,4,1\r\n", false),
            b"PORT 127,0,0,2,4,1\r\n"
        );
        assert_eq!(
            s(b"NOOP\r\nport\t8,8,8,8,0,1\r\n", false),
            b"NOOP\r\nport 127,0,0,1,0,1\r\n"
        );
        assert_eq!(
            s(b"P\xff\xf1ORT 1,2,3,4,5,6\n", false),
            b"PORT 127,0,0,1,5,6\n"
        );
        assert_eq!(s(b"PORT 10,0,0,1,0,21\r\n", true), b"PORT x\r\n");
        assert_eq!(s(b"MKD 10,0,0,1,0,21\r\n", false), b"MKD 10,0,0,1,0,21\r\n");
    }

    #[test]
    fn eprt_is_pinned_to_loopback() {
        assert_eq!(
            s(b"EPRT |1|10.1.2.3|21|\r\n", false),
            b"EPRT |1|127.0.0.1|21|\r\n"
        );
        assert_eq!(s(b"EPRT |2|::1|21|\r\n", true), b"EPRT |2|::1|21|\r\n");
        assert_eq!(s(b"EPRT |2|fe80::1|21|\r\n", true), b"EPRT |2|::1|21|\r\n");
        // A digit as delimiter: rewritten with `|`.
        let out = s(b"EPRT 1218.8.8.8121", false);
        assert!(
            out.starts_with(b"EPRT |1|127.0.0.1|"),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
    }

    /// The ways a lenient server might read one line, written apart from
    /// the implementation (whose tokeniser must not judge itself): as
    /// sent; without Telnet IAC pairs and NULs; without any byte outside
    /// printable ASCII.
    fn readings(line: &[u8]) -> Vec<Vec<u8>> {
        let mut no_iac = Vec::new();
        let mut i = 0;
        while i < line.len() {
            match line[i] {
                0xff => i += 2,
                0 => i += 1,
                b => {
                    no_iac.push(b);
                    i += 1;
                }
            }
        }
        let printable: Vec<u8> = line
            .iter()
            .copied()
            .filter(|b| (0x20..0x7f).contains(b))
            .collect();
        vec![line.to_vec(), no_iac, printable]
    }

    /// `(VERB, argument)` as a server splitting at the first non-letter
    /// after leading blanks would see it.
    fn split(reading: &[u8]) -> (String, String) {
        let text = String::from_utf8_lossy(reading);
        let text = text.trim_start();
        let cut = text
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(text.len());
        let verb = text[..cut].to_ascii_uppercase();
        let arg = text[cut..].trim_start_matches([' ', '\t']).to_owned();
        (verb, arg)
    }

    /// Every run of six comma-separated decimal numbers in `arg`, as the
    /// address its first four would name.
    fn port_addresses(arg: &str) -> Vec<[u32; 4]> {
        let nums: Vec<&str> = arg
            .split(|c: char| !c.is_ascii_digit() && c != ',')
            .collect();
        let mut out = Vec::new();
        for run in nums {
            let parts: Vec<&str> = run.split(',').collect();
            // A server takes the first six numbers of a run.
            if let Some(w) = parts.get(..6) {
                let n: Vec<u32> = w.iter().filter_map(|p| p.parse().ok()).collect();
                if n.len() == 6 && n.iter().all(|&x| x < 256) {
                    out.push([n[0], n[1], n[2], n[3]]);
                }
            }
        }
        out
    }

    #[test]
    fn the_test_readings_see_what_a_server_would() {
        // The model is itself checked, so that it cannot pass vacuously.
        let (v, a) = split(&readings(b"P\xff\xf1ORT 1,2,3,4,5,6")[1]);
        assert_eq!((v.as_str(), a.as_str()), ("PORT", "1,2,3,4,5,6"));
        assert_eq!(port_addresses("x 10,0,0,1,0,21"), vec![[10, 0, 0, 1]]);
        assert!(port_addresses("1,2,3").is_empty());
    }

    /// Whatever goes in, an address any reading of what comes out names
    /// is loopback (and no PORT address at all on IPv6).
    #[test]
    fn nothing_parsable_escapes() {
        let mut rng = crate::fuzzer::rng::Rng::new(3);
        let alphabet = b"PORTEPRport 0123456789,.:|!()\r\n\xff\x00";
        let mut seen_port = 0;
        for _ in 0..20000 {
            let n = rng.below(40);
            let mut raw: Vec<u8> = (0..n)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            // One in four starts with a well-formed foreign address, so
            // that the rewrite is exercised, not only its absence.
            if rng.below(4) == 0 {
                let mut head = b"PORT 10,9,8,7,1,2\r\nEPRT |1|10.9.8.7|258|".to_vec();
                head.append(&mut raw);
                raw = head;
            }
            for v6 in [false, true] {
                let out = s(&raw, v6);
                for line in out.split(|&b| b == b'\n' || b == b'\r') {
                    for reading in readings(line) {
                        let (verb, arg) = split(&reading);
                        if verb == "PORT" {
                            for ip in port_addresses(&arg) {
                                seen_port += 1;
                                assert!(!v6 && ip[0] == 127, "{raw:?} -> {out:?}");
                            }
                        }
                        if verb == "EPRT" {
                            if let Some(a) = ExtAddr::parse(arg.as_bytes())
                                .ok()
                                .and_then(|a| a.socket_addr())
                            {
                                assert!(
                                    a.ip().is_loopback() && a.is_ipv6() == v6,
                                    "{raw:?} -> {out:?}"
                                );
                            }
                        }
                    }
                }
            }
        }
        assert!(seen_port > 1000, "PORT addresses seen: {seen_port}");
    }
}
