//! Running one session on a fresh control connection, through the driver
//! (the only code that touches sockets), bounded in time and size, with the
//! per-reply oracles applied as replies arrive.
//!
//! `data.rs` holds the session's data connections, `security.rs` what an
//! accepted AUTH, PROT, CCC or REIN does to the connection.

mod data;
mod held;
mod outcome;
mod pace;
mod security;
mod spare;

pub(super) use data::UPLOAD;
pub use outcome::{End, ExecConfig, Execution, Liveness, Took, liveness};
use spare::Greeting;
pub use spare::{Spare, Spares};

use super::hit::{Hit, reportable};
use super::safety::make_safe;
use super::session::{Action, Session, command_line, is_clean_line};
use super::tokens;
use crate::codec::{ExtAddr, HostPort, Parsed, Reply, Verb};
use crate::driver::{Control, DataConn, DriverError, Transcript};
use crate::oracle::{self, Exchange, Violation, port, sequence, syntax};
use crate::target::Security;
use held::Held;
use std::net::SocketAddr;
use std::time::Duration;

/// Most values one session learns from the server (replies and listings).
const LEARN_PER_SESSION: usize = 128;

/// How much of a listing is read for names (the rest streams by unread).
const LISTING_HEAD: usize = 4096;

struct Run<'a> {
    cfg: &'a ExecConfig,
    control: Control,
    t: Transcript,
    data: Option<DataConn>,
    path: Vec<(String, u16)>,
    replies: Vec<Vec<u16>>,
    hits: Vec<Hit>,
    /// The action from which replies can no longer be matched to
    /// commands ([`Execution::out_of_step`]); codes are then not
    /// attributed to commands for the §5.4 oracle.
    out_of_step: Option<usize>,
    ipv6: bool,
    /// Our end of the data connection held back ([`Action::DataHeld`]),
    /// and whether a command may be waiting for it.
    held: Option<Held>,
    /// The data connection being set up is to be held back.
    holding: bool,
    /// The server has a data connection set up (227/229, or PORT/EPRT
    /// accepted) that no transfer has used yet. A server may then wait for
    /// it before answering anything: silence is no finding while we do not
    /// hold our end.
    armed: bool,
    sent: usize,
    /// The verb of each exchange so far.
    verbs_sent: Vec<String>,
    /// The last line sent (after the safety rewrite): what replies echo.
    last_line: Vec<u8>,
    /// Each action as actually sent, after the safety rewrite (what every
    /// message about it shows: the wire, not the generator's intent).
    shown: Vec<String>,
    /// Values the server showed ([`tokens::from_reply`], [`tokens::from_listing`]).
    learned: Vec<Vec<u8>>,
}

