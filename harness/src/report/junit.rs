//! JUnit XML: one testcase per case, readable by common CI systems.
//! fail → `<failure>`, error → `<error>`, skip and unsupported →
//! `<skipped>`; a warning passes, with its findings in `system-out`. With a
//! baseline, a failure or error the baseline knows (or calls racy) is
//! `<skipped>` with the baseline's reason, so that a green gate shows a
//! green test view; regressions stay failures.

use super::Reporter;
use crate::events::{CaseResult, Report};
use crate::verdict::Verdict;
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use std::io::{self, Write};
use std::time::Duration;

/// Writes the report as JUnit XML.
pub struct Junit<W: Write> {
    out: W,
}

impl<W: Write> Junit<W> {
    /// A reporter writing to `out`.
    pub fn new(out: W) -> Self {
        Junit { out }
    }
}

fn details(c: &CaseResult) -> String {
    let mut s = String::new();
    for r in &c.refs {
        s.push_str(&format!(
            "checks RFC {} §{} {}: \"{}\"\n",
            r.rfc, r.section, r.level, r.quote
        ));
    }
    for f in &c.findings {
        s.push_str(&format!("{} [{}]", f.verdict, f.check));
        if let Some(line) = f.line {
            s.push_str(&format!(" ({}:{line})", c.scenario));
        }
        s.push('\n');
        if let Some(rfc) = &f.rfc {
            s.push_str(&format!("  required:   {rfc}: {}\n", f.required));
        }
        s.push_str(&format!(
            "  acceptable: {}\n  received:   {}\n",
            f.acceptable, f.received
        ));
    }
    s
}

/// The JUnit document for a report.
pub fn render(report: &Report) -> String {
    let mut suite = TestSuite::new("ftpspec");
    suite.set_time(Duration::from_millis(report.duration_ms));
    for c in &report.cases {
        let known = report
            .baseline
            .as_ref()
            .and_then(|g| g.accepted(&c.id))
            .filter(|_| matches!(c.verdict, Verdict::Fail | Verdict::Error));
        let mut status = match (known, c.verdict) {
            (Some(_), _) => TestCaseStatus::skipped(),
            (None, Verdict::Pass | Verdict::Warn) => TestCaseStatus::success(),
            (None, Verdict::Fail) => TestCaseStatus::non_success(NonSuccessKind::Failure),
            (None, Verdict::Error) => TestCaseStatus::non_success(NonSuccessKind::Error),
            (None, Verdict::Skip | Verdict::Unsupported) => TestCaseStatus::skipped(),
        };
        if let Some(k) = known {
            status.set_message(format!(
                "known {} (baseline: {})",
                c.verdict,
                k.reason.as_deref().unwrap_or_default()
            ));
            status.set_description(details(c));
        } else if !matches!(c.verdict, Verdict::Pass | Verdict::Warn) {
            status.set_message(format!("{}: {}", c.verdict, c.message));
            status.set_description(details(c));
        }
        let mut case = TestCase::new(c.id.clone(), status);
        case.set_classname(c.id.split('[').next().unwrap_or(&c.id).to_owned());
        case.set_time(Duration::from_millis(c.duration_ms));
        if c.verdict == Verdict::Warn {
            case.set_system_out(format!("warn: {}\n{}", c.message, details(c)));
        }
        suite.add_test_case(case);
    }
    let mut doc = quick_junit::Report::new(format!("ftpspec against {}", report.target));
    doc.set_time(Duration::from_millis(report.duration_ms));
    doc.add_test_suite(suite);
    doc.to_string().unwrap_or_default()
}

impl<W: Write> Reporter for Junit<W> {
    fn finish(&mut self, report: &Report) -> io::Result<()> {
        self.out.write_all(render(report).as_bytes())?;
        self.out.flush()
    }
}
