//! The step interpreter: each scenario step against the conversation, and
//! how a step that fails is cited and weighed (its level, and the
//! scenario's requirement of that level).

use super::conversation::{Answer, Conversation};
use super::{CaseSpec, Silence, Stop};
use crate::codec::Reply;
use crate::driver::{Control, DataConn, Direction, Transcript};
use crate::fixtures;
use crate::oracle::{Check, SUSPECTED, fate};
use crate::scenario::{CodeSpec, Level, Pattern, Step, StepKind, substitute};
use crate::verdict::{Finding, Verdict};
use std::collections::BTreeMap;

/// A case in progress: the conversation, the data connection set up by
/// the last `data open`, and the variables.
pub(super) struct Exec<'a> {
    pub spec: &'a CaseSpec<'a>,
    pub conv: Conversation,
    pub data: Option<DataConn>,
    vars: BTreeMap<String, String>,
    /// The reply the last `expect` read, for `check`.
    last_reply: Option<Reply>,
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
            vars,
            last_reply: None,
        }
    }

    pub fn into_conversation(self) -> Conversation {
        self.conv
    }

    /// The next reply (see [`Conversation::reply`]).
    pub async fn reply(&mut self, line: Option<usize>) -> Result<Answer, Stop> {
        let data_open = self.data.is_some();
        self.conv.reply(data_open, line).await
    }

    pub async fn step(&mut self, step: &Step) -> Result<(), Stop> {
        let line = Some(step.line);
        match &step.kind {
            StepKind::Send(template) => {
                let text = self.subst(template)?;
                if text.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
                    return Err(Stop::new(
                        Verdict::Error,
                        "a variable put CR, LF or NUL into a command; use raw for malformed input",
                    ));
                }
                self.conv.send_text(&text, line).await
            }
            StepKind::Raw(bytes) => self.conv.send(bytes, line).await,
            StepKind::Expect {
                codes,
                pattern,
                after_preliminary,
            } => self
                .expect_codes(step, codes, pattern.as_deref(), *after_preliminary)
                .await
                .map(|_| ()),
            StepKind::Check { codes, pattern } => self.check(step, codes, pattern.as_deref()),
            StepKind::ExpectGreeting => self.conv.greeting(true).await.map(|_| ()),
            StepKind::ExpectAny => self.expect_any(step).await,
            StepKind::ExpectAlive => self.expect_alive(step).await,
            StepKind::ExpectClose => self.expect_close(step).await,
            StepKind::DataOpen => self.data_open(step).await,
            StepKind::DataOpenBounce(target) => self.data_open_bounce(step, *target).await,
            StepKind::DataAbandon => {
                drop(self.take_data(step)?);
                self.conv.t.push(Direction::Note, "data: abandoned");
                Ok(())
            }
            StepKind::DataRefused => self.data_refused(step).await,
            StepKind::DataUpload(src) => self.data_upload(step, src).await,
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

    /// `expect any`: a reply, any code. Silence and hanging up are the
    /// server's doing here (a fuzz finding being reproduced): they fail the
    /// case with the connection-fate checks instead of being harness errors.
    async fn expect_any(&mut self, step: &Step) -> Result<(), Stop> {
        let line = Some(step.line);
        let mut reply = self.reply(line).await;
        if matches!(&reply, Ok(a) if a.reply.code().is_preliminary()) {
            reply = self.reply(line).await;
        }
        let stop = match reply {
            Ok(_) => return Ok(()),
            Err(s) => s,
        };
        let command = self.conv.last_sent().to_owned();
        let v = match stop.silence {
            Some(Silence::Closed) => fate::closed(&command),
            Some(Silence::Timeout(d)) => fate::hang(&command, d),
            None => return Err(stop),
        };
        self.conv.find(&v, line);
        Err(Stop::new(
            Verdict::Fail,
            format!("line {}: {}", step.line, v.received),
        ))
    }

    /// `expect alive`: a fresh connection is greeted with 220.
    async fn expect_alive(&mut self, step: &Step) -> Result<(), Stop> {
        let limits = self.spec.limits;
        let mut t = Transcript::default();
        let got = match Control::connect(self.spec.addr, limits).await {
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
        let verdict = Verdict::for_level(step.level);
        let req = self.spec.scenario.cited_by(step);
        let note = if self.spec.scenario.suspects(step) {
            SUSPECTED
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
        let mut reply = self.reply(line).await?.reply;
        if after_preliminary && reply.code().is_preliminary() && !codes.accepts(reply.code().get())
        {
            reply = self.reply(line).await?.reply;
        }
        self.last_reply = Some(reply.clone());
        self.judge_reply(step, Check::Expect, codes, pattern, &reply)?;
        Ok(reply)
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
            Some(p) => self.pattern(p)?.1.matches(&reply.text()),
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
