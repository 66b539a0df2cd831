//! `ftpspec show CASE`: a case's scenario, as written, and every
//! requirement it checks with the sentence quoted.

use super::suite;
use clap::Args;
use ftpspec_harness::builtin;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ShowArgs {
    /// A case id (`transfer.list[epsv-ipv6]`) or scenario id (`transfer.list`).
    #[arg(value_name = "CASE")]
    case: String,
    /// A directory of *.ftpspec files to add to the built-in suite.
    #[arg(long, value_name = "DIR")]
    suite: Option<PathBuf>,
}

pub fn run(args: ShowArgs) -> ExitCode {
    let scenarios = match suite::scenarios(args.suite.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let rows = match suite::catalogue(None) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let id = args.case.split('[').next().unwrap_or(&args.case);
    let Some(sc) = scenarios.iter().find(|s| s.id == id) else {
        let near: Vec<&str> = scenarios
            .iter()
            .map(|s| s.id.as_str())
            .filter(|s| s.contains(id) || id.contains(*s))
            .take(8)
            .collect();
        eprintln!(
            "error: no scenario {id:?}{}; `ftpspec list` shows every case",
            if near.is_empty() {
                String::new()
            } else {
                format!(" (did you mean: {}?)", near.join(", "))
            }
        );
        return ExitCode::from(suite::USAGE);
    };
    let text = sc
        .path
        .strip_prefix("scenarios/")
        .and_then(|p| builtin::files().iter().find(|(f, _)| *f == p))
        .map(|(_, t)| (*t).to_owned())
        .or_else(|| std::fs::read_to_string(&sc.path).ok())
        .unwrap_or_default();
    outln!("# {} ({})\n", sc.id, sc.path);
    outln!("{}", text.trim_end());
    outln!("\n# The sentences it quotes when a step fails");
    for (i, r) in sc.refs.iter().enumerate() {
        outln!("{}. {r}: \"{}\"", i + 1, r.quote);
    }
    if !sc.covers.is_empty() {
        outln!("\n# The catalogue rows it covers");
        for c in &sc.covers {
            match rows.iter().find(|r| &r.id == c) {
                Some(r) => outln!(
                    "{c} (RFC {} §{} {}): \"{}\"",
                    r.rfc,
                    r.section,
                    r.level,
                    r.quote
                ),
                None => outln!("{c}: not in the catalogue"),
            }
        }
    }
    outln!(
        "\nEvery reply is also put through the built-in checks (reply syntax, the RFC 959 §5.4 codes, 227/229, FEAT, TYPE I bytes, one reply per command): scenarios/README.md, Built-in checks."
    );
    ExitCode::SUCCESS
}
