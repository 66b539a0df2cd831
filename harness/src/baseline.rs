//! Baselines: the failures and warnings a server is known to have, each
//! with a reason, so that CI fails only when things get worse.
//!
//! The file is plain text, one case per line, sorted by case id so that a
//! change to it reads well in a diff:
//!
//! ```text
//! # ftpspec baseline 1
//! # <verdict> <case id> -- <reason>
//! fail transfer.retr-missing[pasv-ipv4] -- answers 550 after 150; upstream #42
//! warn dirs.mkd-quoted -- 257 without quotes
//! ```
//!
//! A case's severity is ordered pass (and unsupported, skip) < warn < fail
//! < error. A run *regresses* when a case is more severe than its baseline
//! entry allows (a case with no entry is expected to pass), and a case that
//! is now less severe than its entry is *fixed*: the entry should go.

use crate::events::Report;
use crate::verdict::Verdict;
use std::collections::BTreeMap;
use std::fmt;

/// The first line of every baseline file.
pub const HEADER: &str = "# ftpspec baseline 1";

/// One known non-pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    /// The worst verdict accepted for the case: warn, fail or error.
    pub verdict: Verdict,
    /// Why the server is allowed this (an upstream issue, a design choice).
    pub reason: String,
}

/// Known failures and warnings by case id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    /// Entries, sorted by case id.
    pub entries: BTreeMap<String, Known>,
}

/// A line of a baseline file that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct BaselineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// How a case's verdict compares with its baseline entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
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

/// A run judged against a baseline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Cases worse than the baseline allows: these fail the gate.
    pub regressions: Vec<Change>,
    /// Cases better than their entry: the baseline should be updated.
    pub fixed: Vec<Change>,
    /// Cases exactly as bad as their entry.
    pub known: usize,
    /// Entries for cases this run did not have (filtered out, or gone).
    pub not_run: Vec<String>,
}

impl Comparison {
    /// Whether the gate passes.
    pub fn ok(&self) -> bool {
        self.regressions.is_empty()
    }
}

/// Severity for gating; unsupported and skip are not failures of the
/// server, so they gate like a pass.
fn severity(v: Verdict) -> u8 {
    match v {
        Verdict::Pass | Verdict::Unsupported | Verdict::Skip => 0,
        Verdict::Warn => 1,
        Verdict::Fail => 2,
        Verdict::Error => 3,
    }
}

impl Baseline {
    /// Read a baseline file.
    pub fn parse(text: &str) -> Result<Baseline, BaselineError> {
        let mut entries = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| BaselineError {
                line: i + 1,
                message,
            };
            let (head, reason) = match line.split_once(" -- ") {
                Some((h, r)) => (h.trim(), r.trim()),
                None => (line, ""),
            };
            let mut words = head.split_whitespace();
            let (Some(verdict), Some(id), None) = (words.next(), words.next(), words.next()) else {
                return Err(err(format!(
                    "expected `<verdict> <case id> -- <reason>`, got {raw:?}"
                )));
            };
            let verdict = match verdict {
                "warn" => Verdict::Warn,
                "fail" => Verdict::Fail,
                "error" => Verdict::Error,
                other => {
                    return Err(err(format!(
                        "verdict {other:?}: a baseline lists warn, fail or error"
                    )));
                }
            };
            if reason.is_empty() {
                return Err(err(format!(
                    "{id}: every entry needs a reason after ` -- `"
                )));
            }
            let known = Known {
                verdict,
                reason: reason.to_owned(),
            };
            if entries.insert(id.to_owned(), known).is_some() {
                return Err(err(format!("{id} is listed twice")));
            }
        }
        Ok(Baseline { entries })
    }

    /// Judge `report` against this baseline.
    pub fn compare(&self, report: &Report) -> Comparison {
        let mut out = Comparison::default();
        for case in &report.cases {
            let entry = self.entries.get(&case.id);
            let was = entry.map_or(Verdict::Pass, |k| k.verdict);
            let change = || Change {
                id: case.id.clone(),
                was,
                now: case.verdict,
                reason: entry.map(|k| k.reason.clone()),
                message: case.message.clone(),
            };
            match severity(case.verdict).cmp(&severity(was)) {
                std::cmp::Ordering::Greater => out.regressions.push(change()),
                std::cmp::Ordering::Less => out.fixed.push(change()),
                std::cmp::Ordering::Equal if entry.is_some() => out.known += 1,
                std::cmp::Ordering::Equal => {}
            }
        }
        out.not_run = self
            .entries
            .keys()
            .filter(|id| !report.cases.iter().any(|c| &c.id == *id))
            .cloned()
            .collect();
        out
    }

    /// The baseline that accepts exactly what `report` shows: entries for
    /// cases in the report are replaced (keeping their reasons when the
    /// verdict is unchanged), entries for cases it did not run are kept.
    pub fn updated(&self, report: &Report) -> Baseline {
        let mut entries = self.entries.clone();
        for case in &report.cases {
            entries.remove(&case.id);
            if severity(case.verdict) == 0 {
                continue;
            }
            let reason = match self.entries.get(&case.id) {
                Some(k) if k.verdict == case.verdict => k.reason.clone(),
                _ if case.message.is_empty() => format!("seen {}", case.verdict),
                _ => format!("seen: {}", shorten(&case.message)),
            };
            entries.insert(
                case.id.clone(),
                Known {
                    verdict: case.verdict,
                    reason,
                },
            );
        }
        Baseline { entries }
    }
}

/// A run's message as a default reason: one line, at most 120 characters.
fn shorten(message: &str) -> String {
    const MAX: usize = 120;
    let one_line = message.replace(['\n', '\r'], " ");
    match one_line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &one_line[..cut]),
        None => one_line,
    }
}

impl fmt::Display for Baseline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{HEADER}")?;
        writeln!(
            f,
            "# <verdict> <case id> -- <reason>; written by `ftpspec run --update-baseline`, edit the reasons freely."
        )?;
        for (id, k) in &self.entries {
            writeln!(f, "{} {id} -- {}", k.verdict, k.reason)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_render_round_trip() {
        let text = format!(
            "{HEADER}\n# comment\n\nfail a.b[pasv-ipv4] -- upstream #1\nwarn c -- no quotes -- really\n"
        );
        let b = Baseline::parse(&text).unwrap();
        assert_eq!(b.entries.len(), 2);
        assert_eq!(b.entries["c"].reason, "no quotes -- really");
        assert_eq!(Baseline::parse(&b.to_string()).unwrap(), b);
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let e = Baseline::parse("fail a\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("reason"), "{e}");
        assert_eq!(Baseline::parse("x\npass a -- r\n").unwrap_err().line, 1);
        assert!(
            Baseline::parse("pass a -- r\n")
                .unwrap_err()
                .message
                .contains("warn, fail or error")
        );
        assert!(
            Baseline::parse("fail a -- r\nwarn a -- s\n")
                .unwrap_err()
                .message
                .contains("twice")
        );
    }
}
