//! Removing a case's scratch directory over the protocol, on a fresh
//! connection (the case may have left its own in any state).

use crate::driver::{Limits, TlsClient, Transcript};
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
    let mut t = Transcript::default();
    let mut c = super::session::open(addr, target, tls, limits, &mut t).await?;
    c.ask("TYPE I", &mut t).await.map_err(|e| e.to_string())?;
    // NLST gives bare names; a server without it (LightFTP answers
    // 500) most likely has MLSD, whose names follow the facts.
    let names = match list(&mut c, "NLST", dir, limits, &mut t).await? {
        Some(listing) => nlst_names(&listing),
        None => list(&mut c, "MLSD", dir, limits, &mut t)
            .await?
            .map(|l| mlsd_names(&l))
            .unwrap_or_default(),
    };
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

/// One listing of `dir` with `verb` over a passive data connection: its
/// bytes, or `None` when the server refused the command.
async fn list(
    c: &mut crate::driver::Control,
    verb: &str,
    dir: &str,
    limits: &Limits,
    t: &mut Transcript,
) -> Result<Option<Vec<u8>>, String> {
    let conn = super::session::passive_data(c, t).await?;
    c.send(format!("{verb} {dir}\r\n").as_bytes(), t)
        .await
        .map_err(|e| e.to_string())?;
    let first = c.read_reply(t).await.map_err(|e| e.to_string())?.value;
    if !first.code().is_preliminary() {
        return Ok(None);
    }
    let listing = conn.download(limits, t).await.map_err(|e| e.to_string())?;
    c.read_reply(t).await.map_err(|e| e.to_string())?;
    Ok(Some(listing))
}

fn lines(listing: &[u8]) -> impl Iterator<Item = &[u8]> {
    listing
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .take(1000)
}

fn nlst_names(listing: &[u8]) -> Vec<Vec<u8>> {
    lines(listing).map(<[u8]>::to_vec).collect()
}

/// RFC 3659 §7.2: `facts SP pathname`; the directory's own entries
/// (`type=cdir`, `type=pdir`) are left out.
fn mlsd_names(listing: &[u8]) -> Vec<Vec<u8>> {
    lines(listing)
        .filter_map(|l| {
            let sp = l.iter().position(|b| *b == b' ')?;
            let facts = l[..sp].to_ascii_lowercase();
            let own = facts
                .split(|b| *b == b';')
                .any(|f| f == b"type=cdir" || f == b"type=pdir");
            (!own).then(|| l[sp + 1..].to_vec())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mlsd_names_skip_the_directory_itself() {
        let l = b"type=cdir;perm=el; /d\r\ntype=file;size=3; a b.txt\r\nType=PDir; ..\r\n";
        assert_eq!(mlsd_names(l), vec![b"a b.txt".to_vec()]);
        assert_eq!(
            nlst_names(b"x\r\n\r\ny\n"),
            vec![b"x".to_vec(), b"y".to_vec()]
        );
    }
}
