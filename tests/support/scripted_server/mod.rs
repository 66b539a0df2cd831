//! A scripted FTP server: a fault-injection fixture for integration tests.
//!
//! With [`Fault::None`] it is a small RFC 959 (plus RFC 2428, RFC 2389,
//! RFC 3659 SIZE/MDTM/MLST/MLSD/TVFS) conformant server over an in-memory file system shared
//! by every connection of one [`ScriptedServer`]. Each other [`Fault`] breaks
//! exactly one behaviour, so a client under test can be shown to notice it.
//!
//! Started with [`ScriptedServer::start_tls`] it also offers FTP over TLS
//! (RFC 4217, `tls.rs`), and the `Tls*` faults break one rule of it each.
//!
//! Safety and boundedness: the server never panics on input, every loop is
//! bounded (by a count, a size cap or a timeout), idle control connections end
//! after 30 s, and in active mode (PORT/EPRT) it only ever connects to
//! loopback addresses.

#![allow(dead_code)]

mod fs;
mod lines;
mod mlsx;
mod names;
mod session;
mod tls;
mod transfer;

pub use tls::TlsFixture;

use fs::{MemFs, parent, resolve};

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// The user name the server accepts.
pub const USER: &str = "ftpspec";
/// The password the server accepts.
pub const PASS: &str = "ftpspec";
/// A second account, whose password the server repeats in its 230 reply:
/// for showing that no report ever shows it.
pub const SECRET_USER: &str = "secret-user";
/// Its password.
pub const SECRET_PASS: &str = "s3cret-Pa55word";

