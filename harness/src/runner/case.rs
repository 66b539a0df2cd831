//! Running one case: set-up (connect, banner, login, scratch directory),
//! the scenario's steps, and the built-in oracles applied to every reply.

use crate::codec::{
    Command, Deviation, ExtAddr, ExtPassiveReply, Features, HostPort, Leniency, Parsed,
    PassiveReply, Reply, ReplyCode, Verb,
};
use crate::driver::{Control, DataConn, Direction, DriverError, Limits, Transcript};
use crate::fixtures;
use crate::oracle::check_code;
use crate::scenario::{
    CodeSpec, DataMode, DataSource, DownloadCheck, Level, Mode, Pattern, BounceTarget as ProbeAddr,
    Scenario, Step, StepKind, substitute,
};
use crate::target::Target;
use crate::verdict::{Finding, Verdict};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;

/// Why a case stopped early.
#[derive(Debug)]
pub(crate) struct Stop {
    pub verdict: Verdict,
    pub message: String,
}

impl Stop {
    fn new(verdict: Verdict, message: impl Into<String>) -> Stop {
        Stop {
            verdict,
            message: message.into(),
        }
    }
}

/// What a case produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub verdict: Verdict,
    pub message: String,
    pub findings: Vec<Finding>,
    pub transcript: Transcript,
}

/// What a case runs against.
pub(crate) struct CaseSpec<'a> {
    pub scenario: &'a Scenario,
    pub mode: Option<Mode>,
    pub addr: std::net::SocketAddr,
    pub target: &'a Target,
    pub limits: Limits,
    pub dir: Option<String>,
}

struct Exec<'a> {
    spec: &'a CaseSpec<'a>,
    t: Transcript,
    findings: Vec<Finding>,
    vars: BTreeMap<String, String>,
    control: Control,
    data: Option<DataConn>,
    /// The command whose reply comes next, and whether a 1yz was already seen.
    /// Replies are matched to commands first in, first out (an ABOR's reply
    /// comes after the aborted transfer's completion).
    awaiting: VecDeque<(Verb, bool)>,
    /// A NOOP sent to probe for a reply overdue after ABOR, whose 200 is
    /// still to come; and whether one was sent in this case at all.
    probe: Probe,
    /// Built-in TYPE I oracle: what this case stored, by path.
    image: ImageTracker,
}

/// The overdue-reply probe (see [`Limits::overdue_probe`]): at most one per case.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Probe {
    Unused,
    /// The NOOP is sent and its reply not yet read.
    Pending,
    Done,
}

/// Commands whose replies never include 200, so that a 200 while only
/// these are awaited can only be the probe's NOOP being answered.
const NO_200: [Verb; 8] = [
    Verb::ABOR,
    Verb::RETR,
    Verb::STOR,
    Verb::STOU,
    Verb::APPE,
    Verb::LIST,
    Verb::NLST,
    Verb::MLSD,
];

/// Tracks TYPE and what was stored in TYPE I, so that any later RETR of the
/// same path in TYPE I is compared byte for byte, whatever the scenario checks.
#[derive(Default)]
struct ImageTracker {
    /// TYPE I is in force (a `TYPE I` got a 2yz).
    image: bool,
    /// A `TYPE` was sent and its reply is awaited.
    pending_type: Option<bool>,
    /// REST was sent: the next transfer is partial, not comparable.
    restarted: bool,
    /// The last transfer command: verb and path.
    transfer: Option<(Verb, String)>,
    /// Bytes stored per path in TYPE I.
    stored: BTreeMap<String, Vec<u8>>,
}

impl ImageTracker {
    fn sent(&mut self, cmd: &Command) {
        let arg = cmd.arg().map(|a| a.to_string()).unwrap_or_default();
        let verb = cmd.verb();
        if *verb == Verb::TYPE {
            self.pending_type = Some(arg.trim().eq_ignore_ascii_case("I"));
        } else if *verb == Verb::REST {
            self.restarted = true;
        } else if *verb == Verb::ABOR {
            // An aborted transfer is cut short by design: nothing to compare.
            self.transfer = None;
        } else if [Verb::STOR, Verb::RETR, Verb::APPE].contains(verb) {
            self.transfer = Some((verb.clone(), arg.clone()));
            if *verb == Verb::APPE {
                self.stored.remove(&arg);
            }
        }
    }

    fn replied(&mut self, code: ReplyCode) {
        if let Some(image) = self.pending_type.take() {
            if code.is_completion() {
                self.image = image;
            }
        }
    }

    fn uploaded(&mut self, bytes: &[u8]) {
        match self.transfer.take() {
            Some((v, path)) if v == Verb::STOR && self.image && !self.restarted => {
                self.stored.insert(path, bytes.to_vec());
            }
            Some((_, path)) => {
                self.stored.remove(&path);
            }
            None => {}
        }
        self.restarted = false;
    }

