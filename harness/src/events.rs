//! The interface between the runner and the reporters (as in nextest's
//! `reporter/events.rs`): the [`Event`]s a run emits as it goes, and the
//! values they carry, which together make the [`Report`] that `--report
//! json` writes. The runner produces these and the reporters consume them;
//! this module depends on neither.

use crate::driver::Entry;
use crate::verdict::{Finding, Verdict};
use serde::{Deserialize, Serialize};

/// Version of the report's shape, written as `"schema"`: bumped when a
/// field is removed, renamed or changes meaning; adding a field does not
/// bump it, so readers must ignore fields they do not know.
pub const SCHEMA_VERSION: u32 = 1;

/// What the capabilities probe learned about the target before the cases ran.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Capabilities {
    /// The greeting.
    pub banner: String,
    /// FEAT labels (upper case) with their parameters.
    pub features: Vec<(String, String)>,
    /// The SYST reply text.
    pub system: Option<String>,
    /// Whether HELP answered positively.
    pub help: bool,
    /// Whether the login may create directories (or the probe's MKD got
    /// no readable reply, and the cases that write judge it).
    pub writable: bool,
    /// Why the greeting opens no session, if it does not (a malformed or
    /// non-220 greeting): no case but the greeting's own runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting_problem: Option<String>,
    /// The rule that greeting broke (RFC 959 §4.2's reply format, §5.4's
    /// codes on connection): every case that reads a greeting fails with
    /// it instead of being skipped (a skip would let a run without
    /// basic.greeting pass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting_breach: Option<Finding>,
    /// What the probe saw that breaks a rule (an MKD answered outside RFC
    /// 959 §5.4, say); the cases that exercise the command judge it too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// For an `ftpes://` or `ftps://` target: what TLS the server spoke.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsCapabilities>,
}

/// What the probe learnt of a TLS target.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TlsCapabilities {
    /// The control connection's TLS session, when one was set up.
    pub control: Option<crate::driver::TlsInfo>,
    /// Why no TLS session could be set up (AUTH TLS refused, a handshake
    /// the server took no part in): the TLS cases judge it, and every case
    /// that needs TLS is skipped, or fails if the server broke a rule
    /// (`breach`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The rule the server broke as the probe secured its session, on two
    /// connections: a 234 to AUTH TLS, then no part in TLS. Every case
    /// that sets up TLS fails with it instead of being skipped (a skip
    /// would let a run of those cases alone pass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breach: Option<crate::verdict::Finding>,
    /// Why data connections under PROT P cannot be had, if they cannot
    /// (PBSZ or PROT refused, or a transfer refused at that level): the
    /// `-tls` modes are then unsupported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_refused: Option<String>,
    /// Why data connections in clear cannot be had, if they cannot (RFC
    /// 4217 §10.2 lets a server insist on protection): the clear modes are
    /// then unsupported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear_refused: Option<String>,
    /// The TLS session of the probe's protected data connection (whether
    /// it resumed the control connection's session, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<crate::driver::TlsInfo>,
}

impl TlsCapabilities {
    /// One line for reports: the control session, the data levels, the
    /// data connections' resumption.
    pub fn summary(&self) -> String {
        if let Some(why) = &self.problem {
            return format!("no TLS session: {why}");
        }
        let mut parts = Vec::new();
        if let Some(c) = &self.control {
            parts.push(format!("control {c}"));
        }
        match (&self.private_refused, &self.data) {
            (Some(why), _) => parts.push(format!("PROT P refused ({why})")),
            (None, Some(d)) => parts.push(format!(
                "PROT P data {} {}{}",
                d.version,
                d.cipher,
                if d.resumed {
                    ", resuming the control session"
                } else {
                    ", a new session each time"
                }
            )),
            (None, None) => parts.push("PROT P accepted".to_owned()),
        }
        if let Some(why) = &self.clear_refused {
            parts.push(format!("data in clear refused ({why})"));
        }
        parts.join("; ")
    }
}

impl Capabilities {
    /// Whether FEAT announced `name` (`REST STREAM` matches label and parameters).
    pub fn has_feature(&self, name: &str) -> bool {
        let (label, params) = name.split_once(' ').unwrap_or((name, ""));
        self.features.iter().any(|(l, p)| {
            l.eq_ignore_ascii_case(label) && (params.is_empty() || p.eq_ignore_ascii_case(params))
        })
    }
}

/// A requirement as reported.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RefOut {
    /// RFC number.
    pub rfc: u16,
    /// Section.
    pub section: String,
    /// MUST, SHOULD or MAY.
    pub level: String,
    /// Quoted text.
    pub quote: String,
}

