//! The control connection of a case as a conversation: commands go out,
//! replies are matched to them first in, first out (an ABOR's reply comes
//! after the aborted transfer's; a command sent during a transfer may be
//! answered before its result: `matching.rs`), and every reply goes
//! through the built-in checks of [`crate::oracle`]. A reply owed after
//! ABOR that is late gets one NOOP sent as the overdue-reply probe, to
//! tell a late reply from a lost one.

mod edges;
mod matching;
mod overdue;
mod timing;

use super::Stop;
use crate::codec::{Command, Leniency, Parsed, Reply, Verb};
use crate::driver::{Control, DataConn, Direction, DriverError, Limits, Transcript};
use crate::oracle::{self, Exchange, Violation, fate, image::ImageTracker, syntax};
use crate::verdict::{Finding, Verdict};
use overdue::OverdueProbe;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

/// A command whose reply is owed.
#[derive(Clone, Debug)]
pub(super) struct Awaited {
    /// Its verb.
    pub verb: Verb,
    /// Its argument, as text (empty without one).
    pub arg: String,
    /// Whether a positive preliminary (1yz) reply to it came already.
    pub after_preliminary: bool,
    /// The line as sent, escaped, CRLF dropped: for messages.
    pub line: String,
}

/// A reply, judged.
#[derive(Debug)]
pub(super) struct Answer {
    /// The reply.
    pub reply: Reply,
    /// For a 227 or 229: the port to connect to, if it names a usable one.
    pub passive_port: Option<u16>,
    /// The command it answers, when the queue knows.
    pub answers: Option<Verb>,
}

/// Skip leading Telnet commands (`IAC IP`, `IAC DM`, as sent before ABOR)
/// to find the FTP command they precede.
fn strip_telnet(mut bytes: &[u8]) -> &[u8] {
    while let [0xff, _, rest @ ..] = bytes {
        bytes = rest;
    }
    bytes
}

/// A case's control connection, its transcript and its findings.
pub(super) struct Conversation {
    control: Control,
    limits: Limits,
    /// Both directions, and the harness's notes.
    pub t: Transcript,
    /// Every non-pass observation so far.
    pub findings: Vec<Finding>,
    /// The command whose reply comes next, and whether a 1yz was already seen.
    awaiting: VecDeque<Awaited>,
    overdue: OverdueProbe,
    /// The last line sent, as shown in findings.
    last_sent: String,
    /// Its length in bytes.
    last_len: usize,
    /// What TYPE is in force and what was stored in TYPE I.
    pub image: ImageTracker,
    /// The longest a reply to a login command took so far: later ones may
    /// take twice that (servers grow the delay after each failed login).
    login_delay_seen: Duration,
    /// The server said 421 (closing): a close after it is no finding.
    closing: bool,
    /// The server answered 221 (to the scenario's own QUIT): the session
    /// is over, and no second QUIT is sent.
    said_goodbye: bool,
    /// What the report should know about how the case ran (waits stretched
    /// for a server that delays failed logins, say).
    pub notes: Vec<String>,
    /// Whether replies are put through the built-in checks. Off for the
    /// harness's own set-up (login, the URL's directory, the scratch
    /// directory): a finding belongs to the exchange a scenario made, and
    /// an odd reply to set-up would otherwise be charged to every case.
    pub judging: bool,
    /// Replies can no longer be matched to commands: commands were sent
    /// while a transfer waited for a data connection the case held back
    /// (`data open held`), and RFC 959 does not say in which order a
    /// server answers those. The code table is then not applied; the
    /// grammar still is.
    pub unattributed: bool,
    /// A REIN just ended TLS: an unreadable next reply means the server is
    /// still in TLS (RFC 4217 §13).
    pub cleared_by_rein: bool,
}

impl Conversation {
    pub fn new(control: Control, limits: Limits, t: Transcript) -> Conversation {
        Conversation {
            control,
            limits,
            t,
            findings: Vec::new(),
            awaiting: VecDeque::new(),
            overdue: OverdueProbe::Unused,
            last_sent: String::new(),
            last_len: 0,
            image: ImageTracker::default(),
            login_delay_seen: Duration::ZERO,
            closing: false,
            said_goodbye: false,
            notes: Vec::new(),
            judging: true,
            unattributed: false,
            cleared_by_rein: false,
        }
    }

    /// Whether a command that may end a transfer early (ABOR, QUIT) was
    /// sent and not yet answered.
    pub fn ending_transfer(&self) -> bool {
        self.awaiting
            .iter()
            .any(|a| a.verb == Verb::ABOR || a.verb == Verb::QUIT)
    }

    /// The control connection (for its addresses and data connections).
    pub fn control(&self) -> &Control {
        &self.control
    }

    /// The control connection and the transcript, to change the
    /// connection's security (`security.rs`).
    pub fn control_mut(&mut self) -> (&mut Control, &mut Transcript) {
        (&mut self.control, &mut self.t)
    }

