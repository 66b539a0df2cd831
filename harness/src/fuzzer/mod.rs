//! The live stateful fuzzer behind `ftpspec fuzz`: sessions generated and
//! mutated on [`arbitrary`], run against a server on fresh connections,
//! judged by oracles, steered by reply-code state feedback, and turned into
//! minimised scenario files that reproduce what was found.
//!
//! | file | holds |
//! |------|-------|
//! | `session.rs` | [`Session`] and [`Action`]: what a fuzz session does after login |
//! | `rng.rs` | the seeded byte source (a fixed `--seed` replays a run with one job) |
//! | `generate.rs` | structure-aware generation: verbs, shaped arguments, malformed lines |
//! | `mutate.rs` | mutation of corpus sessions |
//! | `safety.rs` | PORT/EPRT always name loopback of the control connection's family |
//! | `execute.rs` | running one session through the driver, per-reply oracles |
//! | `oracles.rs` | [`Oracle`], [`Hit`] and the per-reply checks |
//! | `feedback.rs` | state coverage (reply-code transitions) and the corpus |
//! | `minimise.rs` | delta debugging of a session that makes an oracle fire |
//! | `findings.rs` | findings written as runnable scenario files |
//! | `monitor.rs` | `--target-cmd`: start, watch and restart the server process |

mod execute;
mod feedback;
mod findings;
mod generate;
mod minimise;
mod monitor;
mod mutate;
mod oracles;
mod rng;
mod safety;
mod session;

pub use execute::{End, ExecConfig, Execution, Liveness, execute, liveness};
pub use feedback::{Corpus, Coverage};
pub use findings::{Finding, file_name, scenario};
pub use generate::{Generator, Shape};
pub use minimise::minimise;
pub use monitor::{Monitor, MonitorError};
pub use oracles::{Hit, Oracle};
pub use rng::Rng;
pub use safety::make_safe;
pub use session::{Action, DataKind, Session};

use crate::driver::{Direction, Limits};
use crate::target::Target;
use arbitrary::Unstructured;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// How a fuzz run is configured.
#[derive(Clone, Debug)]
pub struct FuzzConfig {
    /// The server (its first address is used).
    pub target: Target,
    /// Seed of the session generator.
    pub seed: u64,
    /// Sessions at once. With one, a seed replays the same sessions.
    pub jobs: usize,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after this many sessions.
    pub sessions: Option<u64>,
    /// Where findings are written (nothing written without).
    pub findings: Option<PathBuf>,
    /// Shell command that starts the server; restarted after a crash.
    pub target_cmd: Option<String>,
    /// Most restarts of `target_cmd`.
    pub max_restarts: usize,
    /// Reply timeout (the hang threshold) and size bounds.
    pub limits: Limits,
    /// Session shape.
    pub shape: Shape,
    /// Most re-runs spent minimising one finding.
    pub minimise_budget: usize,
    /// Stop once this many findings are recorded.
    pub max_findings: Option<usize>,
    /// Longest time spent minimising one finding.
    pub minimise_time: Duration,
}

impl FuzzConfig {
    /// Defaults for `target`: one job, 60 seconds, reply timeout 5 s (longer than the deliberate delay servers put on a failed login: pyftpdlib waits 3 s).
    pub fn new(target: Target) -> FuzzConfig {
        FuzzConfig {
            target,
            seed: 0,
            jobs: 1,
            duration: Some(Duration::from_secs(60)),
            sessions: None,
            findings: None,
            target_cmd: None,
            max_restarts: 100,
            limits: Limits {
                step_timeout: Duration::from_secs(5),
                max_transfer: 1 << 20,
                ..Limits::default()
            },
            shape: Shape::default(),
            minimise_budget: 60,
            max_findings: None,
            minimise_time: Duration::from_secs(10),
        }
    }
}

