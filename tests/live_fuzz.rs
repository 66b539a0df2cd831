//! Proof that `ftpspec fuzz` finds bugs: a server with three planted bugs
//! at different depths (tests/support/buggy_ftpd.py: a crash on one
//! argument, a crash after a command sequence, a hang) is fuzzed with a
//! fixed seed under the process monitor; each bug must be found, and each
//! written finding must fail against the buggy server and pass against the
//! same server with the bugs turned off. Loopback only.

use ftpspec_harness::driver::Limits;
use ftpspec_harness::fuzzer::{self, FuzzConfig};
use ftpspec_harness::runner::{self, Filter, RunConfig};
use ftpspec_harness::scenario::load_dir;
use ftpspec_harness::target::Target;
use ftpspec_harness::verdict::Verdict;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/buggy_ftpd.py")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn url(port: u16) -> String {
    format!("ftp://ftpspec:ftpspec@127.0.0.1:{port}/")
}

fn have_python() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The buggy server as a child process, killed on drop.
struct Server(Child);

impl Server {
    fn start(port: u16, bugs: &str) -> Server {
        let child = Command::new("python3")
            .arg(script())
            .arg(port.to_string())
            .args(["--bugs", bugs])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "buggy_ftpd.py did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Server(child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn replay(dir: &Path, id: &str, port: u16) -> (Verdict, String) {
    let config = RunConfig {
        target: Target::parse(&url(port)).unwrap(),
        jobs: 1,
        limits: Limits {
            step_timeout: Duration::from_millis(1500),
            ..Limits::default()
        },
        case_timeout: Duration::from_secs(20),
        filter: Filter {
            only: vec![runner::Selector::new(id).unwrap()],
            tags: Vec::new(),
        },
    };
    let report = runner::run(load_dir(dir).unwrap(), config, |_| {})
        .await
        .unwrap();
    assert_eq!(report.cases.len(), 1, "{id}");
    let c = &report.cases[0];
    (c.verdict, c.message.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_and_reproduces_planted_bugs() {
    if !have_python() {
        eprintln!("SKIPPED: python3 is needed for tests/support/buggy_ftpd.py");
        return;
    }
    let port = free_port();
    let found = tempfile::tempdir().unwrap();
    let mut cfg = FuzzConfig::new(Target::parse(&url(port)).unwrap());
    cfg.seed = 1;
    cfg.jobs = 1;
    cfg.sessions = Some(4000);
    cfg.duration = Some(Duration::from_secs(100));
    cfg.max_findings = Some(3);
    cfg.findings = Some(found.path().to_owned());
    cfg.limits.step_timeout = Duration::from_secs(1);
    cfg.target_cmd = Some(format!("exec python3 '{}' {port}", script().display()));
    let report = fuzzer::fuzz(cfg, |_| {}).await.unwrap();
    for f in &report.findings {
        eprintln!(
            "found {} {} after {} sessions ({:.1}s), {} -> {} actions: {}",
            f.oracle,
            f.verb,
            f.after_sessions,
            f.after_secs,
            f.actions.1,
            f.actions.0,
            f.detail.chars().take(120).collect::<String>()
        );
    }
    eprintln!("{:?}", report.progress);
    let keys: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.oracle, f.verb.as_str()))
        .collect();
    for want in [("crash", "MKD"), ("crash", "APPE"), ("hang", "SITE")] {
        assert!(keys.contains(&want), "{want:?} not found: {keys:?}");
    }
    assert_eq!(report.progress.harness_errors, 0);

    // Minimised: the MKD crash needs > 100 bytes with "%n", and no more
    // than a little over that; the sequence needs REST then APPE.
    let mkd = std::fs::read_to_string(found.path().join("crash-mkd.ftpspec")).unwrap();
    let line = mkd
        .lines()
        .find(|l| l.starts_with("send MKD ") || l.starts_with("raw \"MKD"))
        .unwrap();
    assert!(line.len() < 140, "{line}");
    let appe = std::fs::read_to_string(found.path().join("crash-appe.ftpspec")).unwrap();
    let steps: Vec<&str> = appe
        .lines()
        .filter(|l| l.starts_with("send") || l.starts_with("raw"))
        .collect();
    assert_eq!(steps.len(), 2, "{appe}");
    assert!(steps[0].contains("REST"), "{appe}");

    // Each finding fails against a fresh buggy server and passes once the
    // bugs are gone.
    for id in ["fuzz.crash.mkd", "fuzz.crash.appe", "fuzz.hang.site"] {
        let port = free_port();
        let (v, why) = {
            let _server = Server::start(port, "crash-arg,crash-seq,hang");
            replay(found.path(), id, port).await
        };
        assert_eq!(v, Verdict::Fail, "{id} against the buggy server: {why}");
        let port = free_port();
        let _server = Server::start(port, "none");
        let (v, why) = replay(found.path(), id, port).await;
        assert_eq!(v, Verdict::Pass, "{id} against the fixed server: {why}");
    }
}