impl Run<'_> {
    /// Keep `v` if a fuzz run reports such violations ([`reportable`]).
    fn hit(&mut self, v: Violation, verb: &str, action: usize) {
        if reportable(&v) {
            self.hits.push(Hit::new(v, verb, action));
        }
    }

    /// The same, one finding per `cause` whatever command it shows at.
    fn hit_of(&mut self, v: Violation, verb: &str, action: usize, cause: String) {
        if reportable(&v) {
            self.hits.push(Hit::new(v, verb, action).with_cause(cause));
        }
    }

    /// Record a reply to action `action` and put it through the built-in
    /// checks; the code table and FEAT's format only while replies can
    /// still be matched to commands (`attributed`). A 227/229's port.
    fn record(
        &mut self,
        action: usize,
        verb: &str,
        r: &Parsed<Reply>,
        after_preliminary: bool,
        attributed: bool,
    ) -> Option<u16> {
        let code = r.value.code().get();
        self.path.push((verb.to_owned(), code));
        if self.learned.len() < LEARN_PER_SESSION {
            self.learned
                .extend(tokens::from_reply(code, &r.value.text_bytes()));
        }
        self.replies[action].push(code);
        let command = Verb::new(verb);
        let judged = oracle::judge_reply(&Exchange {
            verb: attributed.then_some(&command),
            after_preliminary,
            reply: r,
            peer: self.control.peer().ip(),
            security: oracle::codes::SessionSecurity {
                secured: self.control.is_tls(),
                protected_data: self.control.private_data(),
            },
        });
        let shape = super::cause::reply_shape(&r.value, verb, &self.last_line);
        for v in judged.violations {
            if reportable(&v) {
                let cause = super::cause::of_reply(&v, &shape);
                self.hits.push(Hit::new(v, verb, action).with_cause(cause));
            }
        }
        judged.passive_port
    }

    /// How long to wait for a reply that may not come ([`pace::Pace`]).
    fn settle(&self) -> Duration {
        match &self.cfg.pace {
            Some(p) => p.settle(self.cfg.settle),
            None => self.cfg.settle,
        }
    }

    /// Read one reply, waiting at most `wait`. A wait of nothing still
    /// arms the runtime's timer, which fires at its next tick (up to
    /// 1 ms): a server deaf while our data end is held gets that long to
    /// answer each line. Answered at once from what is buffered instead,
    /// sessions ran 14% faster against vsftpd but what the server answered
    /// to what came to depend on timing: one seed's 60 s run left 41 hits
    /// unreproducible, against 2.
    async fn read(&mut self, wait: Duration) -> Result<Parsed<Reply>, DriverError> {
        match tokio::time::timeout(wait, self.control.read_reply(&mut self.t)).await {
            Ok(r) => r,
            Err(_) => Err(DriverError::Timeout(wait, "a reply")),
        }
    }

    /// From action `i` on, replies can no longer be matched to commands.
    fn lose_step(&mut self, i: usize) {
        self.out_of_step.get_or_insert(i);
    }

    /// Whether every reply so far was matched to its command.
    pub(super) fn in_sync(&self) -> bool {
        self.out_of_step.is_none()
    }

    /// Map a read error to how the session ends.
    fn failed(&mut self, e: DriverError, action: usize, verb: &str, clean: bool) -> End {
        if let Some(v) = syntax::stream(&e) {
            // The deviation is the cause, whichever command drew it.
            if reportable(&v) {
                let cause = super::cause::of_stream(&v);
                self.hits.push(Hit::new(v, verb, action).with_cause(cause));
            }
            return End::Malformed(action);
        }
        if let DriverError::Tls { failure, .. } = &e {
            if failure.is_protocol_breach() {
                let cause = super::cause::of_tls("in TLS", failure);
                self.hit_of(
                    crate::oracle::tls::garbled(verb, failure),
                    verb,
                    action,
                    cause,
                );
            }
        }
        match e {
            DriverError::Timeout(..) if self.armed && self.data.is_none() => {
                End::ServerEnded(action)
            }
            DriverError::Timeout(..) => End::Silent(action),
            _ => End::Closed { action, clean },
        }
    }

    /// Send `bytes` (made safe) and read what they deserve.
    async fn exchange(&mut self, i: usize, verb: &str, bytes: &[u8]) -> Result<Option<Reply>, End> {
        let bytes = make_safe(bytes, self.ipv6).into_owned();
        let clean = is_clean_line(&bytes);
        // While every reply so far was matched to its command, anything
        // already waiting now was asked for by nobody (the previous command
        // got two replies, say).
        if self.in_sync() && i > 0 {
            if let Ok(Some(extra)) = self.control.unsolicited(&mut self.t) {
                let prev = self.verbs_sent.last().cloned().unwrap_or_default();
                self.hit(sequence::unsolicited(&extra.value), &prev, i - 1);
            }
        }
        self.last_line = bytes.clone();
        if let Some(s) = self.shown.get_mut(i) {
            *s = crate::scenario::quote(&bytes);
        }
        self.verbs_sent.push(verb.to_owned());
        self.sent += 1;
        if let Err(e) = self.control.send(&bytes, &mut self.t).await {
            return Err(self.failed(e, i, verb, clean));
        }
        let expected = if clean {
            1
        } else {
            bytes.iter().filter(|&&b| b == b'\n').count()
        };
        // Nothing sent leaves the replies as they were.
        if !clean && !bytes.is_empty() {
            self.lose_step(i);
        }
        let mut last = None;
        let mut got = 0;
        while got < expected {
            // While our end of a data connection is held back the server
            // may answer nothing until it gets it: a short wait, then on.
            let held_wait = self.held_wait();
            let waits_for_us = held_wait.is_some();
            // Out of step, a well-formed line may have ended a partial one
            // before it into another command (`LIST %n` sent without its
            // end, then `PORT …`, is one LIST to the server), which may
            // wait for a data connection that will not come, or for more
            // lines: a reply that may not come. Silence is then no hang.
            let unsure = clean && !self.in_sync();
            let wait = match held_wait {
                Some(w) => w,
                None if clean && !unsure => self.cfg.limits.step_timeout,
                None => self.settle(),
            };
            let asked = std::time::Instant::now();
            let r = match self.read(wait).await {
                Ok(r) if clean && got == 0 => {
                    if let Some(p) = &self.cfg.pace {
                        p.observe(asked.elapsed());
                    }
                    r
                }
                Ok(r) => r,
                Err(DriverError::Timeout(..)) if !clean => break,
                Err(DriverError::Timeout(..)) if unsure && !waits_for_us => {
                    return Err(End::ServerEnded(i));
                }
                Err(DriverError::Timeout(..)) if waits_for_us => {
                    self.lose_step(i);
                    self.owe(i, verb);
                    break;
                }
                Err(e) => return Err(self.failed(e, i, verb, clean)),
            };
            let attributed = clean && self.in_sync();
            let passive_port = self.record(i, verb, &r, false, attributed);
            let code = r.value.code();
            if matches!(code.get(), 227 | 229) {
                self.follow_passive(passive_port).await;
            }
            if matches!(code.get(), 221 | 421) {
                return Err(End::ServerEnded(i));
            }
            if code.get() == 234 {
                self.start_tls(i, verb).await?;
            }
            if clean {
                self.follow_security(verb, &bytes, code.get()).await?;
            }
            if code.is_preliminary() && self.data.is_none() && self.held.is_some() {
                // The final reply comes once we give the server our end.
                self.lose_step(i);
                self.owe(i, verb);
                last = Some(r.value);
                got += 1;
                continue;
            }
            if code.is_preliminary() {
                self.armed = false;
                // The final reply follows: after the data, if there is any.
                let final_wait = self.transfer(verb).await;
                let r = match self.read(final_wait).await {
                    Ok(r) => r,
                    // Silence after 1yz with no data connection to use is the
                    // server waiting for one: no finding, but nothing more to do.
                    Err(DriverError::Timeout(..)) if final_wait < self.cfg.limits.step_timeout => {
                        return Err(End::ServerEnded(i));
                    }
                    Err(e) => return Err(self.failed(e, i, verb, clean)),
                };
                let attributed = clean && self.in_sync();
                self.record(i, verb, &r, true, attributed);
                if matches!(r.value.code().get(), 221 | 421) {
                    return Err(End::ServerEnded(i));
                }
            }
            last = Some(r.value);
            got += 1;
        }
        Ok(last)
    }

    async fn action(&mut self, i: usize, a: &Action) -> Result<(), End> {
        let verb = a.verb();
        match a {
            Action::Command { verb: v, arg } => {
                let line = command_line(v, arg.as_deref());
                let r = self.exchange(i, &verb, &line).await?;
                if let (Some(r), Some(_)) = (r, arg) {
                    // Only a reply known to answer this line: after a raw
                    // line without its end the server may have read both
                    // as one (`ALLO ` + `EPRT …`).
                    if is_clean_line(&line) && self.in_sync() {
                        // The address as it went on the wire (the line after
                        // the safety rewrite), never as generated.
                        let wire = self.last_line.clone();
                        let sent = wire
                            .strip_suffix(b"\r\n")
                            .unwrap_or(&wire)
                            .splitn(2, |b| *b == b' ')
                            .nth(1)
                            .unwrap_or_default();
                        if let Some(named) = named_address(&verb, sent) {
                            if let Some(v) = port::accepted(&verb, named, &r) {
                                self.hit(v, &verb, i);
                            }
                        }
                    }
                }
                Ok(())
            }
            Action::Raw(b) => self.exchange(i, &verb, b).await.map(|_| ()),
            Action::DataOpen(k) => self.data_open(i, *k, false).await,
            Action::DataHeld(k) => self.data_open(i, *k, true).await,
            Action::DataAbandon => {
                self.data = None;
                self.abandon_held().await;
                Ok(())
            }
            Action::HangUp { verb: v, arg } => {
                let line = make_safe(&command_line(v, arg.as_deref()), self.ipv6).into_owned();
                let _ = self.control.send(&line, &mut self.t).await;
                Err(End::HungUp(i))
            }
        }
    }
}