/// Longest command line accepted (without its CRLF); longer gets 500 and a close.
pub(super) const MAX_LINE: usize = 8 * 1024;
/// Control connections silent this long are closed (with a 421).
pub(super) const IDLE: Duration = Duration::from_secs(30);
/// How long a passive listener waits for the client, or an active connect takes.
pub(super) const DATA_CONNECT: Duration = Duration::from_secs(5);
/// Bound on each single read or write once a connection is established.
pub(super) const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest file STOR/APPE/STOU accept.
pub(super) const MAX_FILE: usize = 64 * 1024 * 1024;
/// `Fault::EndlessLine` and `Fault::EndlessData` chunk size and total cap.
pub(super) const ENDLESS_CHUNK: usize = 64 * 1024;
pub(super) const ENDLESS_MAX: usize = 64 * 1024 * 1024;
/// How long a silent session (`Silence`, `NoCloseAfterQuit`) is kept open at most.
pub(super) const SILENT_MAX: Duration = Duration::from_secs(120);
/// Concurrent sessions per server; more are refused (closed at once).
pub(super) const MAX_SESSIONS: usize = 256;
/// How late `Fault::LateTransferReply` sends a transfer's final reply,
/// and how long `Fault::AborOvertakes` waits for an ABOR.
pub(super) const LATE_REPLY: Duration = Duration::from_millis(400);
/// How far east of UTC `Fault::MdtmLocalTime` pretends to be.
pub(super) const MDTM_EAST_OF_UTC: i64 = 2 * 3600;

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
    /// PORT/EPRT naming a loopback address other than the client's, or a
    /// port below 1024, is accepted and connected to: a server open to the
    /// bounce attack (the conformant server refuses both, as RFC 2577 §3
    /// advises).
    AcceptThirdPartyPort,
    /// FEAT lists its features without the leading space (RFC 2389 §3.2).
    UnindentedFeat,
    /// After login, every command is answered `502 Command not implemented`.
    All502,
    /// After login, every command is answered `200 OK`.
    All200,
    /// ABOR is never answered; the session goes on and later commands are.
    SilentAbor,
    /// Every multi-line reply, the greeting included (made multi-line),
    /// repeats the code with a hyphen on every line but the last
    /// (`220-text`): common practice, no fault; verdicts must not change.
    CodeHyphenLines,
    /// QUIT closes the connection without the 221.
    QuitClosesSilently,
    /// A failed PASS is answered after a delay (RFC 2577 §5 suggests 5 s):
    /// 2.5 s, longer than the tests' step timeout.
    SlowFailedLogin,
    /// MKD creates the directory but answers `250` instead of 257.
    Mkd250,
    /// EPRT naming an unknown network protocol (e.g. 3) is accepted with 200.
    AcceptUnknownEprtProtocol,
    /// A command line longer than the server takes gets no reply at all
    /// (the session goes silent).
    SilentLongLine,
    /// PASV is answered `227 Entering Passive Mode (1,117,162).`: no
    /// h1,h2,h3,h4,p1,p2 at all.
    Malformed227,
    /// MDTM gives the local time of a server two hours east of UTC.
    MdtmLocalTime,
    /// REIN answers 220 but the user stays logged in.
    ReinKeepsLogin,
    /// The greeting has no reply code: `hello\r\n`.
    BadGreeting,
    /// The greeting is well formed but not 220: `200 scripted server
    /// ready`. Not in [`Fault::ALL`]: basic.greeting's flip is
    /// `BadGreeting`'s; this one is for the probe's other path.
    GreetingNot220,
    /// As `BadGreeting` and `GreetingNot220`, but only once some session
    /// has sent MKD: the probe's greeting is fine (it comes before its
    /// write test), the cases' are not. Not in [`Fault::ALL`]: for the
    /// cases' set-up.
    BadGreetingAfterMkd,
    /// See `BadGreetingAfterMkd`.
    GreetingNot220AfterMkd,
    /// NLST and LIST send their entries in reverse order, `.` and `..`
    /// first: an order no RFC forbids; verdicts must not change.
    ListingReversed,
    /// STOU's 150 is a multi-line reply whose first line is `FILE: name`.
    MultilineStou,
    /// (TLS) AUTH TLS answered 234, then the connection goes on in clear.
    TlsNoHandshake,
    /// (TLS) As `TlsNoHandshake`, but only once some session has sent MKD:
    /// the probe's AUTH TLS (before its write test) works, the cases'
    /// set-ups meet the breach. Not in [`Fault::ALL`]: a fault of timing,
    /// for one test.
    TlsNoHandshakeAfterMkd,
    /// LIST is refused (550) whatever the protection level: a policy (as
    /// vsftpd's `dirlist_enable=NO`). Not in [`Fault::ALL`]: for the
    /// probe's data test, which took it for a refusal of both levels.
    ListRefused,
    /// Whatever one read brings is one command line (LightFTP 5980ea1's
    /// `recv` loop): `PWD\r\nNOOP\r\nSYST\r\n` in one write is one
    /// unknown command, one 500, and the NOOP and SYST never answered. Not
    /// in [`Fault::ALL`]: only commands sent together meet it.
    MergesPipelined,
    /// A listing of the root answered 550 while a directory other than
    /// the root exists: libunftp's race, a LIST meeting an entry another
    /// session removes. Not in [`Fault::ALL`]: for the runner's order,
    /// which keeps the read-only cases apart from the writing ones.
    ListFailsBesideWrites,
    /// (TLS) PROT P accepted, but data connections stay in clear.
    TlsDataInClear,
    /// (TLS) As `TlsDataInClear`, and a download in clear under PROT P is
    /// then answered 426, as if refused. Not in [`Fault::ALL`]: for the
    /// probe's data test, which took that for a refusal.
    TlsDataInClearThen426,
    /// (TLS) Data connections are closed (TCP) without close_notify.
    TlsNoCloseNotify,
    /// (TLS) Data connections must resume the control session, but the
    /// server keeps no sessions: every PROT P transfer gets 522.
    TlsNoResumption,
    /// (TLS) `TlsNoResumption`, and data connections in clear refused
    /// with 522 (RFC 4217 §10.2 lets a server insist on protection): no
    /// level transfers for this client, as the server's policy. Not in
    /// [`Fault::ALL`]: for the probe's data test.
    TlsNoDataAtAll,
    /// (TLS) PROT is accepted without a PBSZ first.
    TlsProtBeforePbsz,
    /// (TLS) A ClientHello offering only TLS 1.0 and 1.1 gets a ServerHello
    /// choosing TLS 1.0 (RFC 8996 forbids both).
    TlsLegacyAccepted,
    /// (RFC 2640) Every byte above 0x7f in a pathname is stored as `?`.
    MangleNonAscii,
    /// (RFC 2640) A pathname's leading spaces are dropped.
    TrimPathSpaces,
    /// (RFC 7151) HOST is accepted after login.
    HostAfterLogin,
    /// (RFC 7151) HOST naming an address that is not the server's is accepted.
    HostAnyLiteral,
    /// (RFC 2640) LANG with a language the server does not have is accepted.
    LangAnyTag,
    /// After login, STAT brings the whole server down: no reply, every
    /// session ends and new connections are refused (a crash).
    CrashOnStat,
    /// A logged-in client that closes the connection without QUIT (hangs
    /// up) brings the whole server down, as `CrashOnStat` does.
    CrashOnHangUp,
    /// RETR sends bytes without end (until the client closes the data
    /// connection, at most `ENDLESS_MAX`).
    EndlessData,
    /// A download's or listing's final reply comes 400 ms after its data
    /// connection closed: a client pipelining ABOR has sent it by then.
    /// No rule broken; the replies still come in order.
    LateTransferReply,
    /// An ABOR that arrives while a download's final reply is pending is
    /// answered (225) before that reply: the replies out of order.
    AborOvertakes,
    /// A QUIT that has come by a download's end is answered with 221
    /// before the download's 226, which still comes, then the close: RFC
    /// 959 §4.1.1 keeps the connection open for the result, and says
    /// nothing of the order. No rule broken (LightFTP 5980ea1 does so).
    /// Not in [`Fault::ALL`]: for one test.
    QuitOvertakes,
    /// Every command line starting with the first string (ASCII case
    /// ignored), before or after login, is answered with the second (a
    /// whole reply line; CRLF added) and otherwise ignored. One reply
    /// changed: the fault `tests/every_scenario_can_fail.rs` uses to show
    /// that a scenario judges the reply it asks for.
    Answer(&'static str, &'static str),
}

