//! Proof for FTP over TLS: the scripted server with TLS (`start_tls`)
//! breaks one rule of RFC 4217 / RFC 2228 at a time, and each test shows
//! the verdict against the faulty server and the pass against the
//! conformant one.

mod support;

use ftpspec_harness::oracle::Check;
use ftpspec_harness::runner::{CaseResult, Report};
use ftpspec_harness::target::{Target, Trust};
use ftpspec_harness::verdict::Verdict;
use std::time::Duration;
use support::scripted_server::{Fault, ScriptedServer};
use support::suite::case;

async fn run_on(server: &ScriptedServer, only: &[&str]) -> Report {
    let report = support::suite::run_dir(server, &support::suite::suite_dir(), only).await;
    assert!(!report.cases.is_empty(), "no case matched {only:?}");
    report
}

async fn run(fault: Fault, only: &[&str]) -> Report {
    run_on(&ScriptedServer::start_tls(fault).await, only).await
}

/// The case passes against the conformant TLS server and gets `want`
/// against the faulty one.
async fn flips(fault: Fault, id: &str, want: Verdict) -> CaseResult {
    let good = run(Fault::None, &[id]).await;
    assert_eq!(
        case(&good, id).verdict,
        Verdict::Pass,
        "{id} against the conformant server: {:#?}",
        case(&good, id)
    );
    let bad = run(fault, &[id]).await;
    let c = case(&bad, id).clone();
    assert_eq!(c.verdict, want, "{id} against {fault:?}: {c:#?}");
    c
}

fn tls_finding(c: &CaseResult, quote_part: &str) -> bool {
    c.findings
        .iter()
        .any(|f| f.check == Check::Tls && f.required.contains(quote_part))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conformant_tls_server_neither_fails_nor_errors() {
    let r = support::suite::run_conformant(&ScriptedServer::start_tls(Fault::None).await).await;
    let bad: Vec<String> = r
        .cases
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Fail | Verdict::Error))
        .map(|c| format!("{}: {} {}", c.id, c.verdict, c.message))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let tls = r.probe.tls.as_ref().expect("the probe saw TLS");
    assert!(tls.data.as_ref().is_some_and(|d| d.resumed), "{tls:?}");
    assert_eq!(
        case(&r, "transfer.stor-retr-binary[port-ipv4-tls]").verdict,
        Verdict::Pass
    );
    // It takes USER in clear: the policy warning.
    assert_eq!(
        case(&r, "rfc4217.clear-login-policy").verdict,
        Verdict::Warn
    );
    // rustls refuses a TLS 1.1 ClientHello.
    assert_eq!(case(&r, "rfc4217.legacy-versions").verdict, Verdict::Pass);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_234_without_a_handshake_fails() {
    let c = flips(Fault::TlsNoHandshake, "rfc4217.auth-tls", Verdict::Fail).await;
    assert!(tls_finding(&c, "must begin with the same digit"), "{c:#?}");
}

/// The same breach met in another case's set-up is judged there too (it
/// was a skip, which hid it), after one more try on a new connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_234_without_a_handshake_in_set_up_fails_the_case() {
    let id = "transfer.stor-retr-binary[pasv-ipv4-tls]";
    let c = flips(Fault::TlsNoHandshakeAfterMkd, id, Verdict::Fail).await;
    assert!(tls_finding(&c, "must begin with the same digit"), "{c:#?}");
    assert!(c.message.contains("AUTH TLS in set-up"), "{c:#?}");
    let tries = c
        .transcript
        .iter()
        .filter(|e| e.text.starts_with("connecting to"))
        .count();
    assert_eq!(tries, 2, "{c:#?}");
}

