//! Verdicts and findings. Five outcomes stay distinct: the server broke a
//! MUST (fail), departed from a SHOULD (warn), lacks an optional feature
//! (unsupported), the case could not run (skip), or the harness had trouble
//! (error).

use crate::oracle::Check;
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
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every check passed.
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

    /// Severity for combining findings: error > fail > unsupported > warn > pass.
    fn rank(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Skip => 1,
            Verdict::Warn => 2,
            Verdict::Unsupported => 3,
            Verdict::Fail => 4,
            Verdict::Error => 5,
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
