//! The suite every subcommand works on: the scenarios built into the
//! binary, plus those of `--suite DIR` (which replace built-in ones with
//! the same id), and the built-in requirement catalogue unless a file is
//! named. Errors are printed here, all of them, with the fix.

use ftpspec_harness::builtin;
use ftpspec_harness::catalogue::{self, Row};
use ftpspec_harness::scenario::{self, Scenario};
use std::path::Path;
use std::process::ExitCode;

/// Exit code: usage, scenario-file, catalogue or baseline-file error.
pub const USAGE: u8 = 2;

fn print_errors(errs: &[scenario::ScenarioError]) {
    for e in errs {
        eprintln!("error: {e}");
    }
    eprintln!(
        "{} scenario file error(s); nothing was run (scenarios/README.md describes the language)",
        errs.len()
    );
}

/// The built-in scenarios, with `extra`'s added or replacing by id.
pub fn scenarios(extra: Option<&Path>) -> Result<Vec<Scenario>, ExitCode> {
    let extra = match extra {
        None => Vec::new(),
        Some(dir) => {
            if !dir.is_dir() {
                eprintln!(
                    "error: --suite {}: no such directory (it holds *.ftpspec files that add to, or replace by id, the built-in suite)",
                    dir.display()
                );
                return Err(ExitCode::from(USAGE));
            }
            scenario::load_dir(dir).map_err(|errs| {
                print_errors(&errs);
                ExitCode::from(USAGE)
            })?
        }
    };
    builtin::with(extra).map_err(|errs| {
        print_errors(&errs);
        ExitCode::from(USAGE)
    })
}

/// The requirement catalogue: `file`, or the built-in one.
pub fn catalogue(file: Option<&Path>) -> Result<Vec<Row>, ExitCode> {
    let (name, text) = match file {
        None => (
            "the built-in catalogue".to_owned(),
            builtin::requirements_text().to_owned(),
        ),
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => (p.display().to_string(), t),
            Err(e) => {
                eprintln!("error: {}: {e}", p.display());
                return Err(ExitCode::from(USAGE));
            }
        },
    };
    catalogue::parse(&text).map_err(|e| {
        eprintln!("error: {name}: {e}");
        ExitCode::from(USAGE)
    })
}
