//! The CI gates of `ftpspec run`: `--baseline` (known failures with
//! reasons) and `--snapshots` (normalised transcripts). Their inputs are
//! checked before anything connects; their outcome goes into the report,
//! so that every reporter shows regressions first.

use super::suite::USAGE;
use clap::Args;
use ftpspec_harness::baseline::Baseline;
use ftpspec_harness::runner::Report;
use ftpspec_harness::snapshot;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Clone, Default)]
pub struct GateArgs {
    /// Known failures and warnings, one per line with a reason. With a
    /// baseline the run exits 0 unless a case is worse than it allows (a
    /// regression); reports list regressions first, then fixed cases, then
    /// known ones. `racy <verdict> <case> -- <reason>` accepts either outcome.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write --baseline from this run (keeping reasons of unchanged entries,
    /// racy entries, and entries for cases not run), then gate as usual.
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

/// The gates' inputs, read and checked before the run.
pub struct Gates {
    args: GateArgs,
    baseline: Option<Baseline>,
}

/// Read and check the gates' inputs: a baseline that is missing (without
/// --update-baseline) or malformed, or a snapshot directory that does not
/// exist (without --accept), stops here, before anything connects.
pub fn prepare(args: &GateArgs) -> Result<Gates, ExitCode> {
    let baseline = match &args.baseline {
        None => None,
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => match Baseline::parse(&text) {
                Ok(b) => Some(b),
                Err(e) => {
                    eprintln!("error: --baseline {}: {e}", path.display());
                    return Err(ExitCode::from(USAGE));
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && args.update_baseline => {
                Some(Baseline::default())
            }
            Err(e) => {
                eprintln!(
                    "error: --baseline {}: {e} (create it with --update-baseline)",
                    path.display()
                );
                return Err(ExitCode::from(USAGE));
            }
        },
    };
    if let Some(dir) = &args.snapshots {
        if !dir.is_dir() && !args.accept {
            eprintln!(
                "error: --snapshots {}: no such directory (record the snapshots first with --accept)",
                dir.display()
            );
            return Err(ExitCode::from(USAGE));
        }
    }
    Ok(Gates {
        args: args.clone(),
        baseline,
    })
}

impl Gates {
    /// Judge the run against the baseline (writing the updated one if
    /// asked), into `report.baseline`. `Err` if the update cannot be written.
    pub fn judge(&self, report: &mut Report) -> Result<(), ExitCode> {
        let (Some(path), Some(old)) = (&self.args.baseline, &self.baseline) else {
            return Ok(());
        };
        let current = if self.args.update_baseline {
            let new = old.updated(report);
            if let Err(e) = std::fs::write(path, new.to_string()) {
                eprintln!("error: writing --baseline {}: {e}", path.display());
                return Err(ExitCode::FAILURE);
            }
            eprintln!(
                "baseline: wrote {} entries to {}",
                new.entries.len(),
                path.display()
            );
            new
        } else {
            old.clone()
        };
        report.baseline = Some(current.compare(report, &path.display().to_string()));
        Ok(())
    }

    /// Whether the run passes: no regression (with a baseline) or no
    /// failure or error (without), and no changed snapshot. Snapshot diffs
    /// are printed on stderr.
    pub fn passes(&self, report: &Report) -> Result<bool, ExitCode> {
        let mut ok = match &report.baseline {
            Some(g) => g.ok(),
            None => report.summary.fail + report.summary.error == 0,
        };
        if let Some(dir) = &self.args.snapshots {
            let check = snapshot::check(dir, report, self.args.accept).map_err(|e| {
                eprintln!("error: --snapshots {}: {e}", dir.display());
                ExitCode::from(USAGE)
            })?;
            for c in &check.changed {
                eprintln!("\nsnapshot changed: {} ({})", c.id, c.path.display());
                eprint!("{}", c.diff);
            }
            if !check.new.is_empty() && !self.args.accept {
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
                if self.args.accept {
                    format!(", {} written to {}", check.written, dir.display())
                } else {
                    String::new()
                }
            );
            ok &= check.ok() || self.args.accept;
        }
        Ok(ok)
    }
}
