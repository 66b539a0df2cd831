//! `ftpspec fuzz`: the live fuzzer's command line. The engine is
//! `ftpspec_harness::fuzzer`; this file parses arguments, shows progress
//! and prints the summary.

use clap::Args;
use ftpspec_harness::embedded::Embedded;
use ftpspec_harness::fuzzer::{self, FuzzConfig, FuzzReport, Progress};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Exit code: findings.
const FOUND: u8 = 1;
/// Exit code: usage error.
const USAGE: u8 = 2;
/// Exit code: the target could not be reached or started.
const UNREACHABLE: u8 = 3;
/// Exit code: the server refused the login (as for `ftpspec run`).
const LOGIN_REFUSED: u8 = 4;

#[derive(Args)]
pub struct FuzzArgs {
    /// The server to fuzz (default: the embedded libunftp server on
    /// loopback, a safe first try). Fuzzed PORT/EPRT only ever name
    /// loopback; still, point this at servers you own, on a machine you own.
    /// Sessions on an ftpes:// or ftps:// target run inside TLS; on an
    /// ftp:// one they may send AUTH TLS themselves.
    #[command(flatten)]
    target: super::target_args::TargetArgs,
    /// Stop after this long (e.g. 30s, 10m). Default 60s unless --sessions
    /// is given. A hang found at the very end may take one or two
    /// --timeout more to verify.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    duration: Option<Duration>,
    /// Stop after this many sessions. With --duration, whichever comes first.
    #[arg(long, value_name = "N")]
    sessions: Option<u64>,
    /// Seed of the generator. The same seed with --jobs 1 replays the same sessions.
    #[arg(long, default_value_t = 0, value_name = "S")]
    seed: u64,
    /// Sessions at once (each on its own connection).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    jobs: u64,
    /// Write each finding here as a scenario file that reproduces it
    /// (`ftpspec run --suite DIR --target URL` replays them).
    #[arg(long, value_name = "DIR")]
    findings: Option<PathBuf>,
    /// Shell command that starts the server (run with `sh -c`, in its own
    /// process group). The fuzzer waits for it to listen on the target
    /// address, watches it, and restarts it after a crash. The run gives
    /// up when a restarted server does not serve a single login before it
    /// needs restarting again, 10 times in a row.
    #[arg(long, value_name = "CMD", requires = "target")]
    target_cmd: Option<String>,
    /// Stop after this many restarts of --target-cmd in all. Default: no
    /// limit but the run's own (--duration, --sessions); triage restarts a
    /// crashing server once per re-run that reproduces the crash.
    #[arg(long, value_name = "N", requires = "target_cmd")]
    max_restarts: Option<usize>,
    /// Reply timeout: a well-formed command unanswered for this long is a hang.
    /// Keep it above the delay servers put on a failed login (pyftpdlib: 3s).
    /// Once a malformed line has put a session out of step with its
    /// replies, any reply may not come: it waits --settle, and no hang is
    /// reported.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    timeout: Duration,
    /// How long to wait for a reply that may not come: after a malformed
    /// line (the server may answer it, or read it with the next one), or a
    /// 1yz with no data connection to use. Default: from the server's own
    /// answer times (mean + 4 deviations, as TCP's RFC 6298 timer), 1 to
    /// 30 ms. A fixed value (e.g. 30ms) makes a seeded run depend less on
    /// the machine's load, at some cost in sessions/s.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    settle: Option<Duration>,
    /// Actions a generated session starts from; a stateful chain (MKD, CWD,
    /// RNFR…) with commands between its steps may take it to twice that.
    #[arg(long, default_value_t = 10, value_name = "N")]
    max_actions: usize,
    /// Longest argument generated, in bytes.
    #[arg(long, default_value_t = 8192, value_name = "BYTES")]
    max_arg: usize,
    /// Stop once this many (deduplicated) findings are recorded.
    #[arg(long, value_name = "N")]
    max_findings: Option<usize>,
    /// Print the final report as JSON on stdout instead of text.
    #[arg(long)]
    json: bool,
    /// Connect only when a session starts. By default, on a server that
    /// greets a second connection while a first is logged in, each session
    /// connects for the next as it starts, so that the server's set-up of
    /// a connection overlaps the session's commands.
    #[arg(long)]
    no_connect_ahead: bool,
}

