//! The capabilities probe: before any case, log in once and ask FEAT, SYST
//! and HELP, and try to create a directory, so that a missing optional
//! feature gives `unsupported` and a read-only login gives `skip`.

use super::RunError;
use crate::codec::{Features, Leniency};
use crate::driver::{Control, Limits, Transcript};
use crate::events::Capabilities;
use crate::target::Target;

/// Connect over the first family, log in, and probe.
pub(crate) async fn probe(
    target: &Target,
    limits: &Limits,
    run_id: &str,
) -> Result<Capabilities, RunError> {
    let addr = target.addrs[0];
    let unreachable = |e: String| RunError::Unreachable(format!("{addr}: {e}"));
    let mut t = Transcript::default();
    let mut c = Control::connect(addr, *limits)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let greeting = c
        .greeting(&mut t)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let banner = &greeting[greeting.len() - 1].value;
    let mut p = Capabilities {
        banner: banner.text(),
        ..Capabilities::default()
    };
    let login = c
        .login(target.login_name(), &target.pass, &mut t)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    if !login.logged_in {
        return Err(RunError::Unreachable(format!(
            "login as {} failed: {}",
            target.login_name(),
            login.last().map(|r| r.to_string()).unwrap_or_default()
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
