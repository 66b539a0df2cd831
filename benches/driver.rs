//! ftpspec's session layer against an existing client, suppaftp's async
//! tokio client, doing the same session against the same embedded
//! libunftp server in one run: connect, log in, TYPE I, EPSV, RETR of a
//! 1 MiB file read to the end, QUIT. Sessions alternate between the two
//! clients so that drift on the machine hits both alike.
//!
//! ```text
//! cargo bench --bench driver                      # 60 sessions each
//! cargo bench --bench driver -- --quick           # 20 each
//! cargo bench --bench driver -- --quick --check benches/baseline-ratio.txt
//! ```
//!
//! The ratio printed is ours / suppaftp in sessions per second (above 1:
//! ftpspec is faster). `--check FILE` exits 1 if it falls below half the
//! ratio recorded in FILE: a same-run ratio, so the machine's speed cancels.

use ftpspec_harness::codec::{ExtPassiveReply, Leniency, Reply};
use ftpspec_harness::driver::{Control, Limits, Transcript};
use ftpspec_harness::embedded::{self, Embedded};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use suppaftp::tokio::AsyncFtpStream;
use suppaftp::types::FileType;
use tokio::io::AsyncReadExt;

const FILE: &str = "bench-1m.bin";
const SIZE: usize = 1024 * 1024;

/// One session with ftpspec's driver; returns the bytes received.
async fn ours(addr: SocketAddr) -> Result<usize, String> {
    let limits = Limits::default();
    let mut t = Transcript::default();
    let mut c = Control::connect(addr, limits)
        .await
        .map_err(|e| e.to_string())?;
    expect(&mut c, &mut t, 220).await?;
    for (line, code) in [
        (format!("USER {}\r\n", embedded::USER), 331),
        (format!("PASS {}\r\n", embedded::PASS), 230),
        ("TYPE I\r\n".to_owned(), 200),
    ] {
        c.send(line.as_bytes(), &mut t)
            .await
            .map_err(|e| e.to_string())?;
        expect(&mut c, &mut t, code).await?;
    }
    c.send(b"EPSV\r\n", &mut t)
        .await
        .map_err(|e| e.to_string())?;
    let epsv = expect(&mut c, &mut t, 229).await?;
    let port = ExtPassiveReply::from_reply(&epsv, Leniency::PERMISSIVE)
        .map_err(|e| e.to_string())?
        .value
        .port();
    let data = c
        .connect_passive(port, &mut t)
        .await
        .map_err(|e| e.to_string())?;
    c.send(format!("RETR {FILE}\r\n").as_bytes(), &mut t)
        .await
        .map_err(|e| e.to_string())?;
    expect(&mut c, &mut t, 150).await?;
    let got = data
        .download(&limits, &mut t)
        .await
        .map_err(|e| e.to_string())?;
    expect(&mut c, &mut t, 226).await?;
    c.send(b"QUIT\r\n", &mut t)
        .await
        .map_err(|e| e.to_string())?;
    expect(&mut c, &mut t, 221).await?;
    Ok(got.len())
}

/// The next reply, which must carry `code`.
async fn expect(c: &mut Control, t: &mut Transcript, code: u16) -> Result<Reply, String> {
    let r = c.read_reply(t).await.map_err(|e| e.to_string())?.value;
    match r.code().get() == code {
        true => Ok(r),
        false => Err(format!("expected {code}, got {r}")),
    }
}

/// The same session with suppaftp.
async fn suppa(addr: SocketAddr) -> Result<usize, String> {
    let mut ftp = AsyncFtpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    ftp.set_mode(suppaftp::Mode::ExtendedPassive);
    ftp.login(embedded::USER, embedded::PASS)
        .await
        .map_err(|e| e.to_string())?;
    ftp.transfer_type(FileType::Binary)
        .await
        .map_err(|e| e.to_string())?;
    let mut stream = ftp.retr_as_stream(FILE).await.map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    stream
        .read_to_end(&mut got)
        .await
        .map_err(|e| e.to_string())?;
    stream.finish().await.map_err(|e| e.to_string())?;
    ftp.quit().await.map_err(|e| e.to_string())?;
    Ok(got.len())
}

/// Median of session times, in seconds.
fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

struct Args {
    rounds: usize,
    check: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        rounds: 60,
        check: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => a.rounds = 20,
            "--rounds" => a.rounds = it.next().and_then(|n| n.parse().ok()).unwrap_or(a.rounds),
            "--check" => a.check = it.next(),
            // `cargo bench` passes --bench; criterion-style filters are ignored.
            _ => {}
        }
    }
    a.rounds = a.rounds.max(1);
    a
}

fn main() -> ExitCode {
    let args = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = rt.block_on(async {
        let server = Embedded::start().await.map_err(|e| e.to_string())?;
        let bytes = ftpspec_harness::fixtures::fixture("random-1m").expect("a fixture");
        assert_eq!(bytes.len(), SIZE);
        std::fs::write(server.root().join(FILE), &bytes).map_err(|e| e.to_string())?;
        let addr = server.addrs[0];
        // Warm-up: first connections pay for page faults and lazy setup.
        for _ in 0..3 {
            ours(addr).await?;
            suppa(addr).await?;
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..args.rounds {
            let t = Instant::now();
            check_len(ours(addr).await?, "ftpspec")?;
            a.push(t.elapsed());
            let t = Instant::now();
            check_len(suppa(addr).await?, "suppaftp")?;
            b.push(t.elapsed());
        }
        Ok::<_, String>((median(a), median(b)))
    });
    let (ours_s, suppa_s) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mb = SIZE as f64 / 1e6;
    for (name, s) in [("ftpspec driver", ours_s), ("suppaftp 12 (tokio)", suppa_s)] {
        println!(
            "{name:20} median session {:7.2} ms  {:7.1} sessions/s  {:7.1} MB/s",
            s * 1e3,
            1.0 / s,
            mb / s
        );
    }
    let ratio = suppa_s / ours_s;
    println!(
        "ratio ftpspec/suppaftp (sessions/s): {ratio:.2}  ({} sessions each, connect+login+TYPE I+EPSV+RETR 1 MiB+QUIT, embedded libunftp on 127.0.0.1)",
        args.rounds
    );
    if let Some(path) = args.check {
        let recorded = std::fs::read_to_string(&path).ok().and_then(|s| {
            s.lines()
                .find(|l| !l.starts_with('#') && !l.trim().is_empty())
                .and_then(|l| l.trim().parse::<f64>().ok())
        });
        let Some(recorded) = recorded else {
            eprintln!("error: {path}: no recorded ratio");
            return ExitCode::FAILURE;
        };
        if ratio < recorded / 2.0 {
            eprintln!("FAIL: ratio {ratio:.2} is below half the recorded {recorded:.2} ({path})");
            return ExitCode::FAILURE;
        }
        println!("ok: ratio {ratio:.2} is at least half the recorded {recorded:.2}");
    }
    ExitCode::SUCCESS
}

fn check_len(n: usize, who: &str) -> Result<(), String> {
    match n == SIZE {
        true => Ok(()),
        false => Err(format!("{who} received {n} bytes, not {SIZE}")),
    }
}
