//! The probe's TLS part. Securing the session: a certificate ftpspec does
//! not trust, or an `ftps://` port that does not speak TLS, ends the run
//! with advice (a setting to fix, not a verdict); a server that refuses
//! AUTH TLS is left to the `tls` cases to judge, and every case that needs
//! TLS is skipped; one that takes no part in the handshake after its 234
//! breaks RFC 4217 §4.2, and every case that needs TLS fails with it
//! (`plan.rs`). Then,
//! logged in: which data protection levels the server transfers under
//! (RFC 4217 §10.2 lets it refuse either), so that a mode it refuses is
//! `unsupported`, not failed.

use super::RunError;
use crate::codec::Reply;
use crate::driver::{Control, DriverError, TlsFailure, TlsInfo, Transcript};
use crate::events::TlsCapabilities;
use crate::target::{Security, Target};
use crate::verdict::Finding;

/// What securing the session came to.
pub(super) enum Secured {
    /// The control connection is in TLS.
    Yes(TlsInfo),
    /// It is not, for the reason given (the connection is still usable in
    /// clear only if `usable`); `breach`: the rule that broke, if the
    /// server answered AUTH TLS with 234 and then took no part in TLS.
    No {
        why: String,
        usable: bool,
        breach: Option<Finding>,
    },
}

/// A TLS failure that is the run's configuration, not the server's
/// conduct: an error the user must fix.
fn setting(target: &Target, failure: &TlsFailure) -> Option<RunError> {
    match failure {
        TlsFailure::Certificate(_) => Some(RunError::Tls(failure.to_string())),
        TlsFailure::NotTls(_) if target.security == Security::Implicit => {
            Some(RunError::Tls(format!(
                "{failure}: {} does not speak implicit TLS; for a port that greets in clear use ftpes:// (AUTH TLS) or ftp://",
                target.name
            )))
        }
        _ => None,
    }
}

/// The handshake of an `ftps://` connection, just made.
pub(super) async fn implicit(
    target: &Target,
    c: &mut Control,
    t: &mut Transcript,
) -> Result<Secured, RunError> {
    match c.start_tls(t).await {
        Ok(info) => Ok(Secured::Yes(info)),
        Err(e) => failed(target, e, false),
    }
}

/// AUTH TLS on an `ftpes://` connection, after the greeting.
pub(super) async fn explicit(
    target: &Target,
    c: &mut Control,
    t: &mut Transcript,
) -> Result<Secured, RunError> {
    match c.auth_tls(t).await {
        Ok(r) if r.value.code().get() == 234 => {
            Ok(Secured::Yes(c.tls_info().cloned().unwrap_or_else(|| {
                TlsInfo {
                    version: String::new(),
                    cipher: String::new(),
                    resumed: false,
                }
            })))
        }
        Ok(r) => Ok(Secured::No {
            why: format!("AUTH TLS refused: {}", r.value),
            usable: true,
            breach: None,
        }),
        Err(e) => failed(target, e, true),
    }
}

/// The handshake failed as `e` says; `after_234`: it was the one a 234
/// called for, which the server breaks by taking no part in it.
fn failed(target: &Target, e: DriverError, after_234: bool) -> Result<Secured, RunError> {
    match e {
        DriverError::Tls { failure, .. } => match setting(target, &failure) {
            Some(err) => Err(err),
            None => Ok(Secured::No {
                why: failure.to_string(),
                usable: false,
                breach: crate::oracle::tls::after_234(&failure)
                    .filter(|_| after_234)
                    .map(|v| v.finding(None)),
            }),
        },
        other => Err(RunError::Unreachable(other.to_string())),
    }
}

/// What one protection level came to in the probe.
enum Level {
    /// A LIST went through (over this TLS session, under PROT P).
    Works(Option<TlsInfo>),
    /// PBSZ 0 or PROT refused, or the transfer refused with the replies
    /// RFC 4217 §10.2 gives a refusal for the level (521, 522).
    Refused(String),
    /// The transfer failed, for the reason given.
    Failed(String),
}

async fn level(c: &mut Control, t: &mut Transcript, private: bool) -> Level {
    match c.protect(private, t).await {
        Ok(None) => match transfer(c, t).await {
            Ok(info) => Level::Works(info),
            Err(Refusal {
                why,
                of_level: true,
            }) => Level::Refused(why),
            Err(Refusal { why, .. }) => Level::Failed(why),
        },
        Ok(Some(r)) => Level::Refused(r.to_string()),
        Err(e) => Level::Failed(e.to_string()),
    }
}

