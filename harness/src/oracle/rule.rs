//! The vocabulary every check shares: the [`Rule`] it enforces (an RFC
//! sentence quoted word for word, with its section and level), the
//! [`Violation`] a check returns. The [`Check`] ids live with the
//! findings in [`crate::verdict`].

use crate::scenario::Level;
use crate::verdict::{Check, Finding, Verdict};
use std::fmt;

/// One requirement sentence, quoted word for word from its RFC (the test
/// `tests/rfc_quotes.rs` finds every quote in the RFC texts under `rfc/`).
///
/// The level is the force the RFC itself gives the sentence: RFC 2119
/// keywords where the RFC says it uses them (RFC 1123, 2389, 2428, 3659,
/// 4217, … capitalised only), and RFC 959's own wording ("must", "will",
/// "is defined to", "shall" for MUST; "should", "recommended", "suggested"
/// for SHOULD) as `scenarios/README.md` explains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// RFC number.
    pub rfc: u16,
    /// Section, e.g. `4.2`.
    pub section: &'static str,
    /// The force of the sentence.
    pub level: Level,
    /// The sentence, verbatim (whitespace aside).
    pub quote: &'static str,
}

impl Rule {
    /// A MUST (or MUST NOT) sentence.
    pub const fn must(rfc: u16, section: &'static str, quote: &'static str) -> Rule {
        Rule {
            rfc,
            section,
            level: Level::Must,
            quote,
        }
    }

    /// A SHOULD (or SHOULD NOT) sentence.
    pub const fn should(rfc: u16, section: &'static str, quote: &'static str) -> Rule {
        Rule {
            rfc,
            section,
            level: Level::Should,
            quote,
        }
    }

    /// `RFC 959 §4.2 MUST`.
    pub fn citation(&self) -> String {
        format!("RFC {} §{} {}", self.rfc, self.section, self.level)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: \"{}\"", self.citation(), self.quote)
    }
}

/// How sure a check is that what it saw breaks its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Certainty {
    /// The bytes break the sentence: the verdict is the sentence's level.
    Broken,
    /// It may break the sentence, but a conformant server could have sent
    /// it too (a 227 naming an address that may be another of the
    /// server's own): a warning at most, saying why it cannot be told.
    Suspected,
}

/// What a finding that quotes a MUST but is only a warning adds to the
/// quote: the text leaves room for a conformant server to do this.
pub const SUSPECTED: &str =
    " (suspected only: the RFC text leaves room for doubt here, so a warning)";

/// What a check found: the rule, and what the server did instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which check.
    pub check: Check,
    /// The sentence it enforces.
    pub rule: Rule,
    /// Sure or suspected.
    pub certainty: Certainty,
    /// What would have passed.
    pub acceptable: String,
    /// What the server sent or did.
    pub received: String,
}

impl Violation {
    /// A violation the bytes prove.
    pub fn broken(
        check: Check,
        rule: Rule,
        acceptable: impl Into<String>,
        received: impl Into<String>,
    ) -> Violation {
        Violation {
            check,
            rule,
            certainty: Certainty::Broken,
            acceptable: acceptable.into(),
            received: received.into(),
        }
    }

    /// A violation a conformant server might also show (a warning at most).
    pub fn suspected(
        check: Check,
        rule: Rule,
        acceptable: impl Into<String>,
        received: impl Into<String>,
    ) -> Violation {
        Violation {
            certainty: Certainty::Suspected,
            ..Violation::broken(check, rule, acceptable, received)
        }
    }

    /// The verdict: the level of the sentence quoted (MUST fails, SHOULD
    /// warns), and never more than a warning when only suspected.
    pub fn verdict(&self) -> Verdict {
        match (self.rule.level, self.certainty) {
            (Level::Must, Certainty::Broken) => Verdict::Fail,
            (Level::May, _) => Verdict::Pass,
            _ => Verdict::Warn,
        }
    }

    /// The report's form, at scenario line `line` if any.
    pub fn finding(&self, line: Option<usize>) -> Finding {
        Finding {
            verdict: self.verdict(),
            check: self.check,
            rfc: Some(self.rule.citation()),
            required: match self.certainty {
                Certainty::Broken => format!("\"{}\"", self.rule.quote),
                Certainty::Suspected => format!("\"{}\"{SUSPECTED}", self.rule.quote),
            },
            acceptable: self.acceptable.clone(),
            received: self.received.clone(),
            line,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_follows_the_level_of_the_quoted_sentence() {
        let must = Rule::must(959, "4.2", "x");
        let should = Rule::should(959, "4.2", "x");
        let v = |r, c| Violation {
            check: Check::ReplySyntax,
            rule: r,
            certainty: c,
            acceptable: String::new(),
            received: String::new(),
        };
        assert_eq!(v(must, Certainty::Broken).verdict(), Verdict::Fail);
        assert_eq!(v(must, Certainty::Suspected).verdict(), Verdict::Warn);
        assert_eq!(v(should, Certainty::Broken).verdict(), Verdict::Warn);
        assert_eq!(v(should, Certainty::Suspected).verdict(), Verdict::Warn);
        assert_eq!(must.citation(), "RFC 959 §4.2 MUST");
    }
}
