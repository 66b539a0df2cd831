//! Fuzz target bodies. Each one asserts an oracle (a round trip or a
//! differential between two decoding paths), not only the absence of a crash.
//! The cargo-fuzz targets in `fuzz/` call these, and so does the test that
//! replays `corpora/` on stable Rust.

use crate::codec::{
    Command, ExtAddr, ExtPassiveReply, HostPort, Leniency, PassiveReply, Reply, ReplyDecoder,
    ReplyLimits, ReplyOptions, Request, decode_all, parse_522_protocols,
};
use std::io::Write as _;

/// A fuzz target body.
pub type Body = fn(&[u8]);

/// Every fuzz target, by the name of its `fuzz/fuzz_targets/<name>.rs` and `corpora/<name>/`.
pub const TARGETS: &[(&str, Body)] = &[
    ("command", command),
    ("reply", reply),
    ("reply_stream", reply_stream),
    ("hostport", hostport),
    ("extaddr", extaddr),
    ("extpassive", extpassive),
    ("protocols522", protocols522),
    ("scenario", scenario),
];

/// Commands: a strict parse re-encodes to an equal command; a lenient parse
/// agrees with the strict one wherever the strict one succeeds; a typed
/// request survives encode and parse.
pub fn command(data: &[u8]) {
    let strict = Command::parse(data);
    let lenient = Command::parse_with(data, Leniency::PERMISSIVE);
    if let Ok(c) = &strict {
        let p = lenient
            .as_ref()
            .expect("lenient parse accepts what strict accepts");
        assert_eq!(&p.value, c, "lenient and strict disagree");
        assert!(
            p.deviations.is_empty(),
            "deviations reported for strict input: {:?}",
            p.deviations
        );
        let bytes = c.to_bytes();
        assert_eq!(Command::parse(&bytes).as_ref(), Ok(c), "strict round trip");
        if let Ok(r) = Request::from_command(c) {
            let mut out = Vec::new();
            r.encode(&mut out);
            assert_eq!(Request::parse(&out).as_ref(), Ok(&r), "typed round trip");
        }
    }
    if let Ok(p) = lenient {
        let again = Command::parse_with(&p.value.to_bytes(), Leniency::PERMISSIVE)
            .expect("lenient re-parse");
        assert_eq!(again.value, p.value, "lenient round trip");
    }
}

/// One reply: strict parsing is byte-exact (encode gives back the input);
/// lenient parsing round-trips by value.
pub fn reply(data: &[u8]) {
    let lenient_opts = ReplyOptions {
        leniency: Leniency::PERMISSIVE,
        ..ReplyOptions::default()
    };
    if let Ok(r) = Reply::parse(data) {
        assert_eq!(r.to_bytes(), data, "strict parse is not byte-exact");
    }
    if let Ok(p) = Reply::parse_with(data, lenient_opts) {
        let again = Reply::parse_with(&p.value.to_bytes(), lenient_opts)
            .expect("re-parse of encoded reply");
        assert_eq!(again.value, p.value, "lenient round trip");
    }
}

/// A reply stream: decoding in chunks (sizes drawn from the first bytes)
/// gives exactly what decoding in one piece gives, replies and error alike.
pub fn reply_stream(data: &[u8]) {
    let Some((&knobs, rest)) = data.split_first() else {
        return;
    };
    let Some((&seed, input)) = rest.split_first() else {
        return;
    };
    let options = ReplyOptions {
        leniency: if knobs & 1 == 0 {
            Leniency::STRICT
        } else {
            Leniency::PERMISSIVE
        },
        // Small limits so the fuzzer reaches them.
        limits: ReplyLimits {
            max_line_len: 16 + usize::from(knobs >> 4) * 8,
            max_lines: 1 + usize::from(knobs >> 1 & 7),
        },
    };
    let whole = decode_all(input, options);
    let mut dec = ReplyDecoder::new(options);
    let mut replies = Vec::new();
    let mut error = None;
    let mut state = u32::from(seed) | 1;
    let mut at = 0;
    'feed: while at < input.len() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = 1 + (state as usize % 7);
        let end = (at + n).min(input.len());
        dec.push(&input[at..end]);
        at = end;
        loop {
            match dec.next_reply() {
                Ok(Some(r)) => replies.push(r),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break 'feed;
                }
            }
        }
    }
    if error.is_none() {
        error = dec.finish().err();
    }
    assert_eq!(replies, whole.0, "chunked and one-shot replies differ");
    assert_eq!(error, whole.1, "chunked and one-shot errors differ");
}