/// How long a session whose login was refused on a fresh connection waits
/// before it tries once more, for the session before to be let go.
const LOGIN_AGAIN_AFTER: Duration = Duration::from_millis(50);

/// The address a PORT or EPRT argument names.
fn named_address(verb: &str, arg: &[u8]) -> Option<SocketAddr> {
    match verb {
        "PORT" => HostPort::parse(arg).ok().map(|h| SocketAddr::V4(h.0)),
        "EPRT" => ExtAddr::parse(arg).ok().and_then(|a| a.socket_addr()),
        _ => None,
    }
}

/// Why a login did not happen: how the session ends, and the finding if
/// the server broke a rule on the way (a 234, then no TLS).
struct NoLogin(End, Option<Hit>);

impl From<End> for NoLogin {
    fn from(end: End) -> NoLogin {
        NoLogin(end, None)
    }
}

/// Log in on `c`; `greeting`: already read on it (a spare's).
async fn login(
    c: &mut Control,
    cfg: &ExecConfig,
    t: &mut Transcript,
    greeting: Option<Vec<Parsed<Reply>>>,
) -> Result<(), NoLogin> {
    let greeting = match greeting {
        Some(g) => g,
        None => c.greeting(t).await.map_err(|e| {
            End::NoGreeting(match e {
                // The one case where the fix is ours to make.
                DriverError::Timeout(..) => {
                    format!("{e} (a server slow to greet needs a longer --timeout)")
                }
                e => e.to_string(),
            })
        })?,
    };
    let last = &greeting[greeting.len() - 1].value;
    if last.code().get() != 220 {
        return Err(End::NoGreeting(last.to_string()).into());
    }
    if cfg.security == Security::Explicit {
        match c.auth_tls(t).await {
            Ok(r) if r.value.code().get() == 234 => {}
            Ok(r) => return Err(End::LoginFailed(format!("AUTH TLS refused: {}", r.value)).into()),
            Err(e) => {
                // A 234, then no part in TLS: the server's breach, judged
                // as a case's set-up judges it (`runner/case/security.rs`),
                // not a login we got wrong.
                let breach = match &e {
                    DriverError::Tls { failure, .. } => {
                        Hit::after_234(failure, "AUTH", 0).map(Hit::at_login)
                    }
                    _ => None,
                };
                return Err(NoLogin(End::LoginFailed(format!("AUTH TLS: {e}")), breach));
            }
        }
    }
    match c.login(&cfg.user, &cfg.pass, t).await {
        Ok(l) if l.logged_in && cfg.security == Security::Plain => Ok(()),
        // Over TLS, data connections are protected too, as a client sets
        // them up (RFC 4217 §9: PBSZ 0, then PROT P); a session may still
        // send PROT C itself. A refusal leaves data in clear: the suite
        // judges it (rfc4217.*), the fuzz session goes on.
        Ok(l) if l.logged_in => match c.protect(true, t).await {
            Ok(_) => Ok(()),
            Err(e) => Err(End::LoginFailed(format!("PBSZ 0, PROT P: {e}")).into()),
        },
        Ok(l) => Err(End::LoginFailed(l.last().map(|r| r.to_string()).unwrap_or_default()).into()),
        Err(e) => Err(End::LoginFailed(e.to_string()).into()),
    }
}

