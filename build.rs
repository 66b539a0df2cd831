//! Probes the prerequisites of a few tests, so that a test whose
//! prerequisite is missing shows as *ignored, with the reason* instead of
//! passing without running. In CI (`CI` set) nothing is ignored: the test
//! runs and fails, naming what to install.
//!
//! - `ftpspec_no_ipv6`: `::1` cannot be bound here.
//! - `ftpspec_no_python3`: `python3` does not run here.
//! - `ftpspec_no_browser`: no chromium (or Chrome) runs here (never with
//!   `FTPSPEC_REQUIRE_BROWSER` set, as `.ci/run` does).
//! - `ftpspec_ci`: `CI` is set.

use std::process::{Command, Stdio};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=FTPSPEC_REQUIRE_BROWSER");
    for cfg in [
        "ftpspec_no_ipv6",
        "ftpspec_no_python3",
        "ftpspec_no_browser",
        "ftpspec_ci",
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    if ci {
        println!("cargo::rustc-cfg=ftpspec_ci");
        return;
    }
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        println!("cargo::rustc-cfg=ftpspec_no_ipv6");
    }
    if !runs("python3") {
        println!("cargo::rustc-cfg=ftpspec_no_python3");
    }
    let require_browser = std::env::var_os("FTPSPEC_REQUIRE_BROWSER").is_some();
    if !require_browser
        && !["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .any(runs)
    {
        println!("cargo::rustc-cfg=ftpspec_no_browser");
    }
}

/// Whether `program --version` runs and succeeds.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
