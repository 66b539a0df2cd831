//! The runner: probes the target, expands scenarios into cases (one per
//! data mode and address family), runs them with bounded parallelism, and
//! emits [`Event`]s that reporters consume.
//!
//! | file | holds |
//! |------|-------|
//! | `plan.rs` | [`Case`] expansion, filters and pre-run verdicts |
//! | `capabilities.rs` | the capabilities probe: FEAT, SYST, HELP and a write test before the cases |
//! | `tls_probe.rs` | the probe's TLS part: the session, and which data protection levels the server allows |
//! | `case/` | running one case, with the built-in oracles |
//! | `session.rs` | a session ready for the harness's own work (cleanup, the fuzzer) |
//! | `cleanup.rs` | removing a case's scratch directory over the protocol |

mod capabilities;
mod case;
mod cleanup;
mod plan;
pub(crate) mod session;
mod tls_probe;

pub use crate::events::{Capabilities, CaseResult, Event, RefOut, Report, Summary};
pub use plan::{Case, Filter, Selector, plan};

use crate::driver::{Entry, Limits, TlsClient};
use crate::scenario::Scenario;
use crate::target::Target;
use crate::verdict::Verdict;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};

/// How a run is configured.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The server.
    pub target: Target,
    /// Cases at once.
    pub jobs: usize,
    /// Per-step and per-transfer bounds.
    pub limits: Limits,
    /// Longest a case may take in all.
    pub case_timeout: Duration,
    /// Which cases to run.
    pub filter: Filter,
}

/// Why a run could not happen at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Nothing answers at the target: the connection is refused, or the
    /// server never greets.
    #[error("target unreachable: {0}")]
    Unreachable(String),
    /// The server refused the login the target names.
    #[error("login refused: {0}")]
    Login(String),
    /// TLS cannot be used as the target asks: a `--tls-ca` that cannot be
    /// read, a certificate that does not verify, a port that does not
    /// speak TLS.
    #[error("TLS: {0}")]
    Tls(String),
    /// The directory the target URL names cannot be entered.
    #[error("the URL's directory {path} cannot be entered: {reply}")]
    Path {
        /// The directory.
        path: String,
        /// What CWD got.
        reply: String,
    },
}

fn refs_out(sc: &Scenario) -> Vec<RefOut> {
    sc.refs
        .iter()
        .map(|r| RefOut {
            rfc: r.rfc,
            section: r.section.clone(),
            level: r.level.as_str().to_owned(),
            quote: r.quote.clone(),
        })
        .collect()
}

fn result_for(case: &Case, verdict: Verdict, message: String) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        scenario: case.scenario.path.clone(),
        title: case.scenario.title.clone(),
        mode: case.mode.map(|m| m.to_string()),
        verdict,
        refs: refs_out(&case.scenario),
        covers: case.scenario.covers.clone(),
        message,
        findings: Vec::new(),
        transcript: Vec::new(),
        notes: Vec::new(),
        duration_ms: 0,
    }
}

/// A short run id, unique enough for scratch directory names.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{:x}{:x}", std::process::id() & 0xffff, nanos & 0xfffff)
}

