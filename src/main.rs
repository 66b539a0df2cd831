//! `ftpspec`: a thin command-line front end over the `ftpspec-harness` engine.

mod decode;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// FTP protocol conformance and fuzz test harness.
#[derive(Parser)]
#[command(name = "ftpspec", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode captured FTP bytes and show every value and tolerated deviation.
    ///
    /// Example: `ftpspec decode reply corpora/reply/vsftpd-feat-211-multiline.txt`
    Decode(decode::DecodeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => decode::run(&args),
    }
}
