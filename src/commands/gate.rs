//! After a run: the CI gates (`--baseline`, `--snapshots`) and what they print.

use clap::Args;
use ftpspec_harness::baseline::Baseline;
use ftpspec_harness::runner::Report;
use ftpspec_harness::snapshot;
use std::path::PathBuf;

#[derive(Args, Clone, Default)]
pub struct GateArgs {
    /// Known failures and warnings, one per line with a reason. With a
    /// baseline the run exits 0 unless a case is worse than it allows (a
    /// regression), and lists cases that got better ("fixed").
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write --baseline from this run (keeping reasons of unchanged entries
    /// and entries for cases not run), then gate as usual.
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
    /// Compare each case's normalised transcript with DIR/<case>.snap and
    /// show a diff for every change (ports, addresses, timestamps, banners
    /// and listing sizes are redacted). A change makes the run exit 1. A file
    /// whose first line is `# ftpspec: ignore` is skipped (for racy cases).
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// With --snapshots: write new and changed snapshots instead of failing.
    #[arg(long, requires = "snapshots")]
    pub accept: bool,
}

/// What the gates decided.
pub enum Outcome {
    /// The run passes.
    Pass,
    /// A regression, a changed snapshot, or (without a baseline) a failure.
    Fail,
    /// A gate could not be evaluated (unreadable file): usage error.
    Broken,
}

/// Apply the gates to `report`; print what they find on stderr.
pub fn apply(args: &GateArgs, report: &Report) -> Outcome {
    let mut failed = false;
    match &args.baseline {
        Some(path) => match baseline(args, path, report) {
            Some(ok) => failed |= !ok,
            None => return Outcome::Broken,
        },
        None => failed |= report.summary.fail + report.summary.error > 0,
    }
    if let Some(dir) = &args.snapshots {
        match snapshot::check(dir, report, args.accept) {
            Ok(check) => {
                for c in &check.changed {
                    eprintln!("\nsnapshot changed: {} ({})", c.id, c.path.display());
                    eprint!("{}", c.diff);
                }
                if !check.new.is_empty() && !args.accept {
                    eprintln!(
                        "{} case(s) have no snapshot yet; rerun with --accept to record them",
                        check.new.len()
                    );
                }
                eprintln!(
                    "snapshots: {} unchanged, {} changed, {} new{}{}",
                    check.unchanged,
                    check.changed.len(),
                    check.new.len(),
                    if check.ignored > 0 {
                        format!(", {} ignored", check.ignored)
                    } else {
                        String::new()
                    },
                    if args.accept {
                        format!(", {} written to {}", check.written, dir.display())
                    } else {
                        String::new()
                    }
                );
                failed |= !check.ok() && !args.accept;
            }
            Err(e) => {
                eprintln!("error: --snapshots {}: {e}", dir.display());
                return Outcome::Broken;
            }
        }
    }
    if failed { Outcome::Fail } else { Outcome::Pass }
}

/// Compare with (and maybe update) the baseline; `None` if it is unreadable.
fn baseline(args: &GateArgs, path: &PathBuf, report: &Report) -> Option<bool> {
    let old = match std::fs::read_to_string(path) {
        Ok(text) => match Baseline::parse(&text) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: --baseline {}: {e}", path.display());
                return None;
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && args.update_baseline => {
            Baseline::default()
        }
        Err(e) => {
            eprintln!("error: --baseline {}: {e}", path.display());
            return None;
        }
    };
    let current = if args.update_baseline {
        let new = old.updated(report);
        if let Err(e) = std::fs::write(path, new.to_string()) {
            eprintln!("error: writing --baseline {}: {e}", path.display());
            return None;
        }
        eprintln!(
            "baseline: wrote {} entries to {}",
            new.entries.len(),
            path.display()
        );
        new
    } else {
        old
    };
    let cmp = current.compare(report);
    for r in &cmp.regressions {
        eprintln!(
            "REGRESSION {}: {} -> {}{}",
            r.id,
            r.was,
            r.now,
            if r.message.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.message)
            }
        );
    }
    for f in &cmp.fixed {
        eprintln!(
            "fixed {}: {} -> {} (update the baseline: --update-baseline)",
            f.id, f.was, f.now
        );
    }
    eprintln!(
        "baseline {}: {} regression(s), {} fixed, {} known{}",
        path.display(),
        cmp.regressions.len(),
        cmp.fixed.len(),
        cmp.known,
        if cmp.not_run.is_empty() {
            String::new()
        } else {
            format!(", {} entries for cases not run", cmp.not_run.len())
        }
    );
    Some(cmp.ok())
}
