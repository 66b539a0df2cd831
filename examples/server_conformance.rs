//! How a server project gates on ftpspec from its own test suite.
//!
//! Start your server on loopback in the test, run the scenarios against it
//! and keep the outcome as an insta snapshot: a change in any verdict or
//! finding shows up as a reviewable diff. Here the embedded libunftp server
//! stands in for "your server".
//!
//! ```text
//! cargo test --example server_conformance     # the #[tokio::test] below
//! cargo run --example server_conformance      # print the verdicts
//! ```
//!
//! In a server project, depend on the engine with
//! `ftpspec-harness = { git = "https://github.com/ftpspec/ftpspec" }` and
//! copy (or vendor) the `scenarios/` directory you want to gate on.

use ftpspec_harness::embedded::Embedded;
use ftpspec_harness::runner::Report;
use ftpspec_harness::suite::{Suite, SuiteError};
use std::path::Path;

/// Run the `basic.*` and `login.*` scenarios against a fresh server.
async fn check_server() -> Result<Report, SuiteError> {
    // Your server here: bind to 127.0.0.1:0 and hand its URL to ftpspec.
    let server = Embedded::start().await.expect("embedded server");
    Suite::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))?
        .only("basic.*")?
        .only("login.*")?
        .run(server.target())
        .await
}

#[tokio::main]
async fn main() -> Result<(), SuiteError> {
    let report = check_server().await?;
    for case in &report.cases {
        println!("{:<12} {}", case.verdict, case.id);
    }
    println!("{:?}", report.summary);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance_snapshot() {
        let report = check_server().await.unwrap();
        // `stable()` drops timings, ports and transcripts, which change
        // from run to run even when the server does not.
        insta::assert_yaml_snapshot!(report.stable());
    }
}
