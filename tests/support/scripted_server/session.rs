//! One control connection of the scripted server: its state and the
//! command interpreter (transfers are `transfer.rs`).

use super::fs::{MemFs, quote, resolve};
use super::lines::{Line, LineReader, latin1};
use super::tls::{Ctl, TlsFixture};
use super::*;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::io::WriteHalf;
use tokio::net::TcpStream;
use tokio::time::timeout;

pub(super) enum Flow {
    Continue,
    Close,
    /// Keep the connection open but never reply again.
    Silent,
}

pub(super) enum DataSetup {
    Passive(TcpListener),
    Active(SocketAddr),
}

pub(super) struct Session {
    pub(super) r: LineReader,
    pub(super) w: WriteHalf<Ctl>,
    pub(super) fault: Fault,
    pub(super) fs: Arc<Mutex<MemFs>>,
    pub(super) local: SocketAddr,
    pub(super) peer: SocketAddr,
    pub(super) user: Option<String>,
    pub(super) logged_in: bool,
    pub(super) cwd: String,
    pub(super) ascii: bool,
    pub(super) rest: u64,
    pub(super) rnfr: Option<String>,
    pub(super) data: Option<DataSetup>,
    pub(super) epsv_all: bool,
    /// The server's TLS, if it offers FTP over TLS.
    pub(super) tls: Option<Arc<TlsFixture>>,
    /// AUTH TLS succeeded: the control connection is in TLS.
    pub(super) secured: bool,
    /// PBSZ was accepted (in TLS).
    pub(super) pbsz: bool,
    /// PROT P is in force.
    pub(super) private: bool,
    /// Brings the whole server down (`Fault::CrashOnStat`, `CrashOnHangUp`).
    pub(super) crash: Arc<tokio::sync::Notify>,
    /// The language LANG chose (RFC 2640 §4).
    pub(super) lang: &'static str,
    /// Which of `mlsx::FACTS` MLST and MLSD show (RFC 3659 §7.9).
    pub(super) mlst_facts: [bool; 3],
}

