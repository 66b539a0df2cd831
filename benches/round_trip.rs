//! One command's round trip through ftpspec's driver (`Control::ask`,
//! async, with its bounded reads and transcript), on a current-thread and
//! on a multi-threaded tokio runtime, against the barest client there is:
//! blocking `std::net`, a write, then a read up to the reply's last line.
//! Each on one logged-in connection of its own to the same server, in
//! alternating blocks so that drift on the machine hits all alike.
//!
//! It answers one question about the live fuzzer's throughput: how much
//! of a session's time is the harness's, not the server's. (It is why
//! `ftpspec fuzz` with one job runs on the current thread.)
//!
//! ```text
//! cargo bench --bench round_trip                      # the embedded libunftp
//! cargo bench --bench round_trip -- --quick
//! # vsftpd with an anonymous login, in the private namespace:
//! scripts/ci/real-servers.sh cargo bench --offline --bench round_trip -- \
//!     --addr 127.0.0.1:2121 --user anonymous --pass ftpspec@example.org
//! ```
//!
//! Loopback addresses only (127.0.0.0/8, ::1): a benchmark is a load loop.

use ftpspec_harness::driver::{Control, Limits, Transcript};
use ftpspec_harness::embedded::{self, Embedded};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// Commands every server answers at once without touching a file or a
/// data connection, so that the round trip is all that is timed.
const COMMANDS: [&str; 4] = ["NOOP", "SYST", "TYPE I", "PWD"];

struct Args {
    addr: Option<SocketAddr>,
    user: String,
    pass: String,
    /// Blocks of [`PER_BLOCK`] round trips per client and command.
    blocks: usize,
}

const PER_BLOCK: usize = 100;

fn args() -> Result<Args, String> {
    let mut a = Args {
        addr: None,
        user: embedded::USER.into(),
        pass: embedded::PASS.into(),
        blocks: 20,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--quick" => a.blocks = 5,
            "--blocks" => a.blocks = value()?.parse().map_err(|e| format!("--blocks: {e}"))?,
            "--addr" => {
                let addr: SocketAddr = value()?.parse().map_err(|e| format!("--addr: {e}"))?;
                if !addr.ip().is_loopback() {
                    return Err(format!("--addr {addr}: loopback addresses only"));
                }
                a.addr = Some(addr);
            }
            "--user" => a.user = value()?,
            "--pass" => a.pass = value()?,
            // `cargo bench` passes --bench.
            "--bench" => {}
            other => {
                return Err(format!(
                    "unknown argument {other}: --quick, --blocks N, --addr ADDR, --user U, --pass P"
                ));
            }
        }
    }
    a.blocks = a.blocks.max(1);
    Ok(a)
}

/// The bare client: a blocking socket and a line reader.
struct Bare {
    out: TcpStream,
    lines: BufReader<TcpStream>,
    line: String,
}

impl Bare {
    fn login(addr: SocketAddr, user: &str, pass: &str) -> Result<Bare, String> {
        let out = TcpStream::connect(addr).map_err(|e| e.to_string())?;
        out.set_nodelay(true).map_err(|e| e.to_string())?;
        out.set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
        let lines = BufReader::new(out.try_clone().map_err(|e| e.to_string())?);
        let mut b = Bare {
            out,
            lines,
            line: String::new(),
        };
        b.reply()?;
        b.ask(&format!("USER {user}"))?;
        match b.ask(&format!("PASS {pass}"))?.as_str() {
            "230" => Ok(b),
            code => Err(format!("login as {user} refused ({code}): --user, --pass")),
        }
    }

    /// Send `line`, read its reply to the last line (`ddd `); the code.
    fn ask(&mut self, line: &str) -> Result<String, String> {
        self.out
            .write_all(format!("{line}\r\n").as_bytes())
            .map_err(|e| e.to_string())?;
        self.reply()
    }

