//! Rendered reports for a fixed run, kept as insta snapshots: a change in
//! any format shows up as a diff in review.

use ftpspec_harness::driver::{Direction, Entry};
use ftpspec_harness::report::{Human, Reporter, junit, markdown};
use ftpspec_harness::runner::{CaseResult, Event, Probe, RefOut, Report, Summary};
use ftpspec_harness::verdict::{Finding, Verdict};

fn case(id: &str, verdict: Verdict, message: &str, findings: Vec<Finding>) -> CaseResult {
    CaseResult {
        id: id.into(),
        scenario: format!("scenarios/{}.ftpspec", id.split('[').next().unwrap()),
        title: format!("title of {id}"),
        mode: id
            .split_once('[')
            .map(|(_, m)| m.trim_end_matches(']').into()),
        verdict,
        refs: vec![RefOut {
            rfc: 959,
            section: "5.4".into(),
            level: "MUST".into(),
            quote: "RETR 125, 150 ...".into(),
        }],
        covers: vec!["R959-5.4-RETR".into()],
        message: message.into(),
        findings,
        transcript: vec![
            Entry {
                ms: 0,
                dir: Direction::Server,
                text: "220 ready\\r\\n".into(),
            },
            Entry {
                ms: 1,
                dir: Direction::Client,
                text: "RETR x\\r\\n".into(),
            },
        ],
        duration_ms: 12,
    }
}

fn finding(verdict: Verdict, check: &'static str, received: &str) -> Finding {
    Finding {
        verdict,
        check: check.into(),
        rfc: Some("RFC 959 §5.4 MUST".into()),
        required: "\"Each command is listed with its possible replies\"".into(),
        acceptable: "110, 226, 250, 425, 426, 451".into(),
        received: received.into(),
        line: Some(11),
    }
}

fn report() -> Report {
    let cases = vec![
        case("basic.noop", Verdict::Pass, "", vec![]),
        case(
            "transfer.retr-missing[pasv-ipv4]",
            Verdict::Fail,
            "reply-code: expected 110, 226, 250, 425, 426, 451, received 550",
            vec![finding(Verdict::Fail, "reply-code", "550")],
        ),
        case(
            "dirs.mkd-rmd",
            Verdict::Warn,
            "expect: expected 257 with quotes, received 257 /x | y",
            vec![finding(Verdict::Warn, "expect", "257 /x | y")],
        ),
        case(
            "rfc3659.mlst-file",
            Verdict::Unsupported,
            "the server does not announce MLST in FEAT",
            vec![],
        ),
        case(
            "basic.syst",
            Verdict::Error,
            "timed out after 5s waiting for a reply",
            vec![],
        ),
    ];
    let mut summary = Summary::default();
    for c in &cases {
        summary.add(c.verdict);
    }
    Report {
        schema: 1,
        ftpspec: "test".into(),
        target: "ftp://ftpspec@127.0.0.1:2121/".into(),
        probe: Probe {
            banner: "220 ready".into(),
            features: vec![("MDTM".into(), String::new())],
            system: Some("UNIX Type: L8".into()),
            help: true,
            writable: true,
        },
        summary,
        duration_ms: 1234,
        cases,
    }
}

#[test]
fn markdown_report() {
    insta::assert_snapshot!(markdown::render(&report()));
}

#[test]
fn junit_report() {
    insta::assert_snapshot!(junit::render(&report()));
}

#[test]
fn json_report() {
    insta::assert_snapshot!(serde_json::to_string_pretty(&report()).unwrap());
}

#[test]
fn human_report() {
    let r = report();
    let mut out = Vec::new();
    {
        let mut h = Human::new(&mut out, false, "ftpspec run");
        h.event(&Event::Started {
            total: r.cases.len(),
        });
        for (index, c) in r.cases.iter().enumerate() {
            h.event(&Event::CaseFinished {
                index,
                result: Box::new(c.clone()),
            });
        }
        h.finish(&r).unwrap();
    }
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}
