//! The terminal report. While the run goes on: progress. At the end, in
//! this order, so that what matters most is last on the screen and first
//! to grep: unsupported and skipped cases one line each, warnings, then
//! failures and errors in full (the RFC sentence, what was acceptable, what
//! was received, the transcript tail), the summary, and the list of failing
//! cases with the command that reruns each. With a baseline, regressions
//! come in full, and known, racy and fixed cases one line each.
//!
//! Two looks, chosen by [`Style`]: on a terminal, verdicts are coloured and
//! a progress bar is redrawn in place with failures printed above it as
//! they happen; in a pipe or file, a progress line at every tenth of the
//! run, so CI logs stay short.

use super::Reporter;
use crate::events::{CaseResult, Event, GateOutcome, Report};
use crate::verdict::Verdict;
use std::io::{self, Write};

/// How the terminal report looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours on verdicts and the summary.
    pub color: bool,
    /// A progress bar redrawn in place (needs a terminal) instead of a
    /// progress line at every tenth of the run.
    pub progress: bool,
}

const RESET: &str = "\x1b[0m";

fn color_of(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "\x1b[32m",
        Verdict::Fail => "\x1b[1;31m",
        Verdict::Warn => "\x1b[33m",
        Verdict::Unsupported | Verdict::Skip => "\x1b[2m",
        Verdict::Error => "\x1b[1;35m",
    }
}

/// Lines of transcript shown for a failure.
const TAIL: usize = 12;

/// Human-readable output.
pub struct Human<W: Write> {
    out: W,
    total: usize,
    done: usize,
    /// The tenth of the run last reported (pipe look).
    tenth: usize,
    counts: crate::events::Summary,
    started: Option<std::time::Instant>,
    verbose: bool,
    rerun: String,
    style: Style,
}

impl<W: Write> Human<W> {
    /// A reporter writing to `out`; `rerun` is the command prefix that
    /// reruns one case (`ftpspec run --target …`, password left out).
    pub fn new(out: W, verbose: bool, rerun: impl Into<String>) -> Self {
        Human {
            out,
            total: 0,
            done: 0,
            tenth: 0,
            counts: Default::default(),
            started: None,
            verbose,
            rerun: rerun.into(),
            style: Style::default(),
        }
    }

    /// Colours and a progress bar (for a terminal).
    pub fn with_style(mut self, style: Style) -> Self {
        self.style = style;
        self
    }

    /// `text` in the colour of `v`, when colours are on.
    fn paint(&self, v: Verdict, text: &str) -> String {
        if self.style.color {
            format!("{}{text}{RESET}", color_of(v))
        } else {
            text.to_owned()
        }
    }

    fn elapsed(&self) -> f64 {
        self.started
            .map(|s| s.elapsed().as_secs_f64())
            .unwrap_or(0.0)
    }

    /// The counts so far, coloured: `12 pass 3 fail`.
    fn tally(&self) -> String {
        let mut parts = Vec::new();
        for v in Verdict::ALL {
            let n = self.counts.get(v);
            if n > 0 {
                parts.push(self.paint(v, &format!("{n} {v}")));
            }
        }
        parts.join(" ")
    }

    /// The progress bar line, without a newline.
    fn bar(&self) -> String {
        const WIDTH: usize = 30;
        let filled = (self.done * WIDTH).checked_div(self.total).unwrap_or(0);
        format!(
            "[{}{}] {}/{} {:.1}s {}",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            self.done,
            self.total,
            self.elapsed(),
            self.tally()
        )
    }

    fn rerun_line(&self, id: &str) -> String {
        format!("{} --only '{id}'", self.rerun)
    }

