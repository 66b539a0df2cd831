//! What a session is run with, how it ended and what it did; and the
//! liveness probe (is the server still greeting new connections?).

use super::pace::Pace;
use crate::driver::{Control, DriverError, Limits, TlsClient, Transcript};
use crate::fuzzer::hit::Hit;
use crate::target::Security;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Where and how sessions run.
#[derive(Clone, Debug)]
pub struct ExecConfig {
    /// The server's control address.
    pub addr: SocketAddr,
    /// Login name.
    pub user: String,
    /// Password.
    pub pass: String,
    /// Reply timeout (hang threshold), connect timeout and size bounds.
    pub limits: Limits,
    /// The longest wait for a reply that may not come (to a malformed
    /// line, or a 1yz with no data connection); `pace` shortens it for a
    /// server that answers fast.
    pub settle: Duration,
    /// How fast the server has been answering, shared by a run's sessions
    /// and triage's re-runs (which then wait as the session they repeat
    /// did); `None` waits `settle` in full (`--settle`).
    pub pace: Option<Arc<Pace>>,
    /// Keep the transcript (for findings; costs allocation otherwise).
    pub transcript: bool,
    /// The TLS client: the target's for an `ftpes://`/`ftps://` target; for
    /// an `ftp://` one a client that accepts any certificate, so that an
    /// AUTH TLS the fuzzer sends in a clear session can be followed.
    pub tls: Option<TlsClient>,
    /// How sessions start: in clear, with AUTH TLS, or in TLS at once.
    pub security: Security,
    /// Wait for the reply to the closing QUIT (re-runs in triage): a
    /// server that dies of the last command shows it at once, instead of
    /// to the next session.
    pub await_quit: bool,
    /// Whether the run's sessions may open their successor's connection
    /// ahead ([`super::Spare`]) and whether that works on this server;
    /// `None`: every session connects when it starts.
    pub spares: Option<Arc<super::Spares>>,
}

/// How a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Every action ran; QUIT sent.
    Done,
    /// The server ended it properly (221, 421) or the session cannot go on
    /// (234: TLS), after this action.
    ServerEnded(usize),
    /// We hung up on purpose at this action.
    HungUp(usize),
    /// The server closed the connection without replying to a well-formed
    /// command (`clean`) or to a malformed one.
    Closed {
        /// The action.
        action: usize,
        /// Whether the action was one well-formed line.
        clean: bool,
    },
    /// No reply within the timeout to a well-formed line.
    Silent(usize),
    /// The reply stream broke (a reply-syntax hit is recorded).
    Malformed(usize),
    /// Could not connect.
    Refused(String),
    /// Connected but no usable greeting (421 busy, silence).
    NoGreeting(String),
    /// The login was refused: a configuration problem, not a finding.
    LoginFailed(String),
}

impl End {
    /// The session ended in good order on the server's side: we hung up,
    /// or the server said goodbye or waits for a data connection (the
    /// connection was still there). With one job such an end leaves its
    /// liveness probe to the next session's connection (`Shared::judge`).
    pub fn leaves_probe_to_next(&self) -> bool {
        matches!(self, End::HungUp(_) | End::ServerEnded(_))
    }

    /// The session got as far as a login: the server was serving.
    pub fn logged_in(&self) -> bool {
        !matches!(
            self,
            End::Refused(_) | End::NoGreeting(_) | End::LoginFailed(_)
        )
    }
}

/// What one session did.
#[derive(Debug)]
pub struct Execution {
    /// (verb, code) for every reply in order: the state path for feedback.
    pub path: Vec<(String, u16)>,
    /// Reply codes read after each action (for writing findings).
    pub replies: Vec<Vec<u16>>,
    /// Oracles that fired on replies.
    pub hits: Vec<Hit>,
    /// How it ended.
    pub end: End,
    /// Both directions, if asked for.
    pub transcript: Transcript,
    /// The command each action is about.
    pub verbs: Vec<String>,
    /// Each action, as shown in findings.
    pub shown: Vec<String>,
    /// Writes on the control connection after login (commands, raw bytes).
    pub sent: usize,
    /// Values the server showed (paths, names, sizes) for later arguments.
    pub learned: Vec<Vec<u8>>,
    /// With [`ExecConfig::await_quit`]: the connection ended without a
    /// reply to the closing QUIT.
    pub quit_unanswered: bool,
    /// The first action after which replies could no longer be matched
    /// to commands (a line sent without its end, a transfer waiting for
    /// our held end): from there on, the code recorded for an action may
    /// answer an earlier one.
    pub out_of_step: Option<usize>,
    /// The login ran on a connection opened during the session before.
    pub opened_ahead: bool,
    /// How long the connection and login took, each action took (as far
    /// as the session got), and the end (release, QUIT): what
    /// `FTPSPEC_FUZZ_DEBUG` shows of a slow session.
    pub took: Took,
}

/// Where one session's time went.
#[derive(Clone, Debug, Default)]
pub struct Took {
    /// Connecting, the greeting and the login.
    pub login: Duration,
    /// Each action that ran, in order.
    pub actions: Vec<Duration>,
    /// Releasing held data connections and sending QUIT.
    pub end: Duration,
}

impl Execution {
    /// Each action with the time it took (`"PASV\r\n" 0.4ms`), after the
    /// login's and before the end's: where a slow session's time went.
    pub fn timeline(&self) -> String {
        let ms = |d: &Duration| format!("{:.1}ms", d.as_secs_f64() * 1000.0);
        let mut out = format!("login {}", ms(&self.took.login));
        for (shown, took) in self.shown.iter().zip(&self.took.actions) {
            out.push_str(&format!(" | {shown} {}", ms(took)));
        }
        out.push_str(&format!(" | end {}", ms(&self.took.end)));
        out
    }
}

/// Whether the server is there: a new connection greeted with 220 (or a 421 "busy").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Liveness {
    /// Greeted.
    Up,
    /// Connection refused or reset.
    Refused(String),
    /// Connected, but no greeting within the timeout.
    Mute(String),
}

/// Probe the server on a new connection (after the TLS handshake on an
/// implicit-TLS target: `tls`).
///
/// A server that answers but does not greet (a reply other than 220, 120
/// or 421, a line that is no reply, a close) may be shedding load for a
/// moment: LightFTP at its connection limit says "MAXIMUM ALLOWED USERS
/// CONNECTED" and closes. It is asked again, [`BUSY_TRIES`] times in all,
/// before it counts as down. A refusal or silence counts at once.
pub async fn liveness(addr: SocketAddr, limits: Limits, tls: Option<&TlsClient>) -> Liveness {
    let mut attempt = 0;
    loop {
        let mut t = Transcript::default();
        let why = match Control::open(addr, limits, tls, tls.is_some(), &mut t).await {
            Err(e) => return Liveness::Refused(e.to_string()),
            Ok(mut c) => match c.read_reply(&mut t).await {
                Ok(r) if matches!(r.value.code().get(), 220 | 120 | 421) => return Liveness::Up,
                Ok(r) => format!("greeted with {}", r.value),
                Err(e @ DriverError::Timeout(..)) => return Liveness::Mute(e.to_string()),
                Err(e) => e.to_string(),
            },
        };
        attempt += 1;
        if attempt == BUSY_TRIES {
            return Liveness::Mute(why);
        }
        tokio::time::sleep(BUSY_PAUSE * attempt).await;
    }
}

/// Connections a probe makes to a server that answers without greeting.
const BUSY_TRIES: u32 = 3;

/// The pause before the second of them (twice that before the third).
const BUSY_PAUSE: Duration = Duration::from_millis(50);
