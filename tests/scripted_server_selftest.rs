//! Self-test of the scripted FTP server fixture, over raw tokio sockets.

#[path = "support/scripted_server/mod.rs"]
mod scripted_server;

use scripted_server::{Fault, ScriptedServer};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const T: Duration = Duration::from_secs(5);

struct Ctl {
    r: BufReader<OwnedReadHalf>,
    w: OwnedWriteHalf,
}

impl Ctl {
    async fn connect(addr: SocketAddr) -> Ctl {
        let s = timeout(T, TcpStream::connect(addr)).await.unwrap().unwrap();
        let (r, w) = s.into_split();
        let mut c = Ctl {
            r: BufReader::new(r),
            w,
        };
        let (code, text) = c.reply().await;
        assert_eq!(code, 220, "{text}");
        c
    }

    async fn line(&mut self) -> String {
        // Bytes: the server sends pathnames back as it got them, UTF-8 or not.
        let mut l = Vec::new();
        let n = timeout(T, self.r.read_until(b'\n', &mut l))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "unexpected EOF");
        String::from_utf8_lossy(&l).into_owned()
    }

    /// One complete reply (multi-line aware): code and full text.
    async fn reply(&mut self) -> (u16, String) {
        let first = self.line().await;
        assert!(first.ends_with("\r\n"), "{first:?}");
        let code: u16 = first[..3].parse().unwrap();
        let mut text = first.clone();
        if first.as_bytes()[3] == b'-' {
            let end = format!("{code} ");
            loop {
                let l = self.line().await;
                text.push_str(&l);
                if l.starts_with(&end) {
                    break;
                }
            }
        }
        (code, text)
    }

    async fn send(&mut self, line: &str) {
        self.w
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
    }

    async fn cmd(&mut self, line: &str) -> (u16, String) {
        self.send(line).await;
        self.reply().await
    }

    async fn expect(&mut self, line: &str, code: u16) -> String {
        let (c, text) = self.cmd(line).await;
        assert_eq!(c, code, "{line} -> {text}");
        text
    }

    /// A transfer command with no data connection set up: 150, then 425.
    async fn expect_no_data(&mut self, line: &str) {
        self.expect(line, 150).await;
        let (c, text) = self.reply().await;
        assert_eq!(c, 425, "{line} -> then {text}");
    }

    async fn login(&mut self) {
        self.expect("USER ftpspec", 331).await;
        self.expect("PASS ftpspec", 230).await;
    }

    /// Nothing arrives within `d` (and the connection stays open).
    async fn silent_for(&mut self, d: Duration) -> bool {
        let mut b = [0u8; 1];
        timeout(d, self.r.read(&mut b)).await.is_err()
    }

    /// PASV: the data address.
    async fn pasv(&mut self) -> SocketAddr {
        let text = self.expect("PASV", 227).await;
        parse_227(&text)
    }

    /// EPSV: the data address (control host, given port).
    async fn epsv(&mut self, host: IpAddr) -> SocketAddr {
        let text = self.expect("EPSV", 229).await;
        let inner = text.split('(').nth(1).unwrap().split(')').next().unwrap();
        assert!(inner.starts_with("|||"), "{text}");
        let port: u16 = inner.trim_matches('|').parse().unwrap();
        SocketAddr::new(host, port)
    }
}

fn parse_227(text: &str) -> SocketAddr {
    let inner = text.split('(').nth(1).unwrap().split(')').next().unwrap();
    let n: Vec<u8> = inner.split(',').map(|x| x.parse().unwrap()).collect();
    assert_eq!(n.len(), 6, "{text}");
    SocketAddr::from((
        [n[0], n[1], n[2], n[3]],
        u16::from(n[4]) << 8 | u16::from(n[5]),
    ))
}

async fn data_connect(addr: SocketAddr) -> TcpStream {
    timeout(T, TcpStream::connect(addr)).await.unwrap().unwrap()
}

async fn read_all(mut s: TcpStream) -> Vec<u8> {
    let mut v = Vec::new();
    timeout(T, s.read_to_end(&mut v)).await.unwrap().unwrap();
    v
}

async fn retr_pasv(c: &mut Ctl, path: &str) -> Vec<u8> {
    let a = c.pasv().await;
    let d = data_connect(a).await;
    c.expect(&format!("RETR {path}"), 150).await;
    let got = read_all(d).await;
    c.reply_code(226).await;
    got
}