impl Fault {
    /// Every fault, `None` first.
    pub const ALL: [Fault; 45] = [
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
        Fault::CodeHyphenLines,
        Fault::QuitClosesSilently,
        Fault::SlowFailedLogin,
        Fault::Mkd250,
        Fault::AcceptUnknownEprtProtocol,
        Fault::SilentLongLine,
        Fault::Malformed227,
        Fault::MdtmLocalTime,
        Fault::ReinKeepsLogin,
        Fault::BadGreeting,
        Fault::ListingReversed,
        Fault::MultilineStou,
        Fault::TlsNoHandshake,
        Fault::TlsDataInClear,
        Fault::TlsNoCloseNotify,
        Fault::TlsNoResumption,
        Fault::TlsProtBeforePbsz,
        Fault::TlsLegacyAccepted,
        Fault::CrashOnStat,
        Fault::CrashOnHangUp,
        Fault::MangleNonAscii,
        Fault::TrimPathSpaces,
        Fault::HostAfterLogin,
        Fault::HostAnyLiteral,
        Fault::LangAnyTag,
        Fault::LateTransferReply,
        Fault::AborOvertakes,
        Fault::EndlessData,
    ];

    /// Whether the server insists that PROT P data connections resume the
    /// control session, and keeps no sessions to resume (each such
    /// transfer gets 522).
    pub fn insists_on_resumption(self) -> bool {
        matches!(self, Fault::TlsNoResumption | Fault::TlsNoDataAtAll)
    }

    /// Whether the fault is one of FTP over TLS (meaningful on a server
    /// started with [`ScriptedServer::start_tls`]).
    pub fn is_tls(self) -> bool {
        matches!(
            self,
            Fault::TlsNoHandshake
                | Fault::TlsNoHandshakeAfterMkd
                | Fault::TlsDataInClear
                | Fault::TlsDataInClearThen426
                | Fault::TlsNoCloseNotify
                | Fault::TlsNoResumption
                | Fault::TlsNoDataAtAll
                | Fault::TlsProtBeforePbsz
                | Fault::TlsLegacyAccepted
        )
    }
}

