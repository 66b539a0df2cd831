//! A hit: one of [`crate::oracle`]'s checks firing on one action of a fuzz
//! session. The fuzzer applies the same checks as a conformance case and
//! keeps what [`reportable`] says is worth a finding.

use super::execute::Execution;
use crate::driver::TlsFailure;
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
    /// Seen while the session logged in, before its first action (a 234
    /// to the login's AUTH TLS, then no TLS): no action of the session is
    /// to blame, and a session of none reproduces it.
    pub at_login: bool,
}

impl Hit {
    /// A hit of `violation` on action `action`, command `verb`.
    pub fn new(violation: Violation, verb: &str, action: usize) -> Hit {
        Hit {
            violation,
            verb: verb.to_owned(),
            action,
            cause: format!("on {verb}"),
            at_login: false,
        }
    }

    /// The hit of a 234 the server then took no part in, as `failure`
    /// shows (oracle::tls::after_234), on the AUTH of action `action`;
    /// none for a failure that breaks no rule.
    pub fn after_234(failure: &TlsFailure, verb: &str, action: usize) -> Option<Hit> {
        crate::oracle::tls::after_234(failure)
            .filter(reportable)
            .map(|v| {
                Hit::new(v, verb, action).with_cause(super::cause::of_tls("after 234", failure))
            })
    }

    /// The same hit, seen as the session logged in.
    pub fn at_login(mut self) -> Hit {
        self.at_login = true;
        self
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

/// A connection closed without a reply, with what came just before it:
/// the previous command's verb and the last reply code it drew. The
/// command the effect showed at is left out.
///
/// Once triage has shown that such an effect was the previous command's
/// doing (a NOOP in place of the command it showed at fares no better),
/// the same sighting again is the same cause, whatever command it shows
/// at, and it is absorbed without a re-run. Against vsftpd, which closes
/// the connection at the command after some 500 replies, that re-run came
/// back for every pair of verbs, hundreds of times a minute. The price: a
/// second cause of a close right after the same command and code is not
/// told apart (it is a close, not a crash: crashes and hangs are always
/// re-run).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sighting {
    check: Check,
    before: String,
    code: Option<u16>,
    /// Whether the code answers the command before: out of step it may
    /// answer an earlier one, and such a sighting stands for what triage
    /// found once it brought the session into step (`step::alone`).
    in_step: bool,
}

impl Sighting {
    /// `hit`'s sighting in `exec`; none for a hit on the first action or
    /// one that is about a reply rather than the connection.
    pub fn of(hit: &Hit, exec: &Execution) -> Option<Sighting> {
        // Closes only: a crash or a hang absorbed this way would hide
        // another command's own crash after the same command and code
        // (CWD x, 250, then a RNFR that crashes the server by itself),
        // and they are rare enough to be re-run each time.
        if hit.check() != Check::Closed || hit.action == 0 {
            return None;
        }
        let before = hit.action - 1;
        Some(Sighting {
            check: hit.check(),
            before: exec.path_verb(before),
            code: exec.replies.get(before).and_then(|r| r.last()).copied(),
            in_step: exec.in_step_at(before),
        })
    }
}

/// Whether a fuzz run reports a violation: every failure (a MUST broken),
/// and the security warnings (a PORT/EPRT to a privileged port accepted,
/// RFC 2577 §3). Other warnings (a plausible but unlisted reply code, a
/// 227 naming another address) are what `ftpspec run` is for.
pub fn reportable(v: &Violation) -> bool {
    v.verdict() == Verdict::Fail || v.check == Check::PortAccepted
}
