//! HTML: one self-contained file (inline CSS, no scripts, no fetches).
//! One run gives a summary and a table of cases; several runs give a
//! side-by-side matrix of servers, like Autobahn|Testsuite's report. Every
//! cell links to the case's details: requirement, findings (required,
//! acceptable, received) and transcript.

use super::Reporter;
use crate::events::{CaseResult, Report};
use crate::verdict::Verdict;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Writes a one-run HTML report.
pub struct Html<W: Write> {
    out: W,
    name: String,
}

impl<W: Write> Html<W> {
    /// A reporter writing to `out`; `name` labels the run's column.
    pub fn new(out: W, name: impl Into<String>) -> Self {
        Html {
            out,
            name: name.into(),
        }
    }
}

impl<W: Write> Reporter for Html<W> {
    fn finish(&mut self, report: &Report) -> io::Result<()> {
        self.out
            .write_all(render(&[(self.name.as_str(), report)]).as_bytes())?;
        self.out.flush()
    }
}

/// Escape text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}\
th{background:#f4f4f4}td.v{text-align:center}a{color:inherit}\
.pass{background:#c8f0c8}.fail{background:#f5b5b5}.warn{background:#f8e3a0}\
.unsupported,.skip{background:#e4e4e4;color:#666}.error{background:#e0b8f0}\
.missing{color:#aaa}tr.group th{background:#ddd}pre{background:#f8f8f8;padding:6px;overflow-x:auto}\
details{margin:4px 0}summary{cursor:pointer}.k{color:#666}";

fn badge(v: Verdict) -> String {
    format!("<span class=\"{v}\">&nbsp;{v}&nbsp;</span>")
}

fn anchor(run: usize, id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("r{run}-{safe}")
}

/// The HTML document for one or more runs, each with a column name.
pub fn render(runs: &[(&str, &Report)]) -> String {
    let mut o = String::new();
    let title = match runs {
        [(_, r)] => format!("ftpspec: {}", r.target),
        _ => format!("ftpspec: {} servers", runs.len()),
    };
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    summary_table(&mut o, runs);
    matrix(&mut o, runs);
    for (i, (name, report)) in runs.iter().enumerate() {
        let _ = writeln!(o, "<h2>Details: {}</h2>", esc(name));
        for c in &report.cases {
            details(&mut o, i, c);
        }
    }
    o.push_str("</body></html>\n");
    o
}

fn summary_table(o: &mut String, runs: &[(&str, &Report)]) {
    o.push_str("<table><tr><th>server</th><th>target</th><th>ftpspec</th><th>cases</th>");
    for v in Verdict::ALL {
        let _ = write!(o, "<th class=\"{v}\">{v}</th>");
    }
    o.push_str("<th>time</th></tr>\n");
    for (name, r) in runs {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(name),
            esc(&r.target),
            esc(&r.ftpspec),
            r.summary.total()
        );
        for v in Verdict::ALL {
            let _ = write!(o, "<td class=\"v\">{}</td>", r.summary.get(v));
        }
        let _ = writeln!(o, "<td>{:.1} s</td></tr>", r.duration_ms as f64 / 1000.0);
    }
    o.push_str("</table>\n");
}

fn matrix(o: &mut String, runs: &[(&str, &Report)]) {
    // Case ids in first-seen order, grouped by the scenario's directory
    // (the part of the id before the first dot).
    let mut order: Vec<&str> = Vec::new();
    let mut at: BTreeMap<&str, Vec<Option<&CaseResult>>> = BTreeMap::new();
    for (i, (_, r)) in runs.iter().enumerate() {
        for c in &r.cases {
            let row = at.entry(&c.id).or_insert_with(|| {
                order.push(&c.id);
                vec![None; runs.len()]
            });
            row[i] = Some(c);
        }
    }
    o.push_str("<table><tr><th>case</th>");
    for (name, _) in runs {
        let _ = write!(o, "<th>{}</th>", esc(name));
    }
    o.push_str("<th>checks</th></tr>\n");
    let mut group = "";
    for id in order {
        let g = id.split('.').next().unwrap_or("");
        if g != group {
            group = g;
            let _ = writeln!(
                o,
                "<tr class=\"group\"><th colspan=\"{}\">{}</th></tr>",
                runs.len() + 2,
                esc(g)
            );
        }
        let row = &at[id];
        let _ = write!(o, "<tr><td>{}</td>", esc(id));
        for (i, cell) in row.iter().enumerate() {
            match cell {
                Some(c) => {
                    let _ = write!(
                        o,
                        "<td class=\"v {v}\"><a href=\"#{}\">{v}</a></td>",
                        anchor(i, id),
                        v = c.verdict
                    );
                }
                None => o.push_str("<td class=\"v missing\">-</td>"),
            }
        }
        let refs = row
            .iter()
            .flatten()
            .next()
            .map(|c| {
                c.refs
                    .iter()
                    .map(|r| format!("RFC {} §{} {}", r.rfc, r.section, r.level))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let _ = writeln!(o, "<td class=\"k\">{}</td></tr>", esc(&refs));
    }
    o.push_str("</table>\n");
}

fn details(o: &mut String, run: usize, c: &CaseResult) {
    let open = if matches!(c.verdict, Verdict::Fail | Verdict::Error) {
        " open"
    } else {
        ""
    };
    let _ = writeln!(
        o,
        "<details id=\"{}\"{open}><summary>{} <b>{}</b> {}</summary>",
        anchor(run, &c.id),
        badge(c.verdict),
        esc(&c.id),
        esc(&c.title)
    );
    let _ = write!(o, "<p class=\"k\">{}</p>", esc(&c.scenario));
    for r in &c.refs {
        let _ = write!(
            o,
            "<p>checks RFC {} §{} {}: &ldquo;{}&rdquo;</p>",
            r.rfc,
            esc(&r.section),
            esc(&r.level),
            esc(&r.quote)
        );
    }
    if !c.message.is_empty() {
        let _ = write!(o, "<p>why: {}</p>", esc(&c.message));
    }
    if !c.findings.is_empty() {
        o.push_str("<table><tr><th>verdict</th><th>check</th><th>required</th><th>acceptable</th><th>received</th></tr>");
        for f in &c.findings {
            let line = f.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            let _ = write!(
                o,
                "<tr><td class=\"{v}\">{v}</td><td>{}{}</td><td>{} {}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(f.check.as_str()),
                esc(&line),
                esc(f.rfc.as_deref().unwrap_or("")),
                esc(&f.required),
                esc(&f.acceptable),
                esc(&f.received),
                v = f.verdict
            );
        }
        o.push_str("</table>");
    }
    if !c.transcript.is_empty() {
        o.push_str("<pre>");
        for e in &c.transcript {
            let _ = writeln!(o, "{:>6}ms {} {}", e.ms, e.dir.arrow(), esc(&e.text));
        }
        o.push_str("</pre>");
    }
    o.push_str("</details>\n");
}
