//! The step interpreter: each scenario step against the conversation, and
//! how a step that fails is cited and weighed (its level, and the
//! scenario's requirement of that level).

use super::conversation::{Answer, Conversation};
use super::{CaseSpec, Stop};
use crate::codec::{Reply, TimeVal, Verb};
use crate::driver::{Control, DataConn, Direction, Transcript};
use crate::fixtures;
use crate::oracle::{Check, SUSPECTED, fate};
use crate::scenario::{CodeSpec, Level, Pattern, Step, StepKind, send_bytes, substitute};
use crate::verdict::{Finding, Verdict};
use std::collections::BTreeMap;

/// What a `policy` finding adds to its quote.
const POLICY: &str = " (the RFC leaves this to the server's policy: a warning, so that the choice is seen, not a failure)";

/// A case in progress: the conversation, the data connection set up by
/// the last `data open`, and the variables.
pub(super) struct Exec<'a> {
    pub spec: &'a CaseSpec<'a>,
    pub conv: Conversation,
    pub data: Option<DataConn>,
    /// The port of a passive data connection `data open held` set up and
    /// the harness has not connected to yet.
    pub held_port: Option<u16>,
    /// A command was sent since `data open held` (the transfer that waits).
    pub held_sent: bool,
    vars: BTreeMap<String, String>,
    /// The reply the last `expect` read, for `check`.
    last_reply: Option<Reply>,
    /// What an unused protected data connection carried when `expect
    /// final` had to close it to get the final reply (see `expect_codes`),
    /// for the `data none` that follows.
    pub drained: Option<Option<String>>,
}

