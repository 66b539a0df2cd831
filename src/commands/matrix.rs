//! `ftpspec matrix`: servers × requirement groups from JSON reports, and
//! every failure with the RFC sentence it violates (for the README).

use clap::Args;
use ftpspec_harness::runner::Report;
use ftpspec_harness::verdict::Verdict;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct MatrixArgs {
    /// Reports as NAME=PATH (from `ftpspec run --report json=PATH`), one per server.
    #[arg(required = true, value_name = "NAME=REPORT.json")]
    reports: Vec<String>,
    /// A requirement catalogue to group cases by (their covers: rows)
    /// instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    catalogue: Option<PathBuf>,
    /// Also write a self-contained HTML page with the servers side by side,
    /// every case a row and every cell a link to its details.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// Read every NAME=PATH report once; the matrix and the HTML page share them.
fn load(specs: &[String]) -> Result<Vec<(String, Report)>, String> {
    let mut runs = Vec::new();
    for spec in specs {
        let (name, path) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?}: write NAME=PATH"))?;
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let report: Report = serde_json::from_str(&text)
            .map_err(|e| format!("{path}: not an ftpspec JSON report: {e}"))?;
        runs.push((name.to_owned(), report));
    }
    Ok(runs)
}

/// Write the side-by-side HTML page.
fn write_html(runs: &[(String, Report)], out: &PathBuf) -> Result<(), String> {
    let runs: Vec<(&str, &Report)> = runs.iter().map(|(n, r)| (n.as_str(), r)).collect();
    std::fs::write(out, ftpspec_harness::report::html::render(&runs))
        .map_err(|e| format!("{}: {e}", out.display()))
}

const SHOWN: [Verdict; 4] = [
    Verdict::Pass,
    Verdict::Fail,
    Verdict::Warn,
    Verdict::Unsupported,
];

pub fn run(args: MatrixArgs) -> ExitCode {
    let runs = match load(&args.reports) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(out) = &args.html {
        if let Err(e) = write_html(&runs, out) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        eprintln!("wrote {}", out.display());
    }
    let rows = match super::suite::catalogue(args.catalogue.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let group_of: BTreeMap<&str, &str> = rows
        .iter()
        .map(|r| (r.id.as_str(), r.group.as_str()))
        .collect();
    // server -> group -> verdict -> count
    let mut counts: BTreeMap<String, BTreeMap<String, BTreeMap<Verdict, usize>>> = BTreeMap::new();
    let mut groups = BTreeSet::new();
    let mut fails = Vec::new();
    let mut names = Vec::new();
    for (name, report) in &runs {
        names.push(name.clone());
        let per = counts.entry(name.clone()).or_default();
        for case in &report.cases {
            let mut case_groups: BTreeSet<String> = case
                .covers
                .iter()
                .filter_map(|c| group_of.get(c.as_str()).map(|g| g.to_string()))
                .collect();
            if case_groups.is_empty() {
                case_groups.insert("(uncatalogued)".into());
            }
            for g in case_groups {
                groups.insert(g.clone());
                *per.entry(g).or_default().entry(case.verdict).or_default() += 1;
            }
            if case.verdict == Verdict::Fail {
                let finding = case.findings.iter().find(|f| f.verdict == Verdict::Fail);
                let (rfc, required, received) = match finding {
                    Some(f) => (
                        f.rfc.clone().unwrap_or_default(),
                        f.required.clone(),
                        f.received.clone(),
                    ),
                    None => (String::new(), String::new(), case.message.clone()),
                };
                fails.push((name.clone(), case.id.clone(), rfc, required, received));
            }
        }
    }
    outln!("| group | {} |", names.join(" | "));
    outln!("|---|{}", "---|".repeat(names.len()));
    for g in &groups {
        let cells: Vec<String> = names
            .iter()
            .map(|n| {
                let c = counts.get(n).and_then(|m| m.get(g));
                SHOWN
                    .iter()
                    .map(|v| c.and_then(|c| c.get(v)).copied().unwrap_or(0).to_string())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect();
        outln!("| {g} | {} |", cells.join(" | "));
    }
    outln!("\nCells: pass/fail/warn/unsupported cases (a case counts in every group it covers).\n");
    if !fails.is_empty() {
        // One row per server, scenario and requirement; the modes together.
        type Key = (String, String, String, String);
        let mut grouped: BTreeMap<Key, (Vec<String>, String)> = BTreeMap::new();
        for (server, id, rfc, required, received) in fails {
            let (scenario, mode) = match id.split_once('[') {
                Some((s, m)) => (s.to_owned(), m.trim_end_matches(']').to_owned()),
                None => (id.clone(), String::new()),
            };
            let e = grouped
                .entry((server, scenario, rfc, required))
                .or_insert_with(|| (Vec::new(), received));
            if !mode.is_empty() {
                e.0.push(mode);
            }
        }
        outln!("| server | case | requirement | received |\n|---|---|---|---|");
        let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        for ((server, scenario, rfc, required), (modes, received)) in grouped {
            let modes = if modes.is_empty() {
                String::new()
            } else {
                format!(" [{}]", modes.join(", "))
            };
            outln!(
                "| {server} | `{}`{modes} | {} {} | {} |",
                esc(&scenario),
                esc(&rfc),
                esc(&required),
                esc(&received)
            );
        }
    }
    ExitCode::SUCCESS
}