fn show(p: &Progress) -> String {
    format!(
        "{:>7.1}s  {} sessions  {:.0}/s  corpus {}  transitions {}  codes {}  findings {}  errors {}",
        p.elapsed_secs,
        p.sessions,
        p.rate(),
        p.corpus,
        p.transitions,
        p.codes,
        p.findings,
        p.harness_errors
    )
}

/// `target`: the `--target` part of reproduce lines (password left out).
fn summary(r: &FuzzReport, target: &str) {
    let p = &r.progress;
    outln!(
        "{} sessions in {:.1}s ({:.0} sessions/s, {:.0} commands/s); corpus {}, {} transitions, {} reply codes; {} restarts ({} sessions disturbed by one), {} harness errors, {} sessions turned away at the greeting, {} unreproducible; triage re-ran {} sessions (and skipped {} whose cause it knew); {} logins on a connection opened ahead",
        p.sessions,
        p.elapsed_secs,
        p.rate(),
        p.commands as f64 / p.elapsed_secs.max(1e-9),
        p.corpus,
        p.transitions,
        p.codes,
        p.restarts,
        p.collateral,
        p.harness_errors,
        p.turned_away,
        p.flaky,
        p.reruns,
        p.absorbed,
        p.opened_ahead
    );
    if p.recycled > 0 {
        outln!(
            "the embedded server was emptied of the connections it held {} time(s), as a restart would: \
             libunftp 0.24 keeps a session 5 minutes after its client connected to a passive port and \
             left without a transfer, and its descriptors are ftpspec's",
            p.recycled
        );
    }
    for e in &p.error_messages {
        outln!("harness error: {e}");
    }
    for e in &p.turned_away_messages {
        outln!("turned away (a new connection was greeted just after): {e}");
    }
    if let Some(why) = &r.stopped {
        outln!("stopped early: {why}");
    }
    if r.findings.is_empty() {
        outln!("no findings");
    }
    for f in &r.findings {
        outln!(
            "FINDING {} {}: {} (after {} sessions, {:.1}s; minimised {} -> {} actions)",
            f.oracle,
            if f.verb.is_empty() { "(raw)" } else { &f.verb },
            abbreviate(&f.detail),
            f.after_sessions,
            f.after_secs,
            f.actions.1,
            f.actions.0
        );
        if f.commands.len() > 1 {
            outln!(
                "  one cause, seen with {} commands: {}",
                f.commands.len(),
                f.commands.join(" ")
            );
        }
        match &f.file {
            Some(path) => outln!(
                "  reproduce: ftpspec run{target} --suite {} --only '{}'",
                path.parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                scenario_id(&f.scenario)
            ),
            None => outln!("  (use --findings DIR to write a scenario that reproduces it)"),
        }
    }
}

/// A message cut to a terminal's worth: long arguments (10 KB lines are
/// what fuzzing sends) are shortened, the finding file keeps them whole.
fn abbreviate(text: &str) -> String {
    const MAX: usize = 240;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut cut = MAX;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}... ({} bytes in all)", &text[..cut], text.len())
}

fn scenario_id(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap_or("fuzz.*")
        .to_owned()
}

/// The runtime for a run. One job against a server of its own runs on
/// the current thread: a session is a chain of round trips, each waiting
/// on the last, and on a multi-threaded runtime each reply wakes the
/// session across threads. Against vsftpd on loopback that was 0.07-0.11
/// ms a round trip, against 0.03-0.07 ms on the current thread, about what
/// a blocking client took (`benches/round_trip.rs`).
/// Several jobs, or the embedded server (which runs beside the sessions),
/// keep the multi-threaded one.
fn runtime(jobs: u64, outside: bool) -> std::io::Result<tokio::runtime::Runtime> {
    if jobs == 1 && outside {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Runtime::new()
    }
}

