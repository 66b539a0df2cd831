//! The embedded server started apart is emptied by `recycle` of what
//! libunftp 0.24 holds (a session is kept five minutes once its client has
//! connected to a passive port and left without a transfer), and a fuzz
//! run against it with few descriptors to spare keeps going.

use ftpspec_harness::descriptors;
use ftpspec_harness::embedded::{Embedded, PASS, USER};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One plain-FTP exchange: send `line` (if any), read one reply line.
async fn ask(c: &mut BufReader<TcpStream>, line: Option<&str>) -> String {
    if let Some(l) = line {
        c.get_mut()
            .write_all(format!("{l}\r\n").as_bytes())
            .await
            .unwrap();
    }
    let mut reply = String::new();
    tokio::time::timeout(Duration::from_secs(5), c.read_line(&mut reply))
        .await
        .expect("a reply within 5 s")
        .unwrap();
    reply
}

/// Log in, PASV, connect to the port it names, and leave: what libunftp
/// keeps five minutes.
async fn leave_after_pasv(addr: SocketAddr) {
    let mut c = BufReader::new(TcpStream::connect(addr).await.unwrap());
    assert!(ask(&mut c, None).await.starts_with("220"));
    ask(&mut c, Some(&format!("USER {USER}"))).await;
    assert!(
        ask(&mut c, Some(&format!("PASS {PASS}")))
            .await
            .starts_with("230")
    );
    let r = ask(&mut c, Some("PASV")).await;
    let nums: Vec<u16> = r[r.find('(').unwrap() + 1..r.find(')').unwrap()]
        .split(',')
        .map(|n| n.trim().parse().unwrap())
        .collect();
    let port = nums[4] * 256 + nums[5];
    let data = TcpStream::connect(SocketAddr::new(addr.ip(), port))
        .await
        .unwrap();
    drop(data);
    drop(c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recycling_lets_go_of_what_libunftp_holds_and_serves_on() {
    let mut server = Embedded::start_apart().await.unwrap();
    let addr = server.addrs[0];
    let before = descriptors::open().unwrap();
    for _ in 0..20 {
        leave_after_pasv(addr).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held = descriptors::open().unwrap();
    assert!(
        held >= before + 20,
        "libunftp holds what 20 sessions left: {before} descriptors before, {held} after"
    );
    server.recycle().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = descriptors::open().unwrap();
    assert!(
        after < before + 10,
        "recycled, it holds nothing: {before} before, {held} held, {after} after"
    );
    assert_eq!(server.addrs[0], addr, "the same address");
    let mut c = BufReader::new(TcpStream::connect(addr).await.unwrap());
    assert!(ask(&mut c, None).await.starts_with("220"), "serving again");
}

/// `ftpspec fuzz` against the embedded server with a limit of 512
/// descriptors: without recycling, its own connections failed (EMFILE)
/// within seconds and the run ended on a false crash finding.
#[test]
fn a_fuzz_run_with_few_descriptors_keeps_going() {
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -n 512 && exec '{}' fuzz --duration 20s --timeout 1s --json",
            env!("CARGO_BIN_EXE_ftpspec")
        ))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "a JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let p = &report["progress"];
    assert_eq!(p["harness_errors"], 0, "{p}");
    assert!(p["recycled"].as_u64().unwrap() >= 1, "{p}");
    assert!(p["sessions"].as_u64().unwrap() > 100, "{p}");
    let crashes: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["oracle"] == "crash")
        .collect();
    assert!(crashes.is_empty(), "{crashes:#?}");
}
