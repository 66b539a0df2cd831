//! `ftpspec run` and `ftpspec list`.

use clap::Args;
use ftpspec_harness::driver::Limits;
use ftpspec_harness::embedded::Embedded;
use ftpspec_harness::report::{Html, Human, Json, Junit, Markdown, Reporter, Style};
use ftpspec_harness::runner::{self, Capabilities, Filter, RunConfig, RunError};
use ftpspec_harness::scenario::Scenario;
use ftpspec_harness::target::Target;
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Exit code: usage or scenario-file error.
const USAGE: u8 = 2;
/// Exit code: the target could not be reached.
const UNREACHABLE: u8 = 3;
/// Exit code: the server refused the login.
const LOGIN_REFUSED: u8 = 4;

#[derive(Args, Clone)]
pub struct Selection {
    /// A directory of *.ftpspec files to add to the built-in suite (a file
    /// with a built-in scenario's id replaces it); e.g. fuzz findings.
    #[arg(long, value_name = "DIR")]
    suite: Option<PathBuf>,
    /// Run only cases whose id matches this glob, e.g. 'transfer.*' or '*[epsv-ipv6]'. Repeatable.
    #[arg(long, value_name = "GLOB")]
    only: Vec<String>,
    /// Run only cases with this tag. Repeatable.
    #[arg(long, value_name = "TAG")]
    tag: Vec<String>,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    target: super::target_args::TargetArgs,
    #[command(flatten)]
    selection: Selection,
    /// Cases to run at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    jobs: usize,
    /// Longest wait for any one reply, connection or transfer step (e.g. 5s, 500ms).
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    timeout: Duration,
    /// Longest one case may take in all.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    case_timeout: Duration,
    /// Report format and destination, FORMAT[=PATH]; no PATH means stdout. Repeatable.
    /// Default: human. FORMAT is one of:
    ///   human     progress and failures with the RFC text; colours and a progress bar on a terminal
    ///   json      the whole run (schema: docs/report.schema.json)
    ///   junit     one testcase per case, for CI test views
    ///   markdown  summary and failures, e.g. markdown=$GITHUB_STEP_SUMMARY
    ///   html      one self-contained page (several runs side by side: `ftpspec matrix --html`)
    #[arg(long, value_name = "FORMAT[=PATH]", verbatim_doc_comment)]
    report: Vec<String>,
    /// Colours in the human report: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    color: Color,
    #[command(flatten)]
    gate: super::gate::GateArgs,
    /// Show details and transcripts for every non-passing case, skips included.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    /// Whether to colour output going to a terminal (`tty`) or not.
    fn on(self, tty: bool) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        }
    }
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    selection: Selection,
}

fn load(sel: &Selection) -> Result<(Vec<Scenario>, Filter), ExitCode> {
    let scenarios = super::suite::scenarios(sel.suite.as_deref())?;
    let mut only = Vec::new();
    for g in &sel.only {
        match runner::Selector::new(g) {
            Ok(sel) => only.push(sel),
            Err(e) => {
                eprintln!("error: --only {g:?}: {e}");
                return Err(ExitCode::from(USAGE));
            }
        }
    }
    let filter = Filter {
        only,
        tags: sel.tag.clone(),
    };
    // A filter that selects nothing must not pass a CI gate silently.
    if planned(&scenarios, &filter).is_empty() {
        let mut named: Vec<String> = sel.only.iter().map(|g| format!("--only {g:?}")).collect();
        named.extend(sel.tag.iter().map(|t| format!("--tag {t:?}")));
        eprintln!(
            "error: {} selects no case{}; `ftpspec list` shows the case ids and tags",
            if named.is_empty() {
                "the suite".to_owned()
            } else {
                named.join(" ")
            },
            if named.is_empty() {
                " (it is empty)"
            } else {
                ""
            }
        );
        return Err(ExitCode::from(USAGE));
    }
    Ok((scenarios, filter))
}

/// The cases a run could expand to on a dual-stack, writable target: what
/// `list` shows, and what tells a filter that selects nothing.
fn planned(scenarios: &[Scenario], filter: &Filter) -> Vec<runner::Case> {
    let target = Target {
        name: "listing".into(),
        addrs: vec!["127.0.0.1:21".parse().unwrap(), "[::1]:21".parse().unwrap()],
        user: Some("user".into()),
        pass: String::new(),
        path: None,
        security: ftpspec_harness::target::Security::Explicit,
        trust: Default::default(),
        host: "localhost".into(),
    };
    let probe = Capabilities {
        writable: true,
        ..Capabilities::default()
    };
    runner::plan(scenarios, &target, &probe, filter)
}