async fn stor_pasv(c: &mut Ctl, path: &str, data: &[u8]) {
    let a = c.pasv().await;
    let mut d = data_connect(a).await;
    c.expect(&format!("STOR {path}"), 150).await;
    timeout(T, d.write_all(data)).await.unwrap().unwrap();
    d.shutdown().await.unwrap();
    drop(d);
    c.reply_code(226).await;
}

impl Ctl {
    async fn reply_code(&mut self, code: u16) -> String {
        let (c, text) = self.reply().await;
        assert_eq!(c, code, "{text}");
        text
    }
}

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

// ---------------------------------------------------------------------------
// Fault::None

#[tokio::test]
async fn none_login_and_commands() {
    let srv = ScriptedServer::start(Fault::None).await;
    assert_eq!(
        srv.url(),
        format!("ftp://ftpspec:ftpspec@127.0.0.1:{}/", srv.addr.port())
    );
    let mut c = Ctl::connect(srv.addr).await;
    c.expect("PWD", 530).await;
    c.expect("SYST", 215).await;
    c.expect("NOOP", 200).await;
    c.expect("USER", 501).await;
    c.expect("PASS ftpspec", 503).await;
    c.expect("USER ftpspec", 331).await;
    c.expect("PASS wrong", 530).await;
    c.login().await;
    c.expect("bogus", 500).await;
    assert_eq!(
        c.expect("PWD", 257).await,
        "257 \"/\" is the current directory\r\n"
    );
    assert_eq!(c.expect("MKD a", 257).await, "257 \"/a\" created\r\n");
    c.expect("MKD a", 550).await;
    c.expect("MKD x/y", 550).await;
    c.expect("cwd a", 250).await;
    c.expect("MKD b", 257).await;
    c.expect("CWD b", 250).await;
    assert!(c.expect("PWD", 257).await.starts_with("257 \"/a/b\""));
    c.expect("CDUP", 200).await;
    c.expect("CWD ../a/./b/..", 250).await;
    assert!(c.expect("PWD", 257).await.starts_with("257 \"/a\" "));
    c.expect("CWD /nope", 550).await;
    c.expect("MKD q\"x", 257).await;
    c.expect("CWD q\"x", 250).await;
    assert!(c.expect("PWD", 257).await.starts_with("257 \"/a/q\"\"x\" "));
    c.expect("CWD /", 250).await;
    c.expect("RMD a", 550).await; // not empty
    c.expect("RMD /a/q\"x", 250).await;
    c.expect("RMD a/b", 250).await;
    c.expect("RMD a", 250).await;
    c.expect("RMD a", 550).await;
    srv.put_file("/f.txt", b"hello\n");
    assert_eq!(c.expect("SIZE f.txt", 213).await, "213 7\r\n"); // ASCII is the default
    c.expect("TYPE I", 200).await;
    assert_eq!(c.expect("SIZE /f.txt", 213).await, "213 6\r\n");
    c.expect("SIZE nope", 550).await;
    // The time the file was stored, in UTC (RFC 3659 §2.3).
    let mdtm = c.expect("MDTM f.txt", 213).await;
    assert!(
        mdtm.len() == "213 YYYYMMDDHHMMSS\r\n".len() && mdtm.starts_with("213 20"),
        "{mdtm:?}"
    );
    c.expect("MDTM nope", 550).await;
    c.expect("RNTO g.txt", 503).await;
    c.expect("RNFR nope", 550).await;
    c.expect("RNFR f.txt", 350).await;
    c.expect("RNTO g.txt", 250).await;
    assert_eq!(srv.file("/g.txt").as_deref(), Some(&b"hello\n"[..]));
    c.expect("DELE g.txt", 250).await;
    c.expect("DELE g.txt", 550).await;
    c.expect("TYPE A", 200).await;
    c.expect("TYPE A N", 200).await;
    c.expect("TYPE X", 504).await;
    c.expect("MODE S", 200).await;
    c.expect("MODE B", 504).await;
    c.expect("STRU F", 200).await;
    c.expect("STRU R", 504).await;
    c.expect("REST 10", 350).await;
    c.expect("REST x", 501).await;
    c.expect("ABOR", 225).await;
    c.expect("SITE CHMOD 777 x", 500).await;
    c.expect("ALLO 10", 202).await;
    c.expect("ACCT x", 202).await;
    c.expect("SMNT /", 502).await;
    c.expect_no_data("RETR f.txt").await;
    c.expect("RETR", 501).await;
    let stat = c.expect("STAT", 211).await;
    assert!(stat.ends_with("211 End of status\r\n"), "{stat}");
    let help = c.expect("HELP", 214).await;
    assert!(help.ends_with("214 Help OK.\r\n"), "{help}");
    c.expect("REIN", 220).await;
    c.expect("PWD", 530).await;
    c.expect("QUIT", 221).await;
    let mut b = [0u8; 1];
    let n = timeout(T, c.r.read(&mut b)).await.unwrap().unwrap();
    assert_eq!(n, 0, "connection closed after QUIT");
}