    /// A passive data connection to `port` on the control connection's peer.
    pub async fn connect_passive(&mut self, port: u16) -> Result<DataConn, DriverError> {
        self.control.connect_passive(port, &mut self.t).await
    }

    /// An active data connection on the control connection's local address.
    pub async fn listen_active(&mut self) -> Result<(DataConn, SocketAddr), DriverError> {
        self.control.listen_active(&mut self.t).await
    }

    /// A bounce target on 127.0.0.2 (see [`Control::listen_bounce_target`]).
    pub async fn listen_bounce_target(
        &mut self,
        port: u16,
    ) -> Result<(DataConn, SocketAddr), DriverError> {
        self.control.listen_bounce_target(port, &mut self.t).await
    }

    /// Record a finding, with a note in the transcript.
    pub fn record(&mut self, f: Finding) {
        self.t.push(
            Direction::Note,
            format!("{}: {}: received {}", f.verdict, f.check, f.received),
        );
        self.findings.push(f);
    }

    /// Record a violation found at scenario line `line`.
    pub fn find(&mut self, v: &Violation, line: Option<usize>) {
        self.record(v.finding(line));
    }

    /// Turn a driver error while reading into the case's end. A reply the
    /// grammar rejects fails; so does silence or a close where a command's
    /// reply is owed (RFC 959 §4.2: "Every command must generate at least
    /// one reply"), unless the server announced the close with 421. Any
    /// other error is the harness unable to go on.
    pub fn read_failed(&mut self, e: DriverError, line: Option<usize>) -> Stop {
        if std::mem::take(&mut self.cleared_by_rein) && !self.awaiting.is_empty() {
            let command = self.last_sent.clone();
            let v = oracle::tls::not_cleared_after_rein(&command, &e.to_string());
            self.find(&v, line);
            return Stop::new(
                Verdict::Fail,
                format!("line {}: {}", line.unwrap_or_default(), v.received),
            );
        }
        if let Some(v) = syntax::stream(&e) {
            self.find(&v, line);
            return Stop::new(Verdict::Fail, format!("unreadable reply: {e}"));
        }
        if self.awaiting.is_empty() {
            return Stop::driver(e);
        }
        if self.closing {
            return Stop::new(
                Verdict::Error,
                format!("the server ended the session with 421, then {e}"),
            );
        }
        let command = self.owed_longest();
        let v = match &e {
            DriverError::Closed => fate::closed(&command),
            DriverError::Timeout(waited, _) => fate::hang(&command, *waited),
            DriverError::Tls { failure, .. } if failure.is_protocol_breach() => {
                oracle::tls::garbled(&command, failure)
            }
            _ => return Stop::driver(e),
        };
        self.find(&v, line);
        Stop::new(
            Verdict::Fail,
            format!("line {}: {}", line.unwrap_or_default(), v.received),
        )
    }

    /// The command whose reply has been owed longest, for messages (QUIT
    /// answered during a RETR whose result never comes: the RETR); the
    /// last line sent when none is owed.
    fn owed_longest(&self) -> String {
        self.awaiting
            .front()
            .map_or_else(|| self.last_sent.clone(), |a| a.line.clone())
    }

    /// The last line sent, escaped, for messages.
    pub fn last_sent(&self) -> &str {
        &self.last_sent
    }

    /// Send a line as it is, after checking that nothing unsolicited arrived.
    pub async fn send(&mut self, bytes: &[u8], line: Option<usize>) -> Result<(), Stop> {
        if self.awaiting.is_empty() {
            match self.control.unsolicited(&mut self.t) {
                Ok(Some(r)) => {
                    let v = self.unasked(&r.value);
                    self.find(&v, line)
                }
                Ok(None) => {}
                Err(e) => return Err(self.read_failed(e, line)),
            }
        }
        // Each line of a write is a command the server owes a reply to
        // (RFC 959 §4.2: "Every command must generate at least one
        // reply"), however many lines one `raw` step sends.
        let cmds: Vec<(Option<Command>, String)> = lines_of(bytes)
            .into_iter()
            .map(|l| {
                let cmd = Command::parse_with(strip_telnet(l), Leniency::PERMISSIVE)
                    .ok()
                    .map(|p| p.value);
                let shown = crate::codec::escape_bytes(l.strip_suffix(b"\r\n").unwrap_or(l));
                (cmd, shown)
            })
            .collect();
        for c in cmds.iter().filter_map(|(c, _)| c.as_ref()) {
            self.image.sent(c);
        }
        self.last_sent = crate::codec::escape_bytes(bytes.strip_suffix(b"\r\n").unwrap_or(bytes));
        self.last_len = bytes.len();
        match self.control.send(bytes, &mut self.t).await {
            Ok(()) => {}
            // The server already hung up: the next read reports it.
            Err(DriverError::Closed) => {
                self.t.push(
                    Direction::Note,
                    "send: the server had closed the connection",
                );
            }
            Err(e) => return Err(Stop::driver(e)),
        }
        // An unparsable line still gets a reply; keep the queue aligned.
        for (cmd, line) in cmds {
            let (verb, arg) = cmd.map_or_else(
                || (Verb::new(""), String::new()),
                |c| {
                    (
                        c.verb().clone(),
                        c.arg().map(|a| a.to_string()).unwrap_or_default(),
                    )
                },
            );
            self.awaiting.push_back(Awaited {
                verb,
                arg,
                after_preliminary: false,
                line,
            });
        }
        Ok(())
    }

