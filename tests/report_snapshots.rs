//! Rendered reports for a fixed run, kept as insta snapshots: a change in
//! any format shows up as a diff in review.

use ftpspec_harness::driver::{Direction, Entry};
use ftpspec_harness::report::{Human, Reporter, junit, markdown};
use ftpspec_harness::runner::{Capabilities, CaseResult, Event, RefOut, Report, Summary};
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
        notes: Vec::new(),
        duration_ms: 12,
    }
}

fn finding(verdict: Verdict, check: &'static str, received: &str) -> Finding {
    Finding {
        verdict,
        check: check.parse().unwrap(),
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
        notes: Vec::new(),
        schema: 1,
        ftpspec: "test".into(),
        target: "ftp://ftpspec@127.0.0.1:2121/".into(),
        probe: Capabilities {
            banner: "220 ready".into(),
            features: vec![("MDTM".into(), String::new())],
            system: Some("UNIX Type: L8".into()),
            help: true,
            writable: true,
            ..Capabilities::default()
        },
        summary,
        duration_ms: 1234,
        suite: "0123456789ab".into(),
        baseline: None,
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
    insta::assert_snapshot!(render_human(Default::default()));
}

#[test]
fn html_report_one_run() {
    use ftpspec_harness::report::html;
    insta::assert_snapshot!(html::render(&[("libunftp", &report())]));
}

#[test]
fn html_matrix_of_two_runs() {
    use ftpspec_harness::report::html;
    // The second server passes the first one's failure and lacks one case.
    let mut other = report();
    other.target = "ftp://127.0.0.1:2122/".into();
    other.cases[1].verdict = Verdict::Pass;
    other.cases[1].findings.clear();
    other.cases.pop();
    let page = html::render(&[("vsftpd", &report()), ("pyftpdlib", &other)]);
    assert!(page.contains("<th>vsftpd</th><th>pyftpdlib</th>"), "{page}");
    assert!(page.contains("href=\"#r1-transfer-retr-missing-pasv-ipv4-\""));
    assert!(
        page.contains("class=\"v missing\""),
        "absent case not shown"
    );
    assert!(!page.contains("<script"), "self-contained, no scripts");
    insta::assert_snapshot!(page);
}

#[test]
fn html_escapes_server_text() {
    use ftpspec_harness::report::html;
    let mut r = report();
    r.cases[1].findings[0].received = "<script>alert(1)</script> & \"x\"".into();
    let page = html::render(&[("s", &r)]);
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
    assert!(!page.contains("<script>"));
}

#[test]
fn human_report_in_colour() {
    let style = ftpspec_harness::report::Style {
        color: true,
        progress: false,
    };
    insta::assert_snapshot!(render_human(style));
}

#[test]
fn human_progress_bar_redraws_in_place() {
    let r = report();
    let text = render_human(ftpspec_harness::report::Style {
        color: false,
        progress: true,
    });
    // Each case redraws the bar; passes are not printed above it, failures are.
    assert_eq!(
        text.matches("\r\x1b[2K").count(),
        r.cases.len() + 1,
        "{text:?}"
    );
    assert!(text.contains("[") && text.contains("] 5/5 "), "{text:?}");
    assert!(!text.contains("PASS  basic.noop"), "{text:?}");
    assert!(
        text.contains("FAIL  transfer.retr-missing[pasv-ipv4]"),
        "{text:?}"
    );
    assert!(
        text.contains("1 pass 1 fail 1 warn 1 unsupported 1 error"),
        "{text:?}"
    );
}

#[test]
fn json_report_reads_back() {
    let r = report();
    let text = serde_json::to_string(&r).unwrap();
    let back: Report = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), text);
}

/// The documented schema (docs/report.schema.json) is the one derived from
/// the types. `UPDATE_SCHEMA=1 cargo test --test report_snapshots` rewrites it.
#[test]
fn json_schema_is_documented() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let now = ftpspec_harness::report::json::schema();
    // Compared before anything is written: in update mode a stale file is
    // rewritten and the test still fails, so an update never passes
    // without the file having been checked.
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    if stored != now && std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &now).unwrap();
        panic!(
            "docs/report.schema.json was out of date and is rewritten: review it, then run the test again without UPDATE_SCHEMA"
        );
    }
    assert!(
        stored == now,
        "docs/report.schema.json is out of date: run UPDATE_SCHEMA=1 cargo test --test report_snapshots"
    );
}

/// Feed a whole run through a human reporter with `style`.
fn render_human(style: ftpspec_harness::report::Style) -> String {
    let r = report();
    let mut out = Vec::new();
    {
        let mut h = Human::new(&mut out, false, "ftpspec run").with_style(style);
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
    String::from_utf8(out).unwrap()
}
