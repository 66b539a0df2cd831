//! The capabilities probe: before any case, log in once, enter the URL's
//! directory, ask FEAT, SYST and HELP, and try to create a directory, so
//! that a missing optional feature gives `unsupported` and a read-only
//! login gives `skip`. A greeting that opens no session is not "target
//! unreachable": the greeting case judges it and the others fail with it
//! (`greeting_breach`), without running.

use super::RunError;
use super::tls_probe::{self, Secured};
use crate::codec::{Features, Leniency, Verb};
use crate::driver::{Control, Limits, TlsClient, Transcript};
use crate::events::{Capabilities, TlsCapabilities};
use crate::oracle::codes;
use crate::target::{Security, Target};
use crate::verdict::Finding;

/// Connect over the first family, secure the session as the target says,
/// log in, and probe.
pub(crate) async fn probe(
    target: &Target,
    tls: Option<&TlsClient>,
    limits: &Limits,
    run_id: &str,
) -> Result<Capabilities, RunError> {
    let addr = target.addrs[0];
    let unreachable = |e: String| RunError::Unreachable(format!("{addr}: {e}"));
    let mut t = Transcript::default();
    let mut c = Control::open(addr, *limits, tls, false, &mut t)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let mut secured = None;
    if target.security == Security::Implicit {
        let s = tls_probe::implicit(target, &mut c, &mut t).await?;
        if let Secured::No { why, .. } = &s {
            // Without TLS an ftps:// port has nothing to offer: the tls
            // cases judge the handshake, every other case is skipped.
            return Ok(Capabilities {
                tls: Some(TlsCapabilities {
                    problem: Some(why.clone()),
                    ..TlsCapabilities::default()
                }),
                ..no_session(format!("no TLS session on the implicit-TLS port: {why}"))
            });
        }
        secured = Some(s);
    }
    let greeting = match c.greeting(&mut t).await {
        Ok(g) => g,
        // A reply that breaks the grammar is the greeting case's to judge.
        Err(e) if e.is_malformed_reply() => {
            // A greeting only begun within the timeout may be a slow
            // server's: basic.greeting judges it, the others skip.
            return Ok(Capabilities {
                greeting_breach: crate::oracle::syntax::stream(&e)
                    .filter(|_| e.is_garbled_reply())
                    .map(|v| v.finding(None)),
                ..no_session(format!("unreadable greeting: {e}"))
            });
        }
        Err(e) => return Err(unreachable(e.to_string())),
    };
    let banner = &greeting[greeting.len() - 1].value;
    match banner.code().get() {
        220 => {}
        421 => {
            return Err(unreachable(format!(
                "the server is not available: {banner}"
            )));
        }
        _ => {
            let replies: Vec<_> = greeting.iter().map(|r| &r.value).collect();
            return Ok(Capabilities {
                greeting_breach: codes::greeting(&replies).map(|v| v.finding(None)),
                ..no_session(format!("greeted with {banner}"))
            });
        }
    }
    let mut p = Capabilities {
        banner: banner.text(),
        ..Capabilities::default()
    };
    if target.security == Security::Explicit {
        let mut s = tls_probe::explicit(target, &mut c, &mut t).await?;
        if let Secured::No {
            usable: false,
            breach: first,
            ..
        } = &s
        {
            // Once more on a new connection, as a case's set-up does: a
            // server may lose a handshake to a race of its own (libunftp
            // 0.24 now and then reads the ClientHello as a command).
            let first_breached = first.is_some();
            c = reopen(addr, limits, tls, &mut t)
                .await
                .map_err(unreachable)?;
            s = tls_probe::explicit(target, &mut c, &mut t).await?;
            // A breach counts only if both tries met one (it fails every
            // case that sets up TLS).
            if let Secured::No { breach, .. } = &mut s {
                if !first_breached {
                    *breach = None;
                }
            }
        }
        secured = Some(s);
    }
    let mut tls_caps = secured.as_ref().map(|s| match s {
        Secured::Yes(info) => TlsCapabilities {
            control: Some(info.clone()),
            ..TlsCapabilities::default()
        },
        Secured::No { why, breach, .. } => TlsCapabilities {
            problem: Some(why.clone()),
            breach: breach.clone(),
            ..TlsCapabilities::default()
        },
    });
    if let Some(Secured::No { usable: false, .. }) = secured {
        // The handshake broke the connection: the rest of the probe (for
        // the cases that run in clear) goes on a new one.
        c = reopen(addr, limits, tls, &mut t)
            .await
            .map_err(unreachable)?;
    }
    let login = c
        .login(target.login_name(), &target.pass, &mut t)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    if !login.logged_in {
        return Err(RunError::Login(format!(
            "{} as {}: {}",
            target.name,
            target.login_name(),
            login.last().map(|r| r.text()).unwrap_or_default()
        )));
    }
    if let Some(path) = &target.path {
        match c.ask(&format!("CWD {path}"), &mut t).await {
            Ok(r) if r.code().is_completion() => {}
            Ok(r) => {
                return Err(RunError::Path {
                    path: path.clone(),
                    reply: r.text(),
                });
            }
            Err(e) => return Err(unreachable(e.to_string())),
        }
    }
    if let Ok(r) = c.ask("FEAT", &mut t).await {
        if let Ok(f) = Features::from_reply(&r, Leniency::PERMISSIVE) {
            p.features = f.value.0.into_iter().map(|f| (f.name, f.params)).collect();
        }
    }
    if let Ok(r) = c.ask("SYST", &mut t).await {
        p.system = r.code().is_completion().then(|| r.text());
    }
    p.help = c
        .ask("HELP", &mut t)
        .await
        .is_ok_and(|r| r.code().is_completion());
    let dir = target.scratch_dir(&format!("ftpspec-{run_id}-probe"));
    p.writable = write_test(&mut c, &mut t, &dir, &mut p.findings).await;
    if let Some(caps) = tls_caps.as_mut().filter(|_| c.is_tls()) {
        tls_probe::data_levels(&mut c, &mut t, caps).await;
    }
    p.tls = tls_caps;
    let _ = c.send(b"QUIT\r\n", &mut t).await;
    Ok(p)
}

