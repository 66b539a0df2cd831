//! A scripted FTP server: a fault-injection fixture for integration tests.
//!
//! With [`Fault::None`] it is a small RFC 959 (plus RFC 2428, RFC 2389,
//! RFC 3659 SIZE/MDTM) conformant server over an in-memory file system shared
//! by every connection of one [`ScriptedServer`]. Each other [`Fault`] breaks
//! exactly one behaviour, so a client under test can be shown to notice it.
//!
//! Safety and boundedness: the server never panics on input, every loop is
//! bounded (by a count, a size cap or a timeout), idle control connections end
//! after 30 s, and in active mode (PORT/EPRT) it only ever connects to
//! loopback addresses.

#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::timeout;

/// The user name the server accepts.
pub const USER: &str = "ftpspec";
/// The password the server accepts.
pub const PASS: &str = "ftpspec";

/// Longest command line accepted (without its CRLF); longer gets 500 and a close.
const MAX_LINE: usize = 8 * 1024;
/// Control connections silent this long are closed (with a 421).
const IDLE: Duration = Duration::from_secs(30);
/// How long a passive listener waits for the client, or an active connect takes.
const DATA_CONNECT: Duration = Duration::from_secs(5);
/// Bound on each single read or write once a connection is established.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest file STOR/APPE/STOU accept.
const MAX_FILE: usize = 64 * 1024 * 1024;
/// `Fault::EndlessLine` chunk size and total cap.
const ENDLESS_CHUNK: usize = 64 * 1024;
const ENDLESS_MAX: usize = 64 * 1024 * 1024;
/// How long a silent session (`Silence`, `NoCloseAfterQuit`) is kept open at most.
const SILENT_MAX: Duration = Duration::from_secs(120);
/// Concurrent sessions per server; more are refused (closed at once).
const MAX_SESSIONS: usize = 256;
/// Fixed modification time reported by MDTM.
const MDTM: &str = "20260101000000";

/// The one behaviour a [`ScriptedServer`] gets wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A conformant server.
    None,
    /// PASV answered with `200 Entering Passive Mode (h1,h2,h3,h4,p1,p2).` instead of 227.
    WrongPasvCode,
    /// EPSV answered `229 Entering Extended Passive Mode (|1|port|)` (wrong shape).
    Malformed229,
    /// Multi-line replies (FEAT, HELP, STAT) end with `nnn-End`-style lines:
    /// the terminating `nnn ` line never comes.
    BadMultilineEnd,
    /// RETR/STOR/APPE/STOU/LIST/NLST: no 1yz preliminary reply, only the final 226.
    Missing150,
    /// Every reply to NOOP and PWD is sent twice (in one write).
    DuplicatedReply,
    /// RETR sends the file with its middle byte XOR 0xFF.
    CorruptData,
    /// 227 names 10.0.0.1 (the listener is on the real address); 229 unaffected.
    ForeignPasvAddress,
    /// After login, SYST is answered `215 ` followed by endless `A` bytes, no CRLF.
    EndlessLine,
    /// After login, NOOP is never answered; the session then reads and
    /// ignores all further input without replying (connection kept open).
    Silence,
    /// MKD answered `226 made it` (the directory is still created).
    WrongCodeForCommand,
    /// QUIT answered 221 but the connection is left open (input ignored).
    NoCloseAfterQuit,
    /// PORT/EPRT naming a loopback address other than the client's is
    /// accepted and connected to (the conformant server refuses it, as
    /// RFC 2577 §3 advises).
    AcceptThirdPartyPort,
    /// FEAT lists its features without the leading space (RFC 2389 §3.2).
    UnindentedFeat,
    /// After login, every command is answered `502 Command not implemented`.
    All502,
    /// After login, every command is answered `200 OK`.
    All200,
    /// ABOR is never answered; the session goes on and later commands are.
    SilentAbor,
}

