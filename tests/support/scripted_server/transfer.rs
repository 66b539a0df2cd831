//! Data connections and transfers of the scripted server: PASV, EPSV,
//! PORT, EPRT, RETR, STOR/APPE/STOU, LIST/NLST.

use super::fs::{basename, from_crlf, parent, resolve, to_crlf};
use super::session::{DataSetup, Flow, Session};
use super::tls::DataIo;
use super::*;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

impl Session {
    pub(super) async fn endless(&mut self) -> io::Result<Flow> {
        self.send(b"215 ").await?;
        let chunk = vec![b'A'; ENDLESS_CHUNK];
        let mut sent = 0;
        while sent < ENDLESS_MAX {
            if self.send(&chunk).await.is_err() {
                break;
            }
            sent += chunk.len();
        }
        Ok(Flow::Close)
    }

    // --- data connection setup -------------------------------------------

    pub(super) async fn passive_listener(&mut self) -> Option<u16> {
        let l = TcpListener::bind(SocketAddr::new(self.local.ip(), 0))
            .await
            .ok()?;
        let port = l.local_addr().ok()?.port();
        self.data = Some(DataSetup::Passive(l));
        Some(port)
    }

    pub(super) async fn pasv(&mut self) -> io::Result<Flow> {
        if self.epsv_all {
            return self.ok("503 EPSV ALL in effect").await;
        }
        if self.fault == Fault::Malformed227 {
            return self.ok("227 Entering Passive Mode (1,117,162).").await;
        }
        let IpAddr::V4(ip) = self.local.ip() else {
            return self.ok("502 PASV not available over IPv6; use EPSV").await;
        };
        let Some(port) = self.passive_listener().await else {
            return self.ok("425 Cannot open passive listener").await;
        };
        let h = if self.fault == Fault::ForeignPasvAddress {
            [10, 0, 0, 1]
        } else {
            ip.octets()
        };
        let code = if self.fault == Fault::WrongPasvCode {
            200
        } else {
            227
        };
        let text = format!(
            "{code} Entering Passive Mode ({},{},{},{},{},{}).",
            h[0],
            h[1],
            h[2],
            h[3],
            port >> 8,
            port & 0xff
        );
        self.ok(&text).await
    }

    pub(super) async fn epsv(&mut self, arg: &str) -> io::Result<Flow> {
        let want = if self.local.is_ipv4() { "1" } else { "2" };
        let a = arg.trim();
        if a.eq_ignore_ascii_case("ALL") {
            self.epsv_all = true;
            return self.ok("200 EPSV ALL ok").await;
        }
        if !a.is_empty() && a != want {
            if a.parse::<u32>().is_ok() {
                return self
                    .ok(&format!("522 Network protocol not supported, use ({want})"))
                    .await;
            }
            return self.ok("501 Bad EPSV argument").await;
        }
        let Some(port) = self.passive_listener().await else {
            return self.ok("425 Cannot open passive listener").await;
        };
        let text = if self.fault == Fault::Malformed229 {
            format!("229 Entering Extended Passive Mode (|1|{port}|)")
        } else {
            format!("229 Entering Extended Passive Mode (|||{port}|)")
        };
        self.ok(&text).await
    }

    pub(super) async fn active(&mut self, addr: SocketAddr, ok: &str) -> io::Result<Flow> {
        if !addr.ip().is_loopback() {
            return self
                .ok("425 refusing to connect to non-loopback address")
                .await;
        }
        if addr.port() < 1024 && self.fault != Fault::AcceptThirdPartyPort {
            // RFC 2577 §3: "the suggested response is 504".
            return self.ok("504 refusing a data port below 1024").await;
        }
        if addr.ip() != self.peer.ip() && self.fault != Fault::AcceptThirdPartyPort {
            return self
                .ok("504 refusing a data address other than the client's")
                .await;
        }
        self.data = Some(DataSetup::Active(addr));
        self.ok(ok).await
    }

