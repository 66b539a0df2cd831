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
    let (code, _, err) = ftpspec(&[
        "fuzz",
        "--target",
        &format!("ftp://127.0.0.1:{port}/"),
        "--sessions",
        "5",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("unreachable"), "{err}");
}

#[test]
fn fuzz_runs_against_the_embedded_server() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = ftpspec(&[
        "fuzz",
        "--sessions",
        "40",
        "--max-findings",
        "1",
        "--timeout",
        "2s",
        "--findings",
        dir.path().to_str().unwrap(),
    ]);
    // 0 without findings, 1 with; libunftp has a few.
    assert!(code == 0 || code == 1, "{code}: {err}");
    assert!(out.contains("sessions in"), "{out}");
    assert_eq!(
        code == 1,
        std::fs::read_dir(dir.path()).unwrap().count() > 0,
        "exit code and written findings disagree: {out}"
    );
}
