//! `ftpspec matrix`: servers × requirement groups from JSON reports, and
//! every failure with the RFC sentence it violates (for the README).

use clap::Args;
use ftpspec_harness::catalogue;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct MatrixArgs {
    /// Reports as NAME=PATH (from `ftpspec run --report json=PATH`), one per server.
    #[arg(required = true, value_name = "NAME=REPORT.json")]
    reports: Vec<String>,
    /// The requirement catalogue, for grouping cases by their covers: rows.
    #[arg(
        long,
        default_value = "scenarios/requirements.tsv",
        value_name = "FILE"
    )]
    catalogue: PathBuf,
    /// Also write a self-contained HTML page with the servers side by side,
    /// every case a row and every cell a link to its details.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// Write the side-by-side HTML page for `reports` (NAME=PATH).
fn write_html(reports: &[String], out: &PathBuf) -> Result<(), String> {
    let mut runs = Vec::new();
    for spec in reports {
        let (name, path) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?}: write NAME=PATH"))?;
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let report: ftpspec_harness::runner::Report = serde_json::from_str(&text)
            .map_err(|e| format!("{path}: not an ftpspec JSON report: {e}"))?;
        runs.push((name.to_owned(), report));
    }
    let runs: Vec<(&str, &ftpspec_harness::runner::Report)> =
        runs.iter().map(|(n, r)| (n.as_str(), r)).collect();
    std::fs::write(out, ftpspec_harness::report::html::render(&runs))
        .map_err(|e| format!("{}: {e}", out.display()))
}

const SHOWN: [&str; 4] = ["pass", "fail", "warn", "unsupported"];

pub fn run(args: MatrixArgs) -> ExitCode {
    if let Some(out) = &args.html {
        if let Err(e) = write_html(&args.reports, out) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        eprintln!("wrote {}", out.display());
    }
    let rows = match std::fs::read_to_string(&args.catalogue)
        .map_err(|e| e.to_string())
        .and_then(|t| catalogue::parse(&t).map_err(|e| e.to_string()))
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}: {e}", args.catalogue.display());
            return ExitCode::from(2);
        }
    };
    let group_of: BTreeMap<&str, &str> = rows
        .iter()
        .map(|r| (r.id.as_str(), r.group.as_str()))
        .collect();
    // server -> group -> verdict -> count
    let mut counts: BTreeMap<String, BTreeMap<String, BTreeMap<String, usize>>> = BTreeMap::new();
    let mut groups = BTreeSet::new();
    let mut fails = Vec::new();
    let mut names = Vec::new();
    for spec in &args.reports {
        let Some((name, path)) = spec.split_once('=') else {
            eprintln!("error: {spec:?}: write NAME=PATH");
            return ExitCode::from(2);
        };
        let report: Value = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                eprintln!("error: {path}: {e}");
                return ExitCode::from(2);
            }
        };
        names.push(name.to_owned());
        let per = counts.entry(name.to_owned()).or_default();
        for case in report["cases"].as_array().into_iter().flatten() {
            let verdict = case["verdict"].as_str().unwrap_or("error").to_owned();
            let mut case_groups: BTreeSet<String> = case["covers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    c.as_str()
                        .and_then(|c| group_of.get(c))
                        .map(|g| g.to_string())
                })
                .collect();
            if case_groups.is_empty() {
                case_groups.insert("(uncatalogued)".into());
            }
            for g in case_groups {
                groups.insert(g.clone());
                *per.entry(g)
                    .or_default()
                    .entry(verdict.clone())
                    .or_default() += 1;
            }
            if verdict == "fail" {
                let finding = case["findings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|f| f["verdict"] == "fail");
                let (rfc, required, received) = match finding {
                    Some(f) => (
                        f["rfc"].as_str().unwrap_or("").to_owned(),
                        f["required"].as_str().unwrap_or("").to_owned(),
                        f["received"].as_str().unwrap_or("").to_owned(),
                    ),
                    None => (
                        String::new(),
                        String::new(),
                        case["message"].as_str().unwrap_or("").to_owned(),
                    ),
                };
                fails.push((
                    name.to_owned(),
                    case["id"].as_str().unwrap_or("").to_owned(),
                    rfc,
                    required,
                    received,
                ));
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
                    .map(|v| c.and_then(|c| c.get(*v)).copied().unwrap_or(0).to_string())
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
