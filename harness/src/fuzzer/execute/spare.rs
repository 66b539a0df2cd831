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

use crate::codec::{Parsed, Reply};
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
        super::login(&mut first, cfg, &mut t, None).await.ok()?;
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
/// an implicit-TLS target its handshake under way. Its greeting is read
/// ([`Spare::greeted`]) once the session it was opened beside has logged
/// in, and kept for the login of the session that uses it. Dropped
/// unused, it closes (a handshake under way is stopped).
#[derive(Debug)]
pub struct Spare(Opening);

#[derive(Debug)]
enum Opening {
    Connected(Box<Control>),
    Handshaking(Handshake),
    /// Connected and greeted: the greeting, for the login to take.
    Greeted(Box<Control>, Transcript, Vec<Parsed<Reply>>),
}

/// An implicit-TLS handshake running on its own task, stopped if the
/// spare is dropped before it is used (a server at its connection limit
/// should get the slot back at once, not after the handshake).
#[derive(Debug)]
struct Handshake(JoinHandle<Result<(Control, Transcript), DriverError>>);

impl Drop for Handshake {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What the spare's greeting says of the server.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Greeting {
    /// Greeted (whatever it said: a 421 or a line that is no reply is a
    /// busy server talking, and the login that takes the spare decides),
    /// or not checked (implicit TLS: the handshake runs apart).
    Heard,
    /// No byte within the reply timeout: the server accepted the
    /// connection and serves it no more. The connection was made before
    /// the session beside it sent anything but its login, so the session
    /// before is to blame, as a fresh connection's silence would say.
    Silent(String),
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
        Ok(Some(Spare(Opening::Handshaking(Handshake(tokio::spawn(
            async move {
                let mut c = c;
                let mut t = Transcript::default();
                c.start_tls(&mut t).await?;
                Ok((c, t))
            },
        ))))))
    }

    /// Read the greeting now (within the reply timeout), the rest of the
    /// probe a connection made as a session starts is: refused is one
    /// half, accepted and never greeted the other. `None`: the spare is
    /// of no use (closed, or silent), drop it.
    pub(super) async fn greeted(self) -> (Option<Spare>, Greeting) {
        let Opening::Connected(mut c) = self.0 else {
            return (Some(self), Greeting::Heard);
        };
        let mut t = Transcript::default();
        match c.greeting(&mut t).await {
            Ok(g) => (Some(Spare(Opening::Greeted(c, t, g))), Greeting::Heard),
            Err(e @ DriverError::Timeout(..)) => (None, Greeting::Silent(e.to_string())),
            Err(_) => (None, Greeting::Heard),
        }
    }

    /// The connection, once open, and its greeting if it was read;
    /// `None` if opening it failed.
    pub(super) async fn take(self) -> Option<Opened> {
        match self.0 {
            Opening::Connected(c) => Some((*c, Transcript::default(), None)),
            Opening::Greeted(c, t, g) => Some((*c, t, Some(g))),
            Opening::Handshaking(mut h) => {
                let (c, t) = (&mut h.0).await.ok()?.ok()?;
                Some((c, t, None))
            }
        }
    }
}

/// A spare taken up: the connection, what was read on it, and its
/// greeting if [`Spare::greeted`] read it.
pub(super) type Opened = (Control, Transcript, Option<Vec<Parsed<Reply>>>);
