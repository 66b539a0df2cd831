//! The fuzz session's data connections: following a 227/229 at once,
//! PORT/EPRT to our own loopback listener, and moving the data after a 1yz
//! (the head of a listing feeds the values learnt from the server).

use super::held::Held;
use super::{End, LEARN_PER_SESSION, LISTING_HEAD, Run};
use crate::codec::{ExtAddr, HostPort};
use crate::fuzzer::session::{DOWNLOADS, DataKind, UPLOADS, command_line};
use crate::fuzzer::tokens;
use std::net::SocketAddr;
use std::time::Duration;

/// What a fuzz session uploads.
pub(in crate::fuzzer) const UPLOAD: &[u8] = b"ftpspec fuzz\r\n";

impl Run<'_> {
    /// A 227 or 229 (judged already), to whatever command: the server now
    /// listens, and a transfer would wait for us; connect at once (to the
    /// control peer, the only host the driver connects to) so that no later
    /// command waits on it.
    pub(super) async fn follow_passive(&mut self, port: Option<u16>) {
        self.armed = true;
        self.data = None;
        if self.holding {
            self.held = port.map(Held::passive);
            return;
        }
        if let Some(port) = port {
            if let Ok(c) = self.control.connect_passive(port, &mut self.t).await {
                self.data = Some(c);
            }
        }
    }

    /// After a 1yz: move the data, and say how long the final reply may take.
    pub(super) async fn transfer(&mut self, verb: &str) -> Duration {
        let Some(conn) = self.data.take() else {
            // Without our end of a data connection the final reply comes
            // only when the server gives up on it: a failing server answers
            // at once, a waiting one is not worth the wait.
            return self.settle();
        };
        let mut limits = self.cfg.limits;
        limits.max_transfer = limits.max_transfer.min(1 << 20);
        // The head of a listing names what is there; the rest streams by.
        let mut head = Vec::new();
        let keep_head = |chunk: &[u8]| {
            let room = LISTING_HEAD.saturating_sub(head.len());
            head.extend_from_slice(&chunk[..chunk.len().min(room)]);
        };
        let final_wait = if !self.in_sync() {
            // The 1yz may answer a line merged with one before it (`STOU x`
            // sent without its end, then `LIST`): the server may be waiting
            // for our data while we wait for its.
            // Nor is the connection sure to come: the server may have set
            // up another than the one this transfer was meant for.
            let wait = self.settle();
            limits.step_timeout = limits.step_timeout.min(wait);
            let _ = conn
                .either(UPLOAD, wait, &limits, &mut self.t, keep_head)
                .await;
            // Nor is a final reply sure to come for it.
            wait
        } else {
            if DOWNLOADS.contains(&verb) {
                let _ = conn.stream(&limits, &mut self.t, keep_head).await;
            } else if UPLOADS.contains(&verb) {
                let _ = conn.upload(UPLOAD, &limits, &mut self.t).await;
            }
            self.cfg.limits.step_timeout
        };
        if self.learned.len() < LEARN_PER_SESSION {
            self.learned.extend(tokens::from_listing(&head));
        }
        final_wait
    }

    /// Set up a data connection of `kind`; `held`: hold our end back.
    pub(super) async fn data_open(
        &mut self,
        i: usize,
        kind: DataKind,
        held: bool,
    ) -> Result<(), End> {
        self.data = None;
        // A transfer waiting for a held end would keep the server from
        // answering this set-up: it gets its connection first.
        self.release(true).await;
        let local = self.control.local();
        match kind {
            DataKind::Pasv | DataKind::Epsv => {
                // `exchange` follows the 227/229, whoever asked for it.
                let verb = kind.verb();
                self.holding = held;
                let r = self.exchange(i, verb, &command_line(verb, None)).await;
                self.holding = false;
                r?;
            }
            DataKind::Port | DataKind::Eprt => {
                // Active mode names our own address: only when it is loopback.
                if !local.ip().is_loopback() {
                    return Ok(());
                }
                let Ok((conn, addr)) = self.control.listen_active(&mut self.t).await else {
                    return Ok(());
                };
                let arg = match (kind, addr) {
                    (DataKind::Port, SocketAddr::V4(a)) => {
                        let mut out = Vec::new();
                        HostPort(a).encode(&mut out);
                        out
                    }
                    (DataKind::Port, SocketAddr::V6(_)) => return Ok(()),
                    _ => {
                        let mut out = Vec::new();
                        ExtAddr::from_socket(addr).encode(&mut out);
                        out
                    }
                };
                let verb = kind.verb();
                let r = self
                    .exchange(i, verb, &command_line(verb, Some(&arg)))
                    .await?;
                if r.is_some_and(|r| r.code().is_completion()) {
                    if held {
                        self.held = Some(Held::active(conn));
                    } else {
                        self.data = Some(conn);
                    }
                }
            }
        }
        Ok(())
    }
}