impl<'a> Exec<'a> {
    pub fn new(
        spec: &'a CaseSpec<'a>,
        conv: Conversation,
        vars: BTreeMap<String, String>,
    ) -> Exec<'a> {
        Exec {
            spec,
            conv,
            data: None,
            held_port: None,
            held_sent: false,
            vars,
            last_reply: None,
            drained: None,
        }
    }

    pub fn into_conversation(self) -> Conversation {
        self.conv
    }

    /// The next reply (see [`Conversation::reply`]).
    pub async fn reply(&mut self, line: Option<usize>) -> Result<Answer, Stop> {
        let data_open = self.data.is_some() || self.held_port.is_some();
        self.conv.reply(data_open, line).await
    }

    /// A second command while the data connection is held back: the
    /// first (the transfer) may still wait for it, so replies can no
    /// longer be matched to commands.
    fn before_send(&mut self) {
        if self.held_port.is_some() {
            if self.held_sent {
                self.conv.unattributed = true;
            }
            self.held_sent = true;
        }
    }

    pub async fn step(&mut self, step: &Step) -> Result<(), Stop> {
        let line = Some(step.line);
        match &step.kind {
            StepKind::Send(template) => {
                let mut bytes = send_bytes(template, |n| self.lookup(n)).map_err(|v| {
                    Stop::new(
                        Verdict::Error,
                        format!("variable {{{v}}} has no value in this case"),
                    )
                })?;
                if bytes.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
                    return Err(Stop::new(
                        Verdict::Error,
                        "a variable or escape put CR, LF or NUL into a command; use raw for malformed input",
                    ));
                }
                bytes.extend_from_slice(b"\r\n");
                self.before_send();
                self.conv.send(&bytes, line).await
            }
            StepKind::Raw(bytes) => {
                self.before_send();
                self.conv.send(bytes, line).await
            }
            StepKind::Pause(ms) => {
                tokio::time::sleep(std::time::Duration::from_millis(*ms)).await;
                Ok(())
            }
            StepKind::Expect {
                codes,
                pattern,
                after_preliminary,
            } => self
                .expect_codes(step, codes, pattern.as_deref(), *after_preliminary)
                .await
                .map(|_| ()),
            StepKind::Check { codes, pattern } => self.check(step, codes, pattern.as_deref()),
            StepKind::CheckNearNow {
                var,
                tolerance_secs,
            } => self.check_near_now(step, var, *tolerance_secs),
            StepKind::ExpectGreeting => self.conv.greeting(true).await.map(|_| ()),
            StepKind::ExpectAny => self.expect_any(step).await,
            StepKind::ExpectAlive => self.expect_alive(step).await,
            StepKind::TlsLegacyRefused => self.tls_legacy_refused(step).await,
            StepKind::ExpectClose => self.expect_close(step).await,
            StepKind::DataOpen => self.data_open(step, false).await,
            StepKind::DataOpenHeld => self.data_open(step, true).await,
            StepKind::DataOpenBounce(target) => self.data_open_bounce(step, *target).await,
            StepKind::DataAbandon => {
                drop(self.take_data(step).await?);
                self.conv.t.push(Direction::Note, "data: abandoned");
                Ok(())
            }
            StepKind::DataRefused => self.data_refused(step).await,
            StepKind::DataUpload(src) => self.data_upload(step, src).await,
            StepKind::DataEither(src) => self.data_either(step, src).await,
            StepKind::DataDownload(check) => self.data_download(step, check).await,
            StepKind::DataNone => self.data_none(step).await,
        }
    }

    /// `expect close`. A MUST close (after QUIT) gets the full step
    /// timeout: a conforming server closes at once, so only a violator
    /// waits. An optional close (RFC 2577's lockout) is rightly absent on
    /// many servers, which would all pay that wait; a server that does
    /// close does so right after its reply.
    async fn expect_close(&mut self, step: &Step) -> Result<(), Stop> {
        let limits = self.spec.limits;
        let wait = match step.level {
            Level::Must => limits.step_timeout,
            _ => limits.optional_close_wait.min(limits.step_timeout),
        };
        if self.conv.wait_close(wait, Some(step.line)).await? {
            Ok(())
        } else {
            self.mismatch(
                step,
                Check::Close,
                format!("the server to close the control connection within {wait:?}"),
                "the connection stayed open".into(),
            )
        }
    }

    /// `expect any`: a reply, any code (after at most one 1yz). Silence and
    /// hanging up fail here as after any command (the conversation judges
    /// them): written by `ftpspec fuzz` into findings, where the crash or
    /// hang is what is being reproduced.
    async fn expect_any(&mut self, step: &Step) -> Result<(), Stop> {
        let line = Some(step.line);
        if self.reply(line).await?.reply.code().is_preliminary() {
            self.reply(line).await?;
        }
        Ok(())
    }

    /// `expect alive`: a fresh connection is greeted with 220.
    async fn expect_alive(&mut self, step: &Step) -> Result<(), Stop> {
        let limits = self.spec.limits;
        let mut t = Transcript::default();
        let implicit = self.spec.target.security == crate::target::Security::Implicit;
        let got = match Control::open(self.spec.addr, limits, self.spec.tls, implicit, &mut t).await
        {
            Ok(mut c) => c.read_reply(&mut t).await.map(|r| r.value.to_string()),
            Err(e) => Err(e),
        };
        self.conv.t.push(
            Direction::Note,
            format!("expect alive: {}", got.as_deref().unwrap_or("no greeting")),
        );
        let command = self.conv.last_sent().to_owned();
        let why = match got {
            Ok(g) if g.starts_with("220") => return Ok(()),
            Ok(g) => format!("a new connection was greeted with {g}, not 220"),
            Err(e) => format!("a new connection got no greeting ({e})"),
        };
        let v = fate::crash(&command, &why);
        self.conv.find(&v, Some(step.line));
        Err(Stop::new(
            Verdict::Fail,
            format!("line {}: the server did not survive: {why}", step.line),
        ))
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

    pub fn subst(&self, template: &str) -> Result<String, Stop> {
        substitute(template, |n| self.lookup(n)).map_err(|v| {
            Stop::new(
                Verdict::Error,
                format!("variable {{{v}}} has no value in this case"),
            )
        })
    }

    /// A step's check did not hold: record the finding at the step's level
    /// and stop the case, except after a `should` step, whose one reply was
    /// read either way.
    pub fn mismatch(
        &mut self,
        step: &Step,
        check: Check,
        acceptable: String,
        received: String,
    ) -> Result<(), Stop> {
        let verdict = if step.policy {
            Verdict::Warn
        } else {
            Verdict::for_level(step.level)
        };
        let req = self.spec.scenario.cited_by(step);
        let note = if self.spec.scenario.suspects(step) {
            SUSPECTED
        } else if step.policy {
            POLICY
        } else {
            ""
        };
        self.conv.record(Finding {
            verdict,
            check,
            rfc: req.map(|r| r.to_string()),
            required: req
                .map(|r| format!("\"{}\"{note}", r.quote))
                .unwrap_or_default(),
            acceptable: acceptable.clone(),
            received: received.clone(),
            line: Some(step.line),
        });
        let msg = format!(
            "{}:{}: expected {acceptable}, received {received}",
            self.spec.scenario.path, step.line
        );
        match step.level {
            Level::Should => Ok(()),
            _ => Err(Stop::new(verdict, msg)),
        }
    }

    /// Compile a pattern template, variables substituted.
    pub fn pattern(&self, template: &str) -> Result<(String, Pattern), Stop> {
        let src = self.subst(template)?;
        let pat = Pattern::new(&src).map_err(|e| Stop::new(Verdict::Error, e.to_string()))?;
        Ok((src, pat))
    }

    async fn expect_codes(
        &mut self,
        step: &Step,
        codes: &CodeSpec,
        pattern: Option<&str>,
        after_preliminary: bool,
    ) -> Result<Reply, Stop> {
        let line = Some(step.line);
        let mut answer = self.reply(line).await?;
        if after_preliminary
            && answer.reply.code().is_preliminary()
            && !codes.accepts(answer.reply.code().get())
        {
            // An unused protected data connection is closed first (after a
            // look for data): over TLS the server may hold the final reply
            // until the client's side of the TLS shutdown (RFC 4217
            // §12.6), which nothing else would send.
            if self.data.as_ref().is_some_and(|d| d.is_protected()) {
                if let Some(conn) = self.data.take() {
                    let seen = conn
                        .expect_unused(&self.spec.limits, &mut self.conv.t)
                        .await
                        .map_err(Stop::driver)?;
                    self.drained = Some(seen);
                }
            }
            answer = self.reply(line).await?;
        }
        let reply = answer.reply;
        self.last_reply = Some(reply.clone());
        if self.refused_for_ipv6(answer.answers.as_ref(), &reply, codes) {
            return Ok(reply);
        }
        self.judge_reply(step, Check::Expect, codes, pattern, &reply)?;
        Ok(reply)
    }

    /// RFC 2428 §1: "the FTP commands PORT and PASV are replaced with EPRT
    /// and EPSV". On an IPv6 control connection a refusal (4yz, 5yz) of
    /// PASV or PORT is correct whatever the step expected; a 227 sent
    /// anyway is judged like any other (oracle::passive).
    fn refused_for_ipv6(
        &mut self,
        answers: Option<&Verb>,
        reply: &Reply,
        codes: &CodeSpec,
    ) -> bool {
        let refused = matches!(reply.code().first_digit(), 4 | 5);
        let replaced = answers.is_some_and(|v| *v == Verb::PASV || *v == Verb::PORT);
        if !(self.spec.addr.is_ipv6() && replaced && refused && !codes.accepts(reply.code().get()))
        {
            return false;
        }
        self.conv.t.push(
            Direction::Note,
            format!(
                "{} refused on an IPv6 connection: correct (RFC 2428 §1: PORT and PASV are replaced with EPRT and EPSV)",
                answers.map(|v| v.to_string()).unwrap_or_default()
            ),
        );
        true
    }

    /// `check CODES [~ "PATTERN"]`: the last reply again, at this step's level.
    fn check(&mut self, step: &Step, codes: &CodeSpec, pattern: Option<&str>) -> Result<(), Stop> {
        let reply = self.last_reply.clone().ok_or_else(|| {
            Stop::new(
                Verdict::Error,
                format!("line {}: no reply to check", step.line),
            )
        })?;
        self.judge_reply(step, Check::Expect, codes, pattern, &reply)
    }

    /// `check {VAR} near now TOLERANCE`: a time value, UTC, close to the
    /// client's clock.
    fn check_near_now(&mut self, step: &Step, var: &str, tolerance: u64) -> Result<(), Stop> {
        let value = self.vars.get(var).cloned().unwrap_or_default();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let acceptable = format!(
            "a UTC time within {tolerance} s of the client's clock ({} UTC)",
            TimeVal::from_unix(now)
        );
        match TimeVal::parse(value.trim()).map(|t| t.unix_secs) {
            Some(t) if t.abs_diff(now) <= tolerance => Ok(()),
            Some(t) => {
                let off = t - now;
                let received = format!(
                    "{value}: {}{} h {} min {} s from the client's clock",
                    if off < 0 { "-" } else { "+" },
                    off.abs() / 3_600,
                    off.abs() % 3_600 / 60,
                    off.abs() % 60
                );
                self.mismatch(step, Check::Expect, acceptable, received)
            }
            None => self.mismatch(
                step,
                Check::Expect,
                acceptable,
                format!("{value:?}, not a time value (YYYYMMDDHHMMSS[.sss])"),
            ),
        }
    }

    /// Whether `reply` has one of `codes` and text matching `pattern`;
    /// captures become variables.
    fn judge_reply(
        &mut self,
        step: &Step,
        check: Check,
        codes: &CodeSpec,
        pattern: Option<&str>,
        reply: &Reply,
    ) -> Result<(), Stop> {
        let caps = match pattern {
            None => Some(BTreeMap::new()),
            Some(p) => self.pattern(p)?.1.matches_bytes(&reply.text_bytes()),
        };
        match caps {
            Some(caps) if codes.accepts(reply.code().get()) => {
                self.vars.extend(caps);
                Ok(())
            }
            _ => {
                let want = match pattern {
                    Some(p) => format!("{codes} with text matching \"{p}\""),
                    None => codes.to_string(),
                };
                self.mismatch(
                    step,
                    check,
                    want,
                    reply.to_string().trim_end_matches("\\r\\n").to_owned(),
                )
            }
        }
    }
}