/// Counters, as shown while a run goes on.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Progress {
    /// Sessions run (minimisation re-runs not included).
    pub sessions: u64,
    /// Commands (and raw writes) sent after login in those sessions.
    pub commands: u64,
    /// Seconds since the start.
    pub elapsed_secs: f64,
    /// Corpus entries.
    pub corpus: usize,
    /// Distinct (code, command, code) transitions.
    pub transitions: usize,
    /// Distinct reply codes.
    pub codes: usize,
    /// Findings so far (deduplicated).
    pub findings: usize,
    /// Harness-side trouble: connections refused or logins failing while
    /// the server was up, a finding that did not reproduce.
    pub harness_errors: u64,
    /// Sessions whose oracle hit did not reproduce on a re-run.
    pub flaky: u64,
    /// Restarts of `--target-cmd`.
    pub restarts: usize,
    /// Sessions disturbed by a restart of the server (another job crashed
    /// it): neither findings nor errors are taken from them.
    pub collateral: u64,
    /// The first few harness errors, to say what they were.
    pub error_messages: Vec<String>,
}

impl Progress {
    /// Sessions per second.
    pub fn rate(&self) -> f64 {
        if self.elapsed_secs > 0.0 {
            self.sessions as f64 / self.elapsed_secs
        } else {
            0.0
        }
    }
}

/// A finding as reported.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FindingOut {
    /// Oracle name.
    pub oracle: &'static str,
    /// Command.
    pub verb: String,
    /// What was seen.
    pub detail: String,
    /// Sessions run when it was found.
    pub after_sessions: u64,
    /// Seconds into the run.
    pub after_secs: f64,
    /// Actions in the minimised session (and before minimisation).
    pub actions: (usize, usize),
    /// The scenario file written, if any.
    pub file: Option<PathBuf>,
    /// The scenario text.
    #[serde(skip)]
    pub scenario: String,
}

/// The result of a run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FuzzReport {
    /// Final counters.
    pub progress: Progress,
    /// Findings in the order found.
    pub findings: Vec<FindingOut>,
    /// Why the run stopped before its bound, if it did.
    pub stopped: Option<String>,
}

/// Why a run could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    /// The target has no address.
    #[error("the target has no address")]
    NoAddress,
    /// `--target-cmd` failed.
    #[error(transparent)]
    Monitor(#[from] MonitorError),
    /// Nothing answers at the target.
    #[error("target unreachable: {0}")]
    Unreachable(String),
    /// The login the URL names is refused: sessions would test nothing.
    #[error("login refused: {0}")]
    Login(String),
    /// Neither a duration nor a session count: runs must be bounded.
    #[error("a fuzz run needs a bound: a duration or a session count")]
    Unbounded,
}

/// Re-runs spent on verification and minimisation (for FTPSPEC_FUZZ_DEBUG).
static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

struct State {
    coverage: Coverage,
    corpus: Corpus,
    progress: Progress,
    /// Keys already reported or being minimised.
    claimed: HashSet<(Oracle, String)>,
    findings: Vec<FindingOut>,
    stopped: Option<String>,
}

struct Shared {
    cfg: FuzzConfig,
    exec: ExecConfig,
    state: Mutex<State>,
    /// Sessions hold it shared; re-running and minimising a finding (which
    /// may restart the server) hold it alone.
    gate: RwLock<()>,
    monitor: tokio::sync::Mutex<Option<Monitor>>,
    started: Instant,
    /// Restarts so far. A session during which the server was restarted
    /// (another job crashed it) saw resets that are nobody's finding.
    epoch: std::sync::atomic::AtomicU64,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock means a worker panicked; the counters are still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn done(&self) -> bool {
        let s = self.state();
        s.stopped.is_some()
            || self.cfg.max_findings.is_some_and(|n| s.findings.len() >= n)
            || self.cfg.sessions.is_some_and(|n| s.progress.sessions >= n)
            || self
                .cfg
                .duration
                .is_some_and(|d| self.started.elapsed() >= d)
    }

    /// Whether a session that started at restart `epoch` was disturbed by
    /// a crash another job caused (it did not see the server down itself).
    async fn disturbed(&self, epoch: u64, down: bool) -> bool {
        if epoch != self.epoch.load(std::sync::atomic::Ordering::SeqCst) {
            return true;
        }
        self.cfg.jobs > 1
            && !down
            && self
                .monitor
                .lock()
                .await
                .as_mut()
                .is_some_and(|m| m.exited().is_some())
    }

