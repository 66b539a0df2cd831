//! Live-fuzzer runs for tests: seeded, one job, bounded.
#![allow(dead_code)] // each test binary uses part of the support code

use ftpspec_harness::fuzzer::FuzzConfig;
use ftpspec_harness::target::Target;
use std::time::Duration;

/// A run against `target` that replays (seed 1, one job), stops after
/// `sessions` or a minute, and waits a second for a reply.
pub fn seeded(target: Target, sessions: u64) -> FuzzConfig {
    let mut cfg = FuzzConfig::new(target);
    cfg.seed = 1;
    cfg.jobs = 1;
    cfg.sessions = Some(sessions);
    cfg.duration = Some(Duration::from_secs(60));
    cfg.limits.step_timeout = Duration::from_secs(1);
    cfg
}
