//! The `ftpspec` binary's exit codes and messages.

mod support;

use support::cli::ftpspec;

#[test]
fn list_shows_expanded_cases() {
    let (code, out, _) = ftpspec(&["list"]);
    assert_eq!(code, 0);
    assert!(out.contains("transfer.stor-retr-binary[eprt-ipv6]"));
    assert!(out.contains("basic.noop"));
    assert!(!out.contains("[pasv-ipv6]"), "PASV is IPv4 only");
}

#[test]
fn scenario_errors_exit_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.ftpspec"),
        "id: a\ntitle: t\nref: RFC 959 §4.2 MUST \"x\"\nexpect 2x\n",
    )
    .unwrap();
    let (code, _, err) = ftpspec(&["run", "--suite", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.ftpspec:4: bad reply code"), "{err}");
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(ftpspec(&["run", "--target", "http://x/"]).0, 2);
    assert_eq!(ftpspec(&["run", "--report", "xml"]).0, 2);
    assert_eq!(ftpspec(&["run", "--jobs", "0"]).0, 2);
}

#[test]
fn unreachable_target_exits_3() {
    let port = support::cli::closed_port();
    let (code, _, err) = ftpspec(&[
        "run",
        "--target",
        &format!("ftp://127.0.0.1:{port}/"),
        "--timeout",
        "2s",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("unreachable"), "{err}");
}

/// A server that accepts and never greets is not called unreachable: the
/// error says what it did, and names the fix if it is only slow.
#[test]
fn fuzz_against_a_server_that_never_greets_says_so() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepted (the kernel's backlog), never answered.
    let (code, _, err) = fuzz_five_sessions_at(port, &["--timeout", "500ms"]);
    drop(listener);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("did not greet"), "{err}");
    assert!(err.contains("--timeout"), "{err}");
    assert!(!err.contains("unreachable"), "{err}");
}

#[test]
fn run_against_embedded_writes_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let (code, out, err) = ftpspec(&[
        "run",
        "--only",
        "basic.*",
        "--report",
        &format!("json={}", json.display()),
        "--report",
        "human",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("6 pass"), "{out}");
    let text = std::fs::read_to_string(json).unwrap();
    for key in [
        "\"summary\"",
        "\"cases\"",
        "\"verdict\"",
        "\"refs\"",
        "\"transcript\"",
        "\"mode\"",
        "\"message\"",
    ] {
        assert!(text.contains(key), "{key} missing");
    }
}

#[test]
fn fuzz_usage_and_unreachable_exit_codes() {
    assert_eq!(ftpspec(&["fuzz", "--target", "http://x/"]).0, 2);
    assert_eq!(ftpspec(&["fuzz", "--jobs", "0"]).0, 2);
    let port = support::cli::closed_port();
    let (code, _, err) = fuzz_five_sessions_at(port, &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("unreachable"), "{err}");
}

/// `ftpspec fuzz --target ftp://127.0.0.1:PORT/ --sessions 5 EXTRA...`.
fn fuzz_five_sessions_at(port: u16, extra: &[&str]) -> (i32, String, String) {
    let target = format!("ftp://127.0.0.1:{port}/");
    let mut args = vec!["fuzz", "--target", &target, "--sessions", "5"];
    args.extend_from_slice(extra);
    ftpspec(&args)
}

#[test]
fn fuzz_runs_against_the_embedded_server() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = ftpspec(&[
        "fuzz",
        "--seed",
        "1",
        "--jobs",
        "1",
        "--sessions",
        "40",
        "--max-findings",
        "1",
        // Generous: on a loaded 2-core CI machine a 2 s limit once turned
        // a slow login into a harness error.
        "--timeout",
        "10s",
        "--findings",
        dir.path().to_str().unwrap(),
    ]);
    // The summary line: how many sessions ran.
    let summary = out
        .lines()
        .find(|l| l.contains(" sessions in "))
        .unwrap_or_else(|| panic!("no summary line: {out}\n{err}"));
    let sessions: u64 = summary
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no session count: {summary}"));
    // Harness trouble is shown, not hidden (`harness error:` lines). It is
    // not asserted to be zero here: one clean-clone CI run saw one, under the
    // load of twenty servers starting; tests/live_fuzz.rs asserts zero
    // against its own server.
    if !summary.contains(" 0 harness errors") {
        assert!(
            out.contains("harness error: "),
            "counted but not shown: {out}"
        );
        eprintln!("{out}");
    }
    let findings = out.lines().filter(|l| l.starts_with("FINDING ")).count();
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    match code {
        // No finding: every session ran.
        0 => {
            assert_eq!((findings, files), (0, 0), "{out}");
            assert!(out.contains("no findings"), "{out}");
            assert_eq!(sessions, 40, "{summary}");
        }
        // One finding (--max-findings 1): printed, written, and the run
        // stopped there or at the 40th session.
        1 => {
            assert_eq!(findings, 1, "{out}");
            assert_eq!(files, 1, "one finding, one file: {out}");
            assert!((1..=40).contains(&sessions), "{summary}");
        }
        other => panic!("exit {other}: {err}"),
    }
}