    pub(super) async fn port(&mut self, arg: &str) -> io::Result<Flow> {
        if self.epsv_all {
            return self.ok("503 EPSV ALL in effect").await;
        }
        let nums: Vec<Option<u8>> = arg
            .trim()
            .split(',')
            .map(|n| n.trim().parse::<u8>().ok())
            .collect();
        let parsed: Option<Vec<u8>> = nums.into_iter().collect();
        let Some(n) = parsed.filter(|n| n.len() == 6) else {
            return self.ok("501 Illegal PORT command").await;
        };
        let port = u16::from(n[4]) << 8 | u16::from(n[5]);
        if port == 0 {
            return self.ok("501 Illegal PORT command").await;
        }
        let ip = Ipv4Addr::new(n[0], n[1], n[2], n[3]);
        self.active(
            SocketAddr::new(IpAddr::V4(ip), port),
            "200 PORT command successful",
        )
        .await
    }

    pub(super) async fn eprt(&mut self, arg: &str) -> io::Result<Flow> {
        if self.epsv_all {
            return self.ok("503 EPSV ALL in effect").await;
        }
        let arg = arg.trim();
        let Some(d) = arg.chars().next().filter(|c| ('!'..='~').contains(c)) else {
            return self.ok("501 Illegal EPRT command").await;
        };
        let parts: Vec<&str> = arg.split(d).collect();
        if parts.len() != 5 || !parts[0].is_empty() || !parts[4].is_empty() {
            return self.ok("501 Illegal EPRT command").await;
        }
        let ip: Option<IpAddr> = match parts[1] {
            "1" => parts[2].parse::<Ipv4Addr>().ok().map(IpAddr::V4),
            "2" => parts[2].parse::<Ipv6Addr>().ok().map(IpAddr::V6),
            _ if self.fault == Fault::AcceptUnknownEprtProtocol => {
                return self.ok("200 EPRT command successful").await;
            }
            _ => {
                return self
                    .ok("522 Network protocol not supported, use (1,2)")
                    .await;
            }
        };
        let port = parts[3].parse::<u16>().ok().filter(|&p| p != 0);
        let (Some(ip), Some(port)) = (ip, port) else {
            return self.ok("501 Illegal EPRT command").await;
        };
        self.active(SocketAddr::new(ip, port), "200 EPRT command successful")
            .await
    }

    /// Establish the data connection set up by PASV/EPSV/PORT/EPRT.
    pub(super) async fn open_data(setup: DataSetup) -> Option<TcpStream> {
        let stream = match setup {
            DataSetup::Passive(l) => timeout(DATA_CONNECT, l.accept()).await.ok()?.ok()?.0,
            DataSetup::Active(addr) => {
                if !addr.ip().is_loopback() {
                    return None; // never reached: checked at PORT/EPRT time
                }
                timeout(DATA_CONNECT, TcpStream::connect(addr))
                    .await
                    .ok()?
                    .ok()?
            }
        };
        let _ = stream.set_nodelay(true);
        Some(stream)
    }

    /// The 1yz reply, unless `Fault::Missing150`.
    pub(super) async fn preliminary(&mut self, text: &str) -> io::Result<()> {
        if self.fault == Fault::Missing150 {
            return Ok(());
        }
        self.reply(text).await
    }

    /// The data connection `setup` describes, in the protection PROT set;
    /// `Err` once the reply refusing it is sent (425, or the TLS refusal).
    async fn data_conn(&mut self, setup: DataSetup) -> io::Result<Result<DataIo, Flow>> {
        let Some(tcp) = Self::open_data(setup).await else {
            return self.ok("425 Can't open data connection").await.map(Err);
        };
        match self.protect_data(tcp).await {
            Ok(c) => Ok(Ok(c)),
            Err(reply) => self.ok(reply).await.map(Err),
        }
    }

