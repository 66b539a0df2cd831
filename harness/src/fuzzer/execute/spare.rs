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
//! Once that greeting is read, and before the session sends anything but
//! its own login, the spare logs in on a task of its own while the session
//! runs (on a server that lets one user log in twice at once): vsftpd forks
//! again and makes a network namespace for each login, 1.7 ms of the 3.4 ms
//! a bare anonymous login loop takes. The login is the same for every
//! session and sent in full before the session's commands are, so what the
//! server does with them is the session's alone; a server that a login
//! alone brings down is still blamed on the session beside it, and that
//! finding fails triage's re-run, which runs alone.
//!
//! A spare is only ever a head start. If it fails anywhere before the
//! login is complete (closed, no greeting, a 421, a 530), the session
//! opens a fresh connection exactly as it would have without it, and what
//! that one meets is what counts. Spares are used only on a server that
//! serves two connections at once ([`Spares::for_server`]), and no more
//! once they keep failing where fresh connections succeed.

use crate::codec::{Parsed, Reply};
use crate::driver::{Control, DriverError, Transcript};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;

use super::{End, ExecConfig};
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
    /// Log spares in while the session beside them runs: the server let
    /// the same user log in on a second connection while a first was.
    log_in_ahead: bool,
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

    /// Spares log in while the session beside them runs.
    pub fn logs_in_ahead(&self) -> bool {
        self.log_in_ahead
    }
}

impl Spares {
    /// Spares for a run against the server `cfg` names, if it serves two
    /// connections at once: a second connection greeted (220) within
    /// [`GREETED_WITHIN`] while a first is logged in. They log in ahead
    /// ([`Spare::log_in`]) if that second connection could log in too. A server that takes
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
            (greeting.last()?.value.code().get() == 220).then_some(greeting)
        })
        .await
        .ok()
        .flatten();
        // Then the second logs in too, while the first still is.
        let log_in_ahead = match (&greeted, second.as_mut()) {
            (Some(g), Some(c)) => {
                let login = super::login(c, cfg, &mut t, Some(g.clone()));
                matches!(
                    tokio::time::timeout(GREETED_WITHIN, login).await,
                    Ok(Ok(()))
                )
            }
            _ => false,
        };
        // Goodbye as a client says it: a server may take a hang-up badly,
        // and that is for the fuzz sessions to find.
        for c in [&mut first].into_iter().chain(second.as_mut()) {
            let _ = tokio::time::timeout(GREETED_WITHIN, c.ask("QUIT", &mut t)).await;
        }
        greeted.is_some().then(|| {
            Arc::new(Spares {
                misses: AtomicU32::new(0),
                log_in_ahead,
            })
        })
    }
}

/// A control connection opened for the next session: connected, and on
/// an implicit-TLS target its handshake under way. Its greeting is read
/// ([`Spare::greeted`]) once the session it was opened beside has logged
/// in; then it logs in ([`Spare::log_in`]) while that session runs, or
/// keeps the greeting for the login of the session that uses it. Dropped
/// unused, it closes (a handshake or login under way is stopped).
#[derive(Debug)]
pub struct Spare(Opening);

#[derive(Debug)]
enum Opening {
    Connected(Box<Control>),
    Handshaking(Task<Result<(Control, Transcript), DriverError>>),
    /// Connected and greeted: the greeting, for the login to take.
    Greeted(Box<Control>, Transcript, Vec<Parsed<Reply>>),
    /// Logging in on a task of its own (`None`: opening it failed).
    LoggingIn(Task<Option<Opened>>),
}

/// A spare's handshake or login running on its own task, stopped if the
/// spare is dropped before it is used (a server at its connection limit
/// should get the slot back at once, not after the handshake).
#[derive(Debug)]
struct Task<T>(JoinHandle<T>);

impl<T> Drop for Task<T> {
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
    /// Closed or reset before a greeting: the server may have gone down
    /// with the session before just after it took the connection (the
    /// kernel completes a connection the process never gets to), or shed
    /// it. The session's own connection may be gone with it, so a new
    /// connection decides ([`super::liveness`]) before the session sends
    /// anything.
    Lost(String),
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
        Ok(Some(Spare(Opening::Handshaking(Task(tokio::spawn(
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
            Err(e @ (DriverError::Closed | DriverError::Io { .. })) => {
                (None, Greeting::Lost(e.to_string()))
            }
            Err(_) => (None, Greeting::Heard),
        }
    }

    /// Log in now, on a task of its own, if the run's spares do
    /// ([`Spares::for_server`]); the session that takes the spare then
    /// finds it logged in, or sees the login fail and connects afresh.
    /// Called once the greeting is read and before the session beside it
    /// sends anything but its login.
    pub(super) fn log_in(self, cfg: &ExecConfig) -> Spare {
        if !cfg.spares.as_ref().is_some_and(|s| s.log_in_ahead) {
            return self;
        }
        let cfg = cfg.clone();
        Spare(Opening::LoggingIn(Task(tokio::spawn(async move {
            let mut o = self.take().await?;
            let greeting = match std::mem::replace(&mut o.stage, Stage::Connected) {
                Stage::Connected => None,
                Stage::Greeted(g) => Some(g),
                done @ Stage::LoggedIn(_) => {
                    o.stage = done;
                    return Some(o);
                }
            };
            let r = super::login(&mut o.control, &cfg, &mut o.transcript, greeting).await;
            o.stage = Stage::LoggedIn(r);
            Some(o)
        }))))
    }

    /// The connection, once open, and how far it got; `None` if opening
    /// it failed.
    pub(super) async fn take(self) -> Option<Opened> {
        let opened = |control, transcript, stage| Opened {
            control,
            transcript,
            stage,
        };
        match self.0 {
            Opening::Connected(c) => Some(opened(*c, Transcript::default(), Stage::Connected)),
            Opening::Greeted(c, t, g) => Some(opened(*c, t, Stage::Greeted(g))),
            Opening::Handshaking(mut h) => {
                let (c, t) = (&mut h.0).await.ok()?.ok()?;
                Some(opened(c, t, Stage::Connected))
            }
            Opening::LoggingIn(mut l) => (&mut l.0).await.ok()?,
        }
    }
}

/// A spare taken up: the connection, what was read on it, and how far it
/// got.
#[derive(Debug)]
pub(super) struct Opened {
    pub control: Control,
    pub transcript: Transcript,
    pub stage: Stage,
}

/// How far a spare got before it was taken up.
#[derive(Debug)]
pub(super) enum Stage {
    /// Open (on an implicit-TLS target, the handshake done).
    Connected,
    /// Greeted, with this greeting ([`Spare::greeted`]).
    Greeted(Vec<Parsed<Reply>>),
    /// Logged in, or its login failed ([`Spare::log_in`]).
    LoggedIn(Result<(), End>),
}
