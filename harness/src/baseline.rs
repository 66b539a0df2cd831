//! Baselines: the failures and warnings a server is known to have, each
//! with a reason, so that CI fails only when things get worse.
//!
//! The file is plain text, one case per line, sorted by case id so that a
//! change to it reads well in a diff:
//!
//! ```text
//! # ftpspec baseline 1
//! # suite 3f2a9c01b7de (ftpspec 0.1.0)
//! # [racy] <verdict> <case id> -- <reason>
//! fail transfer.retr-missing[pasv-ipv4] -- answers 550 after 150; upstream #42
//! warn dirs.mkd-quoted -- 257 without quotes
//! racy fail rfc959.abor-retr[pasv-ipv4] -- ABOR races the transfer; either outcome
//! ```
//!
//! A `racy` entry accepts either outcome, the verdict or a pass, without
//! calling a pass "fixed": for a case whose result depends on timing inside
//! the server, so that a baseline recorded on a lucky run does not turn the
//! next run into a regression.
//!
//! A case's severity is ordered pass (and unsupported, skip) < warn < fail
//! < error. A run *regresses* when a case is more severe than its baseline
//! entry allows (a case with no entry is expected to pass), or fails where
//! its entry says `error` (an entry for a case the harness could not finish
//! does not cover a breach seen later; nor does a `fail` entry cover an
//! error), and a case that is now less severe than its entry is *fixed*:
//! the entry should go.

use crate::events::{GateCase, GateOutcome, Report};
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
    /// Either outcome is accepted (a timing race inside the server).
    pub racy: bool,
}

/// Known failures and warnings by case id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    /// Entries, sorted by case id.
    pub entries: BTreeMap<String, Known>,
    /// The digest of the suite it was recorded against, if it says.
    pub suite: Option<String>,
    /// The ftpspec version that recorded it, if it says.
    pub ftpspec: Option<String>,
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