pub fn run(args: FuzzArgs) -> ExitCode {
    // Resolved once: it reads a --tls-ca file and builds its TLS client.
    let outside = match args.target.resolve() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE);
        }
    };
    // The embedded server is gone after the run: its findings replay
    // against a fresh one, so the line names no target.
    let target_arg = match &outside {
        Some(t) => {
            let mut out = format!(" --target '{}'", t.name);
            if let Some(ca) = &t.trust.ca {
                out.push_str(&format!(" --tls-ca '{}'", ca.display()));
            }
            if t.trust.insecure {
                out.push_str(" --insecure");
            }
            out
        }
        None => String::new(),
    };
    let runtime = match runtime(args.jobs, outside.is_some()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(UNREACHABLE);
        }
    };
    let duration = match (args.duration, args.sessions) {
        (None, None) => Some(Duration::from_secs(60)),
        (d, _) => d,
    };
    let result = runtime.block_on(async {
        // Kept alive for the run when used; on a runtime of its own, which
        // the run empties when it holds too many descriptors.
        let mut embedded = None;
        let target = match outside {
            Some(t) => t,
            None => {
                let e = Embedded::start_apart()
                    .await
                    .map_err(|e| (UNREACHABLE, e.to_string()))?;
                let t = e.target();
                embedded = Some(std::sync::Arc::new(std::sync::Mutex::new(e)));
                t
            }
        };
        eprintln!(
            "fuzzing {} (seed {}, {} job(s))",
            target.name, args.seed, args.jobs
        );
        let mut cfg = FuzzConfig::new(target);
        cfg.seed = args.seed;
        cfg.jobs = args.jobs as usize;
        cfg.duration = duration;
        cfg.sessions = args.sessions;
        cfg.findings = args.findings.clone();
        cfg.target_cmd = args.target_cmd.clone();
        cfg.restarts.total = args.max_restarts;
        cfg.limits.step_timeout = args.timeout;
        cfg.settle = args.settle;
        cfg.shape.max_actions = args.max_actions.max(1);
        cfg.shape.max_arg = args.max_arg;
        cfg.max_findings = args.max_findings;
        cfg.connect_ahead = !args.no_connect_ahead;
        if let Some(e) = &embedded {
            let e = std::sync::Arc::clone(e);
            cfg.recycle = Some(fuzzer::Recycle(std::sync::Arc::new(move || {
                e.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .recycle()
                    .map_err(|e| e.to_string())
            })));
        }
        let tty = std::io::stderr().is_terminal();
        let mut last_line = std::time::Instant::now();
        let report = fuzzer::fuzz(cfg, |p| {
            if tty {
                eprint!("\r\x1b[2K{}", show(p));
                let _ = std::io::stderr().flush();
            } else if last_line.elapsed() >= Duration::from_secs(10) {
                // Logs get a line every ten seconds rather than a redraw.
                eprintln!("{}", show(p));
                last_line = std::time::Instant::now();
            }
        })
        .await;
        if tty {
            eprintln!();
        }
        drop(embedded);
        report.map_err(|e| {
            let code = match e {
                ftpspec_harness::fuzzer::FuzzError::Login(_) => LOGIN_REFUSED,
                // The server's fault, seen: as a finding would exit.
                ftpspec_harness::fuzzer::FuzzError::TlsBreach(_) => FOUND,
                _ => UNREACHABLE,
            };
            (code, e.to_string())
        })
    });
    match result {
        Ok(report) => {
            if args.json {
                match serde_json::to_string_pretty(&report) {
                    Ok(j) => outln!("{j}"),
                    Err(e) => eprintln!("error: {e}"),
                }
            } else {
                summary(&report, &target_arg);
            }
            if report.findings.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(FOUND)
            }
        }
        Err((code, e)) => {
            eprintln!("error: {e}");
            ExitCode::from(code)
        }
    }
}
