//! `--target-cmd`: a process monitor. Starts the server with `sh -c`, waits
//! until it accepts connections, notices when it dies, restarts it and
//! stops it at the end.
//!
//! Restarts are bounded in a row, not in all: a server that a fuzz run
//! crashes now and then is restarted as often as it crashes (triage alone
//! restarts it once per re-run that reproduces a crash: a crash shrunk
//! from 17 actions to 5 costs a burst of restarts), but one that does not
//! serve a single session between restarts is given up on.

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
    /// Something still accepts connections on the target address after
    /// the process group was stopped: a server that left it (daemonized,
    /// or started in a session of its own) and was not stopped with it.
    #[error(
        "something still accepts connections on {0}, {1:?} after --target-cmd's process group was stopped: \
         a restart would be taken by the old server; run the server in the foreground \
         (e.g. `exec my-ftpd --foreground ...`, no daemon mode), or stop it on SIGTERM"
    )]
    StillListening(SocketAddr, Duration),
    /// It never accepted a connection on the target address.
    #[error("the target command did not accept connections on {0} within {1:?}")]
    NotListening(SocketAddr, Duration),
    /// Restarted this often without a session served in between: the run
    /// stops rather than loop on a server that does not come back.
    #[error(
        "the target was restarted {0} times in a row without serving a session in between; giving up"
    )]
    NotServing(usize),
    /// The run's whole restart budget (`--max-restarts`) is spent.
    #[error("the target was restarted {0} times (--max-restarts); giving up")]
    TooManyRestarts(usize),
}

/// How long a stopped server gets between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(2);

/// How long the target address may go on accepting connections once the
/// process group is stopped (a server's own clean-up, a wrapper that stops
/// it on SIGTERM).
const CLOSED_WITHIN: Duration = Duration::from_secs(15);

/// A server process the fuzzer owns.
#[derive(Debug)]
pub struct Monitor {
    cmd: String,
    addr: SocketAddr,
    child: Option<Child>,
    /// Restarts so far.
    pub restarts: usize,
    /// Restarts since a session last logged in.
    in_a_row: usize,
    limits: RestartLimits,
    startup: Duration,
    closed_within: Duration,
}

/// How many restarts a run allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartLimits {
    /// In all (`None`: as many as the run's own bound lets happen).
    pub total: Option<usize>,
    /// In a row, with no session logged in between.
    pub in_a_row: usize,
}

impl Default for RestartLimits {
    fn default() -> Self {
        RestartLimits {
            total: None,
            in_a_row: 10,
        }
    }
}

impl Monitor {
    /// Start `cmd` and wait until `addr` accepts connections.
    pub async fn start(
        cmd: &str,
        addr: SocketAddr,
        limits: RestartLimits,
    ) -> Result<Monitor, MonitorError> {
        let mut m = Monitor {
            cmd: cmd.to_owned(),
            addr,
            child: None,
            restarts: 0,
            in_a_row: 0,
            limits,
            startup: Duration::from_secs(15),
            closed_within: CLOSED_WITHIN,
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

    /// Wait until nothing accepts connections on the target address: the
    /// check that a new process is listening cannot tell it from an old
    /// one still there (a restart would then be no restart at all).
    async fn wait_closed(&self) -> Result<(), MonitorError> {
        let deadline = Instant::now() + self.closed_within;
        loop {
            let probe = Duration::from_millis(200);
            match tokio::time::timeout(probe, tokio::net::TcpStream::connect(self.addr)).await {
                Ok(Err(_)) => return Ok(()),
                _ if Instant::now() >= deadline => {
                    return Err(MonitorError::StillListening(self.addr, self.closed_within));
                }
                _ => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    /// A session logged in: the server came back from its last restart.
    pub fn served(&mut self) {
        self.in_a_row = 0;
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
        if self.in_a_row >= self.limits.in_a_row {
            return Err(MonitorError::NotServing(self.in_a_row));
        }
        if self.limits.total.is_some_and(|t| self.restarts >= t) {
            return Err(MonitorError::TooManyRestarts(self.restarts));
        }
        self.restarts += 1;
        self.in_a_row += 1;
        self.stop();
        self.wait_closed().await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that listens on `addr` for `secs` and does nothing else.
    fn listener(addr: SocketAddr, secs: u32) -> String {
        format!(
            "python3 -c 'import socket, time\n\
             s = socket.socket()\n\
             s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
             s.bind((\"127.0.0.1\", {}))\n\
             s.listen()\n\
             time.sleep({secs})'",
            addr.port()
        )
    }

    /// The same run as a well-behaved --target-cmd: in the foreground.
    fn listener_cmd(addr: SocketAddr) -> String {
        format!("exec {}", listener(addr, 60))
    }

    fn free_addr() -> SocketAddr {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    }

    /// A server that serves sessions between its crashes is restarted as
    /// often as it crashes; one that serves none between restarts is given
    /// up on after `in_a_row`; `total` bounds them all.
    #[tokio::test]
    async fn restarts_are_bounded_in_a_row_and_optionally_in_all() {
        let addr = free_addr();
        let limits = RestartLimits {
            total: None,
            in_a_row: 2,
        };
        let mut m = Monitor::start(&listener_cmd(addr), addr, limits)
            .await
            .unwrap();
        for _ in 0..3 {
            m.restart().await.unwrap();
            m.served();
        }
        m.restart().await.unwrap();
        m.restart().await.unwrap();
        let e = m.restart().await.unwrap_err();
        assert!(matches!(e, MonitorError::NotServing(2)), "{e}");
        assert_eq!(m.restarts, 5);
        drop(m);

        let limits = RestartLimits {
            total: Some(1),
            in_a_row: 10,
        };
        let mut m = Monitor::start(&listener_cmd(addr), addr, limits)
            .await
            .unwrap();
        m.restart().await.unwrap();
        m.served();
        let e = m.restart().await.unwrap_err();
        assert!(matches!(e, MonitorError::TooManyRestarts(1)), "{e}");
    }

    /// A server that leaves the process group (setsid, as a daemon does)
    /// still listens after a restart stopped the group: the restart says
    /// so instead of taking the old server for the new one.
    #[tokio::test]
    async fn a_server_that_outlives_its_process_group_is_named() {
        let addr = free_addr();
        // In a session of its own, gone by itself after 3 s.
        let cmd = format!("setsid {} & wait", listener(addr, 3));
        let mut m = Monitor::start(&cmd, addr, RestartLimits::default())
            .await
            .unwrap();
        m.closed_within = Duration::from_millis(500);
        let e = m.restart().await.unwrap_err();
        assert!(matches!(e, MonitorError::StillListening(..)), "{e}");
    }
}