/// `ftpspec list`.
pub fn list(args: ListArgs) -> ExitCode {
    let (scenarios, filter) = match load(&args.selection) {
        Ok(x) => x,
        Err(code) => return code,
    };
    // A notional dual-stack target: show every mode a run could expand to.
    let cases = planned(&scenarios, &filter);
    for c in &cases {
        let refs: Vec<String> = c.scenario.refs.iter().map(|r| r.to_string()).collect();
        outln!("{:<44} {:<50} {}", c.id, c.scenario.title, refs.join("; "));
    }
    eprintln!(
        "{} cases from {} scenarios (IPv6 cases run only where the target has an IPv6 address)",
        cases.len(),
        scenarios.len()
    );
    ExitCode::SUCCESS
}

fn reporters(
    specs: &[String],
    verbose: bool,
    color: Color,
    rerun: &str,
) -> Result<Vec<Box<dyn Reporter>>, String> {
    let specs: Vec<String> = if specs.is_empty() {
        vec!["human".into()]
    } else {
        specs.to_vec()
    };
    let mut out: Vec<Box<dyn Reporter>> = Vec::new();
    for spec in specs {
        let (format, path) = match spec.split_once('=') {
            Some((f, p)) => (f, Some(PathBuf::from(p))),
            None => (spec.as_str(), None),
        };
        let sink: Box<dyn io::Write> = match &path {
            None => Box::new(io::stdout()),
            Some(p) => Box::new(io::BufWriter::new(
                std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?,
            )),
        };
        out.push(match format {
            "human" => {
                let tty = path.is_none() && io::stdout().is_terminal();
                let style = Style {
                    color: color.on(tty),
                    progress: tty,
                };
                Box::new(Human::new(sink, verbose, rerun).with_style(style))
            }
            "json" => Box::new(Json::new(sink)),
            "junit" => Box::new(Junit::new(sink)),
            "markdown" => Box::new(Markdown::new(sink)),
            "html" => Box::new(Html::new(sink, "run")),
            other => {
                return Err(format!(
                    "unknown report format {other:?}: use human, json, junit, markdown or html"
                ));
            }
        });
    }
    Ok(out)
}

/// The command that reruns one case against the same target, password
/// left out (it comes from the URL given, or FTPSPEC_PASSWORD).
fn rerun_prefix(target: Option<&Target>, suite: Option<&PathBuf>) -> String {
    let mut out = String::from("ftpspec run");
    if let Some(t) = target {
        out.push_str(&format!(" --target '{}'", t.name));
        if let Some(ca) = &t.trust.ca {
            out.push_str(&format!(" --tls-ca '{}'", ca.display()));
        }
        if t.trust.insecure {
            out.push_str(" --insecure");
        }
    }
    if let Some(d) = suite {
        out.push_str(&format!(" --suite {}", d.display()));
    }
    out
}