/// When the probe itself met the breach (on two connections), a case that
/// sets up TLS fails with the probe's finding: it was a skip, so a run of
/// such cases alone (`--only '*-tls]'`) passed against a server whose
/// TLS never starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_234_without_a_handshake_in_the_probe_fails_the_tls_cases() {
    let id = "transfer.stor-retr-binary[pasv-ipv4-tls]";
    let c = flips(Fault::TlsNoHandshake, id, Verdict::Fail).await;
    assert!(tls_finding(&c, "must begin with the same digit"), "{c:#?}");
    assert!(c.message.contains("seen by the probe"), "{c:#?}");
    // Cases that need no TLS set-up still run and judge the breach.
    let r = run(Fault::TlsNoHandshake, &["rfc4217.auth-tls"]).await;
    assert_eq!(case(&r, "rfc4217.auth-tls").verdict, Verdict::Fail);
    assert!(r.probe.tls.as_ref().is_some_and(|t| t.breach.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prot_p_data_in_clear_fails() {
    for id in [
        "transfer.stor-retr-binary[pasv-ipv4-tls]",
        "transfer.stor-retr-binary[port-ipv4-tls]",
    ] {
        let c = flips(Fault::TlsDataInClear, id, Verdict::Fail).await;
        assert!(tls_finding(&c, "MUST be at that level"), "{c:#?}");
    }
    // In clear modes nothing changes.
    let r = run(
        Fault::TlsDataInClear,
        &["transfer.stor-retr-binary[pasv-ipv4]"],
    )
    .await;
    assert_eq!(
        case(&r, "transfer.stor-retr-binary[pasv-ipv4]").verdict,
        Verdict::Pass
    );
}

/// The same, with the download in clear answered 426: the probe's data
/// test took that for a refusal of PROT P, and every `-tls` case was
/// `unsupported`. A data connection in clear under PROT P breaks RFC 4217
/// §9 whatever reply follows (a refusal is a handshake the server ends,
/// then 522: §10.2), so the cases run, and fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prot_p_data_in_clear_then_426_fails() {
    let id = "transfer.list[pasv-ipv4-tls]";
    let c = flips(Fault::TlsDataInClearThen426, id, Verdict::Fail).await;
    assert!(tls_finding(&c, "MUST be at that level"), "{c:#?}");
    let r = run(Fault::TlsDataInClearThen426, &[id]).await;
    let tls = r.probe.tls.as_ref().unwrap();
    assert!(tls.private_refused.is_none(), "{tls:?}");
}

/// A LIST refused at both levels alike (a policy) says nothing of the
/// levels: the probe's data test lists, and took it for the server
/// refusing both, so every data case was `unsupported`. Now the cases
/// run: a round trip that needs no LIST passes, in both protections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_refused_at_both_levels_refuses_neither() {
    let tls = round_trips(Fault::ListRefused, Verdict::Pass).await;
    assert!(
        tls.private_refused.is_none() && tls.clear_refused.is_none(),
        "{tls:?}"
    );
}

/// But a transfer refused at both levels with 522, the reply RFC 4217
/// §10.2 gives for a level the server will not transfer at, refuses both:
/// every data case is `unsupported`, none fails (a server insisting on
/// protection, and on a resumed session this client cannot give).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_522_at_both_levels_refuses_both() {
    let tls = round_trips(Fault::TlsNoDataAtAll, Verdict::Unsupported).await;
    assert!(
        tls.private_refused.is_some() && tls.clear_refused.is_some(),
        "{tls:?}"
    );
}

