//! The conversation's edges: the greeting and the login of its set-up,
//! waiting for the server to close, replies left unread at the end, QUIT.

use super::Conversation;
use crate::codec::Reply;
use crate::driver::Login;
use crate::oracle::{self, Violation, sequence};
use crate::runner::case::Stop;
use crate::verdict::Verdict;
use std::time::Duration;

impl Conversation {
    /// The greeting: one reply, or a 120 and the one after it. `judge`: put
    /// it through the built-in checks. Only the case whose scenario starts
    /// with `expect greeting` judges it; every other case only reads it, so
    /// that a fault of the greeting is charged once, not to every case. A
    /// greeting that opens no session is the exception: the case's set-up
    /// meets the breach, and judges it (a skip would let a run without
    /// basic.greeting pass).
    pub async fn greeting(&mut self, judge: bool) -> Result<Vec<Reply>, Stop> {
        let replies = match self.control.greeting(&mut self.t).await {
            Ok(r) => r,
            // Not a greeting only begun within the timeout: a slow server
            // breaks no rule, and this case does not judge greetings.
            Err(e) if judge || e.is_garbled_reply() => {
                return Err(self.read_failed(e, None));
            }
            Err(e) => {
                return Err(Stop::new(
                    Verdict::Skip,
                    format!("the greeting is unreadable ({e}); basic.greeting judges it"),
                ));
            }
        };
        if judge {
            for r in &replies {
                self.judge(None, false, r, None);
            }
        }
        let replies: Vec<Reply> = replies.into_iter().map(|r| r.value).collect();
        if judge {
            if let Some(v) = oracle::codes::greeting(&replies.iter().collect::<Vec<_>>()) {
                self.find(&v, None);
            }
        }
        Ok(replies)
    }

    /// Log in through [`Control::login`] (set-up: the replies are read, not judged).
    pub async fn login(&mut self, user: &str, pass: &str) -> Result<Login, Stop> {
        match self.control.login(user, pass, &mut self.t).await {
            Ok(l) => Ok(l),
            Err(e) => Err(self.read_failed(e, None)),
        }
    }

    /// Wait at most `limit` for the server to close the connection; replies
    /// that come first are unasked for. Whether it closed.
    pub async fn wait_close(&mut self, limit: Duration, line: Option<usize>) -> Result<bool, Stop> {
        let (closed, extra) = match self.control.wait_close(limit, &mut self.t).await {
            Ok(x) => x,
            Err(e) => return Err(self.read_failed(e, line)),
        };
        for r in extra {
            let v = self.unasked(&r);
            self.find(&v, line);
        }
        Ok(closed)
    }

    /// After the last step: anything still unread that no command asked for.
    pub fn check_leftover(&mut self) {
        if let Ok(Some(r)) = self.control.unsolicited(&mut self.t) {
            if self.awaiting.is_empty() {
                let v = self.unasked(&r.value);
                self.find(&v, None);
            }
        }
    }

    /// The finding for a reply nobody asked for.
    pub(super) fn unasked(&self, reply: &Reply) -> Violation {
        if self.last_len > sequence::LONG_LINE {
            sequence::unsolicited_after_long_line(reply)
        } else {
            sequence::unsolicited(reply)
        }
    }

    /// Say goodbye without waiting for the reply.
    pub async fn quit(&mut self) {
        if self.said_goodbye || self.closing {
            return;
        }
        let _ = tokio::time::timeout(
            Duration::from_millis(200),
            self.control.send(b"QUIT\r\n", &mut self.t),
        )
        .await;
    }
}
