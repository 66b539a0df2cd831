//! The embedded default target: libunftp in-process on loopback, with a
//! temporary root, one fixed user, and active and passive modes enabled.
//! `ftpspec run` with no `--target` runs against it.

use crate::target::Target;
use async_trait::async_trait;
use libunftp::options::ActivePassiveMode;
use libunftp::{Server, ServerBuilder};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use unftp_core::auth::{AuthenticationError, Authenticator, Credentials, DefaultUser, Principal};
use unftp_sbe_fs::Filesystem;

/// The embedded server's login.
pub const USER: &str = "ftpspec";
/// The embedded server's password.
pub const PASS: &str = "ftpspec";

#[derive(Debug)]
struct FixedUser;

#[async_trait]
impl Authenticator for FixedUser {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        if username == USER && creds.password.as_deref() == Some(PASS) {
            Ok(Principal {
                username: username.to_owned(),
            })
        } else {
            Err(AuthenticationError::BadPassword)
        }
    }
}

/// Why the embedded server did not start.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// Local I/O (temporary directory, free port).
    #[error("embedded server: {0}")]
    Io(#[from] std::io::Error),
    /// libunftp refused its configuration.
    #[error("embedded server: {0}")]
    Server(String),
}

/// One libunftp server value: `Server::service` consumes it, so each
/// control connection gets its own, all sharing the same root.
fn build_server(root: &Path) -> Result<Server<Filesystem, DefaultUser>, EmbeddedError> {
    let root = root.to_path_buf();
    ServerBuilder::with_authenticator(
        Box::new(move || Filesystem::new(root.clone()).expect("the embedded root exists")),
        Arc::new(FixedUser),
    )
    .greeting("ftpspec embedded libunftp server")
    .active_passive_mode(ActivePassiveMode::ActiveAndPassive)
    .idle_session_timeout(60)
    .build()
    .map_err(|e| EmbeddedError::Server(e.to_string()))
}

/// A running embedded server; stops when dropped.
pub struct Embedded {
    /// Control addresses: 127.0.0.1 and, where the machine has it, ::1.
    pub addrs: Vec<SocketAddr>,
    root: tempfile::TempDir,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Embedded {
    /// Start on loopback (IPv4 and, if available, IPv6), on ports of the
    /// system's choosing. Must be called within a tokio runtime.
    pub async fn start() -> Result<Embedded, EmbeddedError> {
        Embedded::start_on(0).await
    }

    /// Start on loopback at `port` (0: any free one; IPv6 on the same
    /// port where it is free too).
    pub async fn start_on(port: u16) -> Result<Embedded, EmbeddedError> {
        let root = tempfile::Builder::new()
            .prefix("ftpspec-embedded-")
            .tempdir()?;
        let mut e = Embedded {
            addrs: Vec::new(),
            root,
            tasks: Vec::new(),
        };
        e.serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
            .await?;
        // IPv6 is optional: a machine without ::1 still gets a full IPv4 run.
        let _ = e
            .serve(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port))
            .await;
        Ok(e)
    }

    async fn serve(&mut self, at: SocketAddr) -> Result<(), EmbeddedError> {
        // We bind and accept ourselves rather than calling libunftp's
        // `listen(addr)`: the address is known the moment `bind` returns
        // (no free-port guess that another process could take, no polling
        // until the server answers). Each connection is left as libunftp
        // would have it (Nagle on): with TCP_NODELAY, libunftp 0.24's
        // RETR+ABOR race loses a reply about one case in ten instead of
        // rarely. The client side avoids Nagle's delay instead (see
        // `Control::read_reply`).
        let listener = tokio::net::TcpListener::bind(at).await?;
        let addr = listener.local_addr()?;
        let root = self.root.path().to_path_buf();
        // Checked once here so that a bad configuration fails `start`, not
        // the first connection.
        build_server(&root)?;
        self.tasks.push(tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of descriptors, say: back off rather than spin.
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let Ok(server) = build_server(&root) else {
                    continue;
                };
                tokio::spawn(server.service(stream));
            }
        }));
        self.addrs.push(addr);
        Ok(())
    }

    /// The target to run against.
    pub fn target(&self) -> Target {
        Target {
            // No ports in the name: they change every run, and reports,
            // baselines and page titles should not.
            name: "embedded libunftp".to_owned(),
            addrs: self.addrs.clone(),
            user: Some(USER.to_owned()),
            pass: PASS.to_owned(),
            path: None,
        }
    }

    /// The server's root directory.
    pub fn root(&self) -> &std::path::Path {
        self.root.path()
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