    /// What a download must equal, if known.
    fn expected_download(&mut self) -> Option<(String, Vec<u8>)> {
        let restarted = std::mem::take(&mut self.restarted);
        match self.transfer.take() {
            Some((v, path)) if v == Verb::RETR && self.image && !restarted => {
                self.stored.get(&path).map(|b| (path, b.clone()))
            }
            _ => None,
        }
    }
}

/// Skip leading Telnet commands (`IAC IP`, `IAC DM`, as sent before ABOR)
/// to find the FTP command they precede.
fn strip_telnet(mut bytes: &[u8]) -> &[u8] {
    while let [0xff, _, rest @ ..] = bytes {
        bytes = rest;
    }
    bytes
}

/// A tolerated departure from the reply grammar: a failure where the text
/// says MUST, a warning where it says SHOULD. The harness tolerates both so
/// that the run can go on.
fn deviation_finding(d: Deviation, reply: &Reply) -> Finding {
    let rfc = d.rfc();
    Finding {
        verdict: if d.level() == "MUST" {
            Verdict::Fail
        } else {
            Verdict::Warn
        },
        check: "reply-syntax".into(),
        rfc: Some(format!("{rfc} {}", d.level())),
        required: format!("\"{}\"", rfc.quote),
        acceptable: "the RFC form".into(),
        received: format!("{}: {reply}", d.describe()),
        line: None,
    }
}

fn driver_stop(e: DriverError) -> Stop {
    if e.is_malformed_reply() {
        Stop::new(Verdict::Fail, format!("RFC 959 §4.2 MUST: {e}"))
    } else {
        Stop::new(Verdict::Error, e.to_string())
    }
}

fn refs_of(sc: &Scenario) -> Option<String> {
    sc.refs.first().map(|r| r.to_string())
}

impl<'a> Exec<'a> {
    fn find(&mut self, mut f: Finding, line: Option<usize>) {
        f.line = f.line.or(line);
        self.t.push(
            Direction::Note,
            format!("{}: {}: received {}", f.verdict, f.check, f.received),
        );
        self.findings.push(f);
    }

    /// Send a line, after checking that nothing unsolicited arrived.
    async fn send(&mut self, bytes: &[u8], line: Option<usize>) -> Result<(), Stop> {
        if self.awaiting.is_empty() {
            match self.control.unsolicited(&mut self.t) {
                Ok(Some(r)) => self.find(
                    Finding {
                        verdict: Verdict::Fail,
                        check: "one-reply".into(),
                        rfc: Some("RFC 959 §5.4 MUST".into()),
                        required: "\"the user issues an FTP command and the server responds with a prompt primary reply\": replies answer commands, one primary reply each".into(),
                        acceptable: "no reply before the next command".into(),
                        received: format!("unsolicited or duplicated reply: {}", r.value),
                        line: None,
                    },
                    line,
                ),
                Ok(None) => {}
                Err(e) => return Err(driver_stop(e)),
            }
        }
        let cmd = Command::parse_with(strip_telnet(bytes), Leniency::PERMISSIVE)
            .ok()
            .map(|p| p.value);
        if let Some(c) = &cmd {
            self.image.sent(c);
        }
        let verb = cmd.map(|c| c.verb().clone());
        match self.control.send(bytes, &mut self.t).await {
            Ok(()) => {}
            // The server already hung up: the next read reports it, and an
            // `expect any` there makes it the server's doing.
            Err(DriverError::Closed) => {
                self.t.push(
                    Direction::Note,
                    "send: the server had closed the connection",
                );
            }
            Err(e) => return Err(driver_stop(e)),
        }
        // An unparsable line still gets a reply; keep the queue aligned.
        self.awaiting
            .push_back((verb.unwrap_or_else(|| Verb::new("")), false));
        Ok(())
    }

    async fn send_text(&mut self, text: &str, line: Option<usize>) -> Result<(), Stop> {
        let mut bytes = text.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        self.send(&bytes, line).await
    }

    /// Whether a reply now awaited may be probed for: it is owed after an
    /// ABOR, no data connection is being read, and no awaited command could
    /// itself be answered 200.
    fn may_probe(&self) -> bool {
        self.probe == Probe::Unused
            && self.data.is_none()
            && self.awaiting.iter().any(|(v, _)| *v == Verb::ABOR)
            && self.awaiting.iter().all(|(v, _)| NO_200.contains(v))
    }

    /// Read the next reply; past [`Limits::overdue_probe`] with a reply owed
    /// after ABOR, send one NOOP first and keep waiting.
    async fn read_next(&mut self) -> Result<Parsed<Reply>, Stop> {
        if self.may_probe() {
            let wait = self.spec.limits.overdue_probe;
            let early = self.control.read_reply_within(wait, &mut self.t).await;
            match early.map_err(driver_stop)? {
                Some(r) => return Ok(r),
                None if self.control.between_replies() => {
                    self.t.push(
                        Direction::Note,
                        format!(
                            "probe: no reply after ABOR within {wait:?}; NOOP sent to tell a late reply from a lost one"
                        ),
                    );
                    self.control
                        .send(b"NOOP\r\n", &mut self.t)
                        .await
                        .map_err(driver_stop)?;
                    self.probe = Probe::Pending;
                }
                None => {}
            }
        }
        self.control
            .read_reply(&mut self.t)
            .await
            .map_err(driver_stop)
    }