/// The PASV round trip in clear and under PROT P against `fault`, each
/// `want`; what the probe learnt of the levels.
async fn round_trips(fault: Fault, want: Verdict) -> ftpspec_harness::events::TlsCapabilities {
    let ids = [
        "transfer.stor-retr-binary[pasv-ipv4-tls]",
        "transfer.stor-retr-binary[pasv-ipv4]",
    ];
    let r = run(fault, &ids).await;
    for id in ids {
        assert_eq!(case(&r, id).verdict, want, "{fault:?}: {:#?}", case(&r, id));
    }
    r.probe.tls.expect("a TLS target")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_connection_closed_without_close_notify_fails_under_tls13() {
    let c = flips(
        Fault::TlsNoCloseNotify,
        "transfer.stor-retr-binary[epsv-ipv4-tls]",
        Verdict::Fail,
    )
    .await;
    assert!(tls_finding(&c, "close_notify"), "{c:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_refusing_every_session_reuse_makes_prot_p_unsupported() {
    let c = flips(
        Fault::TlsNoResumption,
        "transfer.stor-retr-binary[pasv-ipv4-tls]",
        Verdict::Unsupported,
    )
    .await;
    assert!(c.message.contains("522"), "{c:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prot_accepted_before_pbsz_fails() {
    flips(
        Fault::TlsProtBeforePbsz,
        "rfc4217.prot-before-pbsz",
        Verdict::Fail,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_tls_runs_the_suite_inside_tls() {
    let server = ScriptedServer::start_implicit_tls(Fault::None).await;
    let r = run_on(
        &server,
        &[
            "transfer.stor-retr-binary[epsv-ipv4]",
            "transfer.stor-retr-binary[epsv-ipv4-tls]",
            "rfc4217.clear-login-policy",
            "rfc4217.legacy-versions",
            "basic.noop",
        ],
    )
    .await;
    assert!(r.target.starts_with("ftps://"), "{}", r.target);
    for (id, want) in [
        ("transfer.stor-retr-binary[epsv-ipv4]", Verdict::Pass),
        ("transfer.stor-retr-binary[epsv-ipv4-tls]", Verdict::Pass),
        ("basic.noop", Verdict::Pass),
        // No session in clear on an implicit port.
        ("rfc4217.clear-login-policy", Verdict::Skip),
        ("rfc4217.legacy-versions", Verdict::Pass),
    ] {
        assert_eq!(case(&r, id).verdict, want, "{id}: {:#?}", case(&r, id));
    }
}

/// The live fuzzer over explicit TLS: every session logs in after AUTH
/// TLS (the set-up), so a run that completes its sessions with no harness
/// error went through the handshake each time; its data connections are
/// counted by the server as they complete their own handshakes; the same run trusting no
/// CA fails at once, which shows the TLS is real.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fuzzer_runs_its_sessions_over_tls() {
    use ftpspec_harness::fuzzer::{self, FuzzConfig};
    let server = ScriptedServer::start_tls(Fault::None).await;
    assert!(server.url().starts_with("ftpes://"), "{}", server.url());
    let target = trusted(&server);
    let cfg = fuzz_over_tls(&server, 120);
    let report = fuzzer::fuzz(cfg, |_| {}).await.expect("fuzzing over TLS");
    assert_eq!(report.progress.sessions, 120, "{:?}", report.progress);
    assert_eq!(report.progress.harness_errors, 0, "{:?}", report.progress);
    // Sessions set up PROT P after the login, as a client does: their
    // transfers run over TLS too (LightFTP, for one, accepts no other).
    // Seed 1's 120 sessions make 11 such transfers now (the count moves
    // whenever the generator changes: with held data connections its first
    // 40 made none); without PROT P there are none.
    let protected = server
        .tls
        .as_ref()
        .unwrap()
        .protected_data
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(protected >= 1, "no data connection in TLS in 120 sessions");

    let mut untrusted = target;
    untrusted.trust = Trust {
        ca: None,
        insecure: false,
    };
    let mut cfg = FuzzConfig::new(untrusted);
    cfg.sessions = Some(5);
    cfg.duration = Some(Duration::from_secs(20));
    assert!(
        fuzzer::fuzz(cfg, |_| {}).await.is_err(),
        "a certificate nobody trusts must stop the run"
    );
}

/// `server`'s URL (explicit TLS), trusting its CA.
fn trusted(server: &ScriptedServer) -> Target {
    let mut target = Target::parse(&server.url()).unwrap();
    target.trust = Trust {
        ca: Some(server.tls.as_ref().unwrap().ca.clone()),
        insecure: false,
    };
    target
}

/// A seeded fuzz run over `server`'s explicit TLS.
fn fuzz_over_tls(server: &ScriptedServer, sessions: u64) -> ftpspec_harness::fuzzer::FuzzConfig {
    support::fuzz::seeded(trusted(server), sessions)
}

/// A 234 to the login's own AUTH TLS, then no TLS, is the server's breach
/// in the fuzzer too: one finding (it was a harness error per session,
/// which hid it), written as a scenario that fails against the server.
/// A server that does so at every login stops the run with that reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fuzzer_reports_a_234_without_a_handshake_at_the_login() {
    use ftpspec_harness::fuzzer::{self, FuzzError};
    // The first sessions log in; once one has sent MKD, no login's
    // AUTH TLS is followed by TLS.
    let server = ScriptedServer::start_tls(Fault::TlsNoHandshakeAfterMkd).await;
    let found = tempfile::tempdir().unwrap();
    let mut cfg = fuzz_over_tls(&server, 150);
    cfg.findings = Some(found.path().to_owned());
    let report = fuzzer::fuzz(cfg, |_| {}).await.expect("the run starts");
    let p = &report.progress;
    assert_eq!(p.sessions, 150, "{p:?}");
    assert_eq!(p.harness_errors, 0, "{p:?} {:#?}", report.findings);
    let at_login: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.oracle == Check::Tls.as_str() && f.verb == "AUTH")
        .collect();
    assert_eq!(at_login.len(), 1, "{:#?}", report.findings);
    let f = at_login[0];
    assert!(f.detail.starts_with("234, then"), "{f:#?}");
    assert_eq!(f.actions.0, 0, "nothing of the session is to blame: {f:#?}");
    // Its scenario, replayed by the runner against the same server, fails
    // in the case's set-up (`runner/case/security.rs`).
    assert!(f.file.is_some(), "{f:#?}");
    let r = support::suite::run_dir(&server, found.path(), &[]).await;
    let replayed: Vec<_> = r
        .cases
        .iter()
        .map(|c| (&c.id, c.verdict, &c.message))
        .collect();
    assert_eq!(replayed.len(), 1, "{replayed:#?}");
    assert_eq!(replayed[0].1, Verdict::Fail, "{replayed:#?}");

    let every = ScriptedServer::start_tls(Fault::TlsNoHandshake).await;
    match fuzzer::fuzz(fuzz_over_tls(&every, 5), |_| {}).await {
        Err(FuzzError::TlsBreach(d)) => assert!(d.starts_with("234, then"), "{d}"),
        other => panic!("{:?}", other.map(|r| r.progress)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_choosing_tls_1_0_is_warned_about() {
    // RFC 8996 deprecates TLS 1.0 and 1.1; RFC 4217 leaves the version to
    // policy, so a server that picks TLS 1.0 is a warning, not a failure.
    let c = flips(
        Fault::TlsLegacyAccepted,
        "rfc4217.legacy-versions",
        Verdict::Warn,
    )
    .await;
    assert!(
        c.findings
            .iter()
            .any(|f| f.check == Check::Tls && f.received.contains("ServerHello choosing TLS 1.0")),
        "{c:#?}"
    );
}

/// Use up the running task's cooperative budget without yielding: tokio
/// then answers the task's next I/O with `Pending`, as it does in a task
/// that has just moved a large transfer in many reads or writes. How many
/// receives it took (fewer than were queued: the budget ran out).
async fn spend_the_budget() -> usize {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..10_000 {
        tx.send(i).unwrap();
    }
    std::future::poll_fn(|cx| {
        let mut n = 0;
        while rx.poll_recv(cx).is_ready() {
            n += 1;
        }
        std::task::Poll::Ready(n)
    })
    .await
}

/// tokio-rustls takes a write into the TLS session and calls it written
/// when the socket is not ready to take the record (here: the task's
/// budget is spent, as after a large upload); only a flush sends it. A
/// command left there never reaches the server, and a case would fail on
/// "no reply" from a server that did nothing wrong
/// (`rfc959.quit-during-transfer[*-tls]` failed so now and then in CI,
/// where the scripted server had the same fault with its 226).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_sent_on_a_spent_budget_still_reaches_the_server() {
    use ftpspec_harness::driver::{Control, Limits, TlsClient, Transcript};
    let server = ScriptedServer::start_tls(Fault::None).await;
    let mut target = Target::parse(&server.url()).unwrap();
    target.trust = Trust {
        ca: Some(server.tls.as_ref().unwrap().ca.clone()),
        insecure: false,
    };
    let tls = TlsClient::for_target(&target).unwrap();
    let mut t = Transcript::default();
    let limits = Limits {
        step_timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let mut c = Control::open(server.addr, limits, tls.as_ref(), false, &mut t)
        .await
        .unwrap();
    assert_eq!(c.read_reply(&mut t).await.unwrap().value.code().get(), 220);
    assert_eq!(c.ask("AUTH TLS", &mut t).await.unwrap().code().get(), 234);
    c.start_tls(&mut t).await.unwrap();
    for _ in 0..3 {
        let spent = spend_the_budget().await;
        assert!(spent < 10_000, "tokio limited no receive: {spent}");
        c.send(b"NOOP\r\n", &mut t).await.unwrap();
        let reply = c.read_reply(&mut t).await;
        assert!(reply.is_ok(), "NOOP after {spent} receives: {reply:?}");
    }
}
