//! HTML: one self-contained file (inline CSS, no scripts, no fetches),
//! small enough to mail (the whole suite stays under 300 KB).
//!
//! One run: the summary; with a baseline, regressions, fixed and known
//! cases; a table per requirement group (as `ftpspec matrix` prints);
//! then the cases by verdict, failures first, each verdict a section that
//! the links at the top jump to (filtering without a script): failures,
//! errors and warnings in full (findings, transcript), the rest one line
//! each. Every requirement is quoted once, in a list at the end that the
//! cases link to. Several runs (`ftpspec matrix --html`) add a side-by-side
//! table of servers, like Autobahn|Testsuite's report.

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

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:80em}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}\
th{background:#f4f4f4}td.v{text-align:center}a{color:inherit}nav a{margin-right:1em}\
.pass{background:#c8f0c8}.fail{background:#f5b5b5}.warn{background:#f8e3a0}\
.unsupported,.skip{background:#e4e4e4;color:#555}.error{background:#e0b8f0}\
.missing{color:#aaa}tr.group th{background:#ddd}pre{background:#f8f8f8;padding:6px;overflow-x:auto;font-size:12px}\
details{margin:4px 0}summary{cursor:pointer}.k{color:#666}ul.one{list-style:none;padding-left:1em}";

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

/// Every requirement quoted in the runs, once: `(citation, quote)` → number.
#[derive(Default)]
struct Refs {
    index: BTreeMap<(String, String), usize>,
    order: Vec<(String, String)>,
}

impl Refs {
    fn number(&mut self, citation: &str, quote: &str) -> usize {
        let key = (citation.to_owned(), quote.to_owned());
        if let Some(n) = self.index.get(&key) {
            return *n;
        }
        self.order.push(key.clone());
        self.index.insert(key, self.order.len());
        self.order.len()
    }

    fn link(&mut self, citation: &str, quote: &str) -> String {
        let n = self.number(citation, quote);
        format!("<a href=\"#ref{n}\">{} [{n}]</a>", esc(citation))
    }
}

/// The group of each catalogue row (for the per-group table).
fn groups() -> BTreeMap<String, String> {
    crate::builtin::requirements()
        .unwrap_or_default()
        .into_iter()
        .map(|r| (r.id, r.group))
        .collect()
}

/// The HTML document for one or more runs, each with a column name.
pub fn render(runs: &[(&str, &Report)]) -> String {
    let mut o = String::new();
    let mut refs = Refs::default();
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
    group_table(&mut o, runs);
    if runs.len() > 1 {
        matrix(&mut o, runs);
    }
    for (i, (name, report)) in runs.iter().enumerate() {
        if runs.len() > 1 {
            let _ = writeln!(o, "<h2 id=\"run{i}\">{}</h2>", esc(name));
        }
        if let Some(tls) = &report.probe.tls {
            let _ = writeln!(o, "<p class=\"k\">TLS: {}</p>", esc(&tls.summary()));
        }
        for n in &report.notes {
            let _ = writeln!(o, "<p class=\"warn\">note: {}</p>", esc(n));
        }
        gate(&mut o, i, report);
        by_verdict(&mut o, &mut refs, i, report);
    }
    o.push_str("<h2 id=\"refs\">Requirements quoted</h2>\n<ol>");
    for (citation, quote) in &refs.order {
        let n = refs.index[&(citation.clone(), quote.clone())];
        let _ = write!(
            o,
            "<li id=\"ref{n}\">{}: {}</li>",
            esc(citation),
            esc(quote)
        );
    }
    o.push_str("</ol>\n</body></html>\n");
    o
}

fn summary_table(o: &mut String, runs: &[(&str, &Report)]) {
    o.push_str(
        "<table><tr><th>server</th><th>target</th><th>ftpspec</th><th>suite</th><th>cases</th>",
    );
    for v in Verdict::ALL {
        let _ = write!(o, "<th class=\"{v}\">{v}</th>");
    }
    o.push_str("<th>time</th></tr>\n");
    for (i, (name, r)) in runs.iter().enumerate() {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(name),
            esc(&r.target),
            esc(&r.ftpspec),
            esc(&r.suite),
            r.summary.total()
        );
        for v in Verdict::ALL {
            let n = r.summary.get(v);
            if n > 0 {
                let _ = write!(o, "<td class=\"v\"><a href=\"#r{i}-{v}\">{n}</a></td>");
            } else {
                o.push_str("<td class=\"v\">0</td>");
            }
        }
        let _ = writeln!(o, "<td>{:.1} s</td></tr>", r.duration_ms as f64 / 1000.0);
    }
    o.push_str("</table>\n");
}

/// Pass/fail/warn/unsupported cases per requirement group and run (a case
/// counts in every group it covers).
fn group_table(o: &mut String, runs: &[(&str, &Report)]) {
    let group_of = groups();
    let mut cells: BTreeMap<&str, Vec<[usize; 4]>> = BTreeMap::new();
    for (i, (_, r)) in runs.iter().enumerate() {
        for c in &r.cases {
            let mut gs: Vec<&str> = c
                .covers
                .iter()
                .filter_map(|id| group_of.get(id).map(String::as_str))
                .collect();
            gs.sort();
            gs.dedup();
            if gs.is_empty() {
                gs.push("(uncatalogued)");
            }
            let slot = match c.verdict {
                Verdict::Pass => 0,
                Verdict::Fail | Verdict::Error => 1,
                Verdict::Warn => 2,
                Verdict::Unsupported | Verdict::Skip => 3,
            };
            for g in gs {
                cells.entry(g).or_insert_with(|| vec![[0; 4]; runs.len()])[i][slot] += 1;
            }
        }
    }
    o.push_str("<h2>By requirement group</h2>\n<table><tr><th>group</th>");
    for (name, _) in runs {
        let _ = write!(o, "<th>{}</th>", esc(name));
    }
    o.push_str("</tr>\n");
    for (g, row) in &cells {
        let _ = write!(o, "<tr><td>{}</td>", esc(g));
        for [p, f, w, u] in row {
            let class = if *f > 0 {
                "fail"
            } else if *w > 0 {
                "warn"
            } else {
                "pass"
            };
            let _ = write!(o, "<td class=\"v {class}\">{p}/{f}/{w}/{u}</td>");
        }
        o.push_str("</tr>\n");
    }
    o.push_str(
        "</table>\n<p class=\"k\">Cells: pass / fail (and error) / warn / unsupported (and skip) cases.</p>\n",
    );
}

fn matrix(o: &mut String, runs: &[(&str, &Report)]) {
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
    o.push_str("<h2>Side by side</h2>\n<table><tr><th>case</th>");
    for (name, _) in runs {
        let _ = write!(o, "<th>{}</th>", esc(name));
    }
    o.push_str("</tr>\n");
    let mut group = "";
    for id in order {
        let g = id.split('.').next().unwrap_or("");
        if g != group {
            group = g;
            let _ = writeln!(
                o,
                "<tr class=\"group\"><th colspan=\"{}\">{}</th></tr>",
                runs.len() + 1,
                esc(g)
            );
        }
        let _ = write!(o, "<tr><td>{}</td>", esc(id));
        for (i, cell) in at[id].iter().enumerate() {
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
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
}

/// With a baseline: regressions, fixed cases and known ones, first.
fn gate(o: &mut String, run: usize, r: &Report) {
    let Some(g) = &r.baseline else {
        return;
    };
    let _ = writeln!(
        o,
        "<h2>Baseline {}: {} regression(s), {} fixed, {} known, {} racy</h2>",
        esc(&g.file),
        g.regressions.len(),
        g.fixed.len(),
        g.known.len(),
        g.racy.len()
    );
    if let Some(m) = &g.suite_mismatch {
        let _ = writeln!(o, "<p class=\"warn\">warning: {}</p>", esc(m));
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
        let open = if title == "Regressions" { " open" } else { "" };
        let _ = write!(
            o,
            "<details{open}><summary>{title} ({})</summary><ul class=\"one\">",
            list.len()
        );
        for c in list {
            let _ = write!(
                o,
                "<li><a href=\"#{}\">{}</a>: {} &rarr; {} {}</li>",
                anchor(run, &c.id),
                esc(&c.id),
                c.was,
                c.now,
                esc(c.reason.as_deref().unwrap_or(&c.message))
            );
        }
        o.push_str("</ul></details>\n");
    }
}

/// The cases, one section per verdict, failures first.
fn by_verdict(o: &mut String, refs: &mut Refs, run: usize, r: &Report) {
    const ORDER: [Verdict; 6] = [
        Verdict::Fail,
        Verdict::Error,
        Verdict::Warn,
        Verdict::Unsupported,
        Verdict::Skip,
        Verdict::Pass,
    ];
    o.push_str("<nav>");
    for v in ORDER {
        let n = r.summary.get(v);
        if n > 0 {
            let _ = write!(o, "<a href=\"#r{run}-{v}\">{} ({n})</a>", badge(v));
        }
    }
    o.push_str("</nav>\n");
    for v in ORDER {
        let cases: Vec<&CaseResult> = r.cases.iter().filter(|c| c.verdict == v).collect();
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(
            o,
            "<h3 id=\"r{run}-{v}\">{} ({})</h3>",
            badge(v),
            cases.len()
        );
        match v {
            Verdict::Fail | Verdict::Error | Verdict::Warn => {
                for group in same_finding(&cases) {
                    details(o, refs, run, &group);
                }
            }
            _ => one_liners(o, run, &cases),
        }
    }
}

/// Cases that need no details (pass, unsupported, skip), one line per
/// scenario and reason: the modes it ran in are listed on the line, each
/// the anchor of its case.
fn one_liners(o: &mut String, run: usize, cases: &[&CaseResult]) {
    // Scenario id and message, in first-seen order, with their cases.
    let mut groups: Vec<((&str, &str), Vec<&CaseResult>)> = Vec::new();
    for c in cases {
        let key = (c.id.split('[').next().unwrap_or(&c.id), c.message.as_str());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(c),
            None => groups.push((key, vec![c])),
        }
    }
    o.push_str("<ul class=\"one\">");
    for ((scenario, message), members) in groups {
        let _ = write!(o, "<li><b>{}</b> {}", esc(scenario), esc(&members[0].title));
        let modes: Vec<String> = members
            .iter()
            .map(|c| {
                let label = c.mode.as_deref().unwrap_or("");
                format!("<span id=\"{}\">{}</span>", anchor(run, &c.id), esc(label))
            })
            .collect();
        if members.iter().any(|c| c.mode.is_some()) {
            let _ = write!(o, " [{}]", modes.join(" "));
        } else {
            o.push_str(&modes.join(""));
        }
        if !message.is_empty() {
            let _ = write!(o, ": {}", esc(message));
        }
        o.push_str("</li>");
    }
    o.push_str("</ul>\n");
}

/// How many transcript lines a case's section shows: its end.
const TRANSCRIPT_TAIL: usize = 16;

/// The cases of one scenario whose findings quote the same sentences for
/// the same checks, grouped (in first-seen order): one section shows them,
/// with the modes listed, instead of one per mode.
fn same_finding<'a>(cases: &[&'a CaseResult]) -> Vec<Vec<&'a CaseResult>> {
    let key = |c: &CaseResult| {
        let scenario = c.id.split('[').next().unwrap_or(&c.id).to_owned();
        let findings: Vec<(String, Option<String>, String)> = c
            .findings
            .iter()
            .map(|f| {
                (
                    f.check.as_str().to_owned(),
                    f.rfc.clone(),
                    f.required.clone(),
                )
            })
            .collect();
        (
            scenario,
            findings,
            c.findings.is_empty().then(|| c.message.clone()),
        )
    };
    let mut groups: Vec<(_, Vec<&CaseResult>)> = Vec::new();
    for c in cases {
        let k = key(c);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, v)) => v.push(c),
            None => groups.push((k, vec![c])),
        }
    }
    groups.into_iter().map(|(_, v)| v).collect()
}

