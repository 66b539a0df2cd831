//! `ftpspec`: a thin command-line front end over the `ftpspec-harness` engine.

/// `println!` that ends the process quietly when stdout is closed
/// (`ftpspec list | head`), instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

mod commands;

use commands::{coverage, decode, fuzz, matrix, run, show};

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// FTP protocol conformance and fuzz test harness.
///
/// Runs scripted client sessions (scenarios/*.ftpspec) against an FTP server
/// and checks every reply against RFC 959, 1123, 2428, 2389, 3659, 2577,
/// 2228/4217 (FTP over TLS), 2640 (UTF-8, LANG) and 7151 (HOST). With
/// no --target it starts an embedded libunftp server on loopback, so
/// `ftpspec run` alone shows a real report.
#[derive(Parser)]
#[command(name = "ftpspec", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the conformance suite against a server.
    ///
    /// Exit codes: 0 no failures (with --baseline: nothing worse than the
    /// baseline; with --snapshots: no transcript changed), 1 failures, errors,
    /// regressions or changed snapshots, 2 usage, scenario-file or baseline-file
    /// errors, a selection that matches no case, a TLS set-up that fails
    /// (e.g. an untrusted certificate), 3 target unreachable, 4 login refused.
    ///
    /// Rerun lines name the target without its password: set FTPSPEC_PASSWORD
    /// (it is used whenever the URL has a user and no password).
    ///
    /// Examples:
    ///   ftpspec run                                          # embedded libunftp (FTP over TLS)
    ///   ftpspec run --target ftp://user:pass@127.0.0.1:2121/
    ///   ftpspec run --target ftpes://user@ftp.example.net/ --tls-ca ca.pem   # AUTH TLS; FTPSPEC_PASSWORD
    ///   ftpspec run --target ftps://user@127.0.0.1:990/ --insecure            # implicit TLS
    ///   ftpspec run --target ftp://[::1]:21/ --only 'transfer.*' --jobs 4
    ///   ftpspec run --report human --report json=report.json --report html=report.html
    ///   ftpspec run --baseline ci/ftpspec.baseline            # CI gate: fail only on regressions
    ///   ftpspec run --baseline ci/ftpspec.baseline --update-baseline
    ///   ftpspec run --snapshots ci/transcripts [--accept]      # transcript regression
    #[command(verbatim_doc_comment)]
    Run(run::RunArgs),
    /// List the cases a run would execute, without connecting anywhere.
    ///
    /// Every mode is listed (IPv6 and -tls ones too): a run leaves out, as
    /// `skip`, the modes its target cannot take (no IPv6 address, ftp://).
    List(run::ListArgs),
    /// Show a case's scenario and every requirement it checks, quoted.
    ///
    /// Example: ftpspec show 'transfer.retr-missing[pasv-ipv4]'
    Show(show::ShowArgs),
    /// Start the embedded libunftp server on loopback and keep it running
    /// (to poke at with a client, or to capture its replies). It speaks
    /// plain FTP and FTP over TLS (AUTH TLS) with a certificate made at
    /// start, whose path it prints. Ctrl-C stops it.
    Serve(run::ServeArgs),
    /// Show the requirement catalogue and the cases covering each row.
    ///
    /// Rows are server-side requirements of RFC 959, 1123 §4.1, 2428, 2389,
    /// 3659, 2577, 2228, 4217, 2640 and 7151 (scenarios/requirements.tsv,
    /// built in); scenarios name the rows
    /// they check with `covers:`. Exit 1 if a scenario names an unknown row.
    Coverage(coverage::CoverageArgs),
    /// Build the conformance matrix (servers × requirement groups) and the
    /// list of failures with their RFC sentences from JSON reports.
    ///
    /// Examples:
    ///   ftpspec matrix vsftpd=vsftpd.json pyftpdlib=pyftpdlib.json
    ///   ftpspec matrix --html servers.html vsftpd=vsftpd.json pyftpdlib=pyftpdlib.json
    #[command(verbatim_doc_comment)]
    Matrix(matrix::MatrixArgs),
    /// Decode captured FTP bytes and show every value and tolerated deviation.
    ///
    /// Example: `ftpspec decode reply corpora/reply/vsftpd-feat-211-multiline.txt`
    Decode(decode::DecodeArgs),
    /// Fuzz a running server: stateful sessions, oracles, minimised findings.
    ///
    /// Each session logs in on a connection of its own (made while the
    /// session before runs, on a server that serves two at once), then sends generated and
    /// mutated commands: valid, near-valid and malformed (CR/LF/NUL/IAC in
    /// arguments, long lines, numeric edges in PORT/EPRT/REST), in orders that
    /// follow and break RFC 959 §6, with data connections opened, used and
    /// abandoned. Sessions that reach new (code, command, code) transitions are
    /// kept and mutated further. Oracles: crash (the server stops accepting, or
    /// the --target-cmd process exits), hang (no reply within --timeout), a
    /// connection closed instead of a reply, reply syntax, RFC 959 §5.4 codes,
    /// PASV/EPSV naming a foreign address or port 0, PORT/EPRT to a third party
    /// or a port below 1024 accepted. Every finding is re-run, minimised and
    /// (with --findings) written as a scenario that reproduces it.
    ///
    /// The closing summary also counts harness errors (the harness's own
    /// trouble), sessions turned away at the greeting (a server shedding
    /// load: a new connection just after was greeted) and hits that did not
    /// reproduce, and names the first few of each.
    ///
    /// PORT/EPRT only ever name a loopback address of the control connection's
    /// family. Runs are bounded by --duration (default 60s) and/or --sessions.
    ///
    /// Exit codes: 0 no findings, 1 findings (or, over TLS, a server that
    /// answers every login's AUTH TLS with 234 and then no TLS), 2 usage
    /// error, 3 target unreachable or --target-cmd failed, 4 login refused.
    /// FTPSPEC_FUZZ_DEBUG=<ms> prints the
    /// sessions slower than that, and the cost of each finding's
    /// minimisation, to stderr (what limits the throughput on a given server).
    ///
    /// Examples:
    ///   ftpspec fuzz --sessions 2000                         # embedded libunftp
    ///   ftpspec fuzz --target ftp://u:p@127.0.0.1:2121/ --duration 10m --findings found/
    ///   ftpspec fuzz --target ftp://u:p@127.0.0.1:2121/ --target-cmd './my-ftpd -p 2121' --jobs 4
    ///   ftpspec run --suite found/ --target ftp://u:p@127.0.0.1:2121/   # replay findings
    #[command(verbatim_doc_comment)]
    Fuzz(fuzz::FuzzArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Connections are descriptors, and the embedded server's count against
    // ours (`descriptors.rs`): as many as the system lets this process have.
    ftpspec_harness::descriptors::raise_limit();
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::List(args) => run::list(args),
        Command::Show(args) => show::run(args),
        Command::Serve(args) => run::serve(args),
        Command::Coverage(args) => coverage::run(args),
        Command::Matrix(args) => matrix::run(args),
        Command::Decode(args) => decode::run(&args),
        Command::Fuzz(args) => fuzz::run(args),
    }
}