impl Fault {
    /// Every fault, `None` first.
    pub const ALL: [Fault; 17] = [
        Fault::None,
        Fault::WrongPasvCode,
        Fault::Malformed229,
        Fault::BadMultilineEnd,
        Fault::Missing150,
        Fault::DuplicatedReply,
        Fault::CorruptData,
        Fault::ForeignPasvAddress,
        Fault::EndlessLine,
        Fault::Silence,
        Fault::WrongCodeForCommand,
        Fault::NoCloseAfterQuit,
        Fault::AcceptThirdPartyPort,
        Fault::UnindentedFeat,
        Fault::All502,
        Fault::All200,
        Fault::SilentAbor,
    ];
}

/// A running scripted server. Dropping it stops accepting and ends its sessions.
pub struct ScriptedServer {
    /// Where the control connection listens.
    pub addr: SocketAddr,
    /// The injected fault.
    pub fault: Fault,
    fs: Arc<Mutex<MemFs>>,
    task: JoinHandle<()>,
}

impl ScriptedServer {
    /// Start on 127.0.0.1, an ephemeral port. Panics if that cannot be bound.
    pub async fn start(fault: Fault) -> ScriptedServer {
        Self::start_on(IpAddr::V4(Ipv4Addr::LOCALHOST), fault).await
    }

    /// Start on `ip`, an ephemeral port. Panics if that cannot be bound.
    pub async fn start_on(ip: IpAddr, fault: Fault) -> ScriptedServer {
        match Self::try_start_on(ip, fault).await {
            Ok(s) => s,
            Err(e) => panic!("scripted server: cannot bind {ip}: {e}"),
        }
    }

    /// Start on `ip`, an ephemeral port; an error if it cannot be bound
    /// (e.g. `::1` on a host without IPv6).
    pub async fn try_start_on(ip: IpAddr, fault: Fault) -> io::Result<ScriptedServer> {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await?;
        let addr = listener.local_addr()?;
        let fs = Arc::new(Mutex::new(MemFs::new()));
        let task = tokio::spawn(accept_loop(listener, fault, fs.clone()));
        Ok(ScriptedServer {
            addr,
            fault,
            fs,
            task,
        })
    }

    /// `ftp://ftpspec:ftpspec@127.0.0.1:PORT/` (`[::1]` for IPv6).
    pub fn url(&self) -> String {
        format!("ftp://{USER}:{PASS}@{}/", self.addr)
    }

    /// Create (or replace) the file at absolute `path`, creating parent directories.
    pub fn put_file(&self, path: &str, data: &[u8]) {
        let p = resolve("/", path);
        let mut fs = lock(&self.fs);
        fs.mkdir_all(&parent(&p));
        fs.dirs.remove(&p);
        fs.files.insert(p, data.to_vec());
    }

    /// Create the directory at absolute `path` and its parents.
    pub fn mkdir(&self, path: &str) {
        lock(&self.fs).mkdir_all(&resolve("/", path));
    }

    /// The contents of the file at absolute `path`.
    pub fn file(&self, path: &str) -> Option<Vec<u8>> {
        lock(&self.fs).files.get(&resolve("/", path)).cloned()
    }

    /// Whether absolute `path` is a directory.
    pub fn is_dir(&self, path: &str) -> bool {
        lock(&self.fs).dirs.contains(&resolve("/", path))
    }

    /// Every file path, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = lock(&self.fs).files.keys().cloned().collect();
        v.sort();
        v
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        // Dropping the accept task drops its JoinSet, which aborts every session.
        self.task.abort();
    }
}

fn lock(fs: &Mutex<MemFs>) -> MutexGuard<'_, MemFs> {
    fs.lock().unwrap_or_else(|e| e.into_inner())
}

