//! Removing a case's scratch directory over the protocol, on a fresh
//! connection (the case may have left its own in any state).

use crate::driver::{Control, Limits, Transcript};
use crate::oracle::passive;
use crate::target::Target;
use std::net::SocketAddr;
use std::time::Duration;

/// Delete every file in `dir` (one level: cases make flat directories,
/// subdirectories get an RMD attempt) and the directory itself. Bounded
/// in time and in entries.
pub(super) async fn remove_dir(
    addr: SocketAddr,
    target: &Target,
    limits: &Limits,
    dir: &str,
) -> Result<(), String> {
    let work = async {
        let mut t = Transcript::default();
        let mut c = Control::connect(addr, *limits)
            .await
            .map_err(|e| e.to_string())?;
        c.greeting(&mut t).await.map_err(|e| e.to_string())?;
        let login = c
            .login(target.login_name(), &target.pass, &mut t)
            .await
            .map_err(|e| e.to_string())?;
        if !login.logged_in {
            return Err(format!(
                "login refused: {}",
                login.last().map(|r| r.to_string()).unwrap_or_default()
            ));
        }
        c.ask("TYPE I", &mut t).await.map_err(|e| e.to_string())?;
        let cmd = if c.peer().is_ipv4() { "PASV" } else { "EPSV" };
        let r = c.ask(cmd, &mut t).await.map_err(|e| e.to_string())?;
        let port = passive::judge(&r, c.peer().ip())
            .and_then(|p| p.port)
            .ok_or_else(|| format!("{cmd}: no usable port in {r}"))?;
        let conn = c
            .connect_passive(port, &mut t)
            .await
            .map_err(|e| e.to_string())?;
        c.send(format!("NLST {dir}\r\n").as_bytes(), &mut t)
            .await
            .map_err(|e| e.to_string())?;
        let first = c.read_reply(&mut t).await.map_err(|e| e.to_string())?.value;
        let mut names = Vec::new();
        if first.code().is_preliminary() {
            let listing = conn
                .download(limits, &mut t)
                .await
                .map_err(|e| e.to_string())?;
            c.read_reply(&mut t).await.map_err(|e| e.to_string())?;
            names = String::from_utf8_lossy(&listing)
                .lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .take(1000)
                .collect();
        }
        for name in names {
            let base = name.rsplit('/').next().unwrap_or(&name).to_owned();
            if base == "." || base == ".." {
                continue;
            }
            let path = format!("{dir}/{base}");
            let r = c
                .ask(&format!("DELE {path}"), &mut t)
                .await
                .map_err(|e| e.to_string())?;
            if !r.code().is_completion() {
                c.ask(&format!("RMD {path}"), &mut t)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        let r = c
            .ask(&format!("RMD {dir}"), &mut t)
            .await
            .map_err(|e| e.to_string())?;
        let _ = c.send(b"QUIT\r\n", &mut t).await;
        if r.code().is_completion() {
            Ok(())
        } else {
            Err(format!("RMD {dir}: {r}"))
        }
    };
    tokio::time::timeout(Duration::from_secs(15), work)
        .await
        .map_err(|_| "cleanup timed out".to_owned())?
}
