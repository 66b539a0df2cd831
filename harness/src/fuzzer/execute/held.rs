//! A data connection whose end the session holds back
//! ([`Action::DataHeld`](crate::fuzzer::session::Action::DataHeld)): the
//! server's transfer waits while the session's other commands reach it,
//! and our end is given only as the session ends. LightFTP's
//! CVE-2023-24042 is such a race: PASV, LIST, `USER /dev`, and the LIST
//! worker, which reads its path once the client connects, lists `/dev`.

use super::data::UPLOAD;
use super::{LEARN_PER_SESSION, LISTING_HEAD, Run};
use crate::driver::DataConn;
use crate::fuzzer::tokens;
use std::time::Duration;

/// Most replies read after the release: the held transfer's and those of
/// the commands that waited behind it.
const AFTER_RELEASE: usize = 8;

/// Longest wait for the server's side of a released data connection.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a reply after the first may take once the data has moved:
/// the commands that waited behind the transfer are answered right after
/// its final reply, and every session that holds would otherwise end on
/// a full settle wait for a reply that is not coming.
const NEXT_REPLY: Duration = Duration::from_millis(1);

/// Our end of a data connection, not given yet.
pub(super) struct Held {
    end: HeldEnd,
    /// The first action that may wait for it (a 1yz came and no final
    /// reply, or no reply at all), and its verb.
    owed: Option<(usize, String)>,
    /// A command after that one went unanswered too: the server reads no
    /// commands while its transfer waits (vsftpd). Later ones are sent
    /// without waiting; their replies come after the release.
    deaf: bool,
}

enum HeldEnd {
    /// The server listens on this port (227/229); we have not connected.
    Passive(u16),
    /// Our listener (PORT/EPRT accepted); not accepted from yet.
    Active(DataConn),
}

impl Held {
    pub(super) fn passive(port: u16) -> Held {
        Held {
            end: HeldEnd::Passive(port),
            owed: None,
            deaf: false,
        }
    }

    pub(super) fn active(conn: DataConn) -> Held {
        Held {
            end: HeldEnd::Active(conn),
            owed: None,
            deaf: false,
        }
    }
}

impl Run<'_> {
    /// Action `i` (`verb`) may be waiting for our held end.
    pub(super) fn owe(&mut self, i: usize, verb: &str) {
        if let Some(h) = &mut self.held {
            match h.owed {
                Some(_) => h.deaf = true,
                None => h.owed = Some((i, verb.to_owned())),
            }
        }
    }

    /// How long to wait for a reply while our end is held: the settle
    /// time, nothing once the server has shown it reads no commands
    /// meanwhile; `None` when nothing is held.
    pub(super) fn held_wait(&self) -> Option<Duration> {
        let h = self.held.as_ref()?;
        Some(if h.deaf {
            Duration::ZERO
        } else {
            self.settle()
        })
    }

    /// `data abandon` with our end held: as with an end given at once, the
    /// server finds a connection, closed. (Dropped unconnected, a passive
    /// end would leave the next transfer waiting for it: vsftpd answers
    /// nothing for a minute.) A transfer that waits for it gets it first.
    pub(super) async fn abandon_held(&mut self) {
        if self.held.as_ref().is_some_and(|h| h.owed.is_some()) {
            return self.release(true).await;
        }
        if let Some(Held {
            end: HeldEnd::Passive(port),
            ..
        }) = self.held.take()
        {
            let _ = self.control.connect_passive(port, &mut self.t).await;
        }
    }

    /// As the session ends, or another data connection is set up or
    /// abandoned: if a command waits for our held end, give it (either
    /// direction: [`DataConn::either`]) and, with `replies` (the control
    /// connection is in good order), read what the waiting commands get,
    /// unattributed, for the coverage of replies and the grammar checks.
    /// A held end nothing waits for is dropped.
    pub(super) async fn release(&mut self, replies: bool) {
        let Some(Held {
            end,
            owed: Some((action, verb)),
            ..
        }) = self.held.take()
        else {
            return;
        };
        let wait = self.settle();
        let mut limits = self.cfg.limits;
        limits.max_transfer = limits.max_transfer.min(1 << 20);
        // A server that never takes its end costs a second, not a step
        // timeout; an active end, no more than a reply that may not come:
        // a server in active mode connects when the transfer command
        // arrives, so by now its connection is there or is not coming (a
        // later PASV or EPSV set another up).
        let (conn, bound) = match end {
            HeldEnd::Passive(port) => match self.control.connect_passive(port, &mut self.t).await {
                Ok(c) => (c, RELEASE_TIMEOUT),
                Err(_) => return,
            },
            HeldEnd::Active(c) => (c, wait),
        };
        limits.step_timeout = limits.step_timeout.min(bound);
        let mut head = Vec::new();
        let keep_head = |chunk: &[u8]| {
            let room = LISTING_HEAD.saturating_sub(head.len());
            head.extend_from_slice(&chunk[..chunk.len().min(room)]);
        };
        let _ = conn
            .either(UPLOAD, wait, &limits, &mut self.t, keep_head)
            .await;
        if self.learned.len() < LEARN_PER_SESSION {
            self.learned.extend(tokens::from_listing(&head));
        }
        if !replies {
            return;
        }
        for n in 0..AFTER_RELEASE {
            let Ok(r) = self.read(if n == 0 { wait } else { NEXT_REPLY }).await else {
                break;
            };
            self.record(action, &verb, &r, false, false);
            if matches!(r.value.code().get(), 221 | 421) {
                break;
            }
        }
    }
}
