//! The terminal report: a line per case as it finishes (with a counter, so
//! long runs show progress), then details of every case that did not pass,
//! and a summary.

use super::Reporter;
use crate::runner::{CaseResult, Event, Report};
use crate::verdict::Verdict;
use std::io::{self, Write};

/// Human-readable output.
pub struct Human<W: Write> {
    out: W,
    total: usize,
    done: usize,
    verbose: bool,
    rerun: String,
}

impl<W: Write> Human<W> {
    /// A reporter writing to `out`; `rerun` is the command prefix that reruns one case.
    pub fn new(out: W, verbose: bool, rerun: impl Into<String>) -> Self {
        Human {
            out,
            total: 0,
            done: 0,
            verbose,
            rerun: rerun.into(),
        }
    }

    fn details(&mut self, c: &CaseResult) -> io::Result<()> {
        writeln!(
            self.out,
            "\n{} {}  ({})",
            c.verdict.as_str().to_uppercase(),
            c.id,
            c.title
        )?;
        for r in &c.refs {
            writeln!(
                self.out,
                "  checks RFC {} §{} {}: \"{}\"",
                r.rfc, r.section, r.level, r.quote
            )?;
        }
        if !c.message.is_empty() {
            writeln!(self.out, "  why: {}", c.message)?;
        }
        for f in &c.findings {
            let at = f
                .line
                .map(|l| format!(" ({}:{l})", c.scenario))
                .unwrap_or_default();
            writeln!(self.out, "  - {} [{}]{at}", f.verdict, f.check)?;
            if let Some(rfc) = &f.rfc {
                writeln!(self.out, "      required:   {rfc}: {}", f.required)?;
            }
            writeln!(self.out, "      acceptable: {}", f.acceptable)?;
            writeln!(self.out, "      received:   {}", f.received)?;
        }
        if self.verbose || matches!(c.verdict, Verdict::Fail | Verdict::Error) {
            let tail = c.transcript.len().saturating_sub(12);
            if tail > 0 {
                writeln!(
                    self.out,
                    "  transcript (last 12 of {} lines):",
                    c.transcript.len()
                )?;
            } else if !c.transcript.is_empty() {
                writeln!(self.out, "  transcript:")?;
            }
            for e in &c.transcript[tail..] {
                let arrow = match e.dir {
                    crate::driver::Direction::Client => "C>",
                    crate::driver::Direction::Server => "S<",
                    crate::driver::Direction::Data => "D ",
                    crate::driver::Direction::Note => "--",
                };
                writeln!(self.out, "    {:>5}ms {arrow} {}", e.ms, e.text)?;
            }
        }
        writeln!(self.out, "  rerun: {} --only '{}'", self.rerun, c.id)
    }
}

impl<W: Write> Reporter for Human<W> {
    fn event(&mut self, event: &Event) {
        let _ = match event {
            Event::Probed(p) => writeln!(
                self.out,
                "probe: {} | FEAT: {} | {}",
                p.banner.lines().next().unwrap_or(""),
                if p.features.is_empty() {
                    "none".to_owned()
                } else {
                    p.features
                        .iter()
                        .map(|f| f.0.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                },
                if p.writable { "writable" } else { "read-only" }
            ),
            Event::Started { total } => {
                self.total = *total;
                writeln!(self.out, "running {total} cases")
            }
            Event::CaseFinished { result, .. } => {
                self.done += 1;
                let width = self.total.to_string().len();
                writeln!(
                    self.out,
                    "[{:>width$}/{}] {:<11} {} ({} ms)",
                    self.done,
                    self.total,
                    result.verdict.as_str().to_uppercase(),
                    result.id,
                    result.duration_ms
                )
            }
        };
        let _ = self.out.flush();
    }

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        let notable: Vec<&CaseResult> = report
            .cases
            .iter()
            .filter(|c| c.verdict != Verdict::Pass)
            .collect();
        for c in notable {
            if self.verbose || !matches!(c.verdict, Verdict::Skip) {
                self.details(c)?;
            }
        }
        let s = &report.summary;
        writeln!(
            self.out,
            "\n{}: {} cases in {:.1} s: {} pass, {} fail, {} warn, {} unsupported, {} skip, {} error",
            report.target,
            s.total(),
            report.duration_ms as f64 / 1000.0,
            s.pass,
            s.fail,
            s.warn,
            s.unsupported,
            s.skip,
            s.error
        )?;
        self.out.flush()
    }
}