    /// A case in full: its findings with their sentences, and (for a
    /// failure, an error, or with --verbose) the end of the transcript.
    fn details(&mut self, c: &CaseResult) -> io::Result<()> {
        writeln!(
            self.out,
            "\n{} {}  ({})",
            self.paint(c.verdict, &c.verdict.as_str().to_uppercase()),
            c.id,
            c.title
        )?;
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
            // One line each: a pattern or a reply may hold CR or LF.
            writeln!(self.out, "      acceptable: {}", flat(&f.acceptable))?;
            writeln!(self.out, "      received:   {}", flat(&f.received))?;
        }
        for n in &c.notes {
            writeln!(self.out, "  note: {n}")?;
        }
        if self.verbose || matches!(c.verdict, Verdict::Fail | Verdict::Error) {
            let tail = c.transcript.len().saturating_sub(TAIL);
            if tail > 0 {
                writeln!(
                    self.out,
                    "  transcript (last {TAIL} of {} lines):",
                    c.transcript.len()
                )?;
            } else if !c.transcript.is_empty() {
                writeln!(self.out, "  transcript:")?;
            }
            for e in &c.transcript[tail..] {
                writeln!(self.out, "    {:>5}ms {} {}", e.ms, e.dir.arrow(), e.text)?;
            }
        }
        let rerun = self.rerun_line(&c.id);
        writeln!(self.out, "  rerun: {rerun}")
    }

    /// A case on one line: `id: why`.
    fn one_line(&mut self, c: &CaseResult, why: &str) -> io::Result<()> {
        writeln!(self.out, "  {}: {why}", c.id)
    }

    /// A titled group of cases, each on one line or in full.
    fn group(&mut self, title: &str, cases: &[&CaseResult], full: bool) -> io::Result<()> {
        if cases.is_empty() {
            return Ok(());
        }
        writeln!(self.out, "\n{title} ({}):", cases.len())?;
        for c in cases {
            if full {
                self.details(c)?;
            } else {
                self.one_line(c, &c.message)?;
            }
        }
        Ok(())
    }

    /// With a baseline: regressions in full, the rest one line each.
    fn gate(&mut self, report: &Report, gate: &GateOutcome) -> io::Result<()> {
        let by_id = |id: &str| report.cases.iter().find(|c| c.id == id);
        if let Some(m) = &gate.suite_mismatch {
            writeln!(self.out, "\nwarning: {m}")?;
        }
        if !gate.known.is_empty() {
            writeln!(
                self.out,
                "\nKnown, as the baseline says ({}):",
                gate.known.len()
            )?;
            for k in &gate.known {
                let reason = k.reason.as_deref().unwrap_or_default();
                writeln!(self.out, "  {}: {} -- {reason}", k.id, k.now)?;
            }
        }
        if !gate.racy.is_empty() {
            writeln!(
                self.out,
                "\nRacy, either outcome accepted ({}):",
                gate.racy.len()
            )?;
            for k in &gate.racy {
                let reason = k.reason.as_deref().unwrap_or_default();
                writeln!(self.out, "  {}: {} this time -- {reason}", k.id, k.now)?;
            }
        }
        if !gate.fixed.is_empty() {
            writeln!(
                self.out,
                "\nFixed since the baseline ({}):",
                gate.fixed.len()
            )?;
            for k in &gate.fixed {
                writeln!(
                    self.out,
                    "  {}: {} -> {} (update the baseline: --update-baseline)",
                    k.id, k.was, k.now
                )?;
            }
        }
        if !gate.regressions.is_empty() {
            writeln!(self.out, "\nREGRESSIONS ({}):", gate.regressions.len())?;
            for r in &gate.regressions {
                writeln!(self.out, "\nREGRESSION {}: {} -> {}", r.id, r.was, r.now)?;
                if let Some(c) = by_id(&r.id) {
                    self.details(c)?;
                }
            }
        }
        Ok(())
    }
}

