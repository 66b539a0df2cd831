//! Markdown: a summary table and the failures, for a CI job summary
//! (`--report markdown=$GITHUB_STEP_SUMMARY`). With a baseline: regressions
//! first, then fixed cases, then known ones, and the failure tables hold
//! only what the baseline does not know.

use super::Reporter;
use crate::events::Report;
use crate::verdict::Verdict;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Writes the report as Markdown.
pub struct Markdown<W: Write> {
    out: W,
}

impl<W: Write> Markdown<W> {
    /// A reporter writing to `out`.
    pub fn new(out: W) -> Self {
        Markdown { out }
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown document for a report.
pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut o = String::new();
    let _ = writeln!(o, "## ftpspec: {}\n", cell(&report.target));
    if let Some(tls) = &report.probe.tls {
        let _ = writeln!(o, "TLS: {}\n", cell(&tls.summary()));
    }
    for n in &report.notes {
        let _ = writeln!(o, "**Note:** {}\n", cell(n));
    }
    let _ = writeln!(
        o,
        "| cases | pass | fail | warn | unsupported | skip | error |\n|---:|---:|---:|---:|---:|---:|---:|"
    );
    let _ = writeln!(
        o,
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        s.total(),
        s.pass,
        s.fail,
        s.warn,
        s.unsupported,
        s.skip,
        s.error
    );
    if let Some(g) = &report.baseline {
        let _ = writeln!(
            o,
            "**Baseline `{}`: {} regression(s), {} fixed, {} known, {} racy.**\n",
            cell(&g.file),
            g.regressions.len(),
            g.fixed.len(),
            g.known.len(),
            g.racy.len()
        );
        if let Some(m) = &g.suite_mismatch {
            let _ = writeln!(o, "> warning: {}\n", cell(m));
        }
        for (title, list) in [
            ("Regressions", &g.regressions),
            ("Fixed (update the baseline)", &g.fixed),
            ("Known", &g.known),
            ("Racy (either outcome accepted)", &g.racy),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(
                o,
                "### {title} ({})\n\n| case | baseline | now | why |\n|---|---|---|---|",
                list.len()
            );
            for c in list {
                let why = c.reason.as_deref().unwrap_or(&c.message);
                let _ = writeln!(
                    o,
                    "| `{}` | {} | {} | {} |",
                    cell(&c.id),
                    c.was,
                    c.now,
                    cell(why)
                );
            }
            o.push('\n');
        }
    }
    let known = |id: &str| {
        report
            .baseline
            .as_ref()
            .is_some_and(|g| g.accepted(id).is_some())
    };
    for (verdict, title) in [
        (Verdict::Fail, "Failures"),
        (Verdict::Error, "Errors"),
        (Verdict::Warn, "Warnings"),
    ] {
        let cases: Vec<_> = report
            .cases
            .iter()
            .filter(|c| c.verdict == verdict && !known(&c.id))
            .collect();
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(o, "### {title} ({})\n", cases.len());
        let _ = writeln!(
            o,
            "| case | requirement | acceptable | received |\n|---|---|---|---|"
        );
        for c in cases {
            let f = c
                .findings
                .iter()
                .find(|f| f.verdict == verdict)
                .or(c.findings.first());
            match f {
                Some(f) => {
                    let req = format!("{} {}", f.rfc.as_deref().unwrap_or(""), f.required);
                    let _ = writeln!(
                        o,
                        "| `{}` | {} | {} | {} |",
                        cell(&c.id),
                        cell(req.trim()),
                        cell(&f.acceptable),
                        cell(&f.received)
                    );
                }
                None => {
                    let _ = writeln!(o, "| `{}` | | | {} |", cell(&c.id), cell(&c.message));
                }
            }
        }
        o.push('\n');
    }
    o
}

impl<W: Write> Reporter for Markdown<W> {
    fn finish(&mut self, report: &Report) -> io::Result<()> {
        self.out.write_all(render(report).as_bytes())?;
        self.out.flush()
    }
}