pub(super) async fn session(
    stream: TcpStream,
    fault: Fault,
    fs: Arc<Mutex<MemFs>>,
    tls: Option<Arc<TlsFixture>>,
    crash: Arc<tokio::sync::Notify>,
) {
    let (Ok(local), Ok(peer)) = (stream.local_addr(), stream.peer_addr()) else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let (r, w) = tokio::io::split(Ctl::Plain(stream));
    let mut s = Session {
        r: LineReader {
            r,
            buf: Vec::new(),
            merge: fault == Fault::MergesPipelined,
        },
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
        tls,
        secured: false,
        pbsz: false,
        private: false,
        crash,
        lang: "en-US",
        mlst_facts: [true; 3],
    };
    // Implicit TLS: the handshake before anything else.
    if let Some(tls) = s.tls.clone().filter(|t| t.implicit) {
        if s.upgrade(tls).await.is_err() {
            return;
        }
        s.secured = true;
    }
    let after_mkd = s.fs().mkd_seen;
    let greeting: &[u8] = match fault {
        Fault::BadGreeting => b"hello\r\n",
        Fault::BadGreetingAfterMkd if after_mkd => b"hello\r\n",
        Fault::GreetingNot220 => b"200 scripted server ready\r\n",
        Fault::GreetingNot220AfterMkd if after_mkd => b"200 scripted server ready\r\n",
        Fault::CodeHyphenLines => {
            b"220-scripted server\r\n220-a multi-line greeting\r\n220 ready\r\n"
        }
        _ => b"220 scripted server ready\r\n",
    };
    if s.send(greeting).await.is_err() {
        return;
    }
    loop {
        let line = match s.r.next().await {
            Line::Text(l) => l,
            Line::TooLong if fault == Fault::SilentLongLine => {
                s.r.drain().await;
                break;
            }
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
            Line::Eof => {
                if fault == Fault::CrashOnHangUp && s.logged_in {
                    s.crash.notify_one();
                }
                break;
            }
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
pub(super) const KNOWN: &[&str] = &[
    "USER", "PASS", "ACCT", "CWD", "XCWD", "CDUP", "XCUP", "SMNT", "REIN", "QUIT", "PORT", "PASV",
    "EPRT", "EPSV", "TYPE", "STRU", "MODE", "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR",
    "RNTO", "ABOR", "DELE", "RMD", "XRMD", "MKD", "XMKD", "PWD", "XPWD", "LIST", "NLST", "SITE",
    "SYST", "STAT", "HELP", "NOOP", "FEAT", "OPTS", "SIZE", "MDTM", "HOST", "LANG", "MLST", "MLSD",
];

/// The RFC 2228 commands a server with TLS knows (any time: RFC 4217 lets
/// AUTH, PBSZ and PROT come before or after the login).
pub(super) const TLS_VERBS: &[&str] = &["AUTH", "PBSZ", "PROT", "CCC"];

/// Allowed before login.
pub(super) const PRE_LOGIN: &[&str] = &[
    "USER", "PASS", "QUIT", "FEAT", "SYST", "HELP", "NOOP", "REIN", "HOST", "LANG",
];

/// Need an argument (501 without).
pub(super) const NEEDS_ARG: &[&str] = &[
    "USER", "PASS", "ACCT", "CWD", "XCWD", "SMNT", "PORT", "EPRT", "TYPE", "STRU", "MODE", "RETR",
    "STOR", "APPE", "ALLO", "REST", "RNFR", "RNTO", "DELE", "RMD", "XRMD", "MKD", "XMKD", "SITE",
    "OPTS", "SIZE", "MDTM",
];

impl Session {
    /// Write and flush: over TLS only the flush is sure to send the
    /// record (tokio-rustls keeps bytes it has taken when the socket is
    /// not ready, as for a task whose budget a large upload spent; the
    /// 226 after one was kept so in CI, and the client waited in vain).
    pub(super) async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let sent = async {
            self.w.write_all(bytes).await?;
            self.w.flush().await
        };
        match timeout(IO_TIMEOUT, sent).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out")),
        }
    }

    pub(super) async fn reply(&mut self, text: &str) -> io::Result<()> {
        self.send(&latin1(&format!("{text}\r\n"))).await
    }

    pub(super) async fn ok(&mut self, text: &str) -> io::Result<Flow> {
        self.reply(text).await?;
        Ok(Flow::Continue)
    }

    /// A multi-line reply: `code-first`, `lines` (each starting with a space), `code last`.
    pub(super) async fn multiline(
        &mut self,
        code: u16,
        first: &str,
        lines: &[&str],
        last: &str,
    ) -> io::Result<Flow> {
        let mut out = format!("{code}-{first}\r\n");
        for l in lines {
            // Not in FEAT's listing nor in MLST's entry, whose grammars
            // (RFC 2389 §3.2, RFC 3659 §7.2) want the line to begin with
            // one space.
            if self.fault == Fault::CodeHyphenLines
                && first != "Features:"
                && !first.starts_with("Listing ")
            {
                out.push_str(&format!("{code}-"));
            }
            out.push_str(l);
            out.push_str("\r\n");
        }
        let sep = if self.fault == Fault::BadMultilineEnd {
            '-'
        } else {
            ' '
        };
        out.push_str(&format!("{code}{sep}{last}\r\n"));
        self.send(&latin1(&out)).await?;
        Ok(Flow::Continue)
    }

    /// A reply that `Fault::DuplicatedReply` doubles.
    pub(super) async fn maybe_twice(&mut self, text: &str) -> io::Result<Flow> {
        let mut out = format!("{text}\r\n");
        if self.fault == Fault::DuplicatedReply {
            out = out.repeat(2);
        }
        self.send(&latin1(&out)).await?;
        Ok(Flow::Continue)
    }

    pub(super) fn fs(&self) -> MutexGuard<'_, MemFs> {
        lock(&self.fs)
    }

    pub(super) fn path(&self, arg: &str) -> String {
        resolve(&self.cwd, &self.stored_name(arg))
    }

    pub(super) fn reset(&mut self) {
        self.lang = "en-US";
        self.mlst_facts = [true; 3];
        self.user = None;
        self.logged_in = false;
        self.cwd = "/".to_string();
        self.ascii = true;
        self.rest = 0;
        self.rnfr = None;
        self.data = None;
        self.epsv_all = false;
    }

    pub(super) async fn command(&mut self, line: &str) -> io::Result<Flow> {
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

        if let Fault::Answer(prefix, reply) = self.fault {
            let head = line.as_bytes().get(..prefix.len());
            if head.is_some_and(|h| h.eq_ignore_ascii_case(prefix.as_bytes())) {
                return self.ok(reply).await;
            }
        }
        if self.logged_in && self.fault == Fault::All502 {
            return self.ok("502 Command not implemented").await;
        }
        if self.logged_in && self.fault == Fault::All200 {
            return self.ok("200 OK").await;
        }
        let tls_verb = self.tls.is_some() && TLS_VERBS.contains(&verb);
        if !KNOWN.contains(&verb) && !tls_verb {
            return self.ok("500 Unknown command").await;
        }
        if tls_verb {
            return self.tls_command(verb, arg).await;
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
                    Some(u) if u == SECRET_USER && arg == SECRET_PASS => {
                        self.logged_in = true;
                        self.ok(&format!("230 Login successful (password {SECRET_PASS})"))
                            .await
                    }
                    Some(_) => {
                        if self.fault == Fault::SlowFailedLogin {
                            tokio::time::sleep(Duration::from_millis(2500)).await;
                        }
                        self.ok("530 Login incorrect").await
                    }
                }
            }
            "ACCT" => self.ok("202 ACCT not needed").await,
            "SMNT" => self.ok("502 SMNT not implemented").await,
            // Leaving TLS on REIN (RFC 4217 §13) is not scripted: refused.
            "REIN" if self.secured => self.ok("502 REIN is not available over TLS").await,
            "REIN" => {
                if self.fault != Fault::ReinKeepsLogin {
                    self.reset();
                }
                self.ok("220 Service ready for new user").await
            }
            "QUIT" => {
                if self.fault == Fault::QuitClosesSilently {
                    return Ok(Flow::Close);
                }
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
                let mut lines: Vec<&str> = if self.fault == Fault::UnindentedFeat {
                    FEATURES.iter().map(|f| f.trim_start()).collect()
                } else {
                    FEATURES.to_vec()
                };
                if self.tls.is_some() {
                    lines.extend([" AUTH TLS", " PBSZ", " PROT"]);
                }
                // RFC 2640 §4.3 and RFC 7151 §3.4: the language in use
                // carries the asterisk.
                let lang = match self.lang {
                    "fr" => " LANG en-US;fr*",
                    _ => " LANG en-US*;fr",
                };
                let mlst = self.mlst_feature();
                lines.extend([lang, " HOST", &mlst, " TVFS"]);
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
            "STAT" if self.fault == Fault::CrashOnStat => {
                self.crash.notify_one();
                Ok(Flow::Close)
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
                    fs.mkd_seen = true;
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
                } else if self.fault == Fault::Mkd250 {
                    self.ok("250 Directory created").await
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
                    // Files here are all stored during the test: "now".
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs() as i64);
                    let shown = if self.fault == Fault::MdtmLocalTime {
                        now + MDTM_EAST_OF_UTC
                    } else {
                        now
                    };
                    let tv = ftpspec_harness::codec::TimeVal::from_unix(shown);
                    self.ok(&format!("213 {tv}")).await
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
            "HOST" => self.host(arg).await,
            "LANG" => self.language(arg).await,
            "OPTS" => {
                let o = arg.trim().to_ascii_uppercase();
                if o == "UTF8 ON" || o == "UTF8" {
                    self.ok("200 Always in UTF8 mode").await
                } else if o == "MLST" || o.starts_with("MLST ") {
                    self.opts_mlst(arg.trim()[4..].trim()).await
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
            // A policy RFC 959 §5.4 allows: LIST's 5yz.
            "LIST" if self.fault == Fault::ListRefused => self.ok("550 Permission denied").await,
            "LIST" | "NLST" => self.list(verb, arg).await,
            "MLST" => self.mlst(arg.trim()).await,
            "MLSD" => self.mlsd(arg.trim()).await,
            _ => self.ok("500 Unknown command").await,
        }
    }
}