    /// Send a command line; CRLF is added.
    pub async fn send_text(&mut self, text: &str, line: Option<usize>) -> Result<(), Stop> {
        let mut bytes = text.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        self.send(&bytes, line).await
    }

    /// Read the next reply; past [`Limits::overdue_probe`] with a reply owed
    /// after ABOR, send one NOOP first and keep waiting.
    async fn read_next(
        &mut self,
        data_open: bool,
        line: Option<usize>,
    ) -> Result<Parsed<Reply>, Stop> {
        if self.may_probe(data_open) {
            let wait = self.limits.overdue_probe;
            let early = self.control.read_reply_within(wait, &mut self.t).await;
            match early {
                Err(e) => return Err(self.read_failed(e, line)),
                Ok(Some(r)) => return Ok(r),
                Ok(None) if self.control.between_replies() => {
                    self.t.push(
                        Direction::Note,
                        format!(
                            "probe: no reply after ABOR within {wait:?}; NOOP sent to tell a late reply from a lost one"
                        ),
                    );
                    if let Err(e) = self.control.send(b"NOOP\r\n", &mut self.t).await {
                        return Err(Stop::driver(e));
                    }
                    self.overdue = OverdueProbe::Pending;
                }
                Ok(None) => {}
            }
        }
        let started = std::time::Instant::now();
        match self
            .control
            .read_reply_for(self.deadline(), &mut self.t)
            .await
        {
            Ok(r) => {
                self.cleared_by_rein = false;
                self.timed_login_reply(started.elapsed());
                if r.value.code().get() == 421 {
                    self.closing = true;
                }
                if r.value.code().get() == 221 {
                    self.said_goodbye = true;
                }
                Ok(r)
            }
            Err(e) => Err(self.read_failed(e, line)),
        }
    }

    /// Put one reply to `verb` through the built-in checks.
    fn judge(
        &mut self,
        verb: Option<&Verb>,
        after_preliminary: bool,
        reply: &Parsed<Reply>,
        line: Option<usize>,
    ) -> Option<u16> {
        let j = oracle::judge_reply(&Exchange {
            verb,
            after_preliminary,
            reply,
            peer: self.control.peer().ip(),
            security: oracle::codes::SessionSecurity {
                secured: self.control.is_tls(),
                protected_data: self.control.private_data(),
            },
        });
        if self.judging {
            for v in &j.violations {
                self.find(v, line);
            }
        }
        self.image.replied(reply.value.code());
        j.passive_port
    }

    /// The next reply, matched to the command it answers and judged.
    /// `data_open`: a data connection is set up and not yet used (the
    /// overdue-reply probe stays away from transfers).
    pub async fn reply(&mut self, data_open: bool, line: Option<usize>) -> Result<Answer, Stop> {
        let parsed = self.read_next(data_open, line).await?;
        self.probe_overtaken(&parsed.value, line)?;
        let security = oracle::codes::SessionSecurity {
            secured: self.control.is_tls(),
            protected_data: self.control.private_data(),
        };
        let front = matching::answered(&mut self.awaiting, parsed.value.code(), security);
        let passive_port = self.judge(
            front
                .as_ref()
                .map(|a| &a.verb)
                .filter(|_| !self.unattributed),
            front.as_ref().is_some_and(|a| a.after_preliminary),
            &parsed,
            line,
        );
        let answers = front.as_ref().map(|a| a.verb.clone());
        if let Some(a) = &front {
            super::security::follow(self, a, &parsed.value, line).await?;
        }
        if let Some(mut a) = front {
            if parsed.value.code().is_preliminary() && !a.after_preliminary {
                a.after_preliminary = true;
                self.awaiting.push_front(a);
            }
        }
        self.settle_probe(line).await?;
        Ok(Answer {
            reply: parsed.value,
            passive_port,
            answers,
        })
    }
}

/// The command lines in one write: each line ended by CRLF when there are
/// two or more; otherwise the write as one line (a single command, or a
/// fragment whose end a later write brings). A bare LF does not split:
/// servers differ on whether it ends a line.
fn lines_of(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut rest = bytes;
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        lines.push(&rest[..i + 2]);
        rest = &rest[i + 2..];
    }
    if lines.len() < 2 {
        return vec![bytes];
    }
    lines
}