#[tokio::test]
async fn none_feat_multiline() {
    let srv = ScriptedServer::start(Fault::None).await;
    let mut c = Ctl::connect(srv.addr).await;
    let feat = c.expect("FEAT", 211).await;
    for f in [
        " EPRT",
        " EPSV",
        " PASV",
        " SIZE",
        " MDTM",
        " REST STREAM",
        " UTF8",
    ] {
        assert!(feat.contains(&format!("\r\n{f}\r\n")), "{f} in {feat}");
    }
    assert!(feat.ends_with("\r\n211 End\r\n"), "{feat}");
    // The session is still in step.
    c.expect("NOOP", 200).await;
}

#[tokio::test]
async fn none_pasv_stor_retr_100k() {
    let srv = ScriptedServer::start(Fault::None).await;
    let mut c = Ctl::connect(srv.addr).await;
    c.login().await;
    c.expect("TYPE I", 200).await;
    let data = payload(100_000);
    stor_pasv(&mut c, "big.bin", &data).await;
    assert!(srv.file("/big.bin").unwrap() == data);
    assert_eq!(c.expect("SIZE big.bin", 213).await, "213 100000\r\n");
    assert!(retr_pasv(&mut c, "/big.bin").await == data);
    // REST then RETR resumes at the offset.
    c.expect("REST 99000", 350).await;
    assert!(retr_pasv(&mut c, "big.bin").await == data[99_000..]);
    // APPE appends.
    let a = c.pasv().await;
    let mut d = data_connect(a).await;
    c.expect("APPE big.bin", 150).await;
    d.write_all(b"tail").await.unwrap();
    drop(d);
    c.reply_code(226).await;
    assert_eq!(srv.file("/big.bin").unwrap().len(), 100_004);
    // STOU stores under a fresh name.
    let a = c.pasv().await;
    let mut d = data_connect(a).await;
    c.expect("STOU", 150).await;
    d.write_all(b"u").await.unwrap();
    drop(d);
    let done = c.reply_code(226).await;
    assert!(done.contains("(FILE: "), "{done}");
    assert_eq!(srv.files().len(), 2);
    // A data setup is used up by one transfer.
    c.expect_no_data("RETR big.bin").await;
    // Missing file.
    let _a = c.pasv().await;
    c.expect("RETR nope", 550).await;
}

#[tokio::test]
async fn none_ascii_conversion() {
    let srv = ScriptedServer::start(Fault::None).await;
    let mut c = Ctl::connect(srv.addr).await;
    c.login().await;
    c.expect("TYPE A", 200).await;
    stor_pasv(&mut c, "t.txt", b"a\r\nb\r\n").await;
    assert_eq!(srv.file("t.txt").unwrap(), b"a\nb\n");
    assert_eq!(retr_pasv(&mut c, "t.txt").await, b"a\r\nb\r\n");
}

#[tokio::test]
async fn none_epsv_list_nlst() {
    let srv = ScriptedServer::start(Fault::None).await;
    srv.put_file("/dir/one.txt", b"12345");
    srv.mkdir("/dir/sub");
    let mut c = Ctl::connect(srv.addr).await;
    c.login().await;
    c.expect("CWD dir", 250).await;
    let host = srv.addr.ip();
    let a = c.epsv(host).await;
    let d = data_connect(a).await;
    c.expect("LIST", 150).await;
    let list = String::from_utf8(read_all(d).await).unwrap();
    c.reply_code(226).await;
    assert_eq!(
        list,
        "-rw-r--r-- 1 ftp ftp 5 Jan 01 00:00 one.txt\r\ndrwxr-xr-x 1 ftp ftp 0 Jan 01 00:00 sub\r\n"
    );
    let a = c.epsv(host).await;
    let d = data_connect(a).await;
    c.expect("NLST /dir", 150).await;
    assert_eq!(read_all(d).await, b"one.txt\r\nsub\r\n");
    c.reply_code(226).await;
    let _ = c.epsv(host).await;
    c.expect("LIST nope", 450).await;
    c.expect("EPSV 2", 522).await;
    c.expect("EPSV ALL", 200).await;
    c.expect("PASV", 503).await;
    c.expect("PORT 127,0,0,1,4,1", 503).await;
    let a = c.epsv(host).await;
    let d = data_connect(a).await;
    c.expect("LIST -la", 150).await;
    assert_eq!(read_all(d).await.len(), list.len());
    c.reply_code(226).await;
}

