//! Running the suite (or a part of it) against a scripted server, with
//! short timeouts: shared by the fault-injection tests.

#![allow(dead_code)]

use super::scripted_server::ScriptedServer;
use ftpspec_harness::driver::Limits;
use ftpspec_harness::runner::{self, CaseResult, Filter, Report, RunConfig};
use ftpspec_harness::scenario::{Scenario, load_dir};
use ftpspec_harness::target::{Target, Trust};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The checked-in suite, `scenarios/`.
pub fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// The checked-in suite, loaded.
pub fn suite() -> Vec<Scenario> {
    load_dir(&suite_dir()).expect("the suite loads")
}

/// Run the scenarios of `suite` whose ids match `only` (every one if
/// empty) against `server`, trusting its certificate if it has TLS: four
/// cases at a time, a 1.5 s step timeout, 20 s per case.
pub async fn run_scenarios(server: &ScriptedServer, suite: Vec<Scenario>, only: &[&str]) -> Report {
    try_run_scenarios(server, suite, only)
        .await
        .expect("the run starts")
}

/// [`run_scenarios`], with the error of a run that cannot start (its
/// login refused, say).
pub async fn try_run_scenarios(
    server: &ScriptedServer,
    suite: Vec<Scenario>,
    only: &[&str],
) -> Result<Report, runner::RunError> {
    runner::run(suite, config(server, only), |_| {}).await
}

/// The configuration [`run_scenarios`] uses, for a test to change.
pub fn config(server: &ScriptedServer, only: &[&str]) -> RunConfig {
    let mut target = Target::parse(&server.url()).expect("the scripted server's URL parses");
    if let Some(tls) = &server.tls {
        target.trust = Trust {
            ca: Some(tls.ca.clone()),
            insecure: false,
        };
    }
    RunConfig {
        target,
        jobs: 4,
        limits: Limits {
            step_timeout: Duration::from_millis(1500),
            ..Limits::default()
        },
        case_timeout: Duration::from_secs(20),
        filter: Filter {
            only: only
                .iter()
                .map(|g| runner::Selector::new(g).expect("a valid selector"))
                .collect(),
            tags: Vec::new(),
        },
    }
}

/// The whole checked-in suite against a server that breaks no rule, with
/// a 10 s step timeout. Such a server never lets a reply wait, so here
/// the timeout measures only the machine: 16 MB through a debug build's
/// TLS, four cases at a time, beside the other tests of the binary.
/// (The CI failure of `rfc959.quit-during-transfer[*-tls]` first put down
/// to that was a 226 the scripted server left unflushed in its TLS
/// session, fixed in 18e9cbd; no timeout would have helped there.)
pub async fn run_conformant(server: &ScriptedServer) -> Report {
    let mut cfg = config(server, &[]);
    cfg.limits.step_timeout = Duration::from_secs(10);
    runner::run(suite(), cfg, |_| {})
        .await
        .expect("the run starts")
}

/// [`run_scenarios`] over the suite in directory `dir`.
pub async fn run_dir(server: &ScriptedServer, dir: &Path, only: &[&str]) -> Report {
    run_scenarios(server, load_dir(dir).expect("the suite loads"), only).await
}

/// The case `id` of a report; panics naming the ids there are.
pub fn case<'a>(r: &'a Report, id: &str) -> &'a CaseResult {
    r.cases.iter().find(|c| c.id == id).unwrap_or_else(|| {
        panic!(
            "no case {id} in {:?}",
            r.cases.iter().map(|c| &c.id).collect::<Vec<_>>()
        )
    })
}

/// The scenario a case id belongs to (`transfer.x[pasv-ipv4]` → `transfer.x`).
pub fn scenario_of(case_id: &str) -> &str {
    case_id.split('[').next().unwrap_or(case_id)
}