    /// A 200 while the probe's NOOP and older replies are awaited: the NOOP
    /// was answered first, so an older reply was skipped (or is out of
    /// order, which RFC 959's one reply per command in turn rules out too).
    fn probe_overtook(&mut self, reply: &Reply, line: Option<usize>) -> Result<(), Stop> {
        if self.probe != Probe::Pending || reply.code().get() != 200 {
            return Ok(());
        }
        let owed: Vec<String> = self.awaiting.iter().map(|(v, _)| v.to_string()).collect();
        let got = reply.to_string();
        let after = self.spec.limits.overdue_probe;
        let f = Finding {
            verdict: Verdict::Fail,
            check: "one-reply".into(),
            rfc: Some("RFC 959 §4.1.3 MUST".into()),
            required: "\"the server aborts the FTP service in progress and closes the data connection, returning a 426 reply ... The server then sends a 226 reply\": the aborted command's reply, then ABOR's".into(),
            acceptable: format!("a reply to {} before the probe NOOP's 200", owed.join(", then ")),
            received: format!(
                "{}: the probe NOOP, sent after {after:?} of silence, was answered while a reply to {} was still owed",
                got.trim_end_matches("\\r\\n"),
                owed.join(" and ")
            ),
            line: None,
        };
        let msg = format!(
            "line {}: a reply is missing: {} still owed a reply when the probe NOOP got {}",
            line.unwrap_or_default(),
            owed.join(" and "),
            reply.code()
        );
        self.find(f, line);
        Err(Stop::new(Verdict::Fail, msg))
    }

    /// Once every owed reply is in, read the probe NOOP's own reply.
    async fn settle_probe(&mut self) -> Result<(), Stop> {
        if self.probe != Probe::Pending || !self.awaiting.is_empty() {
            return Ok(());
        }
        self.probe = Probe::Done;
        let r = self
            .control
            .read_reply(&mut self.t)
            .await
            .map_err(driver_stop)?;
        self.t.push(
            Direction::Note,
            format!(
                "probe: the late reply came; NOOP answered {}",
                r.value.code()
            ),
        );
        Ok(())
    }

    /// The next reply, with the built-in oracles applied.
    async fn reply(&mut self, line: Option<usize>) -> Result<Reply, Stop> {
        let parsed = self.read_next().await?;
        self.probe_overtook(&parsed.value, line)?;
        for d in parsed.deviations.iter() {
            self.find(deviation_finding(d, &parsed.value), line);
        }
        let reply = parsed.value;
        self.image.replied(reply.code());
        if !reply.code().has_defined_class() {
            self.find(
                Finding {
                    verdict: Verdict::Fail,
                    check: "reply-syntax".into(),
                    rfc: Some("RFC 959 §4.2.1 MUST".into()),
                    required: "\"There are five values for the first digit of the reply code\""
                        .into(),
                    acceptable: "1yz to 5yz".into(),
                    received: reply.code().to_string(),
                    line: None,
                },
                line,
            );
        }
        if let Some((verb, after)) = self.awaiting.pop_front() {
            if let Some(f) = check_code(&verb, reply.code(), after) {
                self.find(f, line);
            }
            if reply.code().is_preliminary() && !after {
                self.awaiting.push_front((verb.clone(), true));
            }
            if verb == Verb::FEAT && reply.code().get() == 211 {
                self.check_feat(&reply, line);
            }
        }
        self.settle_probe().await?;
        Ok(reply)
    }

