//! Removing a case's scratch directory over the protocol, on a fresh
//! connection (the case may have left its own in any state).

use crate::driver::{Limits, TlsClient, Transcript};
use crate::oracle::passive;
use crate::target::Target;
use std::net::SocketAddr;
use std::time::Duration;

/// Delete every file in `dir` (one level: cases make flat directories,
/// subdirectories get an RMD attempt) and the directory itself. Bounded
/// in time and in entries. A second and third attempt follow a failed one
/// a little later: a server may still be finishing the case's transfer
/// (after a QUIT mid-transfer, say), or lose a session to a race of its
/// own.
pub(super) async fn remove_dir(
    addr: SocketAddr,
    target: &Target,
    tls: Option<&TlsClient>,
    limits: &Limits,
    dir: &str,
) -> Result<(), String> {
    let mut last = String::new();
    for attempt in 0..3u64 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
        }
        match tokio::time::timeout(
            Duration::from_secs(15),
            remove_once(addr, target, tls, limits, dir),
        )
        .await
        {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => last = e,
            Err(_) => last = "cleanup timed out".to_owned(),
        }
    }
    Err(last)
}

async fn remove_once(
    addr: SocketAddr,
    target: &Target,
    tls: Option<&TlsClient>,
    limits: &Limits,
    dir: &str,
) -> Result<(), String> {
    {
        let mut t = Transcript::default();
        let mut c = super::session::open(addr, target, tls, limits, &mut t).await?;
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
    }
}
