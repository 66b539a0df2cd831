//! The session driver: the only code that touches sockets. Every read is
//! bounded in size (the codec's [`ReplyLimits`], [`Limits::max_transfer`])
//! and in time ([`Limits::step_timeout`]).
//!
//! | file | holds |
//! |------|-------|
//! | `control.rs` | [`Control`], the control connection |
//! | `login.rs` | the greeting and [`Login`]: how every part of ftpspec logs in |
//! | `data.rs` | [`DataConn`], passive and active data connections, opened only through [`Control`] |
//! | `protected.rs` | a PROT P data connection, made and handshaken in the background |
//! | `legacy_hello.rs` | a hand-built TLS 1.0/1.1 ClientHello, to see whether a server still negotiates them |
//! | `tls.rs` | [`TlsClient`]: the run's TLS configuration and session cache; how a handshake failed |
//! | `stream.rs` | [`Stream`]: a connection in clear or in TLS, read and written alike |
//! | `transcript.rs` | [`Transcript`], both directions of a case, data summarised |
//!
//! [`ReplyLimits`]: crate::codec::ReplyLimits

mod control;
mod data;
pub mod legacy_hello;
mod login;
mod protected;
mod stream;
mod tls;
mod transcript;

pub use control::Control;
pub use data::{DataConn, DataTls, Transfer};
pub use login::Login;
pub use stream::Stream;
pub use tls::{TlsClient, TlsFailure, TlsInfo, TlsSetupError};
pub use transcript::{Direction, Entry, Transcript};

use crate::codec::{ReplyError, ReplyLimits};
use std::time::Duration;

/// Bounds on what a session may take.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest wait for any one event: a reply, a connection, a transfer's progress.
    pub step_timeout: Duration,
    /// Most bytes read from one data connection.
    pub max_transfer: u64,
    /// Line length and lines per reply.
    pub reply: ReplyLimits,
    /// How long a negative check ("the server must not connect") waits.
    pub quiet_period: Duration,
    /// How long a `may` or `should` `expect close` waits (never longer than
    /// the step timeout). Such a close is optional, so servers that rightly
    /// keep the connection open would all pay the full step timeout; one
    /// that does close does so right after its reply, well within this.
    pub optional_close_wait: Duration,
    /// How long a reply owed after ABOR (the aborted transfer's or ABOR's
    /// own) may be late before one NOOP is sent to tell a late reply from a
    /// lost one: a 200 that overtakes it shows the server is answering but
    /// skipped a reply. Without the probe a lost reply costs the whole step
    /// timeout and can only be reported as "timed out".
    pub overdue_probe: Duration,
    /// How much longer than the step timeout a reply to a login command
    /// (USER, PASS, ACCT) may take: RFC 2577 §5 suggests "a 5 second delay
    /// before replying to an invalid \"PASS\" command", and servers that
    /// follow it (some growing the delay with each attempt) are not silent.
    pub login_delay: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            step_timeout: Duration::from_secs(5),
            max_transfer: 64 * 1024 * 1024,
            reply: ReplyLimits::default(),
            quiet_period: Duration::from_millis(300),
            optional_close_wait: Duration::from_secs(1),
            overdue_probe: Duration::from_secs(1),
            login_delay: Duration::from_secs(6),
        }
    }
}

/// Trouble on a connection. Whether it is the server's fault or the
/// harness's is for the runner to judge.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// Nothing happened within the step timeout.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, &'static str),
    /// The peer closed the connection.
    #[error("the server closed the control connection")]
    Closed,
    /// A socket error.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The reply stream could not be decoded.
    #[error("undecodable reply: {0}")]
    Reply(#[from] ReplyError),
    /// A reply was started but not finished within the step timeout (for
    /// example a multi-line reply whose last line never comes; or a slow
    /// one: see [`DriverError::is_garbled_reply`]).
    #[error("a reply was begun but not terminated within {0:?} ({1} bytes pending)")]
    Unterminated(Duration, usize),
    /// A data transfer exceeded [`Limits::max_transfer`].
    #[error("data transfer exceeded {0} bytes")]
    TransferTooLarge(u64),
    /// A TLS handshake failed.
    #[error("TLS on the {on}: {failure}")]
    Tls {
        /// `control connection` or `data connection`.
        on: &'static str,
        /// How.
        failure: TlsFailure,
    },
    /// A data connection that would break the network-safety rule (only
    /// the control connection's peer, only loopback for a bounce target).
    #[error("refused for network safety: {0}")]
    Unsafe(&'static str),
}

impl DriverError {
    pub(crate) fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> DriverError {
        move |source| DriverError::Io { what, source }
    }

    /// A malformed reply that is not merely unfinished: a reply begun and
    /// not finished within the timeout may still be coming from a slow
    /// server, and is judged only where the reply is judged (RFC 959 §4.2's
    /// last line), not where a case reads it on its way in.
    pub fn is_garbled_reply(&self) -> bool {
        self.is_malformed_reply() && !matches!(self, DriverError::Unterminated(..))
    }

    /// Whether this is the server breaking the reply grammar (as opposed to
    /// going silent, hanging up or exceeding a harness limit).
    pub fn is_malformed_reply(&self) -> bool {
        match self {
            DriverError::Unterminated(..) => true,
            DriverError::Reply(e) => !matches!(
                e,
                ReplyError::LineTooLong { .. }
                    | ReplyError::TooManyLines { .. }
                    | ReplyError::Poisoned
            ),
            _ => false,
        }
    }
}

/// Run `fut` with a timeout, mapping expiry to [`DriverError::Timeout`].
pub(crate) async fn within<T>(
    limit: Duration,
    what: &'static str,
    fut: impl std::future::Future<Output = Result<T, DriverError>>,
) -> Result<T, DriverError> {
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_| DriverError::Timeout(limit, what))?
}
