//! Property tests for the codec: encode→parse round trips for every type
//! (typed requests from per-verb argument strategies, most of them valid:
//! the rate is asserted), chunked decoding equal to one-shot decoding, and
//! the fuzz bodies' oracles on random bytes and on mutated corpus seeds.

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

/// The verbs whose argument the typed request checks, and a strategy of
/// arguments for each: valid shapes (RFC 959 §5.3.2, RFC 2428, RFC 4217),
/// upper and lower case.
fn typed_argument(verb: &'static str) -> BoxedStrategy<Option<String>> {
    let pick =
        |v: &[&'static str]| proptest::sample::select(v.to_vec()).prop_map(|s| Some(s.to_owned()));
    let cased = |s: BoxedStrategy<Option<String>>| {
        (s, any::<bool>())
            .prop_map(|(a, lower)| a.map(|a| if lower { a.to_ascii_lowercase() } else { a }))
            .boxed()
    };
    match verb {
        "TYPE" => cased(
            pick(&[
                "A", "A N", "A T", "A C", "E", "E N", "I", "L 8", "L 16", "L 36",
            ])
            .boxed(),
        ),
        "STRU" => cased(pick(&["F", "R", "P"]).boxed()),
        "MODE" => cased(pick(&["S", "B", "C"]).boxed()),
        "PROT" => cased(pick(&["C", "S", "E", "P"]).boxed()),
        "ALLO" => prop_oneof![
            any::<u64>().prop_map(|n| Some(n.to_string())),
            (any::<u64>(), any::<u64>()).prop_map(|(n, r)| Some(format!("{n} R {r}"))),
        ]
        .boxed(),
        "PBSZ" => any::<u32>().prop_map(|n| Some(n.to_string())).boxed(),
        "REST" => any::<u64>().prop_map(|n| Some(n.to_string())).boxed(),
        "EPSV" => prop_oneof![
            Just(None),
            cased(Just(Some("ALL".to_owned())).boxed()),
            (1u16..=255).prop_map(|n| Some(n.to_string())),
        ]
        .boxed(),
        "PORT" => (any::<u32>(), any::<u16>())
            .prop_map(|(a, p)| Some(HostPort::new(Ipv4Addr::from(a), p).to_string()))
            .boxed(),
        "EPRT" => socket_addr()
            .prop_map(|a| Some(ExtAddr::from_socket(a).to_string()))
            .boxed(),
        _ => unreachable!("{verb} has no typed argument strategy"),
    }
}

/// Verbs whose typed request parses the argument.
const TYPED: [&str; 10] = [
    "TYPE", "STRU", "MODE", "PROT", "ALLO", "PBSZ", "REST", "EPSV", "PORT", "EPRT",
];

/// Verbs that take no argument at all.
const BARE: [&str; 11] = [
    "CDUP", "REIN", "QUIT", "PASV", "STOU", "ABOR", "PWD", "SYST", "NOOP", "FEAT", "CCC",
];

/// A command with an argument of its verb's shape: a typed verb with a
/// valid argument (nine in ten) or any text, a bare verb alone, any other
/// known verb with text.
fn typed_command() -> impl Strategy<Value = Command> {
    let typed = proptest::sample::select(TYPED.to_vec()).prop_flat_map(|v| {
        let arg = prop_oneof![
            9 => typed_argument(v),
            1 => proptest::option::of(arg_text()),
        ];
        (Just(v), arg)
    });
    let bare = proptest::sample::select(BARE.to_vec()).prop_map(|v| (v, None));
    let other: Vec<&'static str> = Verb::KNOWN
        .iter()
        .map(|v| v.as_str())
        .filter(|v| !TYPED.contains(v) && !BARE.contains(v))
        .collect();
    let other = (
        proptest::sample::select(other),
        proptest::option::of(arg_text()),
    );
    prop_oneof![4 => typed, 1 => bare, 2 => other]
        .prop_map(|(v, a)| Command::new(Verb::new(v), a.map(|a| Arg::new(&a).unwrap())).unwrap())
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

    /// Every request the codec accepts encodes to a line that parses back
    /// to it. (How many are accepted is asserted in
    /// `typed_arguments_are_mostly_accepted`.)
    #[test]
    fn request_round_trip(c in typed_command()) {
        let Ok(r) = Request::from_command(&c) else {
            // Rejected: only a typed verb's argument not of its shape, or
            // a missing argument where one is required, may be (how many
            // are accepted is bounded below).
            prop_assert!(TYPED.contains(&c.verb().as_str()) || c.arg().is_none(), "{c:?}");
            return Ok(());
        };
        let mut out = Vec::new();
        r.encode(&mut out);
        prop_assert_eq!(Request::parse(&out), Ok(r));
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

/// The typed strategies exercise the typed encoders: most commands they
/// make are accepted, and every typed verb is accepted many times.
#[test]
fn typed_arguments_are_mostly_accepted() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = typed_command();
    let (mut total, mut accepted) = (0usize, 0usize);
    let mut per_verb: std::collections::BTreeMap<String, usize> = Default::default();
    for _ in 0..4000 {
        let c = strategy.new_tree(&mut runner).unwrap().current();
        total += 1;
        if Request::from_command(&c).is_ok() {
            accepted += 1;
            *per_verb.entry(c.verb().as_str().to_owned()).or_default() += 1;
        }
    }
    assert!(
        accepted * 100 >= total * 80,
        "{accepted} of {total} accepted"
    );
    for v in TYPED {
        let n = per_verb.get(v).copied().unwrap_or(0);
        assert!(n >= 100, "{v}: accepted {n} times of {total}: {per_verb:?}");
    }
}

/// The seeds of `corpora/<target>/`, for mutation.
fn seeds() -> &'static Vec<(usize, Vec<u8>)> {
    static SEEDS: std::sync::OnceLock<Vec<(usize, Vec<u8>)>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora");
        let mut out = Vec::new();
        for (i, (name, _)) in fuzz_bodies::TARGETS.iter().enumerate() {
            let Ok(dir) = std::fs::read_dir(root.join(name)) else {
                continue;
            };
            let mut files: Vec<_> = dir.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            files.sort();
            for f in files {
                out.push((i, std::fs::read(&f).unwrap()));
            }
        }
        assert!(out.len() > 500, "{} seeds under corpora/", out.len());
        out
    })
}

