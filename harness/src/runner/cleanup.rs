//! Removing a case's scratch directory over the protocol, on a fresh
//! connection (the case may have left its own in any state).

use crate::codec::{ExtPassiveReply, Leniency, PassiveReply, Reply};
use crate::driver::{Control, DataConn, Limits, Transcript};
use crate::target::Target;
use std::net::SocketAddr;
use std::time::Duration;

async fn ask(c: &mut Control, t: &mut Transcript, line: &str) -> Result<Reply, String> {
    c.send(format!("{line}\r\n").as_bytes(), t)
        .await
        .map_err(|e| e.to_string())?;
    c.read_reply(t)
        .await
        .map(|p| p.value)
        .map_err(|e| e.to_string())
}

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
        let r = ask(&mut c, &mut t, &format!("USER {}", target.login_name())).await?;
        if r.code().get() == 331 {
            ask(&mut c, &mut t, &format!("PASS {}", target.pass)).await?;
        }
        ask(&mut c, &mut t, "TYPE I").await?;
        let peer = c.peer().ip();
        let port = if peer.is_ipv4() {
            let r = ask(&mut c, &mut t, "PASV").await?;
            PassiveReply::from_reply(&r, Leniency::PERMISSIVE)
                .map_err(|e| e.to_string())?
                .value
                .0
                .port()
        } else {
            let r = ask(&mut c, &mut t, "EPSV").await?;
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
            let r = ask(&mut c, &mut t, &format!("DELE {path}")).await?;
            if !r.code().is_completion() {
                ask(&mut c, &mut t, &format!("RMD {path}")).await?;
            }
        }
        let r = ask(&mut c, &mut t, &format!("RMD {dir}")).await?;
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