/// Run `scenarios` against the configured target, calling `on_event` as
/// things happen. Fails only if the target cannot be reached at all.
pub async fn run(
    scenarios: Vec<Scenario>,
    config: RunConfig,
    mut on_event: impl FnMut(&Event),
) -> Result<Report, RunError> {
    let started = Instant::now();
    let suite = crate::builtin::digest(&scenarios);
    let run = run_id();
    let tls = TlsClient::for_target(&config.target).map_err(|e| RunError::Tls(e.to_string()))?;
    let probe = capabilities::probe(&config.target, tls.as_ref(), &config.limits, &run).await?;
    on_event(&Event::Probed(Box::new(probe.clone())));
    let cases = plan(&scenarios, &config.target, &probe, &config.filter);
    on_event(&Event::Started { total: cases.len() });

    let config = Arc::new(config);
    let tls = Arc::new(tls);
    // Set once the server stops accepting connections: the cases not yet
    // begun are not tried (each would only be refused), and the report
    // says when it happened.
    let down: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let semaphore = Arc::new(Semaphore::new(config.jobs.max(1)));
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, CaseResult)>();
    // Cases start in dispatch order (the permit is taken before the case's
    // task is spawned), so "the cases after the one that brought the
    // server down" means what it says; the dispatcher runs beside the loop
    // below, which reports each case as it finishes.
    let dispatch = {
        let (cases, config, tx, down) = (cases.clone(), config.clone(), tx.clone(), down.clone());
        let jobs = config.jobs.max(1) as u32;
        async move {
            let mut writing = false;
            for index in dispatch_order(&cases) {
                let case = cases[index].clone();
                if case.pre_verdict.is_none() && case.scenario.needs_write() && !writing {
                    // The barrier: every read-only case has ended.
                    writing = true;
                    drop(semaphore.clone().acquire_many_owned(jobs).await);
                }
                let permit = match case.pre_verdict {
                    Some(_) => None,
                    None => semaphore.clone().acquire_owned().await.ok(),
                };
                let (config, tx, run, tls, down) = (
                    config.clone(),
                    tx.clone(),
                    run.clone(),
                    tls.clone(),
                    down.clone(),
                );
                tokio::spawn(async move {
                    let result = match case.pre_verdict.clone() {
                        Some(known) => {
                            let mut r = result_for(&case, known.verdict, known.why);
                            r.findings = known.findings;
                            r
                        }
                        None => {
                            let _permit = permit;
                            let gone = down.lock().unwrap_or_else(|p| p.into_inner()).clone();
                            match gone {
                                Some(why) => {
                                    result_for(&case, Verdict::Error, format!("not run: {why}"))
                                }
                                None => {
                                    let dir = format!("ftpspec-{run}-{index}");
                                    let r =
                                        run_one(&case, &config, tls.as_ref().as_ref(), &dir).await;
                                    if r.verdict == Verdict::Error
                                        && r.message.starts_with("cannot connect")
                                    {
                                        went_down(&case, &config, &down).await;
                                    }
                                    r
                                }
                            }
                        }
                    };
                    let _ = tx.send((index, result));
                });
            }
        }
    };
    tokio::spawn(dispatch);
    drop(tx);
    let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
    let mut summary = Summary::default();
    while let Some((index, result)) = rx.recv().await {
        summary.add(result.verdict);
        on_event(&Event::CaseFinished {
            index,
            result: Box::new(result.clone()),
        });
        results[index] = Some(result);
    }
    let cases: Vec<CaseResult> = results.into_iter().flatten().collect();
    Ok(Report {
        schema: crate::events::SCHEMA_VERSION,
        ftpspec: env!("CARGO_PKG_VERSION").to_owned(),
        target: config.target.name.clone(),
        probe,
        summary,
        duration_ms: started.elapsed().as_millis() as u64,
        suite,
        baseline: None,
        notes: down
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect(),
        cases,
    })
}

/// The order cases start in: every case that does not write first, and
/// only once they have all ended (a barrier in [`run`]) the ones that do.
/// The read-only cases list the login directory, where each writing case
/// makes its scratch directory and removes it. Run side by side, a LIST
/// there could meet an entry removed between the server's reading of the
/// directory and its look at the entry: libunftp then answered 550 to
/// `transfer.list-cwd` in about one run in three, a verdict that flipped
/// from run to run for a race of the harness's own making.
fn dispatch_order(cases: &[Case]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&i| cases[i].scenario.needs_write());
    order
}

/// A case could not connect: if a second try is refused too, the server
/// has stopped accepting connections (it crashed, most likely, during one
/// of the cases running just before): say so once, for the report and for
/// the cases not yet begun.
async fn went_down(case: &Case, config: &RunConfig, down: &std::sync::Mutex<Option<String>>) {
    tokio::time::sleep(Duration::from_millis(200)).await;
    if crate::driver::Control::connect(case.addr, config.limits)
        .await
        .is_ok()
    {
        return;
    }
    let mut d = down.lock().unwrap_or_else(|p| p.into_inner());
    if d.is_none() {
        *d = Some(format!(
            "the server stopped accepting connections during the run (first refused at {}; a case running just before may have crashed it: rerun the cases in progress then one by one)",
            case.id
        ));
    }
}

async fn run_one(
    case: &Case,
    config: &RunConfig,
    tls: Option<&TlsClient>,
    dir_name: &str,
) -> CaseResult {
    let start = Instant::now();
    let dir = case
        .scenario
        .needs_write()
        .then(|| config.target.scratch_dir(dir_name));
    let spec = case::CaseSpec {
        scenario: &case.scenario,
        mode: case.mode,
        addr: case.addr,
        target: &config.target,
        tls,
        limits: config.limits,
        dir: dir.clone(),
    };
    let mut result = match tokio::time::timeout(config.case_timeout, case::run_case(&spec)).await {
        Ok(outcome) => {
            let mut r = result_for(case, outcome.verdict, outcome.message);
            r.findings = outcome.findings;
            r.transcript = outcome.transcript.into_entries();
            r.notes = outcome.notes;
            r
        }
        Err(_) => result_for(
            case,
            Verdict::Error,
            format!("the case took longer than {:?}", config.case_timeout),
        ),
    };
    if let Some(dir) = dir {
        if let Err(why) =
            cleanup::remove_dir(case.addr, &config.target, tls, &config.limits, &dir).await
        {
            result.transcript.push(Entry {
                ms: start.elapsed().as_millis() as u64,
                dir: crate::driver::Direction::Note,
                text: format!("cleanup: could not remove {dir}: {why}"),
            });
        }
    }
    result.duration_ms = start.elapsed().as_millis() as u64;
    result.redact(&config.target.redactor());
    result
}
