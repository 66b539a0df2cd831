//! The live stateful fuzzer behind `ftpspec fuzz`: sessions generated and
//! mutated on [`arbitrary`], run against a server on fresh connections,
//! judged by the same checks as a conformance case ([`crate::oracle`]),
//! steered by reply-code state feedback, and turned into minimised
//! scenario files that reproduce what was found.
//!
//! | file | holds |
//! |------|-------|
//! | `config.rs` | [`FuzzConfig`], [`Progress`], [`FindingOut`], [`FuzzReport`], [`FuzzError`] |
//! | `session.rs` | [`Session`] and [`Action`]: what a fuzz session does after login |
//! | `rng.rs` | the seeded byte source (a fixed `--seed` replays a run with one job) |
//! | `generate.rs` | structure-aware generation: verbs, shaped arguments, malformed lines |
//! | `chains.rs` | stateful sequences: chains that build and consume state, with noise between |
//! | `tokens.rs` | the hostile token pool (`corpora/ftp.dict`) and values learnt from the server |
//! | `mutate.rs` | mutation of corpus sessions |
//! | `safety.rs` | PORT/EPRT always name loopback of the control connection's family |
//! | `execute/` | running one session through the driver, the per-reply checks as replies arrive (`mod.rs`); its config and outcome (`outcome.rs`), data connections (`data.rs`), TLS and PROT/CCC/REIN (`security.rs`) |
//! | `hit.rs` | [`Hit`]: a check firing on an action; which violations a fuzz run reports |
//! | `cause.rs` | what makes two hits one finding: the check and the server's behaviour, not the command |
//! | `shared.rs` | the state the workers share; crash, hang and close judged with a liveness probe |
//! | `worker.rs` | the worker loop: generate, run, feed back, hand hits to triage |
//! | `triage.rs` | verify, blame, minimise and write one finding |
//! | `step.rs` | a close seen out of step (replies late, lines merged) re-run in step for its key |
//! | `blame.rs` | a server found down that no session's judgement explains: the sessions ended last |
//! | `feedback.rs` | state coverage (reply-code transitions) and the corpus |
//! | `minimise.rs` | delta debugging of a session that makes a check fire |
//! | `findings.rs` | findings written as runnable scenario files |
//! | `monitor.rs` | `--target-cmd`: start, watch and restart the server process |

mod blame;
mod cause;
mod chains;
mod config;
mod execute;
mod feedback;
mod findings;
mod generate;
mod hit;
mod minimise;
mod monitor;
mod mutate;
mod rng;
mod safety;
mod session;
mod shared;
mod step;
mod tokens;
mod triage;
mod worker;

pub use config::{FindingOut, FuzzConfig, FuzzError, FuzzReport, Progress, Recycle};
pub use execute::{
    End, ExecConfig, Execution, Liveness, Spare, Spares, Took, execute, execute_with, liveness,
};
pub use feedback::{Corpus, TransitionSet};
pub use findings::{FindingFile, file_name, scenario};
pub use generate::{Generator, Shape};
pub use hit::{Hit, reportable};
pub use minimise::minimise;
pub use monitor::{Monitor, MonitorError, RestartLimits};
pub use rng::Rng;
pub use safety::make_safe;
pub use session::{Action, DataKind, Session};