/// A run judged against a baseline (the report's `baseline` field).
pub type Comparison = GateOutcome;
/// How one case compares with its baseline entry.
pub type Change = GateCase;

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
        let (mut suite, mut ftpspec) = (None, None);
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            // `# suite <digest> (ftpspec <version>)`
            if let Some(rest) = line.strip_prefix("# suite ") {
                let mut w = rest.split_whitespace();
                suite = w.next().map(str::to_owned);
                ftpspec = w
                    .skip_while(|x| *x != "(ftpspec")
                    .nth(1)
                    .map(|v| v.trim_end_matches(')').to_owned());
                continue;
            }
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
            let (racy, head) = match head.strip_prefix("racy ") {
                Some(h) => (true, h.trim()),
                None => (false, head),
            };
            let mut words = head.split_whitespace();
            let (Some(verdict), Some(id), None) = (words.next(), words.next(), words.next()) else {
                return Err(err(format!(
                    "expected `[racy] <verdict> <case id> -- <reason>`, got {raw:?}"
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
                racy,
            };
            if entries.insert(id.to_owned(), known).is_some() {
                return Err(err(format!("{id} is listed twice")));
            }
        }
        Ok(Baseline {
            entries,
            suite,
            ftpspec,
        })
    }

    /// Judge `report` against this baseline (`file` names it in reports).
    pub fn compare(&self, report: &Report, file: &str) -> Comparison {
        let mut out = Comparison {
            file: file.to_owned(),
            ..Comparison::default()
        };
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
            let racy = entry.is_some_and(|k| k.racy);
            // An entry that says `error` (the harness could not finish the
            // case) allows no `fail`: a breach seen now is new.
            let breach_behind_error = was == Verdict::Error && case.verdict == Verdict::Fail;
            match severity(case.verdict).cmp(&severity(was)) {
                _ if breach_behind_error => out.regressions.push(change()),
                std::cmp::Ordering::Greater => out.regressions.push(change()),
                _ if racy => out.racy.push(change()),
                std::cmp::Ordering::Less => out.fixed.push(change()),
                std::cmp::Ordering::Equal if entry.is_some() => out.known.push(change()),
                std::cmp::Ordering::Equal => {}
            }
        }
        out.not_run = self
            .entries
            .keys()
            .filter(|id| !report.cases.iter().any(|c| &c.id == *id))
            .cloned()
            .collect();
        if let Some(suite) = &self.suite {
            if *suite != report.suite {
                out.suite_mismatch = Some(format!(
                    "the baseline was recorded against suite {suite}{}, this run is suite {} (ftpspec {}): cases may have changed; review, then --update-baseline",
                    self.ftpspec
                        .as_deref()
                        .map(|v| format!(" (ftpspec {v})"))
                        .unwrap_or_default(),
                    report.suite,
                    report.ftpspec
                ));
            }
        }
        out
    }

    /// The baseline that accepts exactly what `report` shows: entries for
    /// cases in the report are replaced (keeping their reasons when the
    /// verdict is unchanged), entries for cases it did not run are kept.
    pub fn updated(&self, report: &Report) -> Baseline {
        let mut entries = self.entries.clone();
        for case in &report.cases {
            // A racy entry stays as it is whatever this run's luck.
            if self.entries.get(&case.id).is_some_and(|k| k.racy)
                && severity(case.verdict) <= severity(self.entries[&case.id].verdict)
            {
                continue;
            }
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
                    racy: false,
                },
            );
        }
        Baseline {
            entries,
            suite: Some(report.suite.clone()),
            ftpspec: Some(report.ftpspec.clone()),
        }
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
        if let Some(suite) = &self.suite {
            match &self.ftpspec {
                Some(v) => writeln!(f, "# suite {suite} (ftpspec {v})")?,
                None => writeln!(f, "# suite {suite}")?,
            }
        }
        writeln!(
            f,
            "# [racy] <verdict> <case id> -- <reason>; written by `ftpspec run --update-baseline`, edit the reasons freely; `racy` accepts either outcome."
        )?;
        for (id, k) in &self.entries {
            let racy = if k.racy { "racy " } else { "" };
            writeln!(f, "{racy}{} {id} -- {}", k.verdict, k.reason)?;
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
            "{HEADER}\n# suite abc123 (ftpspec 9.9.9)\n# comment\n\nfail a.b[pasv-ipv4] -- upstream #1\nwarn c -- no quotes -- really\nracy fail d -- race\n"
        );
        let b = Baseline::parse(&text).unwrap();
        assert_eq!(b.entries.len(), 3);
        assert!(b.entries["d"].racy && !b.entries["c"].racy);
        assert_eq!(b.suite.as_deref(), Some("abc123"));
        assert_eq!(b.ftpspec.as_deref(), Some("9.9.9"));
        assert_eq!(b.entries["c"].reason, "no quotes -- really");
        assert_eq!(Baseline::parse(&b.to_string()).unwrap(), b);
    }

    fn report(cases: &[(&str, Verdict)]) -> Report {
        Report {
            schema: crate::events::SCHEMA_VERSION,
            ftpspec: String::new(),
            target: String::new(),
            probe: Default::default(),
            summary: Default::default(),
            duration_ms: 0,
            suite: String::new(),
            baseline: None,
            notes: Vec::new(),
            cases: cases
                .iter()
                .map(|(id, verdict)| crate::events::CaseResult {
                    id: (*id).to_owned(),
                    scenario: String::new(),
                    title: String::new(),
                    mode: None,
                    verdict: *verdict,
                    refs: Vec::new(),
                    covers: Vec::new(),
                    message: String::new(),
                    findings: Vec::new(),
                    transcript: Vec::new(),
                    notes: Vec::new(),
                    duration_ms: 0,
                })
                .collect(),
        }
    }

    /// An `error` entry (the harness could not finish the case) does not
    /// cover a fail seen later, nor a `fail` entry an error (the case can
    /// no longer be judged): each is a regression.
    #[test]
    fn a_fail_where_the_entry_says_error_is_a_regression() {
        let b = Baseline::parse(&format!(
            "{HEADER}\nerror a -- timed out\nfail b -- known\nerror c -- timed out\n"
        ))
        .unwrap();
        let c = b.compare(
            &report(&[
                ("a", Verdict::Fail),
                ("b", Verdict::Error),
                ("c", Verdict::Error),
            ]),
            "f",
        );
        let ids = |v: &[Change]| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&c.regressions), ["a", "b"]);
        assert!(c.fixed.is_empty(), "{:?}", ids(&c.fixed));
        assert_eq!(ids(&c.known), ["c"]);
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
