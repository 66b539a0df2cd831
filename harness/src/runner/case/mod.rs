//! Running one case: connect, greeting, login, scratch directory, the
//! scenario's steps, goodbye.
//!
//! | file | holds |
//! |------|-------|
//! | `conversation/` | the control connection: the reply queue and the built-in checks on every reply (`mod.rs`), the overdue-reply probe (`overdue.rs`), login-delay timing (`timing.rs`), greeting, login, close and QUIT (`edges.rs`) |
//! | `steps.rs` | the step interpreter: `send`, `expect …`, `data …`, and how a failed step is cited |
//! | `data.rs` | data connections: set-up in the case's mode, bounce targets, negative checks, uploads |
//! | `download.rs` | downloads, checked as they stream |
//! | `security.rs` | what accepted AUTH, PROT, CCC and REIN do to the connection |
//! | `legacy.rs` | `tls legacy-refused`: TLS 1.0 and 1.1 must not be negotiated |

mod conversation;
mod data;
mod download;
mod legacy;
mod security;
mod steps;

use crate::driver::{Control, Direction, DriverError, Limits, TlsClient, Transcript};
use crate::scenario::{Mode, Scenario};
use crate::target::{Security, Target};
use crate::verdict::{Finding, Verdict};
use conversation::Conversation;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use steps::Exec;

/// Why a case stopped early.
#[derive(Debug)]
pub(crate) struct Stop {
    pub verdict: Verdict,
    pub message: String,
    /// The set-up's AUTH TLS met a server that took no part in the
    /// handshake: worth one more connection (libunftp 0.24 now and then
    /// reads the ClientHello as a command, a race of its own), and judged
    /// only by `rfc4217.auth-tls`.
    pub retry_setup: bool,
}

impl Stop {
    fn new(verdict: Verdict, message: impl Into<String>) -> Stop {
        Stop {
            verdict,
            message: message.into(),
            retry_setup: false,
        }
    }

    /// A driver error the case cannot go on after: harness trouble (the
    /// conversation judges the errors that are the server's doing).
    fn driver(e: DriverError) -> Stop {
        Stop::new(Verdict::Error, e.to_string())
    }
}

/// What a case produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub verdict: Verdict,
    pub message: String,
    pub findings: Vec<Finding>,
    pub transcript: Transcript,
    /// How the case ran, where the report should say (see [`crate::events::CaseResult::notes`]).
    pub notes: Vec<String>,
}

/// What a case runs against.
pub(crate) struct CaseSpec<'a> {
    pub scenario: &'a Scenario,
    pub mode: Option<Mode>,
    pub addr: SocketAddr,
    pub target: &'a Target,
    /// The run's TLS client, for a TLS target.
    pub tls: Option<&'a TlsClient>,
    pub limits: Limits,
    pub dir: Option<String>,
}

/// Greeting, AUTH TLS (`ftpes://`), login, the URL's directory, the
/// scratch directory and, in a `-tls` mode, PBSZ 0 and PROT P, before the
/// scenario's steps: the harness's own exchanges, read but not judged (the
/// greeting has its own case; the scenarios that test login, CWD, MKD and
/// the TLS commands judge those). The greeting is read here unless the
/// scenario's first step judges it.
async fn setup(spec: &CaseSpec<'_>, conv: &mut Conversation) -> Result<(), Stop> {
    conv.judging = false;
    let done = setup_steps(spec, conv).await;
    conv.judging = true;
    done
}

async fn setup_steps(spec: &CaseSpec<'_>, conv: &mut Conversation) -> Result<(), Stop> {
    if spec.scenario.judges_greeting() {
        return Ok(());
    }
    let greeting = conv.greeting(false).await?;
    let shown = || {
        greeting
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(" then ")
    };
    match greeting.last().map(|r| r.code().get()) {
        Some(220) => {}
        Some(421) => {
            return Err(Stop::new(
                Verdict::Error,
                format!("the server is not available: {}", shown()),
            ));
        }
        _ => {
            let replies: Vec<&crate::codec::Reply> = greeting.iter().collect();
            let breach = crate::oracle::codes::greeting(&replies);
            let verdict = match &breach {
                Some(v) => {
                    conv.find(v, None);
                    Verdict::Fail
                }
                None => Verdict::Skip,
            };
            return Err(Stop::new(
                verdict,
                format!("the greeting {} opens no session", shown()),
            ));
        }
    }
    if spec.target.security == Security::Explicit && spec.scenario.tls_setup {
        expect_set_up(conv, "AUTH TLS", 234).await?;
    }
    if !spec.scenario.login {
        return Ok(());
    }
    let target = spec.target;
    let login = conv.login(target.login_name(), &target.pass).await?;
    if !login.logged_in {
        return Err(Stop::new(
            Verdict::Error,
            format!(
                "login as {} failed: {}",
                target.login_name(),
                login.last().map(|r| r.to_string()).unwrap_or_default()
            ),
        ));
    }
    if let Some(path) = &target.path {
        conv.send_text(&format!("CWD {path}"), None).await?;
        let r = conv.reply(false, None).await?.reply;
        if !r.code().is_completion() {
            return Err(Stop::new(
                Verdict::Error,
                format!("could not enter the URL's directory {path}: {r}"),
            ));
        }
    }
    if let Some(dir) = &spec.dir {
        conv.send_text(&format!("MKD {dir}"), None).await?;
        let r = conv.reply(false, None).await?.reply;
        if !r.code().is_completion() {
            return Err(Stop::new(
                Verdict::Error,
                format!("could not create the scratch directory {dir}: {r}"),
            ));
        }
    }
    if spec.mode.is_some_and(|m| m.tls) {
        // RFC 4217 §9: "the PBSZ command MUST still be issued, but must
        // have a parameter of '0'", before PROT.
        expect_set_up(conv, "PBSZ 0", 200).await?;
        expect_set_up(conv, "PROT P", 200).await?;
    }
    Ok(())
}