    /// Send `bytes` over a fresh data connection and answer 425/426/226.
    pub(super) async fn send_data(
        &mut self,
        setup: DataSetup,
        bytes: &[u8],
        done: &str,
    ) -> io::Result<Flow> {
        let mut conn = match self.data_conn(setup).await? {
            Ok(c) => c,
            Err(flow) => return Ok(flow),
        };
        let mut ok = true;
        for chunk in bytes.chunks(64 * 1024) {
            if !matches!(timeout(IO_TIMEOUT, conn.write_all(chunk)).await, Ok(Ok(()))) {
                ok = false;
                break;
            }
        }
        if ok {
            ok = matches!(
                timeout(IO_TIMEOUT, conn.finish(self.fault)).await,
                Ok(Ok(()))
            );
        }
        if !ok || (self.fault == Fault::TlsDataInClearThen426 && self.private) {
            return self.ok("426 Connection closed; transfer aborted").await;
        }
        match self.fault {
            Fault::LateTransferReply => {
                tokio::time::sleep(LATE_REPLY).await;
            }
            // An ABOR that has come by now is answered before the reply
            // of the transfer it came after.
            Fault::AborOvertakes if self.r.take(LATE_REPLY, b"ABOR").await => {
                self.reply("225 ABOR command successful").await?;
            }
            Fault::QuitOvertakes if self.r.take(LATE_REPLY, b"QUIT").await => {
                self.reply("221 Goodbye").await?;
                self.reply(done).await?;
                return Ok(Flow::Close);
            }
            _ => {}
        }
        self.ok(done).await
    }

    /// `Fault::EndlessData`: a download that does not end, chunk after
    /// chunk until the client closes (or `ENDLESS_MAX`), never held whole.
    async fn endless_data(&mut self, setup: DataSetup) -> io::Result<Flow> {
        self.preliminary("150 Opening BINARY mode data connection")
            .await?;
        let mut conn = match self.data_conn(setup).await? {
            Ok(c) => c,
            Err(flow) => return Ok(flow),
        };
        let chunk = vec![b'x'; ENDLESS_CHUNK];
        let mut sent = 0;
        while sent < ENDLESS_MAX {
            if !matches!(
                timeout(IO_TIMEOUT, conn.write_all(&chunk)).await,
                Ok(Ok(()))
            ) {
                break;
            }
            sent += chunk.len();
        }
        drop(conn);
        self.ok("426 Connection closed; transfer aborted").await
    }

    /// A transfer command with no data connection set up: RFC 959 §5.4
    /// lists 425 only after a 1yz, so announce the transfer, then fail it.
    pub(super) async fn no_data_connection(&mut self) -> io::Result<Flow> {
        self.send(b"150 Here it would come\r\n425 Use PORT or PASV first\r\n")
            .await?;
        Ok(Flow::Continue)
    }

    pub(super) async fn retr(&mut self, arg: &str, rest: u64) -> io::Result<Flow> {
        let Some(setup) = self.data.take() else {
            return self.no_data_connection().await;
        };
        let p = self.path(arg);
        let Some(data) = self.fs().files.get(&p).cloned() else {
            return self.ok("550 Failed to open file").await;
        };
        let start = usize::try_from(rest).unwrap_or(usize::MAX).min(data.len());
        let mut bytes = if self.ascii {
            to_crlf(&data[start..])
        } else {
            data[start..].to_vec()
        };
        if self.fault == Fault::EndlessData {
            return self.endless_data(setup).await;
        }
        if self.fault == Fault::CorruptData && !bytes.is_empty() {
            let m = bytes.len() / 2;
            bytes[m] ^= 0xFF;
        }
        let mode = if self.ascii { "ASCII" } else { "BINARY" };
        self.preliminary(&format!(
            "150 Opening {mode} mode data connection for {} ({} bytes)",
            basename(&p),
            bytes.len()
        ))
        .await?;
        self.send_data(setup, &bytes, "226 Transfer complete").await
    }

