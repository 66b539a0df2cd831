//! The terminal report: progress as cases finish, then details of every
//! case that did not pass, and a summary.
//!
//! Two looks, chosen by [`Style`]: on a terminal, verdicts are coloured and
//! a progress bar is redrawn in place, with only notable cases printed
//! above it; in a pipe or file, one plain line per case, so logs and
//! snapshots stay readable.

use super::Reporter;
use crate::events::{CaseResult, Event, Report};
use crate::verdict::Verdict;
use std::io::{self, Write};

/// How the terminal report looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours on verdicts and the summary.
    pub color: bool,
    /// A progress bar redrawn in place (needs a terminal) instead of a line per case.
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

/// Human-readable output.
pub struct Human<W: Write> {
    out: W,
    total: usize,
    done: usize,
    counts: crate::events::Summary,
    started: Option<std::time::Instant>,
    verbose: bool,
    rerun: String,
    style: Style,
}

impl<W: Write> Human<W> {
    /// A reporter writing to `out`; `rerun` is the command prefix that reruns one case.
    pub fn new(out: W, verbose: bool, rerun: impl Into<String>) -> Self {
        Human {
            out,
            total: 0,
            done: 0,
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

    /// The progress bar line, without a newline.
    fn bar(&self) -> String {
        const WIDTH: usize = 30;
        let filled = (self.done * WIDTH).checked_div(self.total).unwrap_or(0);
        let elapsed = self
            .started
            .map(|s| s.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        let mut line = format!(
            "[{}{}] {}/{} {elapsed:.1}s",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            self.done,
            self.total
        );
        for v in Verdict::ALL {
            let n = self.counts.get(v);
            if n > 0 {
                line.push(' ');
                line.push_str(&self.paint(v, &format!("{n} {v}")));
            }
        }
        line
    }

    fn details(&mut self, c: &CaseResult) -> io::Result<()> {
        writeln!(
            self.out,
            "\n{} {}  ({})",
            self.paint(c.verdict, &c.verdict.as_str().to_uppercase()),
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
                writeln!(self.out, "    {:>5}ms {} {}", e.ms, e.dir.arrow(), e.text)?;
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
                self.started = Some(std::time::Instant::now());
                writeln!(self.out, "running {total} cases")
            }
            Event::CaseFinished { result, .. } => {
                self.done += 1;
                self.counts.add(result.verdict);
                let width = self.total.to_string().len();
                let verdict = format!("{:<11}", result.verdict.as_str().to_uppercase());
                let line = format!(
                    "[{:>width$}/{}] {} {} ({} ms)",
                    self.done,
                    self.total,
                    self.paint(result.verdict, &verdict),
                    result.id,
                    result.duration_ms
                );
                if self.style.progress {
                    // Clear the bar, print notable cases above it, redraw it.
                    let notable = self.verbose
                        || matches!(
                            result.verdict,
                            Verdict::Fail | Verdict::Warn | Verdict::Error
                        );
                    let above = if notable {
                        format!("{line}\n")
                    } else {
                        String::new()
                    };
                    write!(self.out, "\r\x1b[2K{above}{}", self.bar())
                } else {
                    writeln!(self.out, "{line}")
                }
            }
        };
        let _ = self.out.flush();
    }

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        if self.style.progress {
            write!(self.out, "\r\x1b[2K")?;
        }
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
            "\n{}: {} cases in {:.1} s: {}",
            report.target,
            s.total(),
            report.duration_ms as f64 / 1000.0,
            counts.join(", ")
        )?;
        self.out.flush()
    }
}