use crate::driver::TlsClient;
use crate::target::Trust;
use shared::{Shared, State};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// Run the fuzzer. `on_progress` is called about four times a second.
pub async fn fuzz(
    cfg: FuzzConfig,
    mut on_progress: impl FnMut(&Progress),
) -> Result<FuzzReport, FuzzError> {
    if cfg.duration.is_none() && cfg.sessions.is_none() {
        return Err(FuzzError::Unbounded);
    }
    let addr = *cfg.target.addrs.first().ok_or(FuzzError::NoAddress)?;
    let monitor = match &cfg.target_cmd {
        Some(cmd) => Some(Monitor::start(cmd, addr, cfg.restarts).await?),
        None => None,
    };
    // A clear target still gets a TLS client, accepting any certificate:
    // the fuzzer sends AUTH TLS in clear sessions, and a 234 must be
    // followed by a handshake for the session to go on.
    let tls = match TlsClient::for_target(&cfg.target).map_err(FuzzError::Tls)? {
        Some(c) => c,
        None => TlsClient::new(
            &cfg.target.host,
            &Trust {
                ca: None,
                insecure: true,
            },
        )
        .map_err(FuzzError::Tls)?,
    };
    let exec = ExecConfig {
        addr,
        user: cfg.target.login_name().to_owned(),
        pass: cfg.target.pass.clone(),
        limits: cfg.limits,
        settle: cfg
            .settle
            .unwrap_or(Duration::from_millis(30))
            .min(cfg.limits.step_timeout),
        pace: cfg.settle.is_none().then(Arc::default),
        transcript: std::env::var_os("FTPSPEC_FUZZ_TRANSCRIPT").is_some(),
        tls: Some(tls),
        security: cfg.target.security,
        await_quit: false,
        spares: None,
    };
    // A first session that only logs in: fail fast on a wrong URL or login.
    // Up to three tries: a server may lose one TLS handshake to a race of
    // its own (libunftp 0.24 now and then reads the ClientHello as a
    // command), which is no reason not to fuzz it.
    let mut first = execute(&Session::default(), &exec).await;
    for _ in 0..2 {
        if !matches!(&first.end, End::LoginFailed(e) if e.starts_with("AUTH TLS")) {
            break;
        }
        first = execute(&Session::default(), &exec).await;
    }
    if let Some(h) = first.hits.iter().find(|h| h.at_login) {
        return Err(FuzzError::TlsBreach(h.detail().to_owned()));
    }
    match first.end {
        End::Refused(e) => return Err(FuzzError::Unreachable(e)),
        End::NoGreeting(e) => return Err(FuzzError::NoGreeting(e)),
        End::LoginFailed(e) => return Err(FuzzError::Login(e)),
        _ => {}
    }
    // Sessions open their successor's connection ahead on a server that
    // serves two at once.
    let exec = ExecConfig {
        spares: if cfg.connect_ahead {
            execute::Spares::for_server(&exec).await
        } else {
            None
        },
        ..exec
    };
    let shared = Arc::new(Shared {
        cfg: cfg.clone(),
        exec,
        state: Mutex::new(State {
            coverage: TransitionSet::default(),
            corpus: Corpus::default(),
            progress: Progress::default(),
            claimed: Default::default(),
            findings: Vec::new(),
            stopped: None,
            learnt: Default::default(),
            absorbed: Default::default(),
            names: Default::default(),
        }),
        gate: RwLock::new(()),
        monitor: tokio::sync::Mutex::new(monitor),
        started: Instant::now(),
        epoch: std::sync::atomic::AtomicU64::new(0),
        ended: Default::default(),
        explained: std::sync::atomic::AtomicU64::new(0),
    });
    let mut workers = Vec::new();
    for i in 0..cfg.jobs.max(1) as u64 {
        workers.push(tokio::spawn(worker::worker(shared.clone(), i)));
    }
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    while workers.iter().any(|w| !w.is_finished()) {
        tick.tick().await;
        on_progress(&shared.snapshot());
    }
    for w in workers {
        let _ = w.await;
    }
    if let Some(m) = shared.monitor.lock().await.as_mut() {
        m.stop();
    }
    let progress = shared.snapshot();
    on_progress(&progress);
    let s = shared.state();
    for f in &s.findings {
        if let (Some(path), true) = (&f.file, f.commands.len() > 1) {
            findings::note_commands(path, &f.commands);
        }
    }
    Ok(FuzzReport {
        progress,
        findings: s.findings.clone(),
        stopped: s.stopped.clone(),
    })
}