#[tokio::test]
async fn none_port_retr() {
    let srv = ScriptedServer::start(Fault::None).await;
    srv.put_file("/p.bin", &payload(3000));
    let mut c = Ctl::connect(srv.addr).await;
    c.login().await;
    c.expect("TYPE I", 200).await;
    c.expect("PORT 10,0,0,1,4,1", 425).await;
    c.expect("PORT 127,0,0,1", 501).await;
    c.expect("PORT 127,0,0,1,0,0", 501).await;
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    c.expect(
        &format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff),
        200,
    )
    .await;
    c.expect("RETR p.bin", 150).await;
    let (d, _) = timeout(T, l.accept()).await.unwrap().unwrap();
    assert_eq!(read_all(d).await, payload(3000));
    c.reply_code(226).await;
    // EPRT over IPv4 too.
    c.expect(&format!("EPRT |1|127.0.0.1|{port}|"), 200).await;
    c.expect("RETR p.bin", 150).await;
    let (d, _) = timeout(T, l.accept()).await.unwrap().unwrap();
    assert_eq!(read_all(d).await.len(), 3000);
    c.reply_code(226).await;
    c.expect("EPRT |1|10.1.2.3|2000|", 425).await;
    c.expect("EPRT |3|x|2000|", 522).await;
    c.expect("EPRT garbage", 501).await;
}

