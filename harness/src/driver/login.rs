//! The greeting and the login: the one way every part of ftpspec (the
//! capabilities probe, cleanup, cases, the fuzzer) logs in. Each exchange is
//! returned, so that a case can put the replies through the same checks as
//! any other.

use super::DriverError;
use super::control::Control;
use super::transcript::Transcript;
use crate::codec::{Parsed, Reply, ReplyCode, Verb};

/// What a login attempt saw.
#[derive(Debug)]
pub struct Login {
    /// Each command sent and its reply, in order (USER, then PASS if the
    /// server asked for one).
    pub exchanges: Vec<(Verb, Parsed<Reply>)>,
    /// Whether the server accepted the login (a 2yz to the last command).
    pub logged_in: bool,
}

impl Login {
    /// The last reply.
    pub fn last(&self) -> Option<&Reply> {
        self.exchanges.last().map(|(_, r)| &r.value)
    }
}

impl Control {
    /// Read the greeting: one reply, or a 120 ("expected delay") and the
    /// reply after it (RFC 959 §5.4, Connection Establishment).
    pub async fn greeting(
        &mut self,
        t: &mut Transcript,
    ) -> Result<Vec<Parsed<Reply>>, DriverError> {
        let first = self.read_reply(t).await?;
        if first.value.code().get() != 120 {
            return Ok(vec![first]);
        }
        let second = self.read_reply(t).await?;
        Ok(vec![first, second])
    }

    /// `USER user`, then `PASS pass` if the server answers 331.
    pub async fn login(
        &mut self,
        user: &str,
        pass: &str,
        t: &mut Transcript,
    ) -> Result<Login, DriverError> {
        let mut exchanges = Vec::with_capacity(2);
        // Replies to login commands may be delayed on purpose (RFC 2577 §5).
        let limit = self.limits().step_timeout + self.limits().login_delay;
        self.send(format!("USER {user}\r\n").as_bytes(), t).await?;
        let r = self.read_reply_for(limit, t).await?;
        let need_pass = r.value.code() == ReplyCode::NEED_PASSWORD;
        exchanges.push((Verb::USER, r));
        if need_pass {
            self.send(format!("PASS {pass}\r\n").as_bytes(), t).await?;
            let r = self.read_reply_for(limit, t).await?;
            exchanges.push((Verb::PASS, r));
        }
        let logged_in = exchanges
            .last()
            .is_some_and(|(_, r)| r.value.code().is_completion());
        Ok(Login {
            exchanges,
            logged_in,
        })
    }
}

impl Control {
    /// `AUTH TLS` (RFC 4217 §4.1) and, on 234, the TLS handshake. The
    /// reply comes back whatever it was; a handshake that fails is
    /// [`DriverError::Tls`].
    pub async fn auth_tls(&mut self, t: &mut Transcript) -> Result<Parsed<Reply>, DriverError> {
        self.send(b"AUTH TLS\r\n", t).await?;
        let r = self.read_reply(t).await?;
        if r.value.code().get() == 234 {
            self.start_tls(t).await?;
        }
        Ok(r)
    }

    /// `PBSZ 0` then `PROT P` (`private`) or `PROT C` (RFC 4217 §9): `None`
    /// when both were accepted, or the reply that refused.
    pub async fn protect(
        &mut self,
        private: bool,
        t: &mut Transcript,
    ) -> Result<Option<Reply>, DriverError> {
        let pbsz = self.ask("PBSZ 0", t).await?;
        if pbsz.code().get() != 200 {
            return Ok(Some(pbsz));
        }
        let prot = self
            .ask(if private { "PROT P" } else { "PROT C" }, t)
            .await?;
        if prot.code().get() != 200 {
            return Ok(Some(prot));
        }
        self.set_private_data(private);
        Ok(None)
    }
}