impl<W: Write> Reporter for Human<W> {
    fn event(&mut self, event: &Event) {
        let _ = match event {
            Event::Probed(p) => match &p.greeting_problem {
                Some(why) if p.greeting_breach.is_some() => writeln!(
                    self.out,
                    "probe: the greeting opens no session ({why}): basic.greeting judges it, and every other case fails with it without running"
                ),
                Some(why) => writeln!(
                    self.out,
                    "probe: no session ({why}): only the cases that need none run"
                ),
                None => writeln!(
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
                )
                .and_then(|()| match &p.tls {
                    Some(tls) => writeln!(self.out, "tls: {}", tls.summary()),
                    None => Ok(()),
                }),
            },
            Event::Started { total } => {
                self.total = *total;
                self.started = Some(std::time::Instant::now());
                writeln!(self.out, "running {total} cases")
            }
            Event::CaseFinished { result, .. } => {
                self.done += 1;
                self.counts.add(result.verdict);
                if self.style.progress {
                    // Clear the bar, print a notable case above it, redraw.
                    let notable =
                        self.verbose || matches!(result.verdict, Verdict::Fail | Verdict::Error);
                    let above = if notable {
                        let verdict = format!("{:<5}", result.verdict.as_str().to_uppercase());
                        format!("{} {}\n", self.paint(result.verdict, &verdict), result.id)
                    } else {
                        String::new()
                    };
                    write!(self.out, "\r\x1b[2K{above}{}", self.bar())
                } else {
                    let tenth = (self.done * 10).checked_div(self.total).unwrap_or(10);
                    if tenth > self.tenth || self.verbose {
                        self.tenth = tenth;
                        writeln!(
                            self.out,
                            "[{:>3}%] {}/{} cases: {}",
                            self.done * 100 / self.total.max(1),
                            self.done,
                            self.total,
                            self.tally()
                        )
                    } else {
                        Ok(())
                    }
                }
            }
        };
        let _ = self.out.flush();
    }

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        if self.style.progress {
            write!(self.out, "\r\x1b[2K")?;
        }
        let of = |v: Verdict| -> Vec<&CaseResult> {
            report.cases.iter().filter(|c| c.verdict == v).collect()
        };
        let known = |c: &&CaseResult| {
            report
                .baseline
                .as_ref()
                .is_some_and(|g| g.accepted(&c.id).is_some())
        };
        self.group("Unsupported", &of(Verdict::Unsupported), false)?;
        self.group("Skipped", &of(Verdict::Skip), false)?;
        match &report.baseline {
            Some(gate) => {
                // Known cases are listed by the gate; the rest in full.
                let warns: Vec<&CaseResult> = of(Verdict::Warn)
                    .into_iter()
                    .filter(|c| !known(c))
                    .collect();
                self.group("Warnings", &warns, true)?;
                self.gate(report, gate)?;
            }
            None => {
                self.group("Warnings", &of(Verdict::Warn), true)?;
                self.group("Failures", &of(Verdict::Fail), true)?;
                self.group(
                    "Errors, where the harness could not finish",
                    &of(Verdict::Error),
                    true,
                )?;
            }
        }
        if !report.probe.findings.is_empty() {
            writeln!(self.out, "\nThe capabilities probe saw:")?;
            for f in &report.probe.findings {
                writeln!(
                    self.out,
                    "  - {} [{}] {}: {} (received {})",
                    f.verdict,
                    f.check,
                    f.rfc.as_deref().unwrap_or_default(),
                    f.required,
                    f.received
                )?;
            }
        }
        for n in &report.notes {
            writeln!(self.out, "\nNOTE: {n}")?;
        }
        let s = &report.summary;
        let counts: Vec<String> = Verdict::ALL
            .iter()
            .map(|&v| {
                let text = format!("{} {v}", s.get(v));
                if s.get(v) > 0 {
                    self.paint(v, &text)
                } else {
                    text
                }
            })
            .collect();
        writeln!(
            self.out,
            "\n{}: {} case{} in {:.1} s: {}",
            report.target,
            s.total(),
            if s.total() == 1 { "" } else { "s" },
            report.duration_ms as f64 / 1000.0,
            counts.join(", ")
        )?;
        let failing: Vec<&CaseResult> = match &report.baseline {
            Some(g) => g
                .regressions
                .iter()
                .filter_map(|r| report.cases.iter().find(|c| c.id == r.id))
                .collect(),
            None => report
                .cases
                .iter()
                .filter(|c| matches!(c.verdict, Verdict::Fail | Verdict::Error))
                .collect(),
        };
        if let Some(g) = &report.baseline {
            writeln!(
                self.out,
                "baseline {}: {} regression(s), {} fixed, {} known, {} racy",
                g.file,
                g.regressions.len(),
                g.fixed.len(),
                g.known.len(),
                g.racy.len()
            )?;
        }
        if !failing.is_empty() {
            let title = if report.baseline.is_some() {
                "Regressions"
            } else {
                "Failing cases"
            };
            writeln!(self.out, "{title} ({}):", failing.len())?;
            for c in failing {
                let verdict = self.paint(c.verdict, c.verdict.as_str());
                let rerun = self.rerun_line(&c.id);
                writeln!(self.out, "  {verdict} {}\n      {rerun}", c.id)?;
            }
        }
        self.out.flush()
    }
}

/// `text` with CR and LF shown as `\\r` and `\\n`, for a one-line field.
fn flat(text: &str) -> String {
    text.replace('\r', "\\r").replace('\n', "\\n")
}