/// Which protection levels the server transfers under, logged in on `c`
/// (whose control connection is in TLS). A level is refused by PBSZ or
/// PROT refused, or a transfer refused with 521 or 522 (RFC 4217 §10.2);
/// a transfer that failed otherwise at one level and went through at the
/// other is refused at that level too. One that failed otherwise at both
/// says nothing of the levels (LIST refused by policy, PASV refused, the
/// probe's connection lost): neither is marked, and the cases, which
/// transfer what they need, judge for themselves.
pub(super) async fn data_levels(c: &mut Control, t: &mut Transcript, tls: &mut TlsCapabilities) {
    let private = level(c, t, true).await;
    let clear = level(c, t, false).await;
    let both_failed = matches!((&private, &clear), (Level::Failed(_), Level::Failed(_)));
    match private {
        Level::Works(info) => tls.data = info,
        Level::Refused(why) => tls.private_refused = Some(why),
        Level::Failed(why) if !both_failed => tls.private_refused = Some(why),
        Level::Failed(_) => {}
    }
    match clear {
        Level::Refused(why) => tls.clear_refused = Some(why),
        Level::Failed(why) if !both_failed => tls.clear_refused = Some(why),
        Level::Works(_) | Level::Failed(_) => {}
    }
}

/// One passive LIST at the current protection level: the data
/// connection's TLS session, or why the server would not transfer. A TLS
/// data connection the server takes no part in is not a refusal: the
/// cases in that mode run, and fail.
async fn transfer(c: &mut Control, t: &mut Transcript) -> Result<Option<TlsInfo>, Refusal> {
    let conn = super::session::passive_data(c, t)
        .await
        .map_err(Refusal::other)?;
    c.send(b"LIST\r\n", t)
        .await
        .map_err(|e| Refusal::other(e.to_string()))?;
    let first = c
        .read_reply(t)
        .await
        .map_err(|e| Refusal::other(e.to_string()))?
        .value;
    if !first.code().is_preliminary() {
        return Err(refusal(&first));
    }
    let data = conn.stream(c.limits(), t, |_| {}).await;
    let last = c
        .read_reply(t)
        .await
        .map_err(|e| Refusal::other(e.to_string()))?
        .value;
    // Bytes in clear, silence, or the server as the TLS client: no part
    // in TLS at all, which RFC 4217 §9 forbids once PROT P got 200,
    // whatever reply follows (a server that will not transfer at that
    // level ends the handshake and says 522, §10.2). The cases judge it.
    // A handshake the server ended (a close, an alert) is §10.2's
    // refusal when 522 follows, "which indicates that the TLS negotiation
    // failed or was unacceptable"; with another reply, the probe cannot
    // tell (its listing may have been empty, so that a server sending data
    // in clear sent none), and the cases, which list what they stored,
    // judge it.
    // A 2yz after a handshake that failed is a transfer without TLS,
    // which the cases in that mode are to judge, not skip, too.
    if let Err(DriverError::Tls { failure, .. }) = &data {
        let certificate = matches!(failure, TlsFailure::Certificate(_));
        if crate::oracle::tls::data_connection(failure).is_some()
            || (!certificate && last.code().get() != 522)
        {
            return Ok(None);
        }
    }
    // Otherwise the transfer's reply decides: a refusal is the server's
    // policy.
    if !last.code().is_completion() {
        return Err(refusal(&last));
    }
    match data {
        Ok(x) => Ok(x.tls.map(|d| d.info)),
        Err(e) => Err(Refusal::other(format!("{e} (then {last})"))),
    }
}

/// Why the probe's transfer did not go through; `of_level`: with a reply
/// RFC 4217 §10.2 gives for the protection level: "521 data connection
/// cannot be opened with this PROT setting" before the transfer, 522 once
/// "the TLS negotiation failed or was unacceptable" (vsftpd answers a
/// transfer in clear "522 Data connections must be encrypted").
struct Refusal {
    why: String,
    of_level: bool,
}

impl Refusal {
    fn other(why: String) -> Refusal {
        Refusal {
            why,
            of_level: false,
        }
    }
}

fn refusal(r: &Reply) -> Refusal {
    Refusal {
        why: format!("LIST got {r}"),
        of_level: matches!(r.code().get(), 521 | 522),
    }
}