/// One section for cases that fail the same way (see [`same_finding`]):
/// the first case's findings and transcript, every case's anchor.
fn details(o: &mut String, refs: &mut Refs, run: usize, group: &[&CaseResult]) {
    let c = group[0];
    let open = if matches!(c.verdict, Verdict::Fail | Verdict::Error) {
        " open"
    } else {
        ""
    };
    let (shown, modes) = if group.len() > 1 {
        let modes: Vec<String> = group
            .iter()
            .skip(1)
            .map(|m| {
                format!(
                    "<span id=\"{}\">{}</span>",
                    anchor(run, &m.id),
                    esc(m.mode.as_deref().unwrap_or(&m.id))
                )
            })
            .collect();
        (
            c.id.clone(),
            format!(
                " <span class=\"k\">(and the same in {})</span>",
                modes.join(" ")
            ),
        )
    } else {
        (c.id.clone(), String::new())
    };
    let _ = writeln!(
        o,
        "<details id=\"{}\"{open}><summary>{} <b>{}</b> {}{modes}</summary>",
        anchor(run, &c.id),
        badge(c.verdict),
        esc(&shown),
        esc(&c.title)
    );
    let checks: Vec<String> = c
        .refs
        .iter()
        .map(|r| {
            refs.link(
                &format!("RFC {} §{} {}", r.rfc, r.section, r.level),
                &r.quote,
            )
        })
        .collect();
    let _ = write!(
        o,
        "<p class=\"k\">{} &middot; checks {}</p>",
        esc(&c.scenario),
        checks.join(", ")
    );
    // The findings table says it all when there is one.
    if !c.message.is_empty() && c.findings.is_empty() {
        let _ = write!(o, "<p>why: {}</p>", esc(&c.message));
    }
    if !c.findings.is_empty() {
        o.push_str("<table><tr><th>verdict</th><th>check</th><th>required</th><th>acceptable</th><th>received</th></tr>");
        for f in &c.findings {
            let line = f.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            let required = match &f.rfc {
                Some(rfc) => refs.link(rfc, f.required.trim_matches('"')),
                None => esc(&f.required),
            };
            let _ = write!(
                o,
                "<tr><td class=\"{v}\">{v}</td><td>{}{}</td><td>{required}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(f.check.as_str()),
                esc(&line),
                esc(&f.acceptable),
                esc(&f.received),
                v = f.verdict
            );
        }
        o.push_str("</table>");
    }
    for n in &c.notes {
        let _ = write!(o, "<p class=\"k\">note: {}</p>", esc(n));
    }
    if !c.transcript.is_empty() {
        // The end of the conversation is where a case went wrong; the
        // whole of it is in the JSON report (and the page stays small).
        let skip = c.transcript.len().saturating_sub(TRANSCRIPT_TAIL);
        o.push_str("<pre>");
        if skip > 0 {
            let _ = writeln!(
                o,
                "  ({skip} earlier lines: the JSON report has the whole transcript)"
            );
        }
        for e in &c.transcript[skip..] {
            let _ = writeln!(o, "{:>6}ms {} {}", e.ms, e.dir.arrow(), esc(&e.text));
        }
        o.push_str("</pre>");
    }
    o.push_str("</details>\n");
}