#[cfg_attr(
    ftpspec_no_ipv6,
    ignore = "::1 cannot be bound here: needs the IPv6 loopback (build.rs)"
)]
#[tokio::test]
async fn none_ipv6_eprt_and_epsv() {
    let srv = ScriptedServer::start_ipv6(Fault::None).await;
    assert_eq!(
        srv.url(),
        format!("ftp://ftpspec:ftpspec@[::1]:{}/", srv.addr.port())
    );
    srv.put_file("/six", b"over ipv6");
    let mut c = Ctl::connect(srv.addr).await;
    c.login().await;
    c.expect("TYPE I", 200).await;
    c.expect("PASV", 502).await;
    c.expect("EPSV 1", 522).await;
    let a = c.epsv(srv.addr.ip()).await;
    let d = data_connect(a).await;
    c.expect("RETR six", 150).await;
    assert_eq!(read_all(d).await, b"over ipv6");
    c.reply_code(226).await;
    let l = TcpListener::bind("[::1]:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    c.expect(&format!("EPRT |2|::1|{port}|"), 200).await;
    c.expect("RETR six", 150).await;
    let (d, _) = timeout(T, l.accept()).await.unwrap().unwrap();
    assert_eq!(read_all(d).await, b"over ipv6");
    c.reply_code(226).await;
    c.expect("EPRT |2|2001:db8::1|2000|", 425).await;
}

#[tokio::test]
async fn none_long_line_closes() {
    let srv = ScriptedServer::start(Fault::None).await;
    let mut c = Ctl::connect(srv.addr).await;
    let long = "X".repeat(20_000);
    c.w.write_all(long.as_bytes()).await.unwrap();
    c.reply_code(500).await;
    let mut rest = Vec::new();
    timeout(T, c.r.read_to_end(&mut rest)).await.unwrap().ok();
}

#[tokio::test]
async fn drop_stops_accepting() {
    let srv = ScriptedServer::start(Fault::None).await;
    let addr = srv.addr;
    drop(srv);
    tokio::time::sleep(Duration::from_millis(100)).await;
    if let Ok(Ok(mut s)) = timeout(T, TcpStream::connect(addr)).await {
        // Accepted by a kernel backlog at worst: no banner, just a close.
        let mut b = [0u8; 16];
        let n = timeout(T, s.read(&mut b)).await.unwrap().unwrap_or(0);
        assert_eq!(n, 0);
    }
}

// ---------------------------------------------------------------------------
// Each fault, visible on the wire.

async fn logged_in(fault: Fault) -> (ScriptedServer, Ctl) {
    let srv = ScriptedServer::start(fault).await;
    srv.put_file("/f.bin", &payload(1001));
    let mut c = Ctl::connect(srv.addr).await;
    c.login().await;
    c.expect("TYPE I", 200).await;
    (srv, c)
}

#[tokio::test]
async fn fault_wrong_pasv_code() {
    let (_s, mut c) = logged_in(Fault::WrongPasvCode).await;
    let text = c.expect("PASV", 200).await;
    assert!(
        text.starts_with("200 ") && text.contains("(127,0,0,1,"),
        "{text}"
    );
}

#[tokio::test]
async fn fault_malformed_229() {
    let (_s, mut c) = logged_in(Fault::Malformed229).await;
    let text = c.expect("EPSV", 229).await;
    assert!(text.contains("(|1|"), "{text}");
}

#[tokio::test]
async fn fault_bad_multiline_end() {
    let (_s, mut c) = logged_in(Fault::BadMultilineEnd).await;
    c.send("FEAT").await;
    let mut lines = Vec::new();
    loop {
        let mut l = String::new();
        match timeout(Duration::from_millis(300), c.r.read_line(&mut l)).await {
            Ok(Ok(n)) if n > 0 => lines.push(l),
            _ => break,
        }
    }
    assert_eq!(lines.first().map(String::as_str), Some("211-Features:\r\n"));
    assert_eq!(lines.last().map(String::as_str), Some("211-End\r\n"));
    assert!(!lines.iter().any(|l| l.starts_with("211 ")), "{lines:?}");
}

#[tokio::test]
async fn fault_missing_150() {
    let (_s, mut c) = logged_in(Fault::Missing150).await;
    let a = c.pasv().await;
    let d = data_connect(a).await;
    c.send("RETR f.bin").await;
    assert_eq!(read_all(d).await, payload(1001));
    c.reply_code(226).await;
}

#[tokio::test]
async fn fault_duplicated_reply() {
    let (_s, mut c) = logged_in(Fault::DuplicatedReply).await;
    c.expect("NOOP", 200).await;
    c.reply_code(200).await;
    c.expect("PWD", 257).await;
    c.reply_code(257).await;
    // Other replies are single.
    c.expect("SYST", 215).await;
    assert!(c.silent_for(Duration::from_millis(100)).await);
}

#[tokio::test]
async fn fault_corrupt_data() {
    let (_s, mut c) = logged_in(Fault::CorruptData).await;
    let got = retr_pasv(&mut c, "f.bin").await;
    let want = payload(1001);
    assert_eq!(got.len(), want.len());
    let diffs: Vec<usize> = (0..got.len()).filter(|&i| got[i] != want[i]).collect();
    assert_eq!(diffs, [500]);
    assert_eq!(got[500], want[500] ^ 0xFF);
}

#[tokio::test]
async fn fault_foreign_pasv_address() {
    let (s, mut c) = logged_in(Fault::ForeignPasvAddress).await;
    let text = c.expect("PASV", 227).await;
    assert!(text.contains("(10,0,0,1,"), "{text}");
    // The listener is really on 127.0.0.1, at the port named; 229 unaffected.
    let a = SocketAddr::new(s.addr.ip(), parse_227(&text).port());
    let d = data_connect(a).await;
    c.expect("RETR f.bin", 150).await;
    assert_eq!(read_all(d).await.len(), 1001);
    c.reply_code(226).await;
    let _ = c.epsv(s.addr.ip()).await;
}

#[tokio::test]
async fn fault_endless_line() {
    let (s, mut c) = logged_in(Fault::EndlessLine).await;
    c.send("SYST").await;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while got.len() <= 100_000 {
        let n = timeout(T, c.r.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got.starts_with(b"215 AAAA"));
    assert!(!got.windows(2).any(|w| w == b"\r\n"));
    // Before login SYST is normal.
    let mut c2 = Ctl::connect(s.addr).await;
    c2.expect("SYST", 215).await;
}

#[tokio::test]
async fn fault_silence() {
    let (_s, mut c) = logged_in(Fault::Silence).await;
    c.send("NOOP").await;
    assert!(c.silent_for(Duration::from_millis(300)).await);
}

#[tokio::test]
async fn fault_wrong_code_for_command() {
    let (s, mut c) = logged_in(Fault::WrongCodeForCommand).await;
    assert_eq!(c.expect("MKD d", 226).await, "226 made it\r\n");
    assert!(s.is_dir("/d"));
}

#[tokio::test]
async fn fault_no_close_after_quit() {
    let (_s, mut c) = logged_in(Fault::NoCloseAfterQuit).await;
    c.expect("QUIT", 221).await;
    assert!(c.silent_for(Duration::from_millis(200)).await, "still open");
}

/// A fault changes only its own behaviour: a short session avoiding every
/// faulted command behaves normally under each fault.
#[tokio::test]
async fn faults_leave_the_rest_alone() {
    // All502 and All200 change every reply by design; BadGreeting opens no
    // session to look at.
    for fault in Fault::ALL
        .into_iter()
        .filter(|f| !matches!(f, Fault::All502 | Fault::All200 | Fault::BadGreeting))
    {
        let (s, mut c) = logged_in(fault).await;
        c.expect(
            "MKD /ok",
            if fault == Fault::WrongCodeForCommand {
                226
            } else if fault == Fault::Mkd250 {
                250
            } else {
                257
            },
        )
        .await;
        c.expect("CWD /ok", 250).await;
        c.expect("SIZE /f.bin", 213).await;
        if fault != Fault::Missing150 && fault != Fault::Malformed229 {
            let a = c.epsv(s.addr.ip()).await;
            let mut d = data_connect(a).await;
            c.expect("STOR x", 150).await;
            d.write_all(b"xyz").await.unwrap();
            drop(d);
            c.reply_code(226).await;
            assert_eq!(s.file("/ok/x").unwrap(), b"xyz");
        }
        c.expect("TYPE X", 504).await;
    }
}

/// Odd input gets a reply each time and never kills the session.
#[tokio::test]
async fn none_survives_odd_input() {
    let srv = ScriptedServer::start(Fault::None).await;
    let mut c = Ctl::connect(srv.addr).await;
    c.login().await;
    let odd: &[&[u8]] = &[
        b"",
        b" ",
        b"   NOOP",
        b"\xff\xf4\xff\xf2ABOR",
        b"\xc3\x28\xa0\xa1",
        b"EPRT |||",
        b"EPRT ||||||",
        b"EPRT |2|::1|99999|",
        b"EPRT |1|::1|2000|",
        b"EPRT \x01x\x01",
        b"PORT 1,2,3",
        b"PORT 1,2,3,4,5,600",
        b"PORT ,,,,,",
        b"EPSV x",
        b"EPSV 99",
        b"CWD ../../../..",
        b"RNFR /",
        b"RMD /",
        b"MKD /",
        b"DELE /",
        b"STOR /",
        b"REST 99999999999999999999999",
        b"REST -1",
        b"TYPE",
        b"TYPE  ",
        b"TYPE A A A",
        b"LIST - - -",
        b"SIZE \"\"\"",
        b"noop\tx",
    ];
    for line in odd {
        let mut l = line.to_vec();
        l.extend_from_slice(b"\r\n");
        c.w.write_all(&l).await.unwrap();
        let (mut code, mut text) = c.reply().await;
        if (100..200).contains(&code) {
            (code, text) = c.reply().await;
        }
        assert!((200..600).contains(&code), "{line:?} -> {text}");
    }
    // Pseudo-random lines.
    let mut x: u32 = 12345;
    for _ in 0..300 {
        let mut l = Vec::new();
        let verb = [
            "CWD ", "EPRT ", "PORT ", "MKD ", "RNFR ", "REST ", "TYPE ", "", "LIST ",
        ];
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        l.extend_from_slice(verb[(x >> 16) as usize % verb.len()].as_bytes());
        for _ in 0..(x >> 8) % 40 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let b = (x >> 16) as u8;
            if b != b'\n' && b != b'\r' {
                l.push(b);
            }
        }
        // Stay logged in.
        if l.starts_with(b"USER") || l.starts_with(b"REIN") || l.starts_with(b"QUIT") {
            continue;
        }
        l.extend_from_slice(b"\r\n");
        c.w.write_all(&l).await.unwrap();
        let (mut code, mut text) = c.reply().await;
        if (100..200).contains(&code) {
            (code, text) = c.reply().await;
        }
        assert!((200..600).contains(&code), "{l:?} -> {text}");
    }
    // Telnet IP + Synch before ABOR (RFC 959 §4.1.3) are skipped.
    c.w.write_all(b"\xff\xf4\xff\xf2ABOR\r\n").await.unwrap();
    c.reply_code(225).await;
    c.expect("CWD /", 250).await;
    c.expect("NOOP", 200).await;
}