    pub(super) async fn store(&mut self, verb: &str, arg: &str, rest: u64) -> io::Result<Flow> {
        let Some(setup) = self.data.take() else {
            return self.no_data_connection().await;
        };
        let p = if verb == "STOU" {
            let mut fs = self.fs();
            let base = if arg.trim().is_empty() { "stou" } else { arg };
            let mut p = String::new();
            for _ in 0..1000 {
                fs.unique += 1;
                p = resolve(&self.cwd, &format!("{base}.{}", fs.unique));
                if !fs.exists(&p) {
                    break;
                }
            }
            p
        } else {
            self.path(arg)
        };
        let writable = {
            let fs = self.fs();
            p != "/"
                && !fs.dirs.contains(&p)
                && fs.dirs.contains(&parent(&p))
                && !(verb == "STOU" && fs.exists(&p))
        };
        if !writable {
            return self.ok("553 Could not create file").await;
        }
        let name = basename(&p).to_string();
        let pre = if verb == "STOU" && self.fault == Fault::MultilineStou {
            format!("150-FILE: {name}\r\nOpening the data connection\r\n150 Ok to send data")
        } else if verb == "STOU" {
            format!("150 FILE: {name}")
        } else {
            "150 Ok to send data".to_string()
        };
        self.preliminary(&pre).await?;
        let mut conn = match self.data_conn(setup).await? {
            Ok(c) => c,
            Err(flow) => return Ok(flow),
        };
        let mut got = Vec::new();
        let mut tmp = vec![0u8; 64 * 1024];
        let mut too_big = false;
        loop {
            match timeout(IO_TIMEOUT, conn.read(&mut tmp)).await {
                Ok(Ok(0)) => break,
                Ok(Ok(n)) => {
                    if got.len() + n > MAX_FILE {
                        too_big = true;
                        break;
                    }
                    got.extend_from_slice(&tmp[..n]);
                }
                _ => {
                    drop(conn);
                    return self.ok("426 Connection closed; transfer aborted").await;
                }
            }
        }
        drop(conn);
        if too_big {
            return self.ok("552 Exceeded storage allocation").await;
        }
        let got = if self.ascii { from_crlf(&got) } else { got };
        {
            let mut fs = self.fs();
            let entry = fs.files.entry(p.clone()).or_default();
            match verb {
                "APPE" => entry.extend_from_slice(&got),
                _ if rest > 0 => {
                    let keep = usize::try_from(rest).unwrap_or(usize::MAX).min(entry.len());
                    entry.truncate(keep);
                    entry.extend_from_slice(&got);
                }
                _ => *entry = got,
            }
        }
        if verb == "STOU" {
            self.ok(&format!("226 Transfer complete (FILE: {name})"))
                .await
        } else {
            self.ok("226 Transfer complete").await
        }
    }

    pub(super) async fn list(&mut self, verb: &str, arg: &str) -> io::Result<Flow> {
        let Some(setup) = self.data.take() else {
            return self.no_data_connection().await;
        };
        // Skip `ls`-style options such as `-la`.
        let mut target = arg.trim();
        while target.starts_with('-') {
            target = target.split_once(' ').map_or("", |(_, r)| r.trim_start());
        }
        let p = self.path(target);
        if self.fault == Fault::ListFailsBesideWrites
            && p == "/"
            && self.fs().dirs.iter().any(|d| d != "/")
        {
            self.preliminary("150 Here comes the directory listing")
                .await?;
            drop(setup);
            return self.ok("550 File not found").await;
        }
        let entries: Option<Vec<(String, Option<usize>)>> = {
            let fs = self.fs();
            if fs.dirs.contains(&p) {
                Some(fs.children(&p))
            } else {
                fs.files
                    .get(&p)
                    .map(|d| vec![(basename(&p).to_string(), Some(d.len()))])
            }
        };
        let Some(entries) = entries else {
            return self.ok("450 No such file or directory").await;
        };
        let mut entries = entries;
        if self.fault == Fault::ListingReversed {
            entries.reverse();
            if verb == "NLST" && self.fs().dirs.contains(&p) {
                entries.insert(0, ("..".to_owned(), None));
                entries.insert(0, (".".to_owned(), None));
            }
        }
        let mut out = String::new();
        for (name, size) in entries {
            if verb == "NLST" {
                out.push_str(&format!("{name}\r\n"));
            } else {
                let (mode, size) = match size {
                    Some(n) => ("-rw-r--r--", n),
                    None => ("drwxr-xr-x", 0),
                };
                out.push_str(&format!("{mode} 1 ftp ftp {size} Jan 01 00:00 {name}\r\n"));
            }
        }
        self.preliminary("150 Here comes the directory listing")
            .await?;
        self.send_data(setup, &super::lines::latin1(&out), "226 Directory send OK")
            .await
    }
}
