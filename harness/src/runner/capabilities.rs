//! The capabilities probe: before any case, log in once and ask FEAT, SYST
//! and HELP, and try to create a directory, so that a missing optional
//! feature gives `unsupported` and a read-only login gives `skip`.

use super::RunError;
use crate::events::Capabilities;
use crate::codec::{Features, Leniency, ReplyCode};
use crate::driver::{Control, Limits, Transcript};
use crate::target::Target;

/// Connect over the first family, log in, and probe.
pub(crate) async fn probe(target: &Target, limits: &Limits, run_id: &str) -> Result<Capabilities, RunError> {
    let addr = target.addrs[0];
    let unreachable = |e: String| RunError::Unreachable(format!("{addr}: {e}"));
    let mut t = Transcript::default();
    let mut c = Control::connect(addr, *limits)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let banner = c
        .read_reply(&mut t)
        .await
        .map_err(|e| unreachable(e.to_string()))?
        .value;
    let mut p = Capabilities {
        banner: banner.text(),
        ..Capabilities::default()
    };
    let user = c
        .ask(&format!("USER {}", target.login_name()), &mut t)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let login = if user.code() == ReplyCode::NEED_PASSWORD {
        c.ask(&format!("PASS {}", target.pass), &mut t)
            .await
            .map_err(|e| unreachable(e.to_string()))?
    } else {
        user
    };
    if !login.code().is_completion() {
        return Err(RunError::Unreachable(format!(
            "login as {} failed: {login}",
            target.login_name()
        )));
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
    let dir = format!("ftpspec-{run_id}-probe");
    if let Ok(r) = c.ask(&format!("MKD {dir}"), &mut t).await {
        // Any 2yz: a server that answers MKD with the wrong 2yz still
        // created the directory (the cases' code oracle reports the code).
        if r.code().is_completion() {
            p.writable = true;
            let _ = c.ask(&format!("RMD {dir}"), &mut t).await;
        }
    }
    let _ = c.send(b"QUIT\r\n", &mut t).await;
    Ok(p)
}