#[test]
fn a_selection_of_nothing_is_exit_2_naming_the_filter() {
    let (code, _, err) = ftpspec(&["run", "--only", "nosuch.*"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--only \"nosuch.*\" selects no case"), "{err}");
    let (code, _, err) = ftpspec(&["run", "--tag", "nosuchtag"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--tag \"nosuchtag\""), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = ftpspec(&[
        "run",
        "--suite",
        empty.path().to_str().unwrap(),
        "--only",
        "nothing-here",
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn gate_inputs_are_checked_before_connecting() {
    // The target is a closed port: exit 2 (the baseline), not 3, shows the
    // file was checked first.
    let port = support::cli::closed_port();
    let target = format!("ftp://127.0.0.1:{port}/");
    let (code, _, err) = ftpspec(&["run", "--target", &target, "--baseline", "/nonexistent/b"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--update-baseline"), "{err}");
    let (code, _, err) = ftpspec(&["run", "--target", &target, "--snapshots", "/nonexistent/s"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--accept"), "{err}");
}

#[test]
fn a_refused_login_has_its_own_exit_code_and_a_clean_message() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::scripted_server::ScriptedServer::start(
        support::scripted_server::Fault::None,
    ));
    let url = format!("ftp://ftpspec:wrong-password@{}/", server.addr);
    let (code, out, err) = ftpspec(&["run", "--target", &url, "--timeout", "2s"]);
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("login refused"), "{err}");
    assert!(
        err.contains("530 Login incorrect") || err.contains("Login incorrect"),
        "{err}"
    );
    assert!(!err.contains("\\r\\n"), "raw CRLF in {err:?}");
    assert!(!format!("{out}{err}").contains("wrong-password"), "{err}");
    drop(server);
}

#[test]
fn every_error_of_a_scenario_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.ftpspec"),
        "id: a\ntitle: t\nref: RFC 959 §4.2 MUST \"x\"\nexpect 2x\nsend {nope}\nfrobnicate\n",
    )
    .unwrap();
    let (code, _, err) = ftpspec(&["list", "--suite", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    for line in ["bad.ftpspec:4:", "bad.ftpspec:5:", "bad.ftpspec:6:"] {
        assert!(err.contains(line), "{line} missing from {err}");
    }
}

#[test]
fn the_ci_template_pins_a_version() {
    let t = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci/github-actions.yml"),
    )
    .unwrap();
    assert!(
        t.contains(&format!(
            "FTPSPEC_VERSION: \"{}\"",
            env!("CARGO_PKG_VERSION")
        )),
        "the template should pin this version"
    );
    assert!(t.contains("--tag \"v$FTPSPEC_VERSION\""), "{t}");
    assert!(!t.contains("git clone"), "no unpinned scenarios: {t}");
}

#[cfg(unix)]
#[test]
fn serve_takes_a_port_and_cleans_up_on_sigterm() {
    use std::io::BufRead;
    let port = support::cli::closed_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ftpspec"))
        .args(["serve", "--port", &port.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let root = first
        .strip_prefix("embedded libunftp serving ")
        .and_then(|r| r.strip_suffix(" (plain FTP, and FTP over TLS after AUTH TLS) on:"))
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    let second = lines.next().unwrap().unwrap();
    assert!(second.contains(&format!("127.0.0.1:{port}")), "{second}");
    assert!(second.starts_with("  ftpes://ftpspec@"), "{second}");
    assert!(std::path::Path::new(&root).is_dir());
    let cert = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("certificate: ").map(str::to_owned))
        .expect("the certificate's path is printed");
    let pem = std::fs::read_to_string(&cert).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
    assert!(!std::path::Path::new(&root).exists(), "{root} left behind");
    assert!(!std::path::Path::new(&cert).exists(), "{cert} left behind");
}

#[test]
fn decode_ignores_the_files_last_newline() {
    // A command saved by an editor ends in "\r\n\n" or "\n": the final
    // newline is the file's, not the protocol's.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cmd.txt");
    std::fs::write(&file, "NOOP\r\n\n").unwrap();
    let (code, out, err) = ftpspec(&["decode", "command", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("NOOP"), "{out}");
    assert!(!out.to_lowercase().contains("bare lf"), "{out}");
}

#[test]
fn with_only_file_reports_one_summary_line_and_the_paths() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let (code, out, err) = ftpspec(&[
        "run",
        "--only",
        "basic.noop",
        "--report",
        &format!("json={}", json.display()),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let text = format!("{out}{err}");
    assert!(text.contains("1 case"), "{text}");
    assert!(text.contains(&json.display().to_string()), "{text}");
    assert!(text.lines().count() <= 3, "{text}");
}

#[test]
fn fuzz_findings_and_reproduce_lines_hold_no_password() {
    // The embedded server's password is "ftpspec", its user name too:
    // findings mask it in PASS lines, and the reproduce line names the
    // target without it.
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = ftpspec(&[
        "fuzz",
        "--sessions",
        "60",
        "--max-findings",
        "1",
        "--timeout",
        "2s",
        "--seed",
        "3",
        "--findings",
        dir.path().to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 1, "{code}: {err}");
    assert!(!out.contains("PASS ftpspec"), "{out}");
    assert!(!out.contains(":ftpspec@"), "{out}");
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("PASS ftpspec"), "{text}");
        assert!(!text.contains(":ftpspec@"), "{text}");
    }
}