/// PORT host-port and 227 text: strict parses are byte-exact, lenient ones
/// round-trip by value, and a canonical 227 reply parses back strictly.
///
/// The address targets run at hundreds of thousands of inputs a second, so
/// the canonical forms are encoded into one reused buffer rather than a
/// fresh `String` per check; the checks themselves are unchanged.
pub fn hostport(data: &[u8]) {
    let mut buf = Vec::with_capacity(64);
    if let Ok(hp) = HostPort::parse(data) {
        hp.encode(&mut buf);
        assert_eq!(buf, data, "strict host-port is not byte-exact");
    }
    if let Ok(p) = HostPort::parse_with(data, Leniency::PERMISSIVE) {
        buf.clear();
        p.value.encode(&mut buf);
        assert_eq!(HostPort::parse(&buf), Ok(p.value), "host-port round trip");
    }
    if let Ok(p) = PassiveReply::parse_with(data, Leniency::PERMISSIVE) {
        buf.clear();
        p.value.to_reply().encode(&mut buf);
        let back = PassiveReply::from_reply(
            &Reply::parse(&buf).expect("canonical 227"),
            Leniency::STRICT,
        );
        assert_eq!(back.map(|b| b.value), Ok(p.value), "227 round trip");
    }
}

/// EPRT argument: every successful parse round-trips by value through its
/// canonical encoding.
pub fn extaddr(data: &[u8]) {
    if let Ok(p) = ExtAddr::parse_with(data, Leniency::PERMISSIVE) {
        let mut buf = Vec::with_capacity(64);
        p.value.encode(&mut buf);
        assert_eq!(
            ExtAddr::parse(&buf).as_ref(),
            Ok(&p.value),
            "EPRT round trip"
        );
    }
}

/// The text of a 229 reply: what parses round-trips by value through its
/// canonical reply. (Its own target, apart from EPRT and from the 522 list,
/// so that each corpus holds one grammar.)
pub fn extpassive(data: &[u8]) {
    if let Ok(p) = ExtPassiveReply::parse_with(data, Leniency::PERMISSIVE) {
        // Reply framing has its own target (`reply`); this one stays on
        // the 229 text, the canonical form read back strictly.
        let reply = p.value.to_reply();
        let back = ExtPassiveReply::from_reply(&reply, Leniency::STRICT).map(|b| b.value);
        assert_eq!(back, Ok(p.value), "229 round trip");
    }
}

/// The text of a 522 reply to EPRT/EPSV: a protocol list that parses
/// renders back, in RFC 2428 §2's `<some text> (prot1,prot2,...,protn)`
/// form, to the same list.
pub fn protocols522(data: &[u8]) {
    if let Ok(list) = parse_522_protocols(data) {
        assert!(!list.is_empty(), "an empty list parsed");
        let mut text = b"Network protocol not supported, use (".to_vec();
        for (i, p) in list.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(text, "{sep}{p}");
        }
        text.push(b')');
        assert_eq!(parse_522_protocols(&text), Ok(list), "522 round trip");
    }
}

/// Scenario files: whatever parses renders back to text that parses to the
/// same scenario (line numbers aside).
pub fn scenario(data: &[u8]) {
    use crate::scenario::{parse, render, without_lines};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sc) = parse("fuzz.ftpspec", text) {
        let again = render(&sc);
        let back = parse("fuzz.ftpspec", &again)
            .unwrap_or_else(|e| panic!("rendered scenario does not parse: {e}\n{again}"));
        assert_eq!(
            without_lines(&back),
            without_lines(&sc),
            "scenario round trip\n{again}"
        );
    }
}