/// A set-up command that must get `want` for the case to run at all: the
/// probe found it does, so anything else now is an error of the run.
async fn expect_set_up(conv: &mut Conversation, line: &str, want: u16) -> Result<(), Stop> {
    conv.send_text(line, None).await?;
    let r = conv.reply(false, None).await?.reply;
    if r.code().get() != want {
        return Err(Stop::new(
            Verdict::Error,
            format!("set-up: {line} got {r} (the probe saw {want})"),
        ));
    }
    Ok(())
}

/// The variables every case starts with.
fn variables(spec: &CaseSpec<'_>) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    vars.insert("user".to_owned(), spec.target.login_name().to_owned());
    vars.insert("pass".to_owned(), spec.target.pass.clone());
    vars.insert("host".to_owned(), spec.addr.ip().to_string());
    // RFC 2428 §2's address family number of the control connection, for
    // an EPRT of the right family: 1 for IPv4, 2 for IPv6.
    let af = if spec.addr.is_ipv4() { "1" } else { "2" };
    vars.insert("af".to_owned(), af.to_owned());
    vars.insert(
        "dir".to_owned(),
        spec.dir.clone().unwrap_or_else(|| ".".into()),
    );
    vars
}

/// Run one case: connect, set up, run the steps, say goodbye.
pub(crate) async fn run_case(spec: &CaseSpec<'_>) -> Outcome {
    let mut t = Transcript::default();
    let mut attempt = 0;
    let (mut conv, mut stop) = loop {
        t.push(Direction::Note, format!("connecting to {}", spec.addr));
        let implicit = spec.target.security == Security::Implicit;
        let control = match Control::open(spec.addr, spec.limits, spec.tls, implicit, &mut t).await
        {
            Ok(c) => c,
            Err(e) => {
                t.push(Direction::Note, e.to_string());
                return Outcome {
                    verdict: Verdict::Error,
                    message: format!("cannot connect to {}: {e}", spec.addr),
                    findings: Vec::new(),
                    transcript: t,
                    notes: Vec::new(),
                };
            }
        };
        let mut conv = Conversation::new(control, spec.limits, t);
        match setup(spec, &mut conv).await {
            Err(s) if s.retry_setup && attempt == 0 => {
                attempt += 1;
                conv.quit().await;
                t = std::mem::take(&mut conv.t);
                let note = format!(
                    "set-up: {}; trying once more on a new connection",
                    s.message
                );
                t.push(Direction::Note, note.clone());
                continue;
            }
            result => break (conv, result.err()),
        }
    };
    if attempt > 0 {
        conv.notes
            .push("the set-up's AUTH TLS failed once (the server took no part in the TLS its 234 started); the case ran on a second connection".into());
    }
    let mut exec = Exec::new(spec, conv, variables(spec));
    if stop.is_none() {
        for step in &spec.scenario.steps {
            if let Err(s) = exec.step(step).await {
                stop = Some(s);
                break;
            }
        }
    }
    let mut conv = exec.into_conversation();
    if stop.is_none() {
        conv.check_leftover();
    }
    conv.quit().await;
    let worst = conv
        .findings
        .iter()
        .fold(Verdict::Pass, |v, f| v.worst(f.verdict));
    let said = |v: Verdict| {
        conv.findings
            .iter()
            .find(|f| f.verdict == v)
            .map(|f| {
                format!(
                    "{}: expected {}, received {}",
                    f.check, f.acceptable, f.received
                )
            })
            .unwrap_or_default()
    };
    let (verdict, message) = match stop {
        // The harness's trouble after the server broke a MUST: the fail
        // is the verdict, and the message says both.
        Some(s) if s.verdict == Verdict::Error && worst == Verdict::Fail => (
            Verdict::Fail,
            format!("{}; then {}", said(worst), s.message),
        ),
        Some(s) => (s.verdict.worst(worst), s.message),
        None => (worst, said(worst)),
    };
    Outcome {
        verdict,
        message,
        findings: conv.findings,
        transcript: conv.t,
        notes: conv.notes,
    }
}