/// The result of one case.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseResult {
    /// `scenario-id` or `scenario-id[mode]`.
    pub id: String,
    /// The scenario file.
    pub scenario: String,
    /// Title of the scenario.
    pub title: String,
    /// Data mode and family, e.g. `epsv-ipv6`, for data-bearing cases.
    pub mode: Option<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// What the scenario checks.
    pub refs: Vec<RefOut>,
    /// Catalogue rows the scenario covers.
    pub covers: Vec<String>,
    /// One line on why (empty for a clean pass).
    pub message: String,
    /// Every non-pass observation.
    pub findings: Vec<Finding>,
    /// Both directions of the control connection, data summarised.
    pub transcript: Vec<Entry>,
    /// How the case ran, where it matters for reading the verdict: a wait
    /// stretched for a server that delays failed logins, say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Wall time.
    pub duration_ms: u64,
}

/// Counts per verdict.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Summary {
    /// Passed.
    pub pass: usize,
    /// Failed a MUST.
    pub fail: usize,
    /// Deviated from a SHOULD.
    pub warn: usize,
    /// Optional feature missing.
    pub unsupported: usize,
    /// Not run.
    pub skip: usize,
    /// Harness-side trouble.
    pub error: usize,
}

impl Summary {
    /// Count one verdict.
    pub fn add(&mut self, v: Verdict) {
        *match v {
            Verdict::Pass => &mut self.pass,
            Verdict::Fail => &mut self.fail,
            Verdict::Warn => &mut self.warn,
            Verdict::Unsupported => &mut self.unsupported,
            Verdict::Skip => &mut self.skip,
            Verdict::Error => &mut self.error,
        } += 1;
    }

    /// Count of one verdict.
    pub fn get(&self, v: Verdict) -> usize {
        match v {
            Verdict::Pass => self.pass,
            Verdict::Fail => self.fail,
            Verdict::Warn => self.warn,
            Verdict::Unsupported => self.unsupported,
            Verdict::Skip => self.skip,
            Verdict::Error => self.error,
        }
    }

    /// All cases.
    pub fn total(&self) -> usize {
        Verdict::ALL.iter().map(|v| self.get(*v)).sum()
    }
}

/// A whole run, ready to serialise (the JSON report is this value).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    /// JSON schema version; bumped on incompatible changes.
    pub schema: u32,
    /// ftpspec version.
    pub ftpspec: String,
    /// The target, password hidden.
    pub target: String,
    /// What the capabilities probe found (the field keeps its schema-1 name).
    pub probe: Capabilities,
    /// Counts.
    pub summary: Summary,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// The digest of the suite that ran (`builtin::digest`): two reports
    /// with the same digest ran the same scenarios.
    #[serde(default)]
    pub suite: String,
    /// The run judged against a `--baseline`, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<GateOutcome>,
    /// What the report should say about the run as a whole (the server
    /// went down during it, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Every case, in plan order.
    pub cases: Vec<CaseResult>,
}

/// One case judged against its baseline entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GateCase {
    /// The case.
    pub id: String,
    /// What the baseline accepts (pass when it has no entry).
    pub was: Verdict,
    /// What this run gave.
    pub now: Verdict,
    /// The baseline's reason, if it had an entry.
    pub reason: Option<String>,
    /// This run's one-line explanation.
    pub message: String,
}

/// A run judged against a baseline: what reporters show first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GateOutcome {
    /// The baseline file.
    pub file: String,
    /// Cases worse than the baseline allows: these fail the gate.
    pub regressions: Vec<GateCase>,
    /// Cases better than their entry: the baseline should be updated.
    pub fixed: Vec<GateCase>,
    /// Cases exactly as bad as their entry.
    pub known: Vec<GateCase>,
    /// Cases with a `racy` entry (either outcome accepted).
    pub racy: Vec<GateCase>,
    /// Entries for cases this run did not have (filtered out, or gone).
    pub not_run: Vec<String>,
    /// Set when the baseline was recorded against another suite.
    pub suite_mismatch: Option<String>,
}

impl GateOutcome {
    /// Whether the gate passes.
    pub fn ok(&self) -> bool {
        self.regressions.is_empty()
    }

    /// The baseline's entry for `id`, if the case is known or racy: how a
    /// reporter tells a known failure from a new one.
    pub fn accepted(&self, id: &str) -> Option<&GateCase> {
        self.known.iter().chain(&self.racy).find(|c| c.id == id)
    }
}

/// What happens during a run, in order, for reporters.
#[derive(Clone, Debug)]
pub enum Event {
    /// The capabilities probe finished.
    Probed(Box<Capabilities>),
    /// Cases are about to run.
    Started {
        /// How many.
        total: usize,
    },
    /// A case finished.
    CaseFinished {
        /// Its position in the plan.
        index: usize,
        /// Its result.
        result: Box<CaseResult>,
    },
}

impl CaseResult {
    /// Mask the password (as `redactor` knows it) in every text of the
    /// result: message, findings, transcript and notes.
    pub fn redact(&mut self, redactor: &crate::redact::Redactor) {
        if redactor.is_empty() {
            return;
        }
        redactor.apply(&mut self.message);
        for f in &mut self.findings {
            redactor.apply(&mut f.received);
            redactor.apply(&mut f.acceptable);
            redactor.apply(&mut f.required);
        }
        for e in &mut self.transcript {
            redactor.apply(&mut e.text);
        }
        for n in &mut self.notes {
            redactor.apply(n);
        }
    }
}