/// What the probe reports when the greeting opens no session.
/// A new control connection in clear, greeted (a TLS handshake that broke
/// the last one leaves nothing else to use).
async fn reopen(
    addr: std::net::SocketAddr,
    limits: &Limits,
    tls: Option<&TlsClient>,
    t: &mut Transcript,
) -> Result<Control, String> {
    let mut c = Control::open(addr, *limits, tls, false, t)
        .await
        .map_err(|e| e.to_string())?;
    c.greeting(t).await.map_err(|e| e.to_string())?;
    Ok(c)
}

fn no_session(why: String) -> Capabilities {
    Capabilities {
        greeting_problem: Some(why),
        ..Capabilities::default()
    }
}

/// Whether the login may create directories: MKD `dir`, judged by the
/// code table like any reply (a finding if it is off the table), and then,
/// whatever MKD answered, whether the directory exists (a CWD into it): a
/// server that creates the directory but answers oddly is still writable,
/// and its odd reply is reported rather than taken for a refusal. An MKD
/// with no readable reply (unreadable, silence, a close; or the probe's
/// connection spoilt by an unreadable reply before it) tells nothing:
/// taken for a read-only login, it made every case that writes a skip,
/// its own MKD's breach unjudged. The cases run, and their own MKDs judge.
async fn write_test(
    c: &mut Control,
    t: &mut Transcript,
    dir: &str,
    findings: &mut Vec<Finding>,
) -> bool {
    let mkd = match c.ask(&format!("MKD {dir}"), t).await {
        Ok(r) => r,
        Err(e) => {
            if let Some(v) = crate::oracle::syntax::stream(&e) {
                findings.push(v.finding(None));
            }
            return true;
        }
    };
    if let Some(v) = codes::reply_code(&Verb::MKD, mkd.code(), false) {
        findings.push(v.finding(None));
    }
    let exists = if mkd.code().is_completion() {
        true
    } else {
        let before = c.ask("PWD", t).await.ok();
        let entered = c
            .ask(&format!("CWD {dir}"), t)
            .await
            .is_ok_and(|r| r.code().is_completion());
        if entered {
            // Back where we were: the quoted path of the PWD before.
            if let Some(path) = before.as_ref().and_then(|r| quoted_path(&r.text())) {
                let _ = c.ask(&format!("CWD {path}"), t).await;
            }
        }
        entered
    };
    if exists {
        let _ = c.ask(&format!("RMD {dir}"), t).await;
    }
    exists
}

/// The path in a 257 text: between the first pair of quotes, with `""`
/// standing for one quote (RFC 959 Appendix II).
fn quoted_path(text: &str) -> Option<String> {
    let rest = text.split_once('"')?.1;
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                out.push('"');
            } else {
                return Some(out);
            }
        } else {
            out.push(ch);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::quoted_path;

    #[test]
    fn quoted_paths() {
        assert_eq!(quoted_path("\"/a b\" is cwd").as_deref(), Some("/a b"));
        assert_eq!(quoted_path("\"/q\"\"x\" ok").as_deref(), Some("/q\"x"));
        assert_eq!(quoted_path("no quotes"), None);
    }
}
