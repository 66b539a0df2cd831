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
    // Bind and drop a listener so the port is (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
