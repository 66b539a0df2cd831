//! Removing a case's scratch directory over the protocol, on a fresh
//! connection (the case may have left its own in any state).

use crate::codec::{ExtPassiveReply, Leniency, PassiveReply};
use crate::driver::{Control, DataConn, Limits, Transcript};
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
        c.read_reply(&mut t).await.map_err(|e| e.to_string())?;
        let r = c
            .ask(&format!("USER {}", target.login_name()), &mut t)
            .await
            .map_err(|e| e.to_string())?;
        if r.code().get() == 331 {
            c.ask(&format!("PASS {}", target.pass), &mut t)
                .await
                .map_err(|e| e.to_string())?;
        }
        c.ask("TYPE I", &mut t).await.map_err(|e| e.to_string())?;
        let peer = c.peer().ip();
        let port = if peer.is_ipv4() {
            let r = c.ask("PASV", &mut t).await.map_err(|e| e.to_string())?;
            PassiveReply::from_reply(&r, Leniency::PERMISSIVE)
                .map_err(|e| e.to_string())?
                .value
                .0
                .port()
        } else {
            let r = c.ask("EPSV", &mut t).await.map_err(|e| e.to_string())?;
            ExtPassiveReply::from_reply(&r, Leniency::PERMISSIVE)
                .map_err(|e| e.to_string())?
                .value
                .port()
        };
        let conn = DataConn::connect(peer, port, limits, &mut t)
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