    /// Built-in: a 211 to FEAT lists one feature per line, each indented by
    /// a single space (RFC 2389 §3.2).
    fn check_feat(&mut self, reply: &Reply, line: Option<usize>) {
        let problem = match Features::from_reply(reply, Leniency::PERMISSIVE) {
            Ok(p) => p.deviations.iter().next().map(|d| d.describe().to_owned()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(problem) = problem {
            self.find(
                Finding {
                    verdict: Verdict::Fail,
                    check: "feat-format".into(),
                    rfc: Some("RFC 2389 §3.2 MUST".into()),
                    required: "\"Each line in the feature-listing begins with a single space.\""
                        .into(),
                    acceptable: "211-<text>, then \" FEATURE [params]\" lines, then 211 <text>"
                        .into(),
                    received: format!("{problem}: {reply}"),
                    line: None,
                },
                line,
            );
        }
    }

    /// `data open third-party|low-port`: send PORT/EPRT naming an address
    /// the server should refuse; its reply is left for the next `expect`.
    async fn data_open_probe(&mut self, step: &Step, probe: ProbeAddr) -> Result<(), Stop> {
        let mode = self
            .spec
            .mode
            .ok_or_else(|| Stop::new(Verdict::Error, "data open in a case without a mode"))?;
        let peer = self.control.peer().ip();
        let local = self.control.local().ip();
        let addr = match probe {
            ProbeAddr::ThirdParty => {
                // Only a second loopback address is ever named, and only
                // when the control connection itself is on loopback.
                if peer != IpAddr::V4(std::net::Ipv4Addr::LOCALHOST) {
                    return Err(Stop::new(
                        Verdict::Skip,
                        "the third-party check runs only when the control connection is on 127.0.0.1",
                    ));
                }
                let third = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
                let (conn, addr) =
                    DataConn::listen(third, peer, &mut self.t)
                        .await
                        .map_err(|e| {
                            Stop::new(
                                Verdict::Skip,
                                format!(
                                    "cannot listen on 127.0.0.2 for the third-party check: {e}"
                                ),
                            )
                        })?;
                self.data = Some(conn);
                addr
            }
            ProbeAddr::LowPort => std::net::SocketAddr::new(local, 1023),
        };
        let line = match (mode.data, addr.ip()) {
            (DataMode::Port, IpAddr::V4(ip)) => format!("PORT {}", HostPort::new(ip, addr.port())),
            (DataMode::Eprt, _) => format!("EPRT {}", ExtAddr::from_socket(addr)),
            _ => {
                return Err(Stop::new(
                    Verdict::Error,
                    "third-party and low-port probes need PORT over IPv4 or EPRT",
                ));
            }
        };
        self.send_text(&line, Some(step.line)).await
    }

    fn lookup(&self, name: &str) -> Option<String> {
        if let Some(f) = name
            .strip_prefix("fixture.")
            .and_then(|r| r.strip_suffix(".size"))
        {
            return fixtures::shared(f).map(|b| b.len().to_string());
        }
        self.vars.get(name).cloned()
    }

    fn subst(&self, template: &str) -> Result<String, Stop> {
        substitute(template, |n| self.lookup(n)).map_err(|v| {
            Stop::new(
                Verdict::Error,
                format!("variable {{{v}}} has no value in this case"),
            )
        })
    }

    /// The verdict of a negative data check: `seen` is what the server did
    /// on the data connection when it should have done nothing.
    fn nothing_seen(
        &mut self,
        step: &Step,
        seen: Option<String>,
        acceptable: &str,
    ) -> Result<(), Stop> {
        match seen {
            None => Ok(()),
            Some(seen) => self.mismatch(step, "data", acceptable.into(), seen),
        }
    }

    fn mismatch(
        &mut self,
        step: &Step,
        check: &'static str,
        acceptable: String,
        received: String,
    ) -> Result<(), Stop> {
        let verdict = Verdict::for_level(step.level);
        let sc = self.spec.scenario;
        let required = sc
            .refs
            .first()
            .map(|r| format!("\"{}\"", r.quote))
            .unwrap_or_default();
        self.find(
            Finding {
                verdict,
                check: check.into(),
                rfc: refs_of(sc),
                required,
                acceptable: acceptable.clone(),
                received: received.clone(),
                line: Some(step.line),
            },
            None,
        );
        let msg = format!(
            "{}:{}: expected {acceptable}, received {received}",
            sc.path, step.line
        );
        match step.level {
            // A SHOULD step that fails is noted and the dialogue goes on: one reply was read either way.
            Level::Should => Ok(()),
            _ => Err(Stop::new(verdict, msg)),
        }
    }

    async fn expect_codes(
        &mut self,
        step: &Step,
        codes: &CodeSpec,
        pattern: Option<&str>,
        after_preliminary: bool,
    ) -> Result<Reply, Stop> {
        let mut reply = self.reply(Some(step.line)).await?;
        if after_preliminary && reply.code().is_preliminary() && !codes.accepts(reply.code().get())
        {
            reply = self.reply(Some(step.line)).await?;
        }
        let text = reply.text();
        let caps = match pattern {
            None => Some(BTreeMap::new()),
            Some(p) => {
                let src = self.subst(p)?;
                let pat =
                    Pattern::new(&src).map_err(|e| Stop::new(Verdict::Error, e.to_string()))?;
                pat.matches(&text)
            }
        };
        match caps {
            Some(caps) if codes.accepts(reply.code().get()) => {
                self.vars.extend(caps);
            }
            _ => {
                let want = match pattern {
                    Some(p) => format!("{codes} with text matching \"{p}\""),
                    None => codes.to_string(),
                };
                self.mismatch(
                    step,
                    "expect",
                    want,
                    reply.to_string().trim_end_matches("\\r\\n").to_owned(),
                )?;
            }
        }
        Ok(reply)
    }

    fn source_bytes(src: &DataSource) -> Arc<Vec<u8>> {
        match src {
            DataSource::Text(b) => Arc::new(b.clone()),
            DataSource::Fixture(n) => fixtures::shared(n).unwrap_or_default(),
        }
    }

    fn take_data(&mut self, step: &Step) -> Result<DataConn, Stop> {
        self.data.take().ok_or_else(|| {
            Stop::new(Verdict::Error, format!("{}:{}: no data connection is open (add `data open` before the transfer command)", self.spec.scenario.path, step.line))
        })
    }

    async fn data_open(&mut self, step: &Step) -> Result<(), Stop> {
        let mode = self
            .spec
            .mode
            .ok_or_else(|| Stop::new(Verdict::Error, "data open in a case without a mode"))?;
        let peer = self.control.peer().ip();
        let local = self.control.local().ip();
        let limits = self.spec.limits;
        let line = Some(step.line);
        let optional = matches!(mode.data, DataMode::Epsv | DataMode::Eprt);
        let (conn, verb_text, want) = match mode.data {
            DataMode::Pasv | DataMode::Epsv => {
                let (cmd, want) = if mode.data == DataMode::Pasv {
                    ("PASV", 227)
                } else {
                    ("EPSV", 229)
                };
                self.send_text(cmd, line).await?;
                let reply = self.reply(line).await?;
                if optional && matches!(reply.code().get(), 500 | 502) {
                    return Err(Stop::new(
                        Verdict::Unsupported,
                        format!(
                            "the server does not implement {cmd} (RFC 2428 is optional): {reply}"
                        ),
                    ));
                }
                if reply.code().get() != want {
                    self.mismatch(
                        step,
                        "data-setup",
                        format!("{want} to {cmd}"),
                        reply.to_string(),
                    )?;
                    return Err(Stop::new(
                        Verdict::for_level(step.level),
                        format!("{cmd} refused"),
                    ));
                }
                let port = self.passive_port(&reply, mode.data, peer, step)?;
                let conn = DataConn::connect(peer, port, &limits, &mut self.t)
                    .await
                    .map_err(|e| {
                        Stop::new(
                            Verdict::Fail,
                            format!(
                                "the server's {cmd} port {port} did not accept a connection: {e}"
                            ),
                        )
                    })?;
                self.data = Some(conn);
                return Ok(());
            }
            DataMode::Port => {
                let (conn, addr) = DataConn::listen(local, peer, &mut self.t)
                    .await
                    .map_err(driver_stop)?;
                let IpAddr::V4(ip) = addr.ip() else {
                    return Err(Stop::new(
                        Verdict::Error,
                        "PORT needs an IPv4 control connection",
                    ));
                };
                (
                    conn,
                    format!("PORT {}", HostPort::new(ip, addr.port())),
                    "PORT",
                )
            }
            DataMode::Eprt => {
                let (conn, addr) = DataConn::listen(local, peer, &mut self.t)
                    .await
                    .map_err(driver_stop)?;
                (conn, format!("EPRT {}", ExtAddr::from_socket(addr)), "EPRT")
            }
        };
        self.send_text(&verb_text, line).await?;
        let reply = self.reply(line).await?;
        if optional && matches!(reply.code().get(), 500 | 502) {
            return Err(Stop::new(
                Verdict::Unsupported,
                format!("the server does not implement {want} (RFC 2428 is optional): {reply}"),
            ));
        }
        if reply.code() != ReplyCode::COMMAND_OK {
            self.mismatch(
                step,
                "data-setup",
                format!("200 to {want}"),
                reply.to_string(),
            )?;
            return Err(Stop::new(
                Verdict::for_level(step.level),
                format!("{want} refused"),
            ));
        }
        self.data = Some(conn);
        Ok(())
    }

    /// The port a 227 or 229 names. The address in a 227 is checked but
    /// never used: data connections go to the control connection's peer.
    fn passive_port(
        &mut self,
        reply: &Reply,
        mode: DataMode,
        peer: IpAddr,
        step: &Step,
    ) -> Result<u16, Stop> {
        let line = Some(step.line);
        let (port, deviations, named) = if mode == DataMode::Pasv {
            match PassiveReply::from_reply(reply, Leniency::PERMISSIVE) {
                Ok(p) => (
                    p.value.0.port(),
                    p.deviations,
                    Some(IpAddr::V4(p.value.0.ip())),
                ),
                Err(e) => {
                    return Err(self.malformed(
                        step,
                        "RFC 959 §4.1.2 MUST",
                        "\"227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).\"",
                        reply,
                        e.to_string(),
                    ));
                }
            }
        } else {
            match ExtPassiveReply::from_reply(reply, Leniency::PERMISSIVE) {
                Ok(p) => (p.value.port(), p.deviations, None),
                Err(e) => {
                    return Err(self.malformed(step, "RFC 2428 §3 MUST", "\"The text returned in response to the EPSV command MUST be: <text indicating server is entering extended passive mode> (<d><d><d><tcp-port><d>)\"", reply, e.to_string()));
                }
            }
        };
        for d in deviations.iter() {
            self.find(deviation_finding(d, reply), line);
        }
        if let Some(named) = named.filter(|n| *n != peer && peer.is_ipv4()) {
            self.find(Finding {
                verdict: Verdict::Warn,
                check: "pasv-address".into(),
                rfc: Some("RFC 959 §4.1.2 MUST".into()),
                required: "\"The response to this command includes the host and port address this server is listening on.\"".into(),
                acceptable: format!("{peer}, the address the control connection is connected to (used instead; a foreign address is never followed)"),
                received: named.to_string(),
                line,
            }, None);
        }
        if port == 0 {
            return Err(self.malformed(
                step,
                "RFC 959 §4.1.2 MUST",
                "a port the server is listening on",
                reply,
                "port 0".into(),
            ));
        }
        Ok(port)
    }

    fn malformed(
        &mut self,
        step: &Step,
        rfc: &str,
        required: &str,
        reply: &Reply,
        why: String,
    ) -> Stop {
        self.find(
            Finding {
                verdict: Verdict::Fail,
                check: "data-setup".into(),
                rfc: Some(rfc.into()),
                required: required.into(),
                acceptable: "a parsable address".into(),
                received: format!("{reply} ({why})"),
                line: Some(step.line),
            },
            None,
        );
        Stop::new(Verdict::Fail, format!("malformed passive reply: {why}"))
    }

    /// The built-in TYPE I oracle: a RETR of a path this case stored in
    /// TYPE I must return exactly the stored bytes.
    fn check_image(
        &mut self,
        step: &Step,
        check: &DownloadCheck,
        expected: Option<(String, Vec<u8>)>,
        got: &[u8],
    ) {
        let Some((path, want)) = expected else {
            return;
        };
        if *want == *got || matches!(check, DownloadCheck::Exact(_)) {
            return;
        }
        let at = want
            .iter()
            .zip(got)
            .position(|(a, b)| a != b)
            .unwrap_or(want.len().min(got.len()));
        self.find(
            Finding {
                verdict: Verdict::Fail,
                check: "data".into(),
                rfc: Some("RFC 959 §3.1.1.3 MUST".into()),
                required: "\"The receiving site must store the data as contiguous bits.\" (TYPE I: a file comes back as stored)".into(),
                acceptable: format!("the {} bytes stored earlier in this case as {path}", want.len()),
                received: format!("{} bytes, first difference at offset {at}", got.len()),
                line: Some(step.line),
            },
            None,
        );
    }

    fn check_download(
        &mut self,
        step: &Step,
        check: &DownloadCheck,
        got: &[u8],
    ) -> Result<(), Stop> {
        let hex = |b: &[u8]| {
            Sha256::digest(b)
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect::<String>()
        };
        let describe = |b: &[u8]| format!("{} bytes, sha256 {}", b.len(), hex(b));
        let (ok, acceptable) = match check {
            DownloadCheck::Any => (true, String::new()),
            DownloadCheck::Exact(src) => {
                let want = Self::source_bytes(src);
                (
                    *want == *got,
                    format!(
                        "exactly {} (RFC 959 §3.1.1.3: \"The receiving site must store the data as contiguous bits.\")",
                        describe(&want)
                    ),
                )
            }
            DownloadCheck::Size(n) => (got.len() as u64 == *n, format!("{n} bytes")),
            DownloadCheck::Sha256(h) => (hex(got) == *h, format!("sha256 {h}")),
            DownloadCheck::Match(p) => {
                let src = self.subst(p)?;
                let pat =
                    Pattern::new(&src).map_err(|e| Stop::new(Verdict::Error, e.to_string()))?;
                let text = String::from_utf8_lossy(got);
                (
                    pat.matches(&text).is_some(),
                    format!("text matching \"{src}\""),
                )
            }
        };
        if ok {
            return Ok(());
        }
        let mut received = describe(got);
        if let DownloadCheck::Exact(src) = check {
            let want = Self::source_bytes(src);
            if let Some(i) = want.iter().zip(got).position(|(a, b)| a != b) {
                received.push_str(&format!(", first difference at offset {i}"));
            }
        }
        self.mismatch(step, "data", acceptable, received)
    }

    async fn step(&mut self, step: &Step) -> Result<(), Stop> {
        let line = Some(step.line);
        let limits = self.spec.limits;
        match &step.kind {
            StepKind::Send(template) => {
                let text = self.subst(template)?;
                if text.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
                    return Err(Stop::new(
                        Verdict::Error,
                        "a variable put CR, LF or NUL into a command; use raw for malformed input",
                    ));
                }
                self.send_text(&text, line).await
            }
            StepKind::Raw(bytes) => self.send(bytes, line).await,
            StepKind::Expect {
                codes,
                pattern,
                after_preliminary,
            } => self
                .expect_codes(step, codes, pattern.as_deref(), *after_preliminary)
                .await
                .map(|_| ()),
            StepKind::ExpectAny => self.expect_any(step).await,
            StepKind::ExpectAlive => self.expect_alive(step).await,
            StepKind::ExpectClose => {
                // A MUST close (after QUIT) gets the full step timeout: a
                // conforming server closes at once, so only a violator
                // waits. An optional close (RFC 2577's lockout) is rightly
                // absent on many servers, which would all pay that wait; a
                // server that does close does so right after its reply.
                let wait = match step.level {
                    Level::Must => limits.step_timeout,
                    _ => limits.optional_close_wait.min(limits.step_timeout),
                };
                let (closed, extra) = self
                    .control
                    .wait_close(wait, &mut self.t)
                    .await
                    .map_err(driver_stop)?;
                for r in extra {
                    self.find(
                        Finding {
                            verdict: Verdict::Fail,
                            check: "one-reply".into(),
                            rfc: Some("RFC 959 §5.4 MUST".into()),
                            required: "one reply per command".into(),
                            acceptable: "the connection closing".into(),
                            received: r.to_string(),
                            line,
                        },
                        None,
                    );
                }
                if closed {
                    Ok(())
                } else {
                    self.mismatch(step, "close", format!("the server to close the control connection within {wait:?} (RFC 959 §4.1.1: \"the server closes the control connection\")"), "the connection stayed open".into())
                }
            }
            StepKind::DataOpen => self.data_open(step).await,
            StepKind::DataOpenBounce(p) => self.data_open_probe(step, *p).await,
            StepKind::DataAbandon => {
                drop(self.take_data(step)?);
                self.t.push(Direction::Note, "data: abandoned");
                Ok(())
            }
            StepKind::DataRefused => {
                let Some(conn) = self.data.take() else {
                    // Nothing listening: nothing the server could have reached.
                    return Ok(());
                };
                let seen = conn
                    .expect_no_connection(&limits, &mut self.t)
                    .await
                    .map_err(driver_stop)?;
                self.nothing_seen(step, seen, "no data connection at all")
            }
            StepKind::DataUpload(src) => {
                let conn = self.take_data(step)?;
                let bytes = Self::source_bytes(src);
                conn.upload(&bytes, &limits, &mut self.t)
                    .await
                    .map_err(driver_stop)?;
                self.image.uploaded(&bytes);
                Ok(())
            }
            StepKind::DataDownload(check) => {
                let conn = self.take_data(step)?;
                let expected = self.image.expected_download();
                if matches!(check, DownloadCheck::Any) && expected.is_none() {
                    // Nothing to compare the bytes with: count them rather
                    // than hold up to 64 MiB per case in memory.
                    conn.drain(&limits, &mut self.t)
                        .await
                        .map_err(driver_stop)?;
                    return Ok(());
                }
                let got = conn
                    .download(&limits, &mut self.t)
                    .await
                    .map_err(driver_stop)?;
                self.check_image(step, check, expected, &got);
                self.check_download(step, check, &got)
            }
            StepKind::DataNone => {
                let conn = self.take_data(step)?;
                let seen = conn
                    .expect_unused(&limits, &mut self.t)
                    .await
                    .map_err(driver_stop)?;
                self.nothing_seen(step, seen, "no use of the data connection")
            }
        }
    }

    /// `expect any`: a reply, any code. Silence and hanging up are the
    /// server's doing here (a fuzz finding being reproduced), so the
    /// harness error `reply` reports for them becomes a failure.
    async fn expect_any(&mut self, step: &Step) -> Result<(), Stop> {
        let line = Some(step.line);
        let mut reply = self.reply(line).await;
        if matches!(&reply, Ok(r) if r.code().is_preliminary()) {
            reply = self.reply(line).await;
        }
        reply.map(|_| ()).map_err(|s| match s.verdict {
            Verdict::Error => Stop::new(
                Verdict::Fail,
                format!(
                    "line {}: no reply ({}); RFC 959 §5.4 MUST: \"the server responds with a prompt primary reply\"",
                    step.line, s.message
                ),
            ),
            _ => s,
        })
    }

    /// `expect alive`: a fresh connection is greeted with 220.
    async fn expect_alive(&mut self, step: &Step) -> Result<(), Stop> {
        let limits = self.spec.limits;
        let mut t = Transcript::default();
        let got = match Control::connect(self.spec.addr, limits).await {
            Ok(mut c) => c.read_reply(&mut t).await.map(|r| r.value.to_string()),
            Err(e) => Err(e),
        };
        self.t.push(
            Direction::Note,
            format!("expect alive: {}", got.as_deref().unwrap_or("no greeting")),
        );
        match got {
            Ok(g) if g.starts_with("220") => Ok(()),
            Ok(g) => Err(Stop::new(
                Verdict::Fail,
                format!(
                    "line {}: a new connection was greeted with {g}, not 220",
                    step.line
                ),
            )),
            Err(e) => Err(Stop::new(
                Verdict::Fail,
                format!(
                    "line {}: the server did not survive: a new connection got no greeting ({e})",
                    step.line
                ),
            )),
        }
    }

    /// Banner and login, before the scenario's steps.
    async fn setup(&mut self) -> Result<(), Stop> {
        let mut banner = self.reply(None).await?;
        if banner.code().get() == 120 {
            banner = self.reply(None).await?;
        }
        match banner.code().get() {
            220 => {}
            421 => {
                return Err(Stop::new(
                    Verdict::Error,
                    format!("the server is not available: {banner}"),
                ));
            }
            _ => {
                self.find(
                    Finding {
                        verdict: Verdict::Fail,
                        check: "reply-code".into(),
                        rfc: Some("RFC 959 §5.4 MUST".into()),
                        required: "Connection Establishment: 120 then 220, 220, or 421".into(),
                        acceptable: "120, 220, 421".into(),
                        received: banner.to_string(),
                        line: None,
                    },
                    None,
                );
                return Err(Stop::new(
                    Verdict::Fail,
                    format!("unexpected greeting {banner}"),
                ));
            }
        }
        if !self.spec.scenario.login {
            return Ok(());
        }
        let target = self.spec.target;
        self.send_text(&format!("USER {}", target.login_name()), None)
            .await?;
        let mut r = self.reply(None).await?;
        if r.code() == ReplyCode::NEED_PASSWORD {
            self.send_text(&format!("PASS {}", target.pass), None)
                .await?;
            r = self.reply(None).await?;
        }
        if !r.code().is_completion() {
            return Err(Stop::new(
                Verdict::Error,
                format!("login as {} failed: {r}", target.login_name()),
            ));
        }
        if let Some(dir) = &self.spec.dir {
            self.send_text(&format!("MKD {dir}"), None).await?;
            let r = self.reply(None).await?;
            if !r.code().is_completion() {
                return Err(Stop::new(
                    Verdict::Error,
                    format!("could not create the scratch directory {dir}: {r}"),
                ));
            }
        }
        Ok(())
    }
}

/// Run one case: connect, set up, run the steps, say goodbye.
pub(crate) async fn run_case(spec: &CaseSpec<'_>) -> Outcome {
    let mut t = Transcript::default();
    t.push(Direction::Note, format!("connecting to {}", spec.addr));
    let control = match Control::connect(spec.addr, spec.limits).await {
        Ok(c) => c,
        Err(e) => {
            t.push(Direction::Note, e.to_string());
            return Outcome {
                verdict: Verdict::Error,
                message: format!("cannot connect to {}: {e}", spec.addr),
                findings: Vec::new(),
                transcript: t,
            };
        }
    };
    let mut vars = BTreeMap::new();
    vars.insert("user".to_owned(), spec.target.login_name().to_owned());
    vars.insert("pass".to_owned(), spec.target.pass.clone());
    vars.insert("host".to_owned(), spec.addr.ip().to_string());
    vars.insert(
        "dir".to_owned(),
        spec.dir.clone().unwrap_or_else(|| ".".into()),
    );
    let mut exec = Exec {
        spec,
        t,
        findings: Vec::new(),
        vars,
        control,
        data: None,
        awaiting: VecDeque::new(),
        probe: Probe::Unused,
        image: ImageTracker::default(),
    };
    let mut stop = exec.setup().await.err();
    if stop.is_none() {
        for step in &spec.scenario.steps {
            if let Err(s) = exec.step(step).await {
                stop = Some(s);
                break;
            }
        }
    }
    if stop.is_none() {
        // Anything still unread once the steps are done was not asked for.
        if let Ok(Some(r)) = exec.control.unsolicited(&mut exec.t) {
            if exec.awaiting.is_empty() {
                exec.find(
                    Finding {
                        verdict: Verdict::Fail,
                        check: "one-reply".into(),
                        rfc: Some("RFC 959 §5.4 MUST".into()),
                        required: "one primary reply per command".into(),
                        acceptable: "nothing after the last expected reply".into(),
                        received: r.value.to_string(),
                        line: None,
                    },
                    None,
                );
            }
        }
    }
    let _ = tokio::time::timeout(
        std::time::Duration::from_millis(200),
        exec.control.send(b"QUIT\r\n", &mut exec.t),
    )
    .await;
    let worst = exec
        .findings
        .iter()
        .fold(Verdict::Pass, |v, f| v.worst(f.verdict));
    let (verdict, message) = match stop {
        Some(s) => (s.verdict.worst(worst), s.message),
        None => {
            let msg = exec
                .findings
                .iter()
                .find(|f| f.verdict == worst)
                .map(|f| {
                    format!(
                        "{}: expected {}, received {}",
                        f.check, f.acceptable, f.received
                    )
                })
                .unwrap_or_default();
            (worst, msg)
        }
    };
    Outcome {
        verdict,
        message,
        findings: exec.findings,
        transcript: exec.t,
    }
}
