//! Removing a case's scratch directory over the protocol, on a fresh
//! connection (the case may have left its own in any state).

use crate::driver::{Limits, TlsClient, Transcript};
use crate::oracle::passive;
use crate::target::Target;
use std::net::SocketAddr;
use std::time::Duration;

/// Delete every file in `dir` (one level: cases make flat directories,
/// subdirectories get an RMD attempt) and the directory itself. Bounded
/// in time and in entries. Up to three more attempts follow a failed one,
/// later each time (0.3, 1, 3 s): a server may still be finishing the
/// case's transfer (after a QUIT mid-transfer, say), or lose a session to
/// a race of its own.
pub(super) async fn remove_dir(
    addr: SocketAddr,
    target: &Target,
    tls: Option<&TlsClient>,
    limits: &Limits,
    dir: &str,
) -> Result<(), String> {
    let mut last = String::new();
    for wait_ms in [0u64, 300, 1000, 3000] {
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
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
            // Names are bytes, kept as sent (a leading space, or bytes
            // that are not UTF-8, are part of a name: RFC 2640 §3.1).
            names = listing
                .split(|b| *b == b'\n')
                .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
                .filter(|l| !l.is_empty())
                .take(1000)
                .collect();
        }
        for name in names {
            let base = name.rsplit(|b| *b == b'/').next().unwrap_or(&name).to_vec();
            if base == b"." || base == b".." || base.contains(&0) || base.contains(&b'\r') {
                continue;
            }
            let mut path = format!("{dir}/").into_bytes();
            path.extend_from_slice(&base);
            let line = |verb: &str| {
                let mut l = format!("{verb} ").into_bytes();
                l.extend_from_slice(&path);
                l.extend_from_slice(b"\r\n");
                l
            };
            c.send(&line("DELE"), &mut t)
                .await
                .map_err(|e| e.to_string())?;
            let r = c.read_reply(&mut t).await.map_err(|e| e.to_string())?.value;
            if !r.code().is_completion() {
                c.send(&line("RMD"), &mut t)
                    .await
                    .map_err(|e| e.to_string())?;
                c.read_reply(&mut t).await.map_err(|e| e.to_string())?;
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
