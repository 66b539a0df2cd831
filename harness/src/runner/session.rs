//! A session ready for the harness's own work (cleanup, the fuzzer's
//! sessions): connected, greeted, secured as the target says (implicit TLS
//! from the first byte, or AUTH TLS), logged in, and on a TLS target with
//! the data connections under PROT P where the server allows it. Nothing
//! here is judged; the cases judge what they send.

use crate::driver::{Control, DriverError, Limits, TlsClient, Transcript};
use crate::target::{Security, Target};
use std::net::SocketAddr;

/// Open a session on `addr` for `target`; `tls` is the run's TLS client
/// (for a TLS target). The error says what went wrong, for a note.
pub(crate) async fn open(
    addr: SocketAddr,
    target: &Target,
    tls: Option<&TlsClient>,
    limits: &Limits,
    t: &mut Transcript,
) -> Result<Control, String> {
    let text = |e: DriverError| e.to_string();
    let implicit = target.security == Security::Implicit;
    let mut c = Control::open(addr, *limits, tls, implicit, t)
        .await
        .map_err(text)?;
    let greeting = c.greeting(t).await.map_err(text)?;
    let banner = &greeting[greeting.len() - 1].value;
    if banner.code().get() != 220 {
        return Err(format!("greeted with {banner}"));
    }
    if target.security == Security::Explicit {
        let r = c.auth_tls(t).await.map_err(text)?;
        if r.value.code().get() != 234 {
            return Err(format!("AUTH TLS refused: {}", r.value));
        }
    }
    let login = c
        .login(target.login_name(), &target.pass, t)
        .await
        .map_err(text)?;
    if !login.logged_in {
        return Err(format!(
            "login refused: {}",
            login.last().map(|r| r.to_string()).unwrap_or_default()
        ));
    }
    if target.security.is_tls() {
        // A server that insists on protected data (RFC 4217 §10.2) gets
        // it; one that refuses PROT P keeps the data in clear.
        let _ = c.protect(true, t).await.map_err(text)?;
    }
    Ok(c)
}
