//! The runner: probes the target, expands scenarios into cases (one per
//! data mode and address family), runs them with bounded parallelism, and
//! emits [`Event`]s that reporters consume.
//!
//! | file | holds |
//! |------|-------|
//! | `plan.rs` | [`Case`] expansion, filters and pre-run verdicts |
//! | `probe.rs` | [`Probe`]: FEAT, SYST, HELP and a write test before the cases |
//! | `case.rs` | running one case, with the built-in oracles |
//! | `cleanup.rs` | removing a case's scratch directory over the protocol |

mod case;
mod cleanup;
mod plan;
mod probe;

pub use plan::{Case, Filter, Selector, plan};
pub use probe::Probe;

use crate::driver::{Entry, Limits};
use crate::scenario::Scenario;
use crate::target::Target;
use crate::verdict::{Finding, Verdict};
use serde::{Deserialize, Serialize};
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

/// A requirement as reported.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RefOut {
    /// RFC number.
    pub rfc: u16,
    /// Section.
    pub section: String,
    /// MUST, SHOULD or MAY.
    pub level: String,
    /// Quoted text.
    pub quote: String,
}

/// The result of one case.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseResult {
    /// `scenario-id` or `scenario-id[mode]`.
    pub id: String,
    /// The scenario file.
    pub scenario: String,
    /// Title of the scenario.
    pub title: String,
    /// Data mode and family, e.g. `epsv-ipv6`, for data-bearing cases.
    pub mode: Option<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// What the scenario checks.
    pub refs: Vec<RefOut>,
    /// Catalogue rows the scenario covers.
    pub covers: Vec<String>,
    /// One line on why (empty for a clean pass).
    pub message: String,
    /// Every non-pass observation.
    pub findings: Vec<Finding>,
    /// Both directions of the control connection, data summarised.
    pub transcript: Vec<Entry>,
    /// Wall time.
    pub duration_ms: u64,
}

/// Counts per verdict.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Summary {
    /// Passed.
    pub pass: usize,
    /// Failed a MUST.
    pub fail: usize,
    /// Deviated from a SHOULD.
    pub warn: usize,
    /// Optional feature missing.
    pub unsupported: usize,
    /// Not run.
    pub skip: usize,
    /// Harness-side trouble.
    pub error: usize,
}

impl Summary {
    /// Count one verdict.
    pub fn add(&mut self, v: Verdict) {
        *match v {
            Verdict::Pass => &mut self.pass,
            Verdict::Fail => &mut self.fail,
            Verdict::Warn => &mut self.warn,
            Verdict::Unsupported => &mut self.unsupported,
            Verdict::Skip => &mut self.skip,
            Verdict::Error => &mut self.error,
        } += 1;
    }

    /// Count of one verdict.
    pub fn get(&self, v: Verdict) -> usize {
        match v {
            Verdict::Pass => self.pass,
            Verdict::Fail => self.fail,
            Verdict::Warn => self.warn,
            Verdict::Unsupported => self.unsupported,
            Verdict::Skip => self.skip,
            Verdict::Error => self.error,
        }
    }

    /// All cases.
    pub fn total(&self) -> usize {
        Verdict::ALL.iter().map(|v| self.get(*v)).sum()
    }
}

/// A whole run, ready to serialise (the JSON report is this value).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    /// JSON schema version; bumped on incompatible changes.
    pub schema: u32,
    /// ftpspec version.
    pub ftpspec: String,
    /// The target, password hidden.
    pub target: String,
    /// What the capability probe found.
    pub probe: Probe,
    /// Counts.
    pub summary: Summary,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// Every case, in plan order.
    pub cases: Vec<CaseResult>,
}

/// What happens during a run, in order, for reporters.
#[derive(Clone, Debug)]
pub enum Event {
    /// The probe finished.
    Probed(Probe),
    /// Cases are about to run.
    Started {
        /// How many.
        total: usize,
    },
    /// A case finished.
    CaseFinished {
        /// Its position in the plan.
        index: usize,
        /// Its result.
        result: Box<CaseResult>,
    },
}

/// Why a run could not happen at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The probe could not reach or log in to the target.
    #[error("target unreachable: {0}")]
    Unreachable(String),
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
    let run = run_id();
    let probe = Probe::run(&config.target, &config.limits, &run).await?;
    on_event(&Event::Probed(probe.clone()));
    let cases = plan(&scenarios, &config.target, &probe, &config.filter);
    on_event(&Event::Started { total: cases.len() });

    let config = Arc::new(config);
    let semaphore = Arc::new(Semaphore::new(config.jobs.max(1)));
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, CaseResult)>();
    for (index, case) in cases.iter().cloned().enumerate() {
        let (config, semaphore, tx, run) =
            (config.clone(), semaphore.clone(), tx.clone(), run.clone());
        tokio::spawn(async move {
            let result = match case.pre_verdict.clone() {
                Some((v, why)) => result_for(&case, v, why),
                None => {
                    let _permit = semaphore.acquire().await;
                    run_one(&case, &config, &format!("ftpspec-{run}-{index}")).await
                }
            };
            let _ = tx.send((index, result));
        });
    }
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
        schema: crate::report::json::SCHEMA_VERSION,
        ftpspec: env!("CARGO_PKG_VERSION").to_owned(),
        target: config.target.name.clone(),
        probe,
        summary,
        duration_ms: started.elapsed().as_millis() as u64,
        cases,
    })
}

async fn run_one(case: &Case, config: &RunConfig, dir_name: &str) -> CaseResult {
    let start = Instant::now();
    let dir = case.scenario.needs_write().then(|| dir_name.to_owned());
    let spec = case::CaseSpec {
        scenario: &case.scenario,
        mode: case.mode,
        addr: case.addr,
        target: &config.target,
        limits: config.limits,
        dir: dir.clone(),
    };
    let mut result = match tokio::time::timeout(config.case_timeout, case::run_case(&spec)).await {
        Ok(outcome) => {
            let mut r = result_for(case, outcome.verdict, outcome.message);
            r.findings = outcome.findings;
            r.transcript = outcome.transcript.into_entries();
            r
        }
        Err(_) => result_for(
            case,
            Verdict::Error,
            format!("the case took longer than {:?}", config.case_timeout),
        ),
    };
    if let Some(dir) = dir {
        if let Err(why) = cleanup::remove_dir(case.addr, &config.target, &config.limits, &dir).await
        {
            result.transcript.push(Entry {
                ms: start.elapsed().as_millis() as u64,
                dir: crate::driver::Direction::Note,
                text: format!("cleanup: could not remove {dir}: {why}"),
            });
        }
    }
    result.duration_ms = start.elapsed().as_millis() as u64;
    result
}
