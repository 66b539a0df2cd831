//! Verdicts and findings. Five outcomes stay distinct: the server broke a
//! MUST (fail), departed from a SHOULD (warn), lacks an optional feature
//! (unsupported), the case could not run (skip), or the harness had trouble
//! (error).

use crate::scenario::Level;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The outcome of a case or a finding.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every check passed.
    #[default]
    Pass,
    /// A SHOULD was not followed, or a tolerated deviation was seen.
    Warn,
    /// An optional feature the case needs is missing.
    Unsupported,
    /// The case did not run (the target cannot host it, e.g. read-only).
    Skip,
    /// A MUST was violated.
    Fail,
    /// The harness could not complete the case (timeout, hostile input beyond limits, local trouble).
    Error,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Verdict; 6] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::Warn,
        Verdict::Unsupported,
        Verdict::Skip,
        Verdict::Error,
    ];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Unsupported => "unsupported",
            Verdict::Skip => "skip",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }

    /// The verdict for a failed check of the given level.
    pub fn for_level(level: Level) -> Verdict {
        match level {
            Level::Must => Verdict::Fail,
            Level::Should => Verdict::Warn,
            Level::May => Verdict::Unsupported,
        }
    }

    /// Severity for combining findings, from fail, error, warn,
    /// unsupported and skip down to pass. A warning outranks
    /// `unsupported`: a SHOULD the server broke before an optional feature
    /// turned out missing is not to hide behind it. A fail outranks
    /// `error`: a MUST the server broke before the harness met trouble of
    /// its own is not to hide behind that either.
    fn rank(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Skip => 1,
            Verdict::Unsupported => 2,
            Verdict::Warn => 3,
            Verdict::Error => 4,
            Verdict::Fail => 5,
        }
    }

    /// The more severe of two verdicts.
    pub fn worst(self, other: Verdict) -> Verdict {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What produced a finding: one id space for JSON reports, baselines and
/// fuzz findings. Built-in checks (the `oracle` families) first,
/// then the scenario steps' own checks, then the harness.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Reply grammar (RFC 959 §4.2): `oracle::syntax`.
    ReplySyntax,
    /// The reply codes allowed for a command (RFC 959 §5.4): `oracle::codes`.
    ReplyCode,
    /// The greeting on a new connection (RFC 959 §5.4, Connection Establishment).
    Greeting,
    /// One reply per command, none unasked for, none skipped: `oracle::sequence`.
    OneReply,
    /// A 227 or 229 and the address it names: `oracle::passive`.
    PassiveReply,
    /// The FEAT reply's format (RFC 2389 §3.2): `oracle::feat`.
    FeatFormat,
    /// A file stored in TYPE I comes back byte for byte: `oracle::image`.
    ImageBytes,
    /// PORT/EPRT to a privileged port accepted or connected to: `oracle::port`.
    PortAccepted,
    /// The server stopped accepting connections after a command: `oracle::fate`.
    Crash,
    /// No reply to a well-formed command within the timeout: `oracle::fate`.
    Hang,
    /// The connection closed instead of a reply: `oracle::fate`.
    Closed,
    /// A scenario's `expect` step.
    Expect,
    /// A scenario's data step (download content, data that must not flow).
    Data,
    /// A scenario's `data open`: setting up the data connection.
    DataSetup,
    /// A scenario's `expect close`.
    Close,
    /// TLS on the control or a data connection (RFC 4217): `oracle::tls`.
    Tls,
    /// Trouble on the harness's side.
    Harness,
}

impl Check {
    /// Every check id.
    pub const ALL: [Check; 17] = [
        Check::ReplySyntax,
        Check::ReplyCode,
        Check::Greeting,
        Check::OneReply,
        Check::PassiveReply,
        Check::FeatFormat,
        Check::ImageBytes,
        Check::PortAccepted,
        Check::Crash,
        Check::Hang,
        Check::Closed,
        Check::Expect,
        Check::Data,
        Check::DataSetup,
        Check::Close,
        Check::Tls,
        Check::Harness,
    ];

    /// The id as written in reports: `reply-code`, `passive-reply`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Check::ReplySyntax => "reply-syntax",
            Check::ReplyCode => "reply-code",
            Check::Greeting => "greeting",
            Check::OneReply => "one-reply",
            Check::PassiveReply => "passive-reply",
            Check::FeatFormat => "feat-format",
            Check::ImageBytes => "image-bytes",
            Check::PortAccepted => "port-accepted",
            Check::Crash => "crash",
            Check::Hang => "hang",
            Check::Closed => "closed",
            Check::Expect => "expect",
            Check::Data => "data",
            Check::DataSetup => "data-setup",
            Check::Close => "close",
            Check::Tls => "tls",
            Check::Harness => "harness",
        }
    }
}

impl std::str::FromStr for Check {
    type Err = String;

    /// The check named `s` (as [`Check::as_str`] writes it).
    fn from_str(s: &str) -> Result<Check, String> {
        Check::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown check {s:?}"))
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One observation that is not a plain pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// What it means for the case.
    pub verdict: Verdict,
    /// Which check produced it.
    pub check: Check,
    /// The requirement, e.g. `RFC 959 §5.4 MUST`.
    pub rfc: Option<String>,
    /// The requirement's text.
    pub required: String,
    /// What would have passed.
    pub acceptable: String,
    /// What the server sent.
    pub received: String,
    /// Scenario line of the step, if any.
    pub line: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A broken MUST outranks everything, the harness's own trouble
    /// included; a broken SHOULD outranks a missing optional feature.
    #[test]
    fn a_fail_is_not_hidden_by_an_error() {
        assert_eq!(Verdict::Error.worst(Verdict::Fail), Verdict::Fail);
        assert_eq!(Verdict::Fail.worst(Verdict::Error), Verdict::Fail);
        assert_eq!(Verdict::Warn.worst(Verdict::Error), Verdict::Error);
        assert_eq!(Verdict::Unsupported.worst(Verdict::Warn), Verdict::Warn);
        assert_eq!(Verdict::Pass.worst(Verdict::Skip), Verdict::Skip);
    }

    #[test]
    fn check_ids_serialise_as_their_names() {
        for c in Check::ALL {
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
            assert_eq!(c.as_str().parse::<Check>(), Ok(c));
        }
    }
}