    fn harness_error(&self, what: String) {
        let mut s = self.state();
        s.progress.harness_errors += 1;
        if s.progress.error_messages.len() < 10 {
            s.progress.error_messages.push(what);
        }
    }

    fn snapshot(&self) -> Progress {
        let s = self.state();
        let mut p = s.progress.clone();
        p.elapsed_secs = self.started.elapsed().as_secs_f64();
        p.corpus = s.corpus.len();
        p.transitions = s.coverage.transitions();
        p.codes = s.coverage.codes();
        p.findings = s.findings.len();
        p
    }

    /// Whether the server is down, and why (the monitor's word first).
    async fn down(&self) -> Option<String> {
        if let Some(m) = self.monitor.lock().await.as_mut() {
            if let Some(status) = m.exited() {
                return Some(format!("the target process exited ({status})"));
            }
        }
        match liveness(self.exec.addr, self.exec.limits).await {
            Liveness::Up => None,
            Liveness::Refused(e) => Some(format!("a new connection is refused ({e})")),
            Liveness::Mute(e) => Some(format!("a new connection gets no greeting ({e})")),
        }
    }

    /// Bring the server back if it is down. False if it cannot be.
    async fn ensure_up(&self) -> bool {
        if self.down().await.is_none() {
            return true;
        }
        let mut m = self.monitor.lock().await;
        match m.as_mut() {
            Some(m) => match m.restart().await {
                Ok(()) => {
                    self.state().progress.restarts = m.restarts;
                    self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    true
                }
                Err(e) => {
                    self.state().stopped = Some(e.to_string());
                    false
                }
            },
            None => false,
        }
    }

    /// Oracle hits of one execution: the per-reply ones, plus crash, hang
    /// and closed-without-reply judged by a liveness probe.
    async fn judge(&self, exec: &Execution) -> (Vec<Hit>, bool) {
        let mut hits = exec.hits.clone();
        let verb_at = |i: usize| exec.path_verb(i);
        let probe = match &exec.end {
            End::Closed { action, .. } | End::Silent(action) | End::HungUp(action) => Some(*action),
            End::Malformed(action) | End::ServerEnded(action) => Some(*action),
            // A normal end costs no probe; only the monitor is asked.
            End::Done => {
                let exited = match self.monitor.lock().await.as_mut() {
                    Some(m) => m.exited().is_some(),
                    None => false,
                };
                exited.then_some(usize::MAX)
            }
            _ => None,
        };
        let Some(action) = probe else {
            return (hits, false);
        };
        let down = self.down().await;
        let action_ix = if action == usize::MAX {
            exec.replies.len().saturating_sub(1)
        } else {
            action
        };
        let verb = verb_at(action_ix);
        match (down, &exec.end) {
            (Some(why), _) => {
                hits.push(Hit {
                    oracle: Oracle::Crash,
                    verb,
                    action: action_ix,
                    detail: format!("after {}: {why}", exec.sent(action_ix)),
                });
                (hits, true)
            }
            (None, End::Silent(_)) => {
                hits.push(Hit {
                    oracle: Oracle::Hang,
                    verb,
                    action: action_ix,
                    detail: format!(
                        "no reply to {} within {:?} (a new connection is still greeted)",
                        exec.sent(action_ix),
                        self.exec.limits.step_timeout
                    ),
                });
                (hits, false)
            }
            (None, End::Closed { clean: true, .. }) => {
                hits.push(Hit {
                    oracle: Oracle::Closed,
                    verb,
                    action: action_ix,
                    detail: format!(
                        "the connection was closed without a reply to {}",
                        exec.sent(action_ix)
                    ),
                });
                (hits, false)
            }
            _ => (hits, false),
        }
    }
}

impl Execution {
    /// The verb of action `i`, from the transcript-free record.
    fn path_verb(&self, i: usize) -> String {
        self.verbs.get(i).cloned().unwrap_or_default()
    }

    /// The bytes of action `i`, quoted.
    fn sent(&self, i: usize) -> String {
        self.shown
            .get(i)
            .cloned()
            .unwrap_or_else(|| "the last command".into())
    }
}

