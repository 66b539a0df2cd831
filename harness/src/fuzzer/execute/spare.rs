//! The next session's control connection, opened while this one runs.
//!
//! Against a server whose login is cheap, the connection itself is a large
//! part of a session: vsftpd forks a process for each one, about 1.4 ms of
//! a 3.6 ms anonymous login on the 2-core VM. As a session starts, its
//! worker connects for the next one, so that the server's set-up overlaps
//! the session's commands.
//!
//! That connection is the first made since the session before ended, and
//! so the probe that session may have left to the next: refused, the
//! server went down with the session before, which is blamed as without
//! spares (a forking server whose parent died still serves the spare it
//! accepted earlier; only a new connection shows the fault).
//!
//! A spare is only ever a head start. If it fails anywhere before the
//! login is complete (closed, no greeting, a 421), the session opens a
//! fresh connection exactly as it would have without it, and what that
//! one meets is what counts. Spares are used only on a server that serves
//! two connections at once ([`Spares::for_server`]), and no more once
//! they keep failing where fresh connections succeed.

use crate::driver::{Control, DriverError, Transcript};
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

/// A control connection opened for the next session: connected, and on
/// an implicit-TLS target its handshake under way (the greeting is read
/// by the session that uses it). Dropped unused, it closes.
#[derive(Debug)]
pub struct Spare(Opening);

#[derive(Debug)]
enum Opening {
    Connected(Box<Control>),
    Handshaking(JoinHandle<Result<(Control, Transcript), DriverError>>),
}

impl Spare {
    /// Connect for the session after the one about to start, if the run
    /// uses spares and they still work on this server: `Ok(None)` if not.
    ///
    /// Done as a session starts, this connection is the first one made
    /// since the session before ended, and so the probe that session left
    /// to the next ([`super::End::leaves_probe_to_next`]): `Err` if it was
    /// refused (the server went down with the session before; the caller
    /// connects afresh and sees it as it would have without spares).
    pub(super) async fn open(cfg: &ExecConfig) -> Result<Option<Spare>, DriverError> {
        if !cfg.spares.as_ref().is_some_and(|s| s.wanted()) {
            return Ok(None);
        }
        let c = Control::connect(cfg.addr, cfg.limits)
            .await?
            .with_tls(cfg.tls.as_ref());
        if cfg.security != Security::Implicit {
            return Ok(Some(Spare(Opening::Connected(Box::new(c)))));
        }
        Ok(Some(Spare(Opening::Handshaking(tokio::spawn(
            async move {
                let mut c = c;
                let mut t = Transcript::default();
                c.start_tls(&mut t).await?;
                Ok((c, t))
            },
        )))))
    }

    /// The connection, once open; `None` if opening it failed.
    pub(super) async fn take(self) -> Option<(Control, Transcript)> {
        match self.0 {
            Opening::Connected(c) => Some((*c, Transcript::default())),
            Opening::Handshaking(h) => h.await.ok()?.ok(),
        }
    }
}