/// Run `session` on a new connection.
pub async fn execute(session: &Session, cfg: &ExecConfig) -> Execution {
    run_session(session, cfg, None).await
}

/// Run `session` on the connection `spare` holds if it logs in, else on a
/// new one; once logged in, leave the next session's connection opening
/// in `spare` (if `cfg` uses spares: [`Spare`]).
pub async fn execute_with(
    session: &Session,
    cfg: &ExecConfig,
    spare: &mut Option<Spare>,
) -> Execution {
    run_session(session, cfg, Some(spare)).await
}

async fn run_session(
    session: &Session,
    cfg: &ExecConfig,
    mut spare: Option<&mut Option<Spare>>,
) -> Execution {
    let started = std::time::Instant::now();
    let mut t = Transcript::default();
    let verbs: Vec<String> = session.actions.iter().map(Action::verb).collect();
    let shown: Vec<String> = session.actions.iter().map(|a| a.to_string()).collect();
    let done = |end: End, t: Transcript| Execution {
        path: Vec::new(),
        replies: vec![Vec::new(); session.actions.len()],
        hits: Vec::new(),
        end,
        transcript: t,
        verbs: verbs.clone(),
        shown: shown.clone(),
        sent: 0,
        learned: Vec::new(),
        quit_unanswered: false,
        out_of_step: None,
        opened_ahead: false,
        took: Took {
            login: started.elapsed(),
            ..Took::default()
        },
    };
    let implicit = cfg.security == Security::Implicit;
    let mut ahead = spare.as_mut().and_then(|s| s.take());
    // The next session's connection, made now: the first since the
    // session before ended, so the probe it left to this one. Refused, the
    // server is down: a fresh connection shows it as without spares.
    let mut next = None;
    if spare.is_some() {
        match Spare::open(cfg).await {
            Ok(s) => next = s,
            Err(_) => ahead = None,
        }
    }
    let mut missed = false;
    // Twice at most on a fresh connection: a server may lose the login's
    // TLS handshake to a race of its own (libunftp 0.24 now and then reads
    // the ClientHello as a command), or refuse the login while it has not
    // yet let the session before go (a server that lets a user log in once
    // at a time, and frees that login a moment after the connection it was
    // on has ended: the QUIT is not waited for). Neither is what this
    // session is about.
    let mut attempt = 0;
    let (control, served) = loop {
        let opened = match ahead.take() {
            Some(s) => s.take().await,
            None => None,
        };
        let from_spare = opened.is_some();
        let mut greeting = None;
        let mut control = match opened {
            Some((c, st, g)) => {
                t = st;
                greeting = g;
                c
            }
            None => match Control::open(cfg.addr, cfg.limits, cfg.tls.as_ref(), implicit, &mut t)
                .await
            {
                Ok(c) => c,
                Err(e) => return done(End::Refused(e.to_string()), t),
            },
        };
        match login(&mut control, cfg, &mut t, greeting).await {
            Ok(()) => break (control, from_spare),
            // A spare is a head start only: a fresh connection decides, and
            // meets the server as it would without spares. The next
            // session's connection goes too: a server at its connection
            // limit (LightFTP greets the 65th "MAXIMUM ALLOWED USERS
            // CONNECTED") would refuse the fresh one for its sake, and
            // take it again once it closed.
            Err(_) if from_spare => {
                missed = true;
                next = None;
                t = Transcript::default();
            }
            Err(NoLogin(End::LoginFailed(e), _)) if attempt == 0 => {
                attempt += 1;
                if !e.starts_with("AUTH TLS: ") {
                    tokio::time::sleep(LOGIN_AGAIN_AFTER).await;
                }
            }
            Err(NoLogin(end, breach)) => {
                let mut ended = done(end, t);
                ended.hits.extend(breach);
                return ended;
            }
        }
    };
    if let Some(s) = &cfg.spares {
        if missed {
            s.missed();
        } else if served {
            s.served();
        }
    }
    // The rest of the probe the session before left to this one: the
    // next session's connection, accepted, must be greeted too. Made
    // before this session sent more than its login, its silence is the
    // session before's doing, as a fresh connection's would have been.
    if let Some(n) = next.take() {
        let (n, heard) = n.greeted().await;
        if let Greeting::Silent(e) = heard {
            return done(
                End::NoGreeting(format!(
                    "a connection made as this session started got no greeting ({e})"
                )),
                t,
            );
        }
        next = n;
    }
    // The next session's connection waits while this one runs.
    if let Some(slot) = spare {
        *slot = next;
    }
    if !cfg.transcript {
        t = Transcript::default();
    }
    let ipv6 = control.local().is_ipv6();
    let mut run = Run {
        cfg,
        control,
        t,
        data: None,
        path: Vec::with_capacity(session.actions.len() * 2),
        replies: vec![Vec::new(); session.actions.len()],
        hits: Vec::new(),
        out_of_step: None,
        ipv6,
        held: None,
        holding: false,
        armed: false,
        sent: 0,
        verbs_sent: Vec::new(),
        last_line: Vec::new(),
        shown: shown.clone(),
        learned: Vec::new(),
    };
    let mut took = Took {
        login: started.elapsed(),
        ..Took::default()
    };
    let mut end = End::Done;
    for (i, a) in session.actions.iter().enumerate() {
        let t0 = std::time::Instant::now();
        let r = run.action(i, a).await;
        took.actions.push(t0.elapsed());
        if let Err(e) = r {
            end = e;
            break;
        }
        if !cfg.transcript {
            run.t = Transcript::default();
        }
    }
    // However the session ended: a worker left waiting for our end may
    // never let its session go (LightFTP 5980ea1 joins it forever, and
    // after 64 such sessions greets no one).
    let t0 = std::time::Instant::now();
    run.release(end == End::Done).await;
    let mut quit_unanswered = false;
    if end == End::Done {
        // Goodbye without waiting for 221 (the next session is a new
        // connection anyway), unless asked to.
        let sent = tokio::time::timeout(
            Duration::from_millis(50),
            run.control.send(b"QUIT\r\n", &mut run.t),
        )
        .await;
        if cfg.await_quit {
            quit_unanswered = match sent {
                Ok(Ok(())) => matches!(
                    run.read(cfg.limits.step_timeout).await,
                    Err(e) if !matches!(e, DriverError::Timeout(..))
                ),
                Ok(Err(_)) => true,
                Err(_) => false,
            };
        }
    }
    Execution {
        path: run.path,
        replies: run.replies,
        hits: run.hits,
        end,
        transcript: run.t,
        verbs,
        shown: run.shown,
        sent: run.sent,
        learned: run.learned,
        quit_unanswered,
        out_of_step: run.out_of_step,
        opened_ahead: served,
        took: Took {
            end: t0.elapsed(),
            ..took
        },
    }
}
