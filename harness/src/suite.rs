//! Running a suite from Rust: the API a server project uses in its own
//! tests.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use ftpspec_harness::suite::Suite;
//!
//! let report = Suite::load("scenarios")?
//!     .only("basic.*")?
//!     .jobs(4)
//!     .run_url("ftp://user:secret@127.0.0.1:2121/")
//!     .await?;
//! assert_eq!(report.summary.fail, 0, "{:#?}", report.failures().collect::<Vec<_>>());
//! // With insta: insta::assert_yaml_snapshot!(report.stable());
//! # Ok(()) }
//! ```
//!
//! [`Suite::run`] gives a [`Report`], the same value `--report json`
//! writes; [`Report::stable`] strips what changes between two runs of an
//! unchanged server, so it can be kept as a snapshot.

use crate::driver::Limits;
use crate::runner::{self, CaseResult, Filter, Report, RunConfig, RunError, Selector};
use crate::scenario::{self, Scenario, ScenarioError};
use crate::target::{Target, TargetError};
use crate::verdict::Verdict;
use std::path::Path;
use std::time::Duration;

/// Why a suite could not be set up or run.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// Scenario files with errors (each with file and line).
    #[error("{} scenario file error(s), the first: {}", .0.len(), .0[0])]
    Scenarios(Vec<ScenarioError>),
    /// A `--only` style glob that does not compile.
    #[error("bad case selector {glob:?}: {why}")]
    Selector {
        /// The glob.
        glob: String,
        /// Why.
        why: String,
    },
    /// A bad `ftp://` URL.
    #[error("bad target URL: {0}")]
    Target(#[from] TargetError),
    /// The target could not be reached or logged in to.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// A set of scenarios and how to run them.
#[derive(Clone, Debug)]
pub struct Suite {
    scenarios: Vec<Scenario>,
    filter: Filter,
    jobs: usize,
    limits: Limits,
    case_timeout: Duration,
}

impl Suite {
    /// Every `*.ftpspec` file under `dir` (ftpspec's own suite is its
    /// `scenarios/` directory).
    pub fn load(dir: impl AsRef<Path>) -> Result<Suite, SuiteError> {
        let scenarios = scenario::load_dir(dir.as_ref()).map_err(SuiteError::Scenarios)?;
        Ok(Suite::from_scenarios(scenarios))
    }

    /// Scenarios already parsed (with [`scenario::parse`]).
    pub fn from_scenarios(scenarios: Vec<Scenario>) -> Suite {
        Suite {
            scenarios,
            filter: Filter::default(),
            jobs: 4,
            limits: Limits::default(),
            case_timeout: Duration::from_secs(60),
        }
    }

    /// Keep only cases whose id matches `glob` (as `--only`; repeatable).
    pub fn only(mut self, glob: &str) -> Result<Suite, SuiteError> {
        let sel = Selector::new(glob).map_err(|e| SuiteError::Selector {
            glob: glob.into(),
            why: e.to_string(),
        })?;
        self.filter.only.push(sel);
        Ok(self)
    }

    /// Keep only scenarios with this tag (as `--tag`; repeatable).
    pub fn tag(mut self, tag: &str) -> Suite {
        self.filter.tags.push(tag.into());
        self
    }

    /// Cases at once (default 4).
    pub fn jobs(mut self, jobs: usize) -> Suite {
        self.jobs = jobs.max(1);
        self
    }

    /// Longest wait for one reply, connection or transfer step (default 5 s).
    pub fn step_timeout(mut self, t: Duration) -> Suite {
        self.limits.step_timeout = t;
        self
    }

    /// Longest one case may take (default 60 s).
    pub fn case_timeout(mut self, t: Duration) -> Suite {
        self.case_timeout = t;
        self
    }

    /// The scenarios loaded.
    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// Run against `target`.
    pub async fn run(&self, target: Target) -> Result<Report, SuiteError> {
        let config = RunConfig {
            target,
            jobs: self.jobs,
            limits: self.limits,
            case_timeout: self.case_timeout,
            filter: self.filter.clone(),
        };
        Ok(runner::run(self.scenarios.clone(), config, |_| {}).await?)
    }

    /// Run against `ftp://[user[:pass]@]host[:port]/`.
    pub async fn run_url(&self, url: &str) -> Result<Report, SuiteError> {
        self.run(Target::parse(url)?).await
    }
}

impl Report {
    /// Cases that failed or errored.
    pub fn failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::Fail | Verdict::Error))
    }

    /// The case with this id.
    pub fn case(&self, id: &str) -> Option<&CaseResult> {
        self.cases.iter().find(|c| c.id == id)
    }

    /// This report without what varies between two runs of an unchanged
    /// server (timings, the target's port, the ftpspec version and suite
    /// digest, where the scenarios were checked out, raw transcripts), for
    /// snapshot tests. Transcripts are left out because they carry ports;
    /// keep them with [`crate::snapshot`] instead.
    pub fn stable(&self) -> Report {
        let mut r = self.clone();
        r.ftpspec = String::new();
        r.suite = String::new();
        r.target = "<target>".into();
        r.duration_ms = 0;
        for c in &mut r.cases {
            // The checkout's location varies; `dir/file.ftpspec` names it.
            let parts: Vec<&str> = c.scenario.rsplit(['/', '\\']).take(2).collect();
            c.scenario = parts.into_iter().rev().collect::<Vec<_>>().join("/");
            c.duration_ms = 0;
            c.transcript.clear();
            for f in &mut c.findings {
                f.received = crate::snapshot::redact(&f.received);
            }
            c.message = crate::snapshot::redact(&c.message);
        }
        r
    }
}
