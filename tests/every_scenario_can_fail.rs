//! Every scenario can fail: for each one, `tests/can-fail.tsv` names a
//! scripted-server fault that breaks one rule, and against that fault the
//! scenario must end in `fail` or `warn` (never `error`, `skip` or
//! `unsupported`, which would hide the broken rule). The scenarios that run
//! before login are included.
//!
//! A scenario no scripted server can break says so (`none` and the
//! reason) and is printed on every run. A scenario missing from the table
//! fails the test. To find a fault for
//! it, run with `FTPSPEC_FIND_FAULTS=1`: the test then tries, for each
//! scenario not listed, a changed reply to each command it sends (`Answer`)
//! and then every fixed fault, and prints the table lines that work.
//!
//! ```text
//! # scenario<TAB>fault                 a fault of support::scripted_server
//! basic.greeting<TAB>BadGreeting
//! # or: scenario<TAB>Answer<TAB>line prefix<TAB>reply line sent instead
//! basic.noop<TAB>Answer<TAB>NOOP<TAB>350 Pending
//! # or: scenario<TAB>none<TAB>why no scripted server can break its rule
//! ```

mod support;

use ftpspec_harness::scenario::{Family, Scenario, StepKind};
use ftpspec_harness::verdict::Verdict;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use support::scripted_server::{Fault, ScriptedServer};
use support::suite::{scenario_of, suite, try_run_scenarios};

const TABLE: &str = "tests/can-fail.tsv";

/// Faults that must change no verdict, and so cannot show a check failing.
const NEUTRAL: [Fault; 4] = [
    Fault::None,
    Fault::CodeHyphenLines,
    Fault::ListingReversed,
    Fault::LateTransferReply,
];

fn fault_by_name(name: &str) -> Option<Fault> {
    Fault::ALL.into_iter().find(|f| format!("{f:?}") == name)
}

/// A table entry: the fault, or why none can be scripted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Entry {
    Fault(Fault),
    None(&'static str),
}

/// `scenario → entry` from the table; panics naming the line of a bad one.
fn read_table() -> BTreeMap<String, Entry> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(TABLE);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let entry = match f.as_slice() {
            [_, "Answer", prefix, reply] => Entry::Fault(Fault::Answer(leak(prefix), leak(reply))),
            [_, "none", why] if why.len() > 20 => Entry::None(leak(why)),
            [_, name] => Entry::Fault(
                fault_by_name(name)
                    .unwrap_or_else(|| panic!("{TABLE}:{}: no fault {name:?}", n + 1)),
            ),
            _ => panic!("{TABLE}:{}: want scenario<TAB>fault: {line:?}", n + 1),
        };
        assert!(
            !matches!(entry, Entry::Fault(f) if NEUTRAL.contains(&f)),
            "{TABLE}:{}: {entry:?} changes no verdict",
            n + 1
        );
        assert!(
            out.insert(f[0].to_owned(), entry).is_none(),
            "{TABLE}:{}: {} listed twice",
            n + 1,
            f[0]
        );
    }
    out
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn table_line(id: &str, fault: Fault) -> String {
    match fault {
        Fault::Answer(prefix, reply) => format!("{id}\tAnswer\t{prefix}\t{reply}"),
        f => format!("{id}\t{f:?}"),
    }
}

/// FTP over TLS scenarios run against the server started with TLS.
fn needs_tls(id: &str) -> bool {
    id.starts_with("rfc4217.")
}

/// Where a scenario runs: over TLS or not, on `::1` or `127.0.0.1`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Place {
    tls: bool,
    ipv6: bool,
}

fn place(s: &Scenario) -> Place {
    Place {
        tls: needs_tls(&s.id),
        ipv6: s.family == Some(Family::V6),
    }
}

/// A server for `place`.
async fn start(fault: Fault, place: Place) -> ScriptedServer {
    if place.tls || fault.is_tls() {
        ScriptedServer::start_tls(fault).await
    } else if place.ipv6 {
        ScriptedServer::start_ipv6(fault).await
    } else {
        ScriptedServer::start(fault).await
    }
}

/// Scenario id → the verdicts of its cases, for the scenarios in `ids`
/// run against `fault`.
async fn verdicts(
    fault: Fault,
    ids: &[String],
    all: &[Scenario],
) -> BTreeMap<String, Vec<Verdict>> {
    let mut out: BTreeMap<String, Vec<Verdict>> = BTreeMap::new();
    let mut places: Vec<(Place, Vec<&str>)> = Vec::new();
    for s in all.iter().filter(|s| ids.contains(&s.id)) {
        let p = place(s);
        match places.iter_mut().find(|(q, _)| *q == p) {
            Some((_, v)) => v.push(&s.id),
            None => places.push((p, vec![&s.id])),
        }
    }
    for (p, these) in places {
        let server = start(fault, p).await;
        // A run that cannot start (its login broken) shows no verdict.
        let Ok(report) = try_run_scenarios(&server, all.to_vec(), &these).await else {
            continue;
        };
        for c in report.cases {
            out.entry(scenario_of(&c.id).to_owned())
                .or_default()
                .push(c.verdict);
        }
    }
    out
}

fn shows_failure(v: &[Verdict]) -> bool {
    v.iter().any(|v| matches!(v, Verdict::Fail | Verdict::Warn))
}