async fn run_session(shared: &Shared, session: &Session) -> (Execution, Vec<Hit>, bool) {
    let exec = {
        let _g = shared.gate.read().await;
        execute(session, &shared.exec).await
    };
    let (hits, down) = shared.judge(&exec).await;
    (exec, hits, down)
}

/// Re-run `session` on a healthy server; the action index if a hit
/// `wanted` accepts fires.
async fn reproduces(
    shared: &Shared,
    session: &Session,
    wanted: &(impl Fn(&Hit, &Session) -> bool + ?Sized),
    transcript: bool,
) -> Option<(Hit, Execution)> {
    if !shared.ensure_up().await {
        return None;
    }
    let mut cfg = shared.exec.clone();
    cfg.transcript = transcript;
    RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let exec = execute(session, &cfg).await;
    let (hits, _) = shared.judge(&exec).await;
    let hit = hits.into_iter().find(|h| wanted(h, session))?;
    Some((hit, exec))
}

fn noop() -> Action {
    Action::Command {
        verb: "NOOP".into(),
        arg: None,
    }
}

/// Verify, minimise and write one finding. Holds the gate alone.
async fn report(shared: &Shared, session: Session, hit: Hit, found_at: (u64, f64)) {
    let _g = shared.gate.write().await;
    let t0 = Instant::now();
    let runs_before = RUNS.load(std::sync::atomic::Ordering::Relaxed);
    let (mut session, mut hit) = (session, hit);
    let original_actions = session.actions.len();
    let restartable = shared.monitor.lock().await.is_some();
    let server_was_down = shared.down().await.is_some();
    // Without a way to restart it, a server that crashed cannot be asked again.
    let can_rerun = restartable || !server_was_down;
    // A connection closed (or a server gone) at command N may be the doing
    // of command N-1, after its reply: if a NOOP in N's place fares the
    // same, the finding is about N-1 (deduplicated as such).
    let mut after_reply = false;
    let mut note = String::new();
    if can_rerun
        && matches!(hit.oracle, Oracle::Closed | Oracle::Crash)
        && hit.action > 0
        && hit.action < session.actions.len()
        && session.actions[hit.action] != noop()
    {
        let mut probe = session.clone();
        probe.actions.truncate(hit.action);
        probe.actions.push(noop());
        let (oracle, at) = (hit.oracle, hit.action);
        let same = move |h: &Hit, _: &Session| h.oracle == oracle && h.action == at;
        if reproduces(shared, &probe, &same, false).await.is_some() {
            let prev = session.actions[at - 1].verb();
            let mut st = shared.state();
            st.claimed.remove(&hit.key());
            if !st.claimed.insert((oracle, prev.clone())) {
                return;
            }
            drop(st);
            note = format!(
                " (a NOOP in its place fares no better: the cause is the command before, {})",
                session.actions[at - 1]
            );
            hit = Hit {
                oracle,
                verb: prev,
                action: at,
                detail: format!("{}{note}", hit.detail),
            };
            session = probe;
            after_reply = true;
        }
    }
    let key = hit.key();
    let wanted = move |h: &Hit, s: &Session| {
        h.oracle == key.0
            && if after_reply {
                h.action > 0
                    && s.actions.get(h.action) == Some(&noop())
                    && s.actions[h.action - 1].verb() == key.1
            } else {
                h.verb == key.1
            }
    };
    let verified = if can_rerun {
        reproduces(shared, &session, &wanted, false).await
    } else {
        None
    };
    let (min, last) = match verified {
        Some((h, _)) => {
            let budget = shared.cfg.minimise_budget;
            let wanted = &wanted;
            let min = minimise(&session, h.action, budget, |c| async move {
                reproduces(shared, &c, wanted, false)
                    .await
                    .map(|(h, _)| h.action)
            })
            .await;
            // Once more with a transcript, for the file; the hit's detail
            // then names the minimised command.
            match reproduces(shared, &min, wanted, true).await {
                Some((h, e)) => {
                    hit.detail = format!("{}{note}", h.detail);
                    hit.action = h.action;
                    (min, Some(e))
                }
                None => (min, None),
            }
        }
        None if can_rerun => {
            let mut st = shared.state();
            st.progress.flaky += 1;
            st.claimed.remove(&hit.key());
            return;
        }
        None => (session.clone(), None),
    };
    let hit_final = hit.clone();
    let (replies, transcript) = match &last {
        Some(e) => (
            e.replies.clone(),
            e.transcript
                .entries()
                .iter()
                .map(|en| {
                    let d = match en.dir {
                        Direction::Client => ">",
                        Direction::Server => "<",
                        _ => "#",
                    };
                    format!("{d} {}", en.text)
                })
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let f = Finding {
        hit: hit_final.clone(),
        session: min.clone(),
        replies,
        original_actions,
        after_sessions: found_at.0,
        after_secs: found_at.1,
        transcript,
    };
    let file = match shared
        .cfg
        .findings
        .as_ref()
        .map(|dir| findings::write(dir, &f))
    {
        Some(Ok(path)) => Some(path),
        Some(Err(e)) => {
            shared.harness_error(format!(
                "cannot write the finding {}: {e}",
                findings::file_name(&hit)
            ));
            None
        }
        None => None,
    };
    let out = FindingOut {
        oracle: hit.oracle.as_str(),
        verb: hit.verb.clone(),
        detail: hit.detail.clone(),
        after_sessions: found_at.0,
        after_secs: found_at.1,
        actions: (min.actions.len(), original_actions),
        file,
        scenario: findings::text(&f),
    };
    shared.state().findings.push(out);
    if std::env::var_os("FTPSPEC_FUZZ_DEBUG").is_some() {
        eprintln!(
            "\nREPORT {:?} {} runs: {} {}",
            t0.elapsed(),
            RUNS.load(std::sync::atomic::Ordering::Relaxed) - runs_before,
            hit.oracle,
            hit.verb
        );
    }
    if !shared.ensure_up().await {
        let mut s = shared.state();
        if s.stopped.is_none() {
            s.stopped =
                Some("the target is down and there is no --target-cmd to restart it".to_owned());
        }
    }
}

async fn worker(shared: Arc<Shared>, index: u64) {
    let mut rng = Rng::new(shared.cfg.seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let g = Generator::new(shared.cfg.shape).with_login(&shared.exec.user, &shared.exec.pass);
    let mut previous: Option<Session> = None;
    while !shared.done() {
        let data = rng.bytes(4096);
        let mut u = Unstructured::new(&data);
        let session = {
            let s = shared.state();
            let favoured = s.corpus.favoured();
            let fresh = s.corpus.is_empty() || rng.below(5) == 0;
            let made = if fresh {
                g.session(&mut u, &favoured)
            } else {
                let a = s
                    .corpus
                    .pick(rng.next_u64())
                    .map(|e| e.session.clone())
                    .unwrap_or_default();
                let b = s.corpus.pick(rng.next_u64()).map(|e| e.session.clone());
                mutate::mutate(
                    &g,
                    &mut u,
                    &a,
                    b.as_ref(),
                    &favoured,
                    shared.cfg.shape.max_actions * 2,
                )
            };
            made.unwrap_or_else(|_| Session {
                actions: vec![Action::Command {
                    verb: "NOOP".into(),
                    arg: None,
                }],
            })
        };
        let t0 = Instant::now();
        let epoch = shared.epoch.load(std::sync::atomic::Ordering::SeqCst);
        let (exec, mut hits, down) = run_session(&shared, &session).await;
        // With several jobs, a crash caused by one session resets the
        // others: what they saw is collateral, not a finding or an error.
        let mut collateral = shared.disturbed(epoch, down).await;
        if !collateral
            && shared.cfg.jobs > 1
            && matches!(
                exec.end,
                End::Refused(_) | End::NoGreeting(_) | End::LoginFailed(_)
            )
        {
            // Another job's crash may be under way (the process dying, not
            // yet reaped or restarted): look again after a pause, and
            // count an error only if a plain login still fails.
            tokio::time::sleep(Duration::from_millis(50)).await;
            collateral = shared.disturbed(epoch, down).await
                || !matches!(
                    execute(&Session::default(), &shared.exec).await.end,
                    End::Refused(_) | End::NoGreeting(_) | End::LoginFailed(_)
                );
        }
        if collateral {
            hits.clear();
            shared.state().progress.collateral += 1;
        }
        // FTPSPEC_FUZZ_DEBUG=<ms> names the sessions slower than that: what eats
        // the throughput against a given server.
        let slow_ms = std::env::var("FTPSPEC_FUZZ_DEBUG")
            .ok()
            .and_then(|v| v.parse::<u64>().ok());
        if slow_ms.is_some_and(|ms| t0.elapsed() > Duration::from_millis(ms)) {
            eprintln!(
                "\nSLOW {:?} {:?}: {}",
                t0.elapsed(),
                exec.end,
                exec.shown.join(" | ").chars().take(600).collect::<String>()
            );
        }
        let found_at = {
            let mut s = shared.state();
            s.progress.sessions += 1;
            s.progress.commands += exec.sent as u64;
            let new_verbs = feedback::new_verbs(&s.coverage, &exec.path);
            let new = s.coverage.add(&exec.path);
            if new > 0 {
                s.corpus.add(session.clone(), new, new_verbs);
            }
            (s.progress.sessions, shared.started.elapsed().as_secs_f64())
        };
        match &exec.end {
            _ if collateral => {}
            End::Refused(e) | End::NoGreeting(e) if !down => {
                // The server is gone: the session before this one did it.
                if let (Some(why), Some(prev)) = (shared.down().await, previous.clone()) {
                    let hit = Hit {
                        oracle: Oracle::Crash,
                        verb: prev.actions.last().map(Action::verb).unwrap_or_default(),
                        action: prev.actions.len().saturating_sub(1),
                        detail: format!("after the session ended: {why}"),
                    };
                    if shared.state().claimed.insert(hit.key()) {
                        report(&shared, prev, hit, found_at).await;
                    }
                } else if shared.down().await.is_none() {
                    shared.harness_error(format!("session {}: {e}", found_at.0));
                } else if !shared.ensure_up().await {
                    let mut s = shared.state();
                    s.stopped
                        .get_or_insert_with(|| format!("target unreachable: {e}"));
                }
            }
            End::LoginFailed(e) => {
                shared.harness_error(format!("session {}: login refused: {e}", found_at.0))
            }
            _ => {}
        }
        for hit in hits {
            let fresh = shared.state().claimed.insert(hit.key());
            if fresh {
                report(&shared, session.clone(), hit, found_at).await;
            }
        }
        if down && !shared.ensure_up().await {
            let mut s = shared.state();
            s.stopped.get_or_insert_with(|| {
                "the target is down and there is no --target-cmd to restart it".into()
            });
        }
        previous = Some(session);
    }
}

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
        Some(cmd) => Some(Monitor::start(cmd, addr, cfg.max_restarts).await?),
        None => None,
    };
    let exec = ExecConfig {
        addr,
        user: cfg.target.login_name().to_owned(),
        pass: cfg.target.pass.clone(),
        limits: cfg.limits,
        settle: Duration::from_millis(30).min(cfg.limits.step_timeout),
        transcript: false,
    };
    // A first session that only logs in: fail fast on a wrong URL or login.
    let first = execute(&Session::default(), &exec).await;
    match first.end {
        End::Refused(e) | End::NoGreeting(e) => return Err(FuzzError::Unreachable(e)),
        End::LoginFailed(e) => return Err(FuzzError::Login(e)),
        _ => {}
    }
    let shared = Arc::new(Shared {
        cfg: cfg.clone(),
        exec,
        state: Mutex::new(State {
            coverage: Coverage::default(),
            corpus: Corpus::default(),
            progress: Progress::default(),
            claimed: HashSet::new(),
            findings: Vec::new(),
            stopped: None,
        }),
        gate: RwLock::new(()),
        monitor: tokio::sync::Mutex::new(monitor),
        started: Instant::now(),
        epoch: std::sync::atomic::AtomicU64::new(0),
    });
    let mut workers = Vec::new();
    for i in 0..cfg.jobs.max(1) as u64 {
        workers.push(tokio::spawn(worker(shared.clone(), i)));
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
    Ok(FuzzReport {
        progress,
        findings: s.findings.clone(),
        stopped: s.stopped.clone(),
    })
}
