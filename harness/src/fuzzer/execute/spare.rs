//! The next session's control connection, opened while this one runs.
//!
//! Against a server whose login is cheap, the connection itself is a large
//! part of a session: vsftpd forks a process for each one, about 1.4 ms of
//! a 3.6 ms anonymous login on the 2-core VM. A worker opens its next
//! connection as soon as the current session is logged in, so that the
//! server's set-up overlaps the session's commands.
//!
//! A spare is only ever a head start. If it fails anywhere before the
//! login is complete (refused, closed, no greeting, a 421 because the
//! server takes one connection at a time), the session opens a fresh
//! connection exactly as it would have without it, and what that one meets
//! is what counts: a crash caused by the session before is still seen as a
//! refused connection and blamed as before. A server on which spares keep
//! failing while fresh connections succeed gets no more of them.

use crate::driver::{Control, DriverError, Transcript};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;

use super::ExecConfig;
use crate::target::Security;

/// Spares that failed where a fresh connection then logged in, in a row,
/// before a run stops opening them.
const MISSES: u32 = 8;

/// How soon a server that serves two connections at once greets the second.
const GREETED_WITHIN: Duration = Duration::from_secs(1);

/// Whether a run's spares work on this server (shared by its workers).
#[derive(Debug, Default)]
pub struct Spares {
    /// Spares that failed in a row where a fresh connection succeeded.
    misses: AtomicU32,
}

impl Spares {
    /// Open spares at all (not after [`MISSES`] misses in a row).
    pub fn wanted(&self) -> bool {
        self.misses.load(Ordering::Relaxed) < MISSES
    }

    /// A spare failed where a fresh connection then logged in.
    pub fn missed(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// A spare carried a session's login.
    pub fn served(&self) {
        self.misses.store(0, Ordering::Relaxed);
    }
}

impl Spares {
    /// Spares for a run against the server `cfg` names, if it serves two
    /// connections at once: a second connection greeted (220) within
    /// [`GREETED_WITHIN`] while a first is logged in. A server that takes
    /// one connection at a time would leave the harness's own connections
    /// (the liveness probe, triage's re-runs) waiting behind a spare.
    pub async fn for_server(cfg: &ExecConfig) -> Option<Arc<Spares>> {
        let implicit = cfg.security == Security::Implicit;
        let mut t = Transcript::default();
        let mut first = Control::open(cfg.addr, cfg.limits, cfg.tls.as_ref(), implicit, &mut t)
            .await
            .ok()?;
        super::login(&mut first, cfg, &mut t).await.ok()?;
        let mut second = None;
        let greeted = tokio::time::timeout(GREETED_WITHIN, async {
            let mut t = Transcript::default();
            let c = second.insert(
                Control::open(cfg.addr, cfg.limits, cfg.tls.as_ref(), implicit, &mut t)
                    .await
                    .ok()?,
            );
            let greeting = c.greeting(&mut t).await.ok()?;
            greeting.last().map(|r| r.value.code().get())
        })
        .await;
        // Goodbye as a client says it: a server may take a hang-up badly,
        // and that is for the fuzz sessions to find.
        for c in [&mut first].into_iter().chain(second.as_mut()) {
            let _ = tokio::time::timeout(GREETED_WITHIN, c.ask("QUIT", &mut t)).await;
        }
        (greeted == Ok(Some(220))).then(Arc::default)
    }
}

/// A control connection being opened for the next session (TCP, and the
/// TLS handshake on an implicit-TLS target; the greeting is read by the
/// session that uses it). Dropped unused, it closes once open.
#[derive(Debug)]
pub struct Spare(JoinHandle<Result<(Control, Transcript), DriverError>>);

impl Spare {
    /// Start opening a connection like `cfg`'s sessions do, if the run
    /// uses spares and they still work on this server.
    pub(super) fn open(cfg: &ExecConfig) -> Option<Spare> {
        if !cfg.spares.as_ref()?.wanted() {
            return None;
        }
        let (addr, limits, tls): (SocketAddr, _, _) = (cfg.addr, cfg.limits, cfg.tls.clone());
        let implicit = cfg.security == Security::Implicit;
        Some(Spare(tokio::spawn(async move {
            let mut t = Transcript::default();
            let c = Control::open(addr, limits, tls.as_ref(), implicit, &mut t).await?;
            Ok((c, t))
        })))
    }

    /// The connection, once open; `None` if opening it failed.
    pub(super) async fn take(self) -> Option<(Control, Transcript)> {
        self.0.await.ok()?.ok()
    }
}