/// One mutation of a seed, as libFuzzer's simplest ones: flip a bit,
/// set a byte, insert a byte, delete a byte, or splice in a dictionary
/// token.
#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Token(usize, usize),
}

const TOKENS: [&[u8]; 12] = [
    b"\r\n",
    b"\n",
    b"\xff\xf4",
    b"-",
    b" ",
    b"|",
    b",",
    b"(",
    b")",
    b"999",
    b"65536",
    b"::",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        (at, 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (at, any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (at, any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        at.prop_map(Mutation::Delete),
        (at, 0..TOKENS.len()).prop_map(|(i, t)| Mutation::Token(i, t)),
    ]
}

fn mutate(mut data: Vec<u8>, ms: &[Mutation]) -> Vec<u8> {
    for m in ms {
        let n = data.len();
        match *m {
            Mutation::Flip(i, b) if n > 0 => data[i % n] ^= 1 << b,
            Mutation::Set(i, b) if n > 0 => data[i % n] = b,
            Mutation::Insert(i, b) => data.insert(i % (n + 1), b),
            Mutation::Delete(i) if n > 0 => {
                data.remove(i % n);
            }
            Mutation::Token(i, t) => {
                let at = i % (n + 1);
                data.splice(at..at, TOKENS[t].iter().copied());
            }
            _ => {}
        }
    }
    data
}

/// Not vacuous: mutated command seeds still parse often (random bytes
/// almost never do), so the oracles behind a successful parse are reached.
#[test]
fn mutated_command_seeds_often_still_parse() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[9; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let commands: Vec<&Vec<u8>> = seeds()
        .iter()
        .filter(|(t, _)| fuzz_bodies::TARGETS[*t].0 == "command")
        .map(|(_, b)| b)
        .collect();
    assert!(commands.len() > 50, "{} command seeds", commands.len());
    let strategy = (any::<usize>(), proptest::collection::vec(mutation(), 1..4));
    let (mut parsed, mut random_parsed, total) = (0, 0, 2000);
    for _ in 0..total {
        let (pick, ms) = strategy.new_tree(&mut runner).unwrap().current();
        let data = mutate(commands[pick % commands.len()].clone(), &ms);
        parsed += usize::from(Command::parse(&data).is_ok());
        let noise: Vec<u8> = (0..data.len())
            .map(|i| (pick >> (i % 56)) as u8 ^ i as u8)
            .collect();
        random_parsed += usize::from(Command::parse(&noise).is_ok());
    }
    // 386 of 2000 when written (many seeds are malformed on purpose).
    assert!(
        parsed * 100 >= total * 15,
        "{parsed} of {total} mutated seeds parse"
    );
    assert!(
        parsed > 10 * random_parsed.max(1),
        "{parsed} mutated vs {random_parsed} random"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// Corpus seeds, a few mutations each, through their own target's body
    /// (whose oracles assert round trips and strict/lenient agreement):
    /// inputs close to valid reach what random bytes do not.
    #[test]
    fn mutated_seeds_hold_their_oracles(
        pick in any::<usize>(),
        ms in proptest::collection::vec(mutation(), 1..4),
    ) {
        let seeds = seeds();
        let (target, seed) = &seeds[pick % seeds.len()];
        let data = mutate(seed.clone(), &ms);
        (fuzz_bodies::TARGETS[*target].1)(&data);
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
