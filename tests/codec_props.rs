//! Property tests for the codec: encode→parse round trips for every type,
//! chunked decoding equal to one-shot decoding, and no panic on any input.

use ftpspec_harness::codec::*;
use ftpspec_harness::fuzz_bodies;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

fn arg_text() -> impl Strategy<Value = String> {
    // Any UTF-8 without CR, LF or NUL, including spaces and IAC-like code points.
    "[^\r\n\0]{1,40}"
}

fn unknown_verb() -> impl Strategy<Value = String> {
    "[A-Za-z]{1,4}".prop_filter("unknown", |v| !Verb::new(v).is_known())
}

fn command() -> impl Strategy<Value = Command> {
    let known = (
        proptest::sample::select(Verb::KNOWN.to_vec()),
        proptest::option::of(arg_text()),
    );
    let unknown = (
        unknown_verb().prop_map(|v| Verb::new(&v)),
        proptest::option::of(arg_text()),
    );
    prop_oneof![known, unknown]
        .prop_map(|(v, a)| Command::new(v, a.map(|a| Arg::new(&a).unwrap())).unwrap())
}

fn reply() -> impl Strategy<Value = Reply> {
    let line = "[^\r\n]{0,30}";
    (0u16..=999, proptest::collection::vec(line, 1..6)).prop_map(|(code, mut lines)| {
        let n = lines.len();
        // Pad inner lines that begin with a digit, as RFC 959 §4.2 requires.
        for l in lines.iter_mut().take(n.saturating_sub(1)).skip(1) {
            if l.starts_with(|c: char| c.is_ascii_digit()) {
                l.insert(0, ' ');
            }
        }
        Reply::new(ReplyCode::new(code).unwrap(), &lines).unwrap()
    })
}

fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<u32>(), any::<u16>())
            .prop_map(|(a, p)| SocketAddr::new(Ipv4Addr::from(a).into(), p)),
        (any::<u128>(), any::<u16>())
            .prop_map(|(a, p)| SocketAddr::new(Ipv6Addr::from(a).into(), p)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn command_round_trip(c in command()) {
        prop_assert_eq!(Command::parse(&c.to_bytes()), Ok(c));
    }

    #[test]
    fn request_round_trip(c in command()) {
        if let Ok(r) = Request::from_command(&c) {
            let mut out = Vec::new();
            r.encode(&mut out);
            prop_assert_eq!(Request::parse(&out), Ok(r));
        }
    }

    #[test]
    fn typed_address_requests_round_trip(a in socket_addr(), hp in (any::<u32>(), any::<u16>())) {
        for r in [
            Request::Eprt(ExtAddr::from_socket(a)),
            Request::Port(HostPort::new(Ipv4Addr::from(hp.0), hp.1)),
        ] {
            let mut out = Vec::new();
            r.encode(&mut out);
            prop_assert_eq!(Request::parse(&out), Ok(r));
        }
    }

    #[test]
    fn reply_round_trip_is_byte_exact(r in reply()) {
        let bytes = r.to_bytes();
        let parsed = Reply::parse(&bytes);
        prop_assert_eq!(parsed.as_ref(), Ok(&r));
        prop_assert_eq!(parsed.unwrap().to_bytes(), bytes);
    }

    #[test]
    fn chunked_decoding_equals_one_shot(
        replies in proptest::collection::vec(reply(), 0..5),
        garbage in proptest::collection::vec(any::<u8>(), 0..20),
        chunks in proptest::collection::vec(1usize..9, 1..40),
        lenient in any::<bool>(),
    ) {
        let mut input: Vec<u8> = replies.iter().flat_map(Reply::to_bytes).collect();
        input.extend(&garbage);
        let options = ReplyOptions {
            leniency: if lenient { Leniency::PERMISSIVE } else { Leniency::STRICT },
            ..ReplyOptions::default()
        };
        let whole = decode_all(&input, options);
        let mut dec = ReplyDecoder::new(options);
        let (mut got, mut err, mut at) = (Vec::new(), None, 0);
        for n in chunks.iter().cycle() {
            if at >= input.len() || err.is_some() { break; }
            let end = (at + n).min(input.len());
            dec.push(&input[at..end]);
            at = end;
            loop {
                match dec.next_reply() {
                    Ok(Some(r)) => got.push(r),
                    Ok(None) => break,
                    Err(e) => { err = Some(e); break; }
                }
            }
        }
        if err.is_none() { err = dec.finish().err(); }
        prop_assert_eq!(&got, &whole.0);
        prop_assert_eq!(&err, &whole.1);
        // Well-formed replies always come back, in order.
        let values: Vec<&Reply> = whole.0.iter().map(|p| &p.value).collect();
        prop_assert_eq!(&values[..replies.len()], &replies.iter().collect::<Vec<_>>()[..]);
    }

    #[test]
    fn host_port_round_trip(a in any::<u32>(), port in any::<u16>()) {
        let hp = HostPort::new(Ipv4Addr::from(a), port);
        prop_assert_eq!(HostPort::parse(hp.to_string().as_bytes()), Ok(hp));
        let reply = PassiveReply(hp).to_reply();
        prop_assert_eq!(PassiveReply::from_reply(&reply, Leniency::STRICT).map(|p| p.value), Ok(PassiveReply(hp)));
    }

    #[test]
    fn ext_addr_round_trip(a in socket_addr(), d in 33u8..=126) {
        let host = match a { SocketAddr::V4(v) => ExtHost::V4(*v.ip()), SocketAddr::V6(v) => ExtHost::V6(*v.ip()) };
        if let Ok(e) = ExtAddr::new(d, host, a.port()) {
            prop_assert_eq!(ExtAddr::parse(e.to_string().as_bytes()), Ok(e.clone()));
            prop_assert_eq!(e.socket_addr(), Some(a));
        }
    }

    #[test]
    fn ext_passive_round_trip(d in 33u8..=126, port in any::<u16>()) {
        if let Ok(p) = ExtPassiveReply::new(d, port) {
            let reply = p.to_reply();
            prop_assert_eq!(ExtPassiveReply::from_reply(&reply, Leniency::STRICT).map(|x| x.value), Ok(p));
        }
    }

    #[test]
    fn parsers_never_panic_and_oracles_hold(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        for (_, body) in fuzz_bodies::TARGETS {
            body(&data);
        }
    }

    #[test]
    fn parsers_never_panic_on_protocol_like_text(data in "[0-9 ,()|!#.:a-fA-F\r\n-]{0,80}") {
        for (_, body) in fuzz_bodies::TARGETS {
            body(data.as_bytes());
        }
    }
}

proptest! {
    /// Scenario strings: whatever bytes (long runs included, written
    /// `b\{N}`), quoting and unquoting gives them back.
    #[test]
    fn scenario_quotes_round_trip(
        parts in proptest::collection::vec((any::<u8>(), 1usize..40), 0..12),
        noise in proptest::collection::vec(any::<u8>(), 0..32),
    ) {
        let mut bytes = noise;
        for (b, n) in parts {
            bytes.extend(std::iter::repeat_n(b, n));
        }
        let quoted = ftpspec_harness::scenario::quote(&bytes);
        prop_assert_eq!(ftpspec_harness::scenario::unquote(&quoted).unwrap(), bytes);
    }
}