async fn accept_loop(listener: TcpListener, fault: Fault, fs: Arc<Mutex<MemFs>>) {
    let mut sessions = JoinSet::new();
    loop {
        while sessions.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((stream, _)) => {
                if sessions.len() < MAX_SESSIONS {
                    sessions.spawn(session(stream, fault, fs.clone()));
                }
            }
            // E.g. out of file descriptors: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

// ---------------------------------------------------------------------------
// In-memory file system. Paths are absolute, normalised, "/"-separated.

struct MemFs {
    files: HashMap<String, Vec<u8>>,
    dirs: BTreeSet<String>,
    unique: u64,
}

impl MemFs {
    fn new() -> MemFs {
        MemFs {
            files: HashMap::new(),
            dirs: BTreeSet::from(["/".to_string()]),
            unique: 0,
        }
    }

    fn exists(&self, p: &str) -> bool {
        self.dirs.contains(p) || self.files.contains_key(p)
    }

    fn mkdir_all(&mut self, p: &str) {
        let mut cur = String::from("/");
        for c in p.split('/').filter(|c| !c.is_empty()) {
            cur = join(&cur, c);
            if !self.files.contains_key(&cur) {
                self.dirs.insert(cur.clone());
            }
        }
    }

    /// Entries directly in `dir`: (name, size or `None` for a directory), sorted.
    fn children(&self, dir: &str) -> Vec<(String, Option<usize>)> {
        let mut v: Vec<(String, Option<usize>)> = self
            .dirs
            .iter()
            .filter(|d| d.as_str() != "/" && parent(d) == dir)
            .map(|d| (basename(d).to_string(), None))
            .chain(
                self.files
                    .iter()
                    .filter(|(f, _)| parent(f) == dir)
                    .map(|(f, data)| (basename(f).to_string(), Some(data.len()))),
            )
            .collect();
        v.sort();
        v
    }

    fn has_children(&self, dir: &str) -> bool {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        self.files.keys().any(|f| f.starts_with(&prefix))
            || self.dirs.iter().any(|d| d != dir && d.starts_with(&prefix))
    }

    /// Rename a file or a directory (with everything below it).
    fn rename(&mut self, from: &str, to: &str) -> bool {
        if from == "/" || to == "/" || from == to || !self.exists(from) {
            return false;
        }
        if !self.dirs.contains(&parent(to)) {
            return false;
        }
        if let Some(data) = self.files.get(from).cloned() {
            if self.dirs.contains(to) {
                return false;
            }
            self.files.remove(from);
            self.files.insert(to.to_string(), data);
            return true;
        }
        // A directory: the target must not exist nor lie inside the source.
        let prefix = format!("{from}/");
        if self.exists(to) || to.starts_with(&prefix) {
            return false;
        }
        let moved = |p: &str| format!("{to}{}", &p[from.len()..]);
        let dirs: Vec<String> = self
            .dirs
            .iter()
            .filter(|d| d.as_str() == from || d.starts_with(&prefix))
            .cloned()
            .collect();
        for d in dirs {
            self.dirs.remove(&d);
            self.dirs.insert(moved(&d));
        }
        let files: Vec<String> = self
            .files
            .keys()
            .filter(|f| f.starts_with(&prefix))
            .cloned()
            .collect();
        for f in files {
            if let Some(data) = self.files.remove(&f) {
                self.files.insert(moved(&f), data);
            }
        }
        true
    }
}

/// Resolve `arg` (absolute or relative to `cwd`), handling `.` and `..`.
fn resolve(cwd: &str, arg: &str) -> String {
    let mut parts: Vec<&str> = if arg.starts_with('/') {
        Vec::new()
    } else {
        cwd.split('/').filter(|c| !c.is_empty()).collect()
    };
    for c in arg.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(p: &str) -> String {
    match p.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => p[..i].to_string(),
    }
}

fn basename(p: &str) -> &str {
    match p.rfind('/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// RFC 959 appendix II: a `"` inside a quoted path name is doubled.
fn quote(p: &str) -> String {
    format!("\"{}\"", p.replace('"', "\"\""))
}

fn to_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn from_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'\r' && data.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------
// Control connection.

/// Drop Telnet commands (RFC 854) from a command line: `IAC IAC` is a literal
/// 0xFF, `IAC WILL/WONT/DO/DONT x` and `IAC x` (e.g. IP, DM before ABOR) go.
fn strip_telnet(line: &[u8]) -> Vec<u8> {
    const IAC: u8 = 0xFF;
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i] != IAC {
            out.push(line[i]);
            i += 1;
            continue;
        }
        match line.get(i + 1) {
            Some(&IAC) => {
                out.push(IAC);
                i += 2;
            }
            Some(0xFB..=0xFE) => i += 3,
            _ => i += 2,
        }
    }
    // A Telnet Synch leaves a bare DM (0xF2) in the stream before the command.
    while out.first() == Some(&0xF2) {
        out.remove(0);
    }
    out
}

enum Line {
    Text(String),
    TooLong,
    Idle,
    Eof,
}

struct LineReader {
    r: OwnedReadHalf,
    buf: Vec<u8>,
}

impl LineReader {
    /// The next line (CRLF or bare LF terminated), bounded by `MAX_LINE` and `IDLE`.
    async fn next(&mut self) -> Line {
        let mut tmp = [0u8; 4096];
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=i).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > MAX_LINE {
                    return Line::TooLong;
                }
                let line = strip_telnet(&line);
                return Line::Text(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buf.len() > MAX_LINE {
                return Line::TooLong;
            }
            match timeout(IDLE, self.r.read(&mut tmp)).await {
                Err(_) => return Line::Idle,
                Ok(Ok(0)) | Ok(Err(_)) => return Line::Eof,
                Ok(Ok(n)) => self.buf.extend_from_slice(&tmp[..n]),
            }
        }
    }

    /// Read and discard input until EOF, idleness, or `SILENT_MAX`.
    async fn drain(&mut self) {
        self.buf.clear();
        let r = &mut self.r;
        let _ = timeout(SILENT_MAX, async move {
            let mut tmp = [0u8; 4096];
            while let Ok(Ok(n)) = timeout(IDLE, r.read(&mut tmp)).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
    }
}

enum Flow {
    Continue,
    Close,
    /// Keep the connection open but never reply again.
    Silent,
}

enum DataSetup {
    Passive(TcpListener),
    Active(SocketAddr),
}

struct Session {
    r: LineReader,
    w: OwnedWriteHalf,
    fault: Fault,
    fs: Arc<Mutex<MemFs>>,
    local: SocketAddr,
    peer: SocketAddr,
    user: Option<String>,
    logged_in: bool,
    cwd: String,
    ascii: bool,
    rest: u64,
    rnfr: Option<String>,
    data: Option<DataSetup>,
    epsv_all: bool,
}

async fn session(stream: TcpStream, fault: Fault, fs: Arc<Mutex<MemFs>>) {
    let (Ok(local), Ok(peer)) = (stream.local_addr(), stream.peer_addr()) else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let (r, w) = stream.into_split();
    let mut s = Session {
        r: LineReader { r, buf: Vec::new() },
        w,
        fault,
        fs,
        local,
        peer,
        user: None,
        logged_in: false,
        cwd: "/".to_string(),
        ascii: true, // RFC 959 §3.1.1.1: ASCII is the default type.
        rest: 0,
        rnfr: None,
        data: None,
        epsv_all: false,
    };
    if s.reply("220 scripted server ready").await.is_err() {
        return;
    }
    loop {
        let line = match s.r.next().await {
            Line::Text(l) => l,
            Line::TooLong => {
                let _ = s.reply("500 Command line too long").await;
                break;
            }
            Line::Idle => {
                let _ = s
                    .reply("421 Idle timeout, closing control connection")
                    .await;
                break;
            }
            Line::Eof => break,
        };
        match s.command(&line).await {
            Ok(Flow::Continue) => {}
            Ok(Flow::Close) | Err(_) => break,
            Ok(Flow::Silent) => {
                s.r.drain().await;
                break;
            }
        }
    }
    let _ = timeout(Duration::from_secs(1), s.w.shutdown()).await;
}

/// Verbs this server knows; anything else is 500.
const KNOWN: &[&str] = &[
    "USER", "PASS", "ACCT", "CWD", "XCWD", "CDUP", "XCUP", "SMNT", "REIN", "QUIT", "PORT", "PASV",
    "EPRT", "EPSV", "TYPE", "STRU", "MODE", "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR",
    "RNTO", "ABOR", "DELE", "RMD", "XRMD", "MKD", "XMKD", "PWD", "XPWD", "LIST", "NLST", "SITE",
    "SYST", "STAT", "HELP", "NOOP", "FEAT", "OPTS", "SIZE", "MDTM",
];

/// Allowed before login.
const PRE_LOGIN: &[&str] = &[
    "USER", "PASS", "QUIT", "FEAT", "SYST", "HELP", "NOOP", "REIN",
];

/// Need an argument (501 without).
const NEEDS_ARG: &[&str] = &[
    "USER", "PASS", "ACCT", "CWD", "XCWD", "SMNT", "PORT", "EPRT", "TYPE", "STRU", "MODE", "RETR",
    "STOR", "APPE", "ALLO", "REST", "RNFR", "RNTO", "DELE", "RMD", "XRMD", "MKD", "XMKD", "SITE",
    "OPTS", "SIZE", "MDTM",
];

impl Session {
    async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match timeout(IO_TIMEOUT, self.w.write_all(bytes)).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out")),
        }
    }

    async fn reply(&mut self, text: &str) -> io::Result<()> {
        self.send(format!("{text}\r\n").as_bytes()).await
    }

    async fn ok(&mut self, text: &str) -> io::Result<Flow> {
        self.reply(text).await?;
        Ok(Flow::Continue)
    }

    /// A multi-line reply: `code-first`, `lines` (each starting with a space), `code last`.
    async fn multiline(
        &mut self,
        code: u16,
        first: &str,
        lines: &[&str],
        last: &str,
    ) -> io::Result<Flow> {
        let mut out = format!("{code}-{first}\r\n");
        for l in lines {
            out.push_str(l);
            out.push_str("\r\n");
        }
        let sep = if self.fault == Fault::BadMultilineEnd {
            '-'
        } else {
            ' '
        };
        out.push_str(&format!("{code}{sep}{last}\r\n"));
        self.send(out.as_bytes()).await?;
        Ok(Flow::Continue)
    }

    /// A reply that `Fault::DuplicatedReply` doubles.
    async fn maybe_twice(&mut self, text: &str) -> io::Result<Flow> {
        let mut out = format!("{text}\r\n");
        if self.fault == Fault::DuplicatedReply {
            out = out.repeat(2);
        }
        self.send(out.as_bytes()).await?;
        Ok(Flow::Continue)
    }

    fn fs(&self) -> MutexGuard<'_, MemFs> {
        lock(&self.fs)
    }

    fn path(&self, arg: &str) -> String {
        resolve(&self.cwd, arg)
    }

    fn reset(&mut self) {
        self.user = None;
        self.logged_in = false;
        self.cwd = "/".to_string();
        self.ascii = true;
        self.rest = 0;
        self.rnfr = None;
        self.data = None;
        self.epsv_all = false;
    }

    async fn command(&mut self, line: &str) -> io::Result<Flow> {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let verb = verb.to_ascii_uppercase();
        let verb = verb.as_str();
        // RNFR only affects the command right after it. A REST offset is
        // kept until the next transfer command uses it (leniently allowing
        // e.g. REST, PASV, RETR).
        let rest = if matches!(verb, "RETR" | "STOR" | "APPE" | "STOU") {
            std::mem::take(&mut self.rest)
        } else {
            0
        };
        let rnfr = self.rnfr.take();

        if self.logged_in && self.fault == Fault::All502 {
            return self.ok("502 Command not implemented").await;
        }
        if self.logged_in && self.fault == Fault::All200 {
            return self.ok("200 OK").await;
        }
        if !KNOWN.contains(&verb) {
            return self.ok("500 Unknown command").await;
        }
        if !self.logged_in && !PRE_LOGIN.contains(&verb) {
            return self.ok("530 Please login with USER and PASS").await;
        }
        if NEEDS_ARG.contains(&verb) && arg.trim().is_empty() {
            return self.ok(&format!("501 {verb} needs an argument")).await;
        }

        match verb {
            "USER" => {
                self.logged_in = false;
                self.user = Some(arg.to_string());
                self.ok("331 Please specify the password").await
            }
            "PASS" => {
                if self.logged_in {
                    return self.ok("230 Already logged in").await;
                }
                match self.user.take() {
                    None => self.ok("503 Login with USER first").await,
                    Some(u) if u == USER && arg == PASS => {
                        self.logged_in = true;
                        self.ok("230 Login successful").await
                    }
                    Some(_) => self.ok("530 Login incorrect").await,
                }
            }
            "ACCT" => self.ok("202 ACCT not needed").await,
            "SMNT" => self.ok("502 SMNT not implemented").await,
            "REIN" => {
                self.reset();
                self.ok("220 Service ready for new user").await
            }
            "QUIT" => {
                self.reply("221 Goodbye").await?;
                if self.fault == Fault::NoCloseAfterQuit {
                    Ok(Flow::Silent)
                } else {
                    Ok(Flow::Close)
                }
            }
            "SYST" => {
                if self.logged_in && self.fault == Fault::EndlessLine {
                    return self.endless().await;
                }
                self.ok("215 UNIX Type: L8").await
            }
            "FEAT" if !arg.trim().is_empty() => {
                // RFC 2389 §3.2: FEAT with parameters "will result in a 501 reply".
                self.ok("501 FEAT takes no arguments").await
            }
            "FEAT" => {
                const FEATURES: [&str; 7] = [
                    " EPRT",
                    " EPSV",
                    " PASV",
                    " SIZE",
                    " MDTM",
                    " REST STREAM",
                    " UTF8",
                ];
                let lines: Vec<&str> = if self.fault == Fault::UnindentedFeat {
                    FEATURES.iter().map(|f| f.trim_start()).collect()
                } else {
                    FEATURES.to_vec()
                };
                self.multiline(211, "Features:", &lines, "End").await
            }
            "HELP" => {
                self.multiline(
                    214,
                    "The following commands are recognized:",
                    &[
                        " USER PASS ACCT CWD CDUP SMNT REIN QUIT PORT PASV EPRT EPSV",
                        " TYPE STRU MODE RETR STOR STOU APPE ALLO REST RNFR RNTO ABOR",
                        " DELE RMD MKD PWD LIST NLST SITE SYST STAT HELP NOOP FEAT OPTS",
                        " SIZE MDTM",
                    ],
                    "Help OK.",
                )
                .await
            }
            "STAT" => {
                let ty = if self.ascii {
                    " TYPE: ASCII"
                } else {
                    " TYPE: BINARY"
                };
                self.multiline(
                    211,
                    "scripted server status:",
                    &[" Logged in as ftpspec", ty, " MODE: Stream, STRU: File"],
                    "End of status",
                )
                .await
            }
            "NOOP" => {
                if self.logged_in && self.fault == Fault::Silence {
                    return Ok(Flow::Silent);
                }
                self.maybe_twice("200 NOOP ok").await
            }
            "PWD" | "XPWD" => {
                let text = format!("257 {} is the current directory", quote(&self.cwd));
                self.maybe_twice(&text).await
            }
            "CWD" | "XCWD" => {
                let p = self.path(arg);
                if self.fs().dirs.contains(&p) {
                    self.cwd = p;
                    self.ok("250 Directory successfully changed").await
                } else {
                    self.ok("550 Failed to change directory").await
                }
            }
            "CDUP" | "XCUP" => {
                self.cwd = parent(&self.cwd);
                self.ok("200 Directory changed").await
            }
            "MKD" | "XMKD" => {
                let p = self.path(arg);
                let created = {
                    let mut fs = self.fs();
                    if fs.exists(&p) || !fs.dirs.contains(&parent(&p)) {
                        false
                    } else {
                        fs.dirs.insert(p.clone());
                        true
                    }
                };
                if !created {
                    self.ok("550 Create directory operation failed").await
                } else if self.fault == Fault::WrongCodeForCommand {
                    self.ok("226 made it").await
                } else {
                    self.ok(&format!("257 {} created", quote(&p))).await
                }
            }
            "RMD" | "XRMD" => {
                let p = self.path(arg);
                let inside_cwd = self.cwd == p || self.cwd.starts_with(&format!("{p}/"));
                let removed = {
                    let mut fs = self.fs();
                    if p == "/" || inside_cwd || !fs.dirs.contains(&p) || fs.has_children(&p) {
                        false
                    } else {
                        fs.dirs.remove(&p)
                    }
                };
                if removed {
                    self.ok("250 Remove directory operation successful").await
                } else {
                    self.ok("550 Remove directory operation failed").await
                }
            }
            "DELE" => {
                let p = self.path(arg);
                let removed = self.fs().files.remove(&p).is_some();
                if removed {
                    self.ok("250 Delete operation successful").await
                } else {
                    self.ok("550 Delete operation failed").await
                }
            }
            "SIZE" => {
                let p = self.path(arg);
                let size = self.fs().files.get(&p).map(|d| {
                    if self.ascii {
                        d.len() + d.iter().filter(|&&b| b == b'\n').count()
                    } else {
                        d.len()
                    }
                });
                match size {
                    Some(n) => self.ok(&format!("213 {n}")).await,
                    None => self.ok("550 Could not get file size").await,
                }
            }
            "MDTM" => {
                let p = self.path(arg);
                let is_file = self.fs().files.contains_key(&p);
                if is_file {
                    self.ok(&format!("213 {MDTM}")).await
                } else {
                    self.ok("550 Could not get file modification time").await
                }
            }
            "RNFR" => {
                let p = self.path(arg);
                let exists = p != "/" && self.fs().exists(&p);
                if exists {
                    self.rnfr = Some(p);
                    self.ok("350 Ready for RNTO").await
                } else {
                    self.ok("550 RNFR command failed").await
                }
            }
            "RNTO" => match rnfr {
                None => self.ok("503 RNFR required first").await,
                Some(from) => {
                    let to = self.path(arg);
                    let renamed = self.fs().rename(&from, &to);
                    if renamed {
                        self.ok("250 Rename successful").await
                    } else {
                        self.ok("553 Rename failed").await
                    }
                }
            },
            "TYPE" => {
                let t = arg.trim().to_ascii_uppercase();
                let t: Vec<&str> = t.split_whitespace().collect();
                match t.as_slice() {
                    ["A"] | ["A", "N"] => {
                        self.ascii = true;
                        self.ok("200 Switching to ASCII mode").await
                    }
                    ["I"] | ["L", "8"] => {
                        self.ascii = false;
                        self.ok("200 Switching to Binary mode").await
                    }
                    _ => self.ok("504 Unsupported TYPE").await,
                }
            }
            "MODE" => {
                if arg.trim().eq_ignore_ascii_case("S") {
                    self.ok("200 Mode set to S").await
                } else {
                    self.ok("504 Only MODE S is supported").await
                }
            }
            "STRU" => {
                if arg.trim().eq_ignore_ascii_case("F") {
                    self.ok("200 Structure set to F").await
                } else {
                    self.ok("504 Only STRU F is supported").await
                }
            }
            "ALLO" => self.ok("202 ALLO command ignored").await,
            "SITE" => self.ok("500 SITE command not understood").await,
            "OPTS" => {
                let o = arg.trim().to_ascii_uppercase();
                if o == "UTF8 ON" || o == "UTF8" {
                    self.ok("200 Always in UTF8 mode").await
                } else {
                    self.ok("501 Option not understood").await
                }
            }
            "ABOR" => {
                self.data = None;
                if self.fault == Fault::SilentAbor {
                    return Ok(Flow::Continue);
                }
                self.ok("225 No transfer to abort").await
            }
            "REST" => match arg.trim().parse::<u64>() {
                Ok(n) => {
                    self.rest = n;
                    self.ok(&format!("350 Restarting at {n}")).await
                }
                Err(_) => self.ok("501 REST needs a decimal offset").await,
            },
            "PASV" => self.pasv().await,
            "EPSV" => self.epsv(arg).await,
            "PORT" => self.port(arg).await,
            "EPRT" => self.eprt(arg).await,
            "RETR" => self.retr(arg, rest).await,
            "STOR" | "APPE" | "STOU" => self.store(verb, arg, rest).await,
            "LIST" | "NLST" => self.list(verb, arg).await,
            _ => self.ok("500 Unknown command").await,
        }
    }

    async fn endless(&mut self) -> io::Result<Flow> {
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

    async fn passive_listener(&mut self) -> Option<u16> {
        let l = TcpListener::bind(SocketAddr::new(self.local.ip(), 0))
            .await
            .ok()?;
        let port = l.local_addr().ok()?.port();
        self.data = Some(DataSetup::Passive(l));
        Some(port)
    }

    async fn pasv(&mut self) -> io::Result<Flow> {
        if self.epsv_all {
            return self.ok("503 EPSV ALL in effect").await;
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

    async fn epsv(&mut self, arg: &str) -> io::Result<Flow> {
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

    async fn active(&mut self, addr: SocketAddr, ok: &str) -> io::Result<Flow> {
        if !addr.ip().is_loopback() {
            return self
                .ok("425 refusing to connect to non-loopback address")
                .await;
        }
        if addr.port() < 1024 {
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

    async fn port(&mut self, arg: &str) -> io::Result<Flow> {
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

    async fn eprt(&mut self, arg: &str) -> io::Result<Flow> {
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
    async fn open_data(setup: DataSetup) -> Option<TcpStream> {
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
    async fn preliminary(&mut self, text: &str) -> io::Result<()> {
        if self.fault == Fault::Missing150 {
            return Ok(());
        }
        self.reply(text).await
    }

    /// Send `bytes` over a fresh data connection and answer 425/426/226.
    async fn send_data(&mut self, setup: DataSetup, bytes: &[u8], done: &str) -> io::Result<Flow> {
        let Some(mut conn) = Self::open_data(setup).await else {
            return self.ok("425 Can't open data connection").await;
        };
        let mut ok = true;
        for chunk in bytes.chunks(64 * 1024) {
            if !matches!(timeout(IO_TIMEOUT, conn.write_all(chunk)).await, Ok(Ok(()))) {
                ok = false;
                break;
            }
        }
        if ok {
            ok = matches!(timeout(IO_TIMEOUT, conn.shutdown()).await, Ok(Ok(())));
        }
        drop(conn);
        if ok {
            self.ok(done).await
        } else {
            self.ok("426 Connection closed; transfer aborted").await
        }
    }

    async fn retr(&mut self, arg: &str, rest: u64) -> io::Result<Flow> {
        let Some(setup) = self.data.take() else {
            return self.ok("425 Use PORT or PASV first").await;
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

    async fn store(&mut self, verb: &str, arg: &str, rest: u64) -> io::Result<Flow> {
        let Some(setup) = self.data.take() else {
            return self.ok("425 Use PORT or PASV first").await;
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
        let pre = if verb == "STOU" {
            format!("150 FILE: {name}")
        } else {
            "150 Ok to send data".to_string()
        };
        self.preliminary(&pre).await?;
        let Some(mut conn) = Self::open_data(setup).await else {
            return self.ok("425 Can't open data connection").await;
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

    async fn list(&mut self, verb: &str, arg: &str) -> io::Result<Flow> {
        let Some(setup) = self.data.take() else {
            return self.ok("425 Use PORT or PASV first").await;
        };
        // Skip `ls`-style options such as `-la`.
        let mut target = arg.trim();
        while target.starts_with('-') {
            target = target.split_once(' ').map_or("", |(_, r)| r.trim_start());
        }
        let p = self.path(target);
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
        self.send_data(setup, out.as_bytes(), "226 Directory send OK")
            .await
    }
}
