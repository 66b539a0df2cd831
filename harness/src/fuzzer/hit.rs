//! A hit: one of [`crate::oracle`]'s checks firing on one action of a fuzz
//! session. The fuzzer applies the same checks as a conformance case and
//! keeps what [`reportable`] says is worth a finding.

use crate::oracle::{Check, Violation};
use crate::verdict::Verdict;

/// One check firing on one action of a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// What the check found, with the rule it enforces.
    pub violation: Violation,
    /// The command it is about (upper case).
    pub verb: String,
    /// Index of the action in the session.
    pub action: usize,
    /// What the server did, as far as it tells causes apart (see
    /// `cause.rs`); by default the command, for crashes and hangs, whose
    /// trigger is all there is to tell them apart by.
    pub cause: String,
}

impl Hit {
    /// A hit of `violation` on action `action`, command `verb`.
    pub fn new(violation: Violation, verb: &str, action: usize) -> Hit {
        Hit {
            violation,
            verb: verb.to_owned(),
            action,
            cause: format!("on {verb}"),
        }
    }

    /// The same hit with the cause `cause`.
    pub fn with_cause(mut self, cause: String) -> Hit {
        self.cause = cause;
        self
    }

    /// Which check.
    pub fn check(&self) -> Check {
        self.violation.check
    }

    /// What was seen, in a sentence.
    pub fn detail(&self) -> &str {
        &self.violation.received
    }

    /// The deduplication key: one finding per key.
    pub fn key(&self) -> (Check, String) {
        (self.check(), self.cause.clone())
    }
}

/// Whether a fuzz run reports a violation: every failure (a MUST broken),
/// and the security warnings (a PORT/EPRT to a privileged port accepted,
/// RFC 2577 §3). Other warnings (a plausible but unlisted reply code, a
/// 227 naming another address) are what `ftpspec run` is for.
pub fn reportable(v: &Violation) -> bool {
    v.verdict() == Verdict::Fail || v.check == Check::PortAccepted
}