    fn reply(&mut self) -> Result<String, String> {
        loop {
            self.line.clear();
            match self.lines.read_line(&mut self.line) {
                Ok(0) => return Err("connection closed".into()),
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
            let b = self.line.as_bytes();
            if b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b' ' {
                return Ok(self.line[..3].to_owned());
            }
        }
    }
}

async fn driver_login(addr: SocketAddr, user: &str, pass: &str) -> Result<Control, String> {
    let mut t = Transcript::default();
    let mut c = Control::connect(addr, Limits::default())
        .await
        .map_err(|e| e.to_string())?;
    c.greeting(&mut t).await.map_err(|e| e.to_string())?;
    c.ask(&format!("USER {user}"), &mut t)
        .await
        .map_err(|e| e.to_string())?;
    let r = c
        .ask(&format!("PASS {pass}"), &mut t)
        .await
        .map_err(|e| e.to_string())?;
    match r.code().get() {
        230 => Ok(c),
        code => Err(format!("login as {user} refused ({code}): --user, --pass")),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A logged-in driver connection and the runtime it lives on.
struct Driver {
    rt: Runtime,
    control: Control,
}

impl Driver {
    fn login(rt: Runtime, addr: SocketAddr, args: &Args) -> Result<Driver, String> {
        let control = rt.block_on(driver_login(addr, &args.user, &args.pass))?;
        Ok(Driver { rt, control })
    }

    /// [`PER_BLOCK`] round trips of `cmd`: the mean time of one.
    fn block(&mut self, cmd: &str) -> Result<Duration, String> {
        let c = &mut self.control;
        self.rt.block_on(async {
            let t0 = Instant::now();
            for _ in 0..PER_BLOCK {
                // A transcript per command, as a fuzz session keeps one.
                let mut t = Transcript::default();
                c.ask(cmd, &mut t).await.map_err(|e| e.to_string())?;
            }
            Ok(t0.elapsed() / PER_BLOCK as u32)
        })
    }
}

fn measure(args: &Args, addr: SocketAddr) -> Result<(), String> {
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut drivers = [
        Driver::login(current, addr, args)?,
        Driver::login(multi, addr, args)?,
    ];
    let mut bare = Bare::login(addr, &args.user, &args.pass)?;
    println!(
        "{:8} {:>10} {:>22} {:>22}",
        "command", "bare ms", "ftpspec current ms", "ftpspec multi ms"
    );
    for cmd in COMMANDS {
        let mut times: [Vec<Duration>; 3] = Default::default();
        for _ in 0..args.blocks {
            let t0 = Instant::now();
            for _ in 0..PER_BLOCK {
                bare.ask(cmd)?;
            }
            times[0].push(t0.elapsed() / PER_BLOCK as u32);
            for (d, out) in drivers.iter_mut().zip(&mut times[1..]) {
                out.push(d.block(cmd)?);
            }
        }
        let [b, c, m] = times.map(|v| median(v).as_secs_f64());
        println!(
            "{cmd:8} {:>10.3} {:>13.3} ({:>4.2}x) {:>13.3} ({:>4.2}x)",
            b * 1e3,
            c * 1e3,
            c / b,
            m * 1e3,
            m / b
        );
    }
    println!(
        "median of {} blocks of {PER_BLOCK} round trips each; (Nx): the time against the bare client's",
        args.blocks
    );
    Ok(())
}

/// The embedded server on a thread and runtime of its own, as a server
/// in another process would be.
fn embedded_apart() -> Result<SocketAddr, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        rt.block_on(async {
            match Embedded::start().await {
                Ok(server) => {
                    let _ = tx.send(Ok(server.addrs[0]));
                    // Served until the process ends.
                    std::future::pending::<()>().await;
                    drop(server);
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        });
    });
    rx.recv().map_err(|e| e.to_string())?
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = match args.addr {
        Some(addr) => {
            println!("server: {addr}, user {}", args.user);
            Ok(addr)
        }
        None => embedded_apart().inspect(|addr| {
            println!("server: the embedded libunftp at {addr}, on a runtime of its own")
        }),
    };
    match addr.and_then(|addr| measure(&args, addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
