//! A session ready for the harness's own work (cleanup, the fuzzer's
//! sessions): connected, greeted, secured as the target says (implicit TLS
//! from the first byte, or AUTH TLS), logged in, and on a TLS target with
//! the data connections under PROT P where the server allows it. Nothing
//! here is judged; the cases judge what they send.

use crate::driver::{Control, DataConn, DriverError, Limits, TlsClient, Transcript};
use crate::oracle::passive;
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

/// A passive data connection for the harness's own work: PASV on IPv4,
/// EPSV on IPv6, connected to the control connection's peer.
pub(crate) async fn passive_data(c: &mut Control, t: &mut Transcript) -> Result<DataConn, String> {
    let cmd = if c.peer().is_ipv4() { "PASV" } else { "EPSV" };
    let r = c.ask(cmd, t).await.map_err(|e| e.to_string())?;
    let port = passive::judge(&r, c.peer().ip())
        .and_then(|p| p.port)
        .ok_or_else(|| format!("{cmd}: no usable port in {r}"))?;
    c.connect_passive(port, t).await.map_err(|e| e.to_string())
}