#[cfg_attr(
    ftpspec_no_ipv6,
    ignore = "::1 cannot be bound here: the IPv6-only scenarios need it (build.rs)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_fails_against_its_fault() {
    let all = suite();
    let table = read_table();
    let ids: BTreeSet<String> = all.iter().map(|s| s.id.clone()).collect();
    let stale: Vec<&String> = table.keys().filter(|id| !ids.contains(*id)).collect();
    assert!(
        stale.is_empty(),
        "{TABLE} lists scenarios that are gone: {stale:?}"
    );
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !table.contains_key(*id))
        .cloned()
        .collect();
    if std::env::var("FTPSPEC_FIND_FAULTS").is_ok_and(|v| v == "1") && !missing.is_empty() {
        find_faults(&missing, &all).await;
    }
    assert!(
        missing.is_empty(),
        "no fault in {TABLE} shows these scenarios failing (FTPSPEC_FIND_FAULTS=1 suggests lines): {missing:#?}"
    );

    // One server per fault, running every scenario that fault is listed for.
    let mut by_fault: Vec<(Fault, Vec<String>)> = Vec::new();
    for (id, entry) in &table {
        let fault = match entry {
            Entry::Fault(f) => f,
            Entry::None(why) => {
                println!("{id}: not shown to fail here: {why}");
                continue;
            }
        };
        match by_fault.iter_mut().find(|(f, _)| f == fault) {
            Some((_, v)) => v.push(id.clone()),
            None => by_fault.push((*fault, vec![id.clone()])),
        }
    }
    let mut held = Vec::new();
    for (fault, these) in &by_fault {
        let got = verdicts(*fault, these, &all).await;
        for id in these {
            match got.get(id) {
                Some(v) if shows_failure(v) => {}
                Some(v) => held.push(format!("{id}: {v:?} against {fault:?}")),
                None => held.push(format!("{id}: no case ran against {fault:?}")),
            }
        }
    }
    assert!(
        held.is_empty(),
        "scenarios that did not fail or warn against their fault: {held:#?}"
    );
}

/// The commands a scenario sends (the verbs of its `send` steps).
fn verbs(s: &Scenario) -> BTreeSet<String> {
    s.steps
        .iter()
        .filter_map(|st| match &st.kind {
            StepKind::Send(text) => text.split(' ').next().map(str::to_owned),
            _ => None,
        })
        .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphabetic()))
        .map(|v| v.to_ascii_uppercase())
        .collect()
}

/// Commands nearly every scenario sends: a changed reply to one of these
/// shows the scenario can fail, but not that its own check can, so they
/// are tried last.
const COMMON: [&str; 12] = [
    "USER", "PASS", "NOOP", "CWD", "CDUP", "MKD", "RMD", "DELE", "TYPE", "FEAT", "QUIT", "PWD",
];

/// In which round a changed reply to `verb` is tried for scenario `s`:
/// 0 for the command the scenario is named after, 1 for another
/// uncommon one, 2 for a common one.
fn round(s: &Scenario, verb: &str) -> usize {
    let name = s.id.split('.').nth(1).unwrap_or("").to_ascii_uppercase();
    if name.split('-').any(|w| w == verb) {
        0
    } else if COMMON.contains(&verb) {
        2
    } else {
        1
    }
}

/// Prints a table line for each scenario of `missing` that some fault
/// shows failing, and the ones none does: first a changed reply to the
/// command the scenario is named after, then to its other commands, then
/// every fixed fault.
async fn find_faults(missing: &[String], all: &[Scenario]) {
    const REPLIES: [&str; 3] = ["200 OK", "350 Pending", "500 Syntax error"];
    let mut open: BTreeSet<String> = missing.iter().cloned().collect();
    let mut found: Vec<String> = Vec::new();
    for r in 0..3 {
        // verb -> the open scenarios for which it is of this round.
        let mut by_verb: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in all.iter().filter(|s| open.contains(&s.id)) {
            for v in verbs(s).into_iter().filter(|v| round(s, v) == r) {
                by_verb.entry(v).or_default().push(s.id.clone());
            }
        }
        for reply in REPLIES {
            for (verb, ids) in &by_verb {
                let ids: Vec<String> = ids
                    .iter()
                    .filter(|id| open.contains(*id))
                    .cloned()
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                let fault = Fault::Answer(leak(verb), reply);
                for (id, v) in verdicts(fault, &ids, all).await {
                    if shows_failure(&v) && open.remove(&id) {
                        let line = table_line(&id, fault);
                        eprintln!("FOUND {line}");
                        found.push(line);
                    }
                }
            }
        }
    }
    for fault in Fault::ALL.into_iter().filter(|f| !NEUTRAL.contains(f)) {
        let ids: Vec<String> = open.iter().cloned().collect();
        if ids.is_empty() {
            break;
        }
        for (id, v) in verdicts(fault, &ids, all).await {
            if shows_failure(&v) && open.remove(&id) {
                let line = table_line(&id, fault);
                eprintln!("FOUND {line}");
                found.push(line);
            }
        }
    }
    found.sort();
    println!("# add to {TABLE}:\n{}", found.join("\n"));
    println!("# no fault found for: {open:?}");
}
