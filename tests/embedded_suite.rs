//! The whole suite against the embedded libunftp server: every case must
//! reach a verdict without harness errors, and libunftp's known behaviour
//! (checked against the RFC text) must show up as the verdicts below.

use ftpspec_harness::driver::Limits;
use ftpspec_harness::embedded::Embedded;
use ftpspec_harness::oracle::Check;
use ftpspec_harness::runner::{self, Filter, RunConfig};
use ftpspec_harness::scenario::load_dir;
use ftpspec_harness::verdict::Verdict;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_against_embedded_libunftp() {
    let server = Embedded::start().await.unwrap();
    let scenarios = load_dir(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios"
    )))
    .unwrap();
    let config = RunConfig {
        target: server.target(),
        jobs: 4,
        limits: Limits::default(),
        case_timeout: Duration::from_secs(30),
        filter: Filter::default(),
    };
    let mut finished = 0;
    let report = runner::run(scenarios, config, |e| {
        if let runner::Event::CaseFinished { .. } = e {
            finished += 1;
        }
    })
    .await
    .unwrap();
    assert_eq!(finished, report.cases.len());
    let verdict = |id: &str| {
        report
            .cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no case {id}"))
            .verdict
    };
    // libunftp 0.24 sometimes drops one of the two replies to RETR+ABOR
    // (its data task races the ABOR). That used to cost the step timeout and
    // an `error`; the overdue-reply probe now sees it as a `fail` within
    // about a second, so no case may error, racy ones included.
    assert!(report.cases.len() > 300, "{} cases", report.cases.len());
    for c in &report.cases {
        assert_ne!(c.verdict, Verdict::Error, "{}: {}", c.id, c.message);
    }
    assert_eq!(verdict("login.user-pass"), Verdict::Pass);
    assert_eq!(verdict("login.bad-password"), Verdict::Pass);
    assert_eq!(
        verdict("transfer.stor-retr-binary[pasv-ipv4]"),
        Verdict::Pass
    );
    assert_eq!(
        verdict("transfer.stor-retr-binary[port-ipv4]"),
        Verdict::Pass
    );
    assert_eq!(
        verdict("transfer.stor-retr-binary[epsv-ipv4]"),
        Verdict::Pass
    );
    // The embedded server speaks explicit FTPS: every data case runs once
    // more under PROT P, on TLS data connections resuming the control
    // connection's session.
    assert_eq!(
        verdict("transfer.stor-retr-binary[pasv-ipv4-tls]"),
        Verdict::Pass
    );
    assert_eq!(
        verdict("transfer.stor-retr-binary[port-ipv4-tls]"),
        Verdict::Pass
    );
    let tls = report.probe.tls.as_ref().expect("the probe saw TLS");
    assert!(tls.control.is_some() && tls.problem.is_none(), "{tls:?}");
    assert!(tls.data.as_ref().is_some_and(|d| d.resumed), "{tls:?}");
    assert_eq!(verdict("rfc4217.auth-tls"), Verdict::Pass);
    // libunftp takes USER in clear although it offers TLS: the policy
    // warning, not a failure.
    assert_eq!(verdict("rfc4217.clear-login-policy"), Verdict::Warn);
    // libunftp answers EPRT with 500: RFC 2428 is optional, so unsupported.
    assert_eq!(
        verdict("transfer.stor-retr-binary[eprt-ipv4]"),
        Verdict::Unsupported
    );
    // libunftp answers MKD with `257 /path` (no quotes): RFC 959 Appendix II SHOULD.
    assert_eq!(verdict("dirs.mkd-rmd"), Verdict::Warn);
    // libunftp sends 150 then 550 for a missing file; §5.4 allows only
    // 110, 226, 250, 425, 426, 451 after a 1yz to RETR, but §6's state
    // diagram allows a 5yz there: another code of an allowed class, a
    // warning (RFC 1123 §4.1.2.11).
    let missing = report
        .cases
        .iter()
        .find(|c| c.id == "transfer.retr-missing[pasv-ipv4]")
        .unwrap();
    assert_eq!(missing.verdict, Verdict::Warn);
    assert!(
        missing.findings.iter().any(|f| f.check == Check::ReplyCode
            && f.received == "550"
            && f.verdict == Verdict::Warn)
    );
    // The HTML page of the whole suite stays small enough to open and mail.
    let page = ftpspec_harness::report::html::render(&[("run", &report)]);
    assert!(
        page.len() < 300 * 1024,
        "HTML report of {} bytes",
        page.len()
    );
    // Scratch directories were removed over the protocol.
    let left: Vec<_> = std::fs::read_dir(server.root())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