/// `ftpspec run`.
pub fn run(args: RunArgs) -> ExitCode {
    let (scenarios, filter) = match load(&args.selection) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let target = match args.target.resolve() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE);
        }
    };
    if args.jobs == 0 {
        eprintln!("error: --jobs must be at least 1");
        return ExitCode::from(USAGE);
    }
    // The gates' files are checked now, not after a long run.
    let gates = match super::gate::prepare(&args.gate) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let rerun = rerun_prefix(target.as_ref(), args.selection.suite.as_ref());
    let mut reporters = match reporters(&args.report, args.verbose, args.color, &rerun) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: --report: {e}");
            return ExitCode::from(USAGE);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let limits = Limits {
        step_timeout: args.timeout,
        ..Limits::default()
    };
    let result = runtime.block_on(async {
        let (target, _embedded) = match target {
            Some(t) => (t, None),
            None => {
                let e = Embedded::start()
                    .await
                    .map_err(|e| (ExitCode::FAILURE, format!("the embedded server: {e}")))?;
                if io::stderr().is_terminal() {
                    eprintln!("no --target given: running against the embedded libunftp server");
                }
                (e.target(), Some(e))
            }
        };
        let config = RunConfig {
            target,
            jobs: args.jobs,
            limits,
            case_timeout: args.case_timeout,
            filter,
        };
        runner::run(scenarios, config, |e| {
            reporters.iter_mut().for_each(|r| r.event(e))
        })
        .await
        .map_err(|e| {
            let code = match &e {
                RunError::Unreachable(_) => UNREACHABLE,
                RunError::Login(_) => LOGIN_REFUSED,
                RunError::Path { .. } | RunError::Tls(_) => USAGE,
            };
            let hint = match &e {
                RunError::Login(_) => {
                    " (check the user and password in --target, or FTPSPEC_PASSWORD)"
                }
                _ => "",
            };
            (ExitCode::from(code), format!("{e}{hint}"))
        })
    });
    let mut report = match result {
        Ok(r) => r,
        Err((code, e)) => {
            eprintln!("error: {e}");
            return code;
        }
    };
    if let Err(code) = gates.judge(&mut report) {
        return code;
    }
    for r in &mut reporters {
        if let Err(e) = r.finish(&report) {
            eprintln!("error: writing a report: {e}");
            return ExitCode::FAILURE;
        }
    }
    let panics = ftpspec_harness::embedded::libunftp_panics();
    if panics > 0 {
        eprintln!(
            "note: the embedded libunftp panicked {panics} time(s) in its own data-connection tasks (libunftp 0.24 unwraps a failed TLS accept, as when a case abandons a data connection); the verdicts rest on what it sent"
        );
    }
    if !args.report.is_empty() && args.report.iter().all(|r| r.contains('=')) {
        // Only files were written: say so, and how the run went.
        let s = &report.summary;
        let paths: Vec<&str> = args
            .report
            .iter()
            .filter_map(|r| r.split_once('=').map(|x| x.1))
            .collect();
        outln!(
            "{}: {} case{}: {} pass, {} fail, {} warn, {} unsupported, {} skip, {} error; wrote {}",
            report.target,
            s.total(),
            if s.total() == 1 { "" } else { "s" },
            s.pass,
            s.fail,
            s.warn,
            s.unsupported,
            s.skip,
            s.error,
            paths.join(", ")
        );
        if let Some(g) = &report.baseline {
            for r in &g.regressions {
                outln!(
                    "REGRESSION {}: {} -> {} ({})",
                    r.id,
                    r.was,
                    r.now,
                    r.message
                );
            }
            for f in &g.fixed {
                outln!(
                    "fixed {}: {} -> {} (update the baseline: --update-baseline)",
                    f.id,
                    f.was,
                    f.now
                );
            }
            if let Some(m) = &g.suite_mismatch {
                outln!("warning: {m}");
            }
            outln!(
                "baseline {}: {} regression(s), {} fixed, {} known, {} racy",
                g.file,
                g.regressions.len(),
                g.fixed.len(),
                g.known.len(),
                g.racy.len()
            );
        }
    }
    match gates.passes(&report) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(code) => code,
    }
}

#[derive(Args)]
pub struct ServeArgs {
    /// Listen on this port of 127.0.0.1 (and ::1 where free); default: any free port.
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    port: u16,
    /// Stop after this long (default: run until Ctrl-C or SIGTERM).
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    duration: Option<Duration>,
}

/// Until Ctrl-C or SIGTERM (a container or a CI job stopping).
/// The handlers are installed when this is called (not when the future is
/// first polled), so that a signal sent as soon as `serve` has printed its
/// addresses is caught.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = ctrl_c.await;
    }
}

/// `ftpspec serve`.
pub fn serve(args: ServeArgs) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let stop = stop_signal();
        let server = match Embedded::start_on(args.port).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let t = server.target();
        outln!(
            "embedded libunftp serving {} (plain FTP, and FTP over TLS after AUTH TLS) on:",
            server.root().display()
        );
        let user = ftpspec_harness::embedded::USER;
        for a in &t.addrs {
            outln!("  ftpes://{user}@{a}/");
        }
        // The fixed login is documented; it is still not printed as such.
        outln!("login: user {user}, password the same as the user name");
        outln!("certificate: {}", server.certificate().display());
        if let Some(a) = t.addrs.first() {
            outln!(
                "test it: FTPSPEC_PASSWORD=<password> ftpspec run --target ftpes://{user}@{a}/ --tls-ca {}",
                server.certificate().display()
            );
        }
        let _ = io::Write::flush(&mut io::stdout());
        match args.duration {
            Some(d) => tokio::select! {
                _ = tokio::time::sleep(d) => {}
                _ = stop => {}
            },
            None => stop.await,
        }
        // Dropping the server removes its temporary root.
        drop(server);
        ExitCode::SUCCESS
    })
}
