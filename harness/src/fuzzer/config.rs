//! What a fuzz run is given and what it gives back: its configuration,
//! the counters shown while it runs, the findings and the final report.

use super::generate::Shape;
use super::monitor::{MonitorError, RestartLimits};
use crate::driver::Limits;
use crate::target::Target;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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
    /// How often `target_cmd` may be restarted, in all and in a row.
    pub restarts: RestartLimits,
    /// Reply timeout (the hang threshold) and size bounds.
    pub limits: Limits,
    /// Session shape.
    pub shape: Shape,
    /// Most re-runs spent minimising one finding.
    pub minimise_budget: usize,
    /// Stop once this many findings are recorded.
    pub max_findings: Option<usize>,
    /// Longest time spent minimising one finding (a hang's re-runs cost
    /// the reply timeout each); shrinking also stops once `duration` is
    /// spent.
    pub minimise_time: Duration,
    /// Connect for the next session while one runs, on a server that
    /// serves two connections at once (`execute/spare.rs`).
    pub connect_ahead: bool,
    /// How long to wait for a reply that may not come (after a malformed
    /// line, or a 1yz with no data connection). `None`: estimated from
    /// the server's answer times, 1 to 30 ms (see `execute/pace.rs`); a
    /// fixed wait makes a seeded run depend less on the machine's load.
    pub settle: Option<Duration>,
    /// For a server in this process (the embedded default): empties it,
    /// as a restart would, once more than half the process's descriptors
    /// are open ([`crate::descriptors::under_pressure`]).
    pub recycle: Option<Recycle>,
}

/// Empties a server that runs in ftpspec's own process of every
/// connection it holds ([`crate::embedded::Embedded::recycle`]): its
/// descriptors are ftpspec's.
#[derive(Clone)]
pub struct Recycle(pub Arc<dyn Fn() -> Result<(), String> + Send + Sync>);

impl std::fmt::Debug for Recycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recycle")
    }
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
            restarts: RestartLimits::default(),
            limits: Limits {
                step_timeout: Duration::from_secs(5),
                max_transfer: 1 << 20,
                ..Limits::default()
            },
            shape: Shape::default(),
            minimise_budget: 60,
            max_findings: None,
            minimise_time: Duration::from_secs(60),
            connect_ahead: true,
            settle: None,
            recycle: None,
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
    /// Sessions triage re-ran to verify, re-blame and minimise hits.
    pub reruns: u64,
    /// Hits triage took up (each costs re-runs).
    pub triaged: u64,
    /// Hits that triage had already traced to a known cause (the same
    /// close after the same command and reply), taken without a re-run.
    pub absorbed: u64,
    /// Sessions that logged in on a connection opened while the session
    /// before ran (the server serves two at once: [`super::execute::Spare`]).
    pub opened_ahead: u64,
    /// Restarts of `--target-cmd`.
    pub restarts: usize,
    /// Times the server in this process was emptied of the connections
    /// it held, its descriptors being ftpspec's ([`FuzzConfig::recycle`]).
    pub recycled: u64,
    /// Sessions disturbed by a restart of the server (another job crashed
    /// it): neither findings nor errors are taken from them.
    pub collateral: u64,
    /// The first few harness errors, to say what they were.
    pub error_messages: Vec<String>,
    /// Sessions whose connection was not greeted (silence, a reply other
    /// than 220, a line that is no reply) while a new connection a moment
    /// later was: a server shedding load (LightFTP at its 64 connections
    /// greets "MAXIMUM ALLOWED USERS CONNECTED", no reply code). Neither a
    /// finding (it depends on what else holds the server's connections,
    /// and would not reproduce alone) nor the harness's error.
    pub turned_away: u64,
    /// The first few of those, in the server's words.
    pub turned_away_messages: Vec<String>,
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
    /// What the server did, as findings are told apart (`cause.rs`).
    pub cause: String,
    /// Every command seen to trigger this cause (the minimised finding
    /// shows one).
    pub commands: Vec<String>,
    /// The deduplication key.
    #[serde(skip)]
    pub key: (crate::oracle::Check, String),
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
    /// The target accepts connections but gives them no 220 greeting.
    #[error("the target accepted the connection but did not greet it (220): {0}")]
    NoGreeting(String),
    /// The login the URL names is refused: sessions would test nothing.
    #[error("login refused: {0}")]
    Login(String),
    /// Every login's AUTH TLS got 234 and then no TLS: the server's
    /// breach (RFC 4217 §4.2), and no session can log in to fuzz it.
    #[error(
        "the server broke TLS at every login: AUTH TLS got {0} (RFC 4217 §4.2: \"the server \
         response to an 'AUTH TLS' command that it will honour\" is 234); `ftpspec run` \
         judges it (rfc4217.auth-tls), and a fuzz run needs a login that works"
    )]
    TlsBreach(String),
    /// Neither a duration nor a session count: runs must be bounded.
    #[error("a fuzz run needs a bound: a duration or a session count")]
    Unbounded,
    /// TLS cannot be set up as the target asks (`--tls-ca`).
    #[error("TLS: {0}")]
    Tls(crate::driver::TlsSetupError),
}
