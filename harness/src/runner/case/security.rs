//! What the RFC 2228 commands do to the connection once the server has
//! accepted them: a 234 to AUTH starts TLS at once, a 200 to PROT sets the
//! protection of the data connections to come (RFC 4217 §9), a 200 to CCC
//! or a 220 to REIN clears TLS (RFC 4217 §5 and §13). Every reply a case
//! reads passes through [`follow`], so a scenario that sends these
//! commands itself gets the same behaviour as the set-up.

use super::Stop;
use super::conversation::{Awaited, Conversation};
use crate::codec::{Reply, Verb};
use crate::driver::DriverError;
use crate::oracle;
use crate::verdict::Verdict;

/// Act on `reply` to `cmd`.
pub(super) async fn follow(
    conv: &mut Conversation,
    cmd: &Awaited,
    reply: &Reply,
    line: Option<usize>,
) -> Result<(), Stop> {
    let code = reply.code().get();
    match &cmd.verb {
        v if *v == Verb::AUTH && code == 234 => start_tls(conv, line).await,
        v if *v == Verb::PROT && code == 200 => {
            // Only C (clear) and P (TLS) mean anything over TLS (RFC 4217
            // §9); S and E, if a server accepts them, are taken as
            // protected, so that data in clear after them is noticed.
            let clear = cmd.arg.trim().eq_ignore_ascii_case("C");
            conv.control_mut().0.set_private_data(!clear);
            Ok(())
        }
        v if (*v == Verb::CCC && code == 200)
            || (*v == Verb::REIN && reply.code().is_completion()) =>
        {
            let rein = *v == Verb::REIN;
            let (control, t) = conv.control_mut();
            if rein {
                control.set_private_data(false);
            }
            let was_tls = control.is_tls();
            control.clear_tls(t).await.map_err(Stop::driver)?;
            conv.cleared_by_rein = rein && was_tls;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The TLS handshake a 234 calls for. One the server takes no part in is
/// judged (RFC 2228 §3's rule on what a code means), in set-up too, where
/// nothing else is: the server broke the rule whatever the case is about,
/// and a skip would hide it. The set-up is tried once more on a new
/// connection first (`retry_setup`): libunftp 0.24 now and then reads
/// the ClientHello as a command, and the case's own subject deserves a
/// second chance; two breaches in a row fail the case.
async fn start_tls(conv: &mut Conversation, line: Option<usize>) -> Result<(), Stop> {
    if conv.control().tls_client().is_none() {
        return Err(Stop::new(
            Verdict::Skip,
            "the server accepted AUTH TLS, but the target is ftp://: rerun against ftpes://… to test TLS",
        ));
    }
    if conv.control().is_tls() {
        return Err(Stop::new(
            Verdict::Error,
            "a second AUTH inside TLS: ftpspec does not nest TLS sessions",
        ));
    }
    let (control, t) = conv.control_mut();
    let failure = match control.start_tls(t).await {
        Ok(_) => return Ok(()),
        Err(DriverError::Tls { failure, .. }) => failure,
        Err(e) => return Err(Stop::driver(e)),
    };
    let Some(v) = oracle::tls::after_234(&failure) else {
        let why = if conv.judging {
            failure.to_string()
        } else {
            format!("AUTH TLS in set-up: {failure}")
        };
        return Err(Stop::new(Verdict::Error, why));
    };
    conv.find(&v, line);
    let message = if conv.judging {
        format!("line {}: {}", line.unwrap_or_default(), v.received)
    } else {
        format!("AUTH TLS in set-up: {}", v.received)
    };
    let mut stop = Stop::new(Verdict::Fail, message);
    stop.retry_setup = !conv.judging;
    Err(stop)
}
