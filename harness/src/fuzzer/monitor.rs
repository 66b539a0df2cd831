//! `--target-cmd`: a process monitor. Starts the server with `sh -c`, waits
//! until it accepts connections, notices when it dies, restarts it (a
//! bounded number of times) and stops it at the end.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Why the target process could not be (re)started.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// `sh` could not be spawned.
    #[error("cannot start the target command: {0}")]
    Spawn(#[from] std::io::Error),
    /// It exited while starting.
    #[error("the target command exited while starting ({0})")]
    Exited(String),
    /// It never accepted a connection on the target address.
    #[error("the target command did not accept connections on {0} within {1:?}")]
    NotListening(SocketAddr, Duration),
    /// Too many restarts: the run stops rather than loop on a broken server.
    #[error("the target was restarted {0} times; giving up")]
    TooManyRestarts(usize),
}

/// How long a stopped server gets between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(2);

/// A server process the fuzzer owns.
#[derive(Debug)]
pub struct Monitor {
    cmd: String,
    addr: SocketAddr,
    child: Option<Child>,
    /// Restarts so far.
    pub restarts: usize,
    max_restarts: usize,
    startup: Duration,
}

impl Monitor {
    /// Start `cmd` and wait until `addr` accepts connections.
    pub async fn start(
        cmd: &str,
        addr: SocketAddr,
        max_restarts: usize,
    ) -> Result<Monitor, MonitorError> {
        let mut m = Monitor {
            cmd: cmd.to_owned(),
            addr,
            child: None,
            restarts: 0,
            max_restarts,
            startup: Duration::from_secs(15),
        };
        m.spawn().await?;
        Ok(m)
    }

    async fn spawn(&mut self) -> Result<(), MonitorError> {
        let child = Command::new("sh")
            .arg("-c")
            .arg(&self.cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so that stopping it stops whatever
            // `sh -c` started too.
            .process_group(0)
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + self.startup;
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return Err(MonitorError::Exited(status));
            }
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err(MonitorError::NotListening(self.addr, self.startup))
    }

    /// If the process has exited: how.
    pub fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(e.to_string()),
        }
    }

    /// Stop the process (group) and start it again.
    pub async fn restart(&mut self) -> Result<(), MonitorError> {
        if self.restarts >= self.max_restarts {
            return Err(MonitorError::TooManyRestarts(self.restarts));
        }
        self.restarts += 1;
        self.stop();
        self.spawn().await
    }

    /// Stop the process group we started: SIGTERM first, and SIGKILL only
    /// after [`GRACE`], so that a server can finish what it writes on the
    /// way out (coverage data, logs).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if child.try_wait().ok().flatten().is_none() {
                // The group id is the child's pid (process_group(0)).
                let group = format!("-{}", child.id());
                let signal = |sig: &str| {
                    let _ = Command::new("kill")
                        .args([sig, "--", &group])
                        .stderr(Stdio::null())
                        .status();
                };
                signal("-TERM");
                let deadline = Instant::now() + GRACE;
                while Instant::now() < deadline && child.try_wait().ok().flatten().is_none() {
                    std::thread::sleep(Duration::from_millis(10));
                }
                if child.try_wait().ok().flatten().is_none() {
                    signal("-KILL");
                    let _ = child.kill();
                }
            }
            let _ = child.wait();
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop();
    }
}