/// A running scripted server. Dropping it stops accepting and ends its sessions.
pub struct ScriptedServer {
    /// Where the control connection listens.
    pub addr: SocketAddr,
    /// The injected fault.
    pub fault: Fault,
    fs: Arc<Mutex<MemFs>>,
    task: JoinHandle<()>,
    /// Its TLS, for a server started with [`ScriptedServer::start_tls`].
    pub tls: Option<Arc<TlsFixture>>,
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
        Self::bind(ip, fault, None).await
    }

    /// Start on `::1`; panics, naming the fix, where `::1` cannot be bound
    /// (a test that needs it is ignored there by `cfg(ftpspec_no_ipv6)`,
    /// see `build.rs`, except in CI, where it fails).
    pub async fn start_ipv6(fault: Fault) -> ScriptedServer {
        Self::try_start_on(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), fault)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "::1 cannot be bound ({e}): this test needs the IPv6 loopback \
                     (on Linux: sysctl net.ipv6.conf.lo.disable_ipv6=0)"
                )
            })
    }

    /// Start on 127.0.0.1 offering FTP over TLS (AUTH TLS, PBSZ, PROT)
    /// with a certificate made now ([`TlsFixture::ca`] is the file to
    /// trust); a TLS fault breaks one of its rules.
    pub async fn start_tls(fault: Fault) -> ScriptedServer {
        let tls = Arc::new(TlsFixture::new(!fault.insists_on_resumption(), false));
        Self::bind(IpAddr::V4(Ipv4Addr::LOCALHOST), fault, Some(tls))
            .await
            .expect("bind 127.0.0.1")
    }

    /// Start on 127.0.0.1 speaking implicit TLS: the handshake first,
    /// then the greeting (`ftps://`).
    pub async fn start_implicit_tls(fault: Fault) -> ScriptedServer {
        let tls = Arc::new(TlsFixture::new(!fault.insists_on_resumption(), true));
        Self::bind(IpAddr::V4(Ipv4Addr::LOCALHOST), fault, Some(tls))
            .await
            .expect("bind 127.0.0.1")
    }

    async fn bind(
        ip: IpAddr,
        fault: Fault,
        tls: Option<Arc<TlsFixture>>,
    ) -> io::Result<ScriptedServer> {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await?;
        let addr = listener.local_addr()?;
        let fs = Arc::new(Mutex::new(MemFs::new()));
        let task = tokio::spawn(accept_loop(listener, fault, fs.clone(), tls.clone()));
        Ok(ScriptedServer {
            addr,
            fault,
            fs,
            task,
            tls,
        })
    }

    /// `ftp://ftpspec:ftpspec@127.0.0.1:PORT/` (`[::1]` for IPv6);
    /// `ftpes://…` for a server with TLS.
    pub fn url(&self) -> String {
        let scheme = match &self.tls {
            None => "ftp",
            Some(t) if t.implicit => "ftps",
            Some(_) => "ftpes",
        };
        format!("{scheme}://{USER}:{PASS}@{}/", self.addr)
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

async fn accept_loop(
    listener: TcpListener,
    fault: Fault,
    fs: Arc<Mutex<MemFs>>,
    tls: Option<Arc<TlsFixture>>,
) {
    let mut sessions = JoinSet::new();
    // `Fault::CrashOnStat`: a session notifies, and the whole server goes
    // (the listener and every session dropped with this task).
    let crash = Arc::new(tokio::sync::Notify::new());
    loop {
        while sessions.try_join_next().is_some() {}
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = crash.notified() => return,
        };
        match accepted {
            Ok((stream, _)) => {
                if sessions.len() < MAX_SESSIONS {
                    sessions.spawn(session::session(
                        stream,
                        fault,
                        fs.clone(),
                        tls.clone(),
                        crash.clone(),
                    ));
                }
            }
            // E.g. out of file descriptors: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}
