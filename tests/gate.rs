//! The CI gates end to end, through the `ftpspec` binary against the
//! scripted server: a baseline round trip (write it, rerun, then inject a
//! fault and see the regression), transcript snapshots (record, rerun,
//! change the server's behaviour and see the diff), and the normalised
//! transcripts themselves kept as insta snapshots.

mod support;

use ftpspec_harness::runner::Report;
use ftpspec_harness::snapshot;
use ftpspec_harness::suite::Suite;
use std::path::Path;
use std::time::Duration;
use support::scripted_server::{Fault, ScriptedServer};

/// Run the binary with `args` (blocking, off the runtime that serves the
/// scripted server) and return (exit code, stdout, stderr).
async fn ftpspec(args: Vec<String>) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || support::cli::ftpspec(&args))
        .await
        .unwrap()
}

/// `ftpspec run` against a fresh server with `fault`, on the two cases the
/// gate tests use, plus `extra` arguments.
async fn run_against(fault: Fault, extra: &[&str]) -> (i32, String, String) {
    let server = ScriptedServer::start(fault).await;
    let mut args: Vec<String> = [
        "run",
        "--target",
        &server.url(),
        "--only",
        "basic.noop",
        "--only",
        "dirs.mkd-rmd",
        "--timeout",
        "2s",
        "--report",
        "json=/dev/null",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    ftpspec(args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baseline_round_trip_detects_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ftpspec.baseline");
    let f = file.to_str().unwrap();

    // A server with a known deviation: MKD answered 226 (a warning).
    let (code, _, err) = run_against(
        Fault::WrongCodeForCommand,
        &["--baseline", f, "--update-baseline"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# ftpspec baseline 1\n"), "{text}");
    assert!(text.contains("\nwarn dirs.mkd-rmd -- seen: "), "{text}");
    assert!(!text.contains("basic.noop"), "{text}");

    // Reasons are the maintainers' words: an update keeps them.
    let edited = text
        .lines()
        .map(|l| match l.split_once(" -- ") {
            Some((head, _)) if !l.starts_with('#') => format!("{head} -- upstream issue 7"),
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&file, edited + "\n").unwrap();

    // Same server, baseline given: nothing is worse, the run passes.
    let (code, out, err) = run_against(
        Fault::WrongCodeForCommand,
        &["--baseline", f, "--update-baseline"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("0 regression(s), 0 fixed, 1 known"), "{out}");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("warn dirs.mkd-rmd -- upstream issue 7"),
        "the reason was not kept"
    );

    // A new fault: NOOP answered twice is a regression of basic.noop.
    let (code, out, err) = run_against(Fault::DuplicatedReply, &["--baseline", f]).await;
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("REGRESSION basic.noop: pass -> fail"), "{out}");

    // A conformant server: the known warning is fixed, and the run passes.
    let (code, out, err) = run_against(Fault::None, &["--baseline", f]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("fixed dirs.mkd-rmd: warn -> pass"), "{out}");
    assert!(out.contains("0 regression(s), 1 fixed"), "{out}");

    // Without a baseline the same known warning still gates on nothing,
    // but a failure does.
    assert_eq!(run_against(Fault::DuplicatedReply, &[]).await.0, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_baseline_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b");
    std::fs::write(&file, "fail basic.noop\n").unwrap();
    let (code, _, err) = run_against(Fault::None, &["--baseline", file.to_str().unwrap()]).await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 1: basic.noop: every entry needs a reason"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_record_then_show_a_changed_transcript() {
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snaps");
    let s = snaps.to_str().unwrap();

    let (code, _, err) = run_against(Fault::None, &["--snapshots", s, "--accept"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 new, 2 written"), "{err}");
    assert!(snaps.join("dirs.mkd-rmd.snap").exists());

    // Another server instance (another port): redaction makes it equal.
    let (code, _, err) = run_against(Fault::None, &["--snapshots", s]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("snapshots: 2 unchanged, 0 changed, 0 new"),
        "{err}"
    );

    // MKD now answered 226: the transcript changed, with a diff.
    let (code, _, err) = run_against(Fault::WrongCodeForCommand, &["--snapshots", s]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("snapshot changed: dirs.mkd-rmd"), "{err}");
    assert!(err.contains("\n+S< 226 made it"), "{err}");
    assert!(err.contains("1 unchanged, 1 changed"), "{err}");

    // A case marked as varying is left alone.
    std::fs::write(snaps.join("dirs.mkd-rmd.snap"), "# ftpspec: ignore\n").unwrap();
    let (code, _, err) = run_against(Fault::WrongCodeForCommand, &["--snapshots", s]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("1 unchanged, 0 changed, 0 new, 1 ignored"),
        "{err}"
    );
}

/// The normalised transcripts of a few cases against the conformant
/// scripted server, as insta snapshots: what `--snapshots` stores.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normalised_transcripts() {
    let server = ScriptedServer::start(Fault::None).await;
    let suite = Suite::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
        .unwrap()
        .only("basic.noop")
        .unwrap()
        .only("dirs.mkd-rmd")
        .unwrap()
        .only("transfer.stor-retr-binary[pasv-ipv4]")
        .unwrap()
        .only("transfer.stor-retr-binary[eprt-ipv4]")
        .unwrap()
        .step_timeout(Duration::from_secs(2));
    let report: Report = suite.run_url(&server.url()).await.unwrap();
    assert_eq!(report.cases.len(), 4);
    for case in &report.cases {
        let name = snapshot::file_name(&case.id);
        insta::assert_snapshot!(name.trim_end_matches(".snap"), snapshot::normalise(case));
    }
}

/// The password is in nothing ftpspec writes: terminal, JSON, JUnit,
/// Markdown, HTML, snapshots, baseline, rerun lines; not even where the
/// server itself repeats it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_is_in_nothing_ftpspec_writes() {
    use support::scripted_server::{SECRET_PASS, SECRET_USER};
    let server = ScriptedServer::start(Fault::DuplicatedReply).await;
    let dir = tempfile::tempdir().unwrap();
    let d = |f: &str| dir.path().join(f).to_str().unwrap().to_owned();
    let url = format!("ftp://{SECRET_USER}:{SECRET_PASS}@{}/", server.addr);
    let mut args: Vec<String> = vec!["run".into(), "--target".into(), url.clone()];
    for extra in [
        "--only",
        "basic.noop",
        "--only",
        "login.user-pass",
        "--timeout",
        "2s",
        "--verbose",
        "--report",
        "human",
    ] {
        args.push(extra.into());
    }
    for (f, r) in [
        ("r.json", "json"),
        ("r.xml", "junit"),
        ("r.md", "markdown"),
        ("r.html", "html"),
    ] {
        args.push("--report".into());
        args.push(format!("{r}={}", d(f)));
    }
    args.extend([
        "--snapshots".into(),
        d("snaps"),
        "--accept".into(),
        "--baseline".into(),
        d("b"),
        "--update-baseline".into(),
    ]);
    let (code, out, err) = ftpspec(args).await;
    assert_eq!(code, 0, "{out}{err}");
    // Again without the baseline: basic.noop fails, with its rerun line.
    let (code, out2, err2) = ftpspec(vec![
        "run".into(),
        "--target".into(),
        url,
        "--only".into(),
        "basic.noop".into(),
        "--timeout".into(),
        "2s".into(),
    ])
    .await;
    assert_eq!(code, 1, "{out2}{err2}");
    assert!(
        out2.contains("rerun: ftpspec run --target 'ftp://secret-user@"),
        "{out2}"
    );
    let json = std::fs::read_to_string(d("r.json")).unwrap();
    // The run did log in and see the echo (else this proves nothing).
    assert!(
        json.contains("230 Login successful (password ********)"),
        "{json}"
    );
    let mut written = format!("{out}{err}{out2}{err2}");
    for f in ["r.json", "r.xml", "r.md", "r.html", "b"] {
        written.push_str(&std::fs::read_to_string(d(f)).unwrap());
    }
    for e in std::fs::read_dir(d("snaps")).unwrap() {
        written.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    assert!(!written.contains(SECRET_PASS), "the password leaked");
    assert!(written.contains("PASS ********"), "no PASS line at all?");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_with_a_baseline_show_known_failures_as_known() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ftpspec.baseline");
    let f = file.to_str().unwrap();
    // NOOP answered twice: basic.noop fails; the baseline records it.
    let (code, _, err) = run_against(
        Fault::DuplicatedReply,
        &["--baseline", f, "--update-baseline"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\nfail basic.noop -- "), "{text}");
    let edited = text.replace("\nfail basic.noop -- ", "\nfail basic.noop -- upstream 9; ");
    std::fs::write(&file, &edited).unwrap();

    // The same failure again: the gate passes, JUnit says "skipped" with
    // the baseline's reason (a green job, a green test view), Markdown
    // lists it under Known and has no failure table for it.
    let junit = dir.path().join("junit.xml");
    let md = dir.path().join("summary.md");
    let (code, _, err) = run_against(
        Fault::DuplicatedReply,
        &[
            "--baseline",
            f,
            "--report",
            &format!("junit={}", junit.display()),
            "--report",
            &format!("markdown={}", md.display()),
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    let noop = &xml[xml
        .find("name=\"basic.noop\"")
        .expect("basic.noop in JUnit")..];
    let noop = &noop[..noop.find("</testcase>").unwrap_or(noop.len())];
    assert!(noop.contains("<skipped"), "{noop}");
    assert!(noop.contains("upstream 9"), "{noop}");
    assert!(!xml.contains("<failure"), "{xml}");
    let summary = std::fs::read_to_string(&md).unwrap();
    let known = summary.find("Known").expect("a Known section");
    assert!(summary[known..].contains("basic.noop"), "{summary}");
    assert!(!summary.contains("Regressions (1"), "{summary}");

    // A racy entry accepts the better outcome without calling it fixed,
    // and an update keeps it as it is.
    let racy = edited.replace("\nfail basic.noop -- ", "\nracy fail basic.noop -- ");
    std::fs::write(&file, &racy).unwrap();
    let (code, out, err) = run_against(Fault::None, &["--baseline", f, "--update-baseline"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("fixed basic.noop"), "{out}");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("racy fail basic.noop -- upstream 9"),
        "the racy entry was not kept"
    );
    // ...and still gates on anything worse than its verdict: none here is
    // worse than fail, so a failing run passes too.
    let (code, _, err) = run_against(Fault::DuplicatedReply, &["--baseline", f]).await;
    assert_eq!(code, 0, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_baseline_from_another_suite_warns() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ftpspec.baseline");
    let f = file.to_str().unwrap();
    let (code, _, err) = run_against(Fault::None, &["--baseline", f, "--update-baseline"]).await;
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    let suite_line = text
        .lines()
        .find(|l| l.starts_with("# suite "))
        .expect("the baseline records the suite digest")
        .to_owned();
    std::fs::write(
        &file,
        text.replace(&suite_line, "# suite 000000000000 (ftpspec 0.0.1)"),
    )
    .unwrap();
    let (code, out, err) = run_against(Fault::None, &["--baseline", f]).await;
    assert_eq!(code, 0, "a digest mismatch warns, it does not fail: {err}");
    assert!(
        out.contains("warning: the baseline was recorded against suite 000000000000"),
        "{out}"
    );
}
