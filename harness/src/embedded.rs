//! The embedded default target: libunftp in-process on loopback, with a
//! temporary root, one fixed user, active and passive modes enabled, and
//! explicit FTPS (AUTH TLS, RFC 4217) with a self-signed certificate made
//! at start. `ftpspec run` with no `--target` runs against it as
//! `ftpes://`, so the TLS cases run out of the box.

use crate::target::{Security, Target, Trust};
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

/// Panics inside libunftp's own tasks (0.24 unwraps a data connection's
/// failed TLS accept, as when a case abandons a data connection): counted
/// and kept off the terminal, where they would read as ftpspec's.
static LIBUNFTP_PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many times libunftp panicked in this process (see [`Embedded`]).
pub fn libunftp_panics() -> usize {
    LIBUNFTP_PANICS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Count libunftp's panics instead of printing them; any other panic
/// goes to the hook that was there.
fn quiet_libunftp_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Its storage back end too (`unftp-sbe-fs`): a file system
            // call still running when `recycle` drops the runtime panics
            // as it hands its result to a task that is gone.
            let in_libunftp = info
                .location()
                .is_some_and(|l| l.file().contains("libunftp") || l.file().contains("unftp-sbe"));
            if in_libunftp {
                LIBUNFTP_PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            } else {
                previous(info);
            }
        }));
    });
}

/// The certificate and key files the embedded server presents.
#[derive(Clone, Debug)]
struct Certificate {
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
}

/// A self-signed certificate for the loopback names, written to `dir`
/// (outside the FTP root, so the key cannot be downloaded).
fn make_certificate(dir: &Path) -> Result<Certificate, EmbeddedError> {
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| EmbeddedError::Server(format!("certificate: {e}")))?;
    let c = Certificate {
        cert: dir.join("embedded-cert.pem"),
        key: dir.join("embedded-key.pem"),
    };
    std::fs::write(&c.cert, made.cert.pem())?;
    std::fs::write(&c.key, made.signing_key.serialize_pem())?;
    Ok(c)
}

/// One libunftp server value: `Server::service` consumes it, so each
/// control connection gets its own, all sharing the same root.
fn build_server(
    root: &Path,
    cert: &Certificate,
) -> Result<Server<Filesystem, DefaultUser>, EmbeddedError> {
    let root = root.to_path_buf();
    ServerBuilder::with_authenticator(
        Box::new(move || Filesystem::new(root.clone()).expect("the embedded root exists")),
        Arc::new(FixedUser),
    )
    .greeting("ftpspec embedded libunftp server")
    .active_passive_mode(ActivePassiveMode::ActiveAndPassive)
    .idle_session_timeout(60)
    .ftps(cert.cert.clone(), cert.key.clone())
    .build()
    .map_err(|e| EmbeddedError::Server(e.to_string()))
}

/// A running embedded server; stops when dropped.
///
/// Started with [`Embedded::start`] it runs on the caller's runtime;
/// started with [`Embedded::start_apart`], on a runtime of its own, which
/// [`Embedded::recycle`] drops with every connection and task on it.
/// libunftp 0.24 holds a session for five minutes once a client has
/// connected to a passive port and left without a transfer (its data
/// task waits for a command that cannot come), and a fuzz run leaves
/// such sessions by the thousand: about 35 descriptors a second, which
/// ran this process out of them within minutes (`descriptors.rs`).
pub struct Embedded {
    /// Control addresses: 127.0.0.1 and, where the machine has it, ::1.
    pub addrs: Vec<SocketAddr>,
    root: tempfile::TempDir,
    /// Holds the certificate and key.
    secrets: tempfile::TempDir,
    cert: Certificate,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The runtime of a server started apart.
    runtime: Option<tokio::runtime::Runtime>,
}

/// How many connections wait to be accepted (as `tokio::net::TcpListener::bind`).
const BACKLOG: i32 = 1024;

/// How long [`Embedded::recycle`] waits for the old listeners' addresses.
const REBIND_TRIES: u32 = 200;

impl Embedded {
    /// Start on loopback (IPv4 and, if available, IPv6), on ports of the
    /// system's choosing. Must be called within a tokio runtime.
    pub async fn start() -> Result<Embedded, EmbeddedError> {
        Embedded::start_on(0).await
    }

    /// Start on loopback at `port` (0: any free one; IPv6 on the same
    /// port where it is free too).
    pub async fn start_on(port: u16) -> Result<Embedded, EmbeddedError> {
        Embedded::launch(port, None)
    }

    /// Start on loopback, on ports of the system's choosing, with a
    /// runtime of its own: a server that [`Embedded::recycle`] can empty.
    pub async fn start_apart() -> Result<Embedded, EmbeddedError> {
        Embedded::launch(0, Some(own_runtime()?))
    }

    fn launch(
        port: u16,
        runtime: Option<tokio::runtime::Runtime>,
    ) -> Result<Embedded, EmbeddedError> {
        quiet_libunftp_panics();
        let root = tempfile::Builder::new()
            .prefix("ftpspec-embedded-")
            .tempdir()?;
        let secrets = tempfile::Builder::new()
            .prefix("ftpspec-embedded-tls-")
            .tempdir()?;
        let cert = make_certificate(secrets.path())?;
        let mut e = Embedded {
            addrs: Vec::new(),
            root,
            secrets,
            cert,
            tasks: Vec::new(),
            runtime,
        };
        e.serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))?;
        // IPv6 is optional: a machine without ::1 still gets a full IPv4 run.
        let _ = e.serve(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port));
        Ok(e)
    }

    /// Drop every connection the server holds, and every task it runs,
    /// and serve again at the same addresses, from the same root, with the
    /// same certificate: what a restart of a server process does. Only a
    /// server started apart; connections open to it are closed.
    pub fn recycle(&mut self) -> Result<(), EmbeddedError> {
        let Some(old) = self.runtime.take() else {
            return Err(EmbeddedError::Server(
                "only a server started apart can be recycled".into(),
            ));
        };
        for t in self.tasks.drain(..) {
            t.abort();
        }
        old.shutdown_background();
        self.runtime = Some(own_runtime()?);
        for at in std::mem::take(&mut self.addrs) {
            // The old listener closes as its task goes: a moment.
            let mut tries = 0;
            loop {
                match self.serve(at) {
                    Ok(()) => break,
                    Err(EmbeddedError::Io(e))
                        if e.kind() == std::io::ErrorKind::AddrInUse && tries < REBIND_TRIES =>
                    {
                        tries += 1;
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// Listen at `at` and serve every connection there.
    fn serve(&mut self, at: SocketAddr) -> Result<(), EmbeddedError> {
        // We bind and accept ourselves rather than calling libunftp's
        // `listen(addr)`: the address is known the moment `bind` returns
        // (no free-port guess that another process could take, no polling
        // until the server answers). Each connection is left as libunftp
        // would have it (Nagle on): with TCP_NODELAY, libunftp 0.24's
        // RETR+ABOR race loses a reply about one case in ten instead of
        // rarely. The client side avoids Nagle's delay instead (see
        // `Control::read_reply`).
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(at),
            socket2::Type::STREAM,
            None,
        )?;
        socket.set_reuse_address(true)?;
        socket.bind(&at.into())?;
        socket.listen(BACKLOG)?;
        socket.set_nonblocking(true)?;
        let std_listener: std::net::TcpListener = socket.into();
        let addr = std_listener.local_addr()?;
        let root = self.root.path().to_path_buf();
        let cert = self.cert.clone();
        // Checked once here so that a bad configuration fails `start`, not
        // the first connection.
        build_server(&root, &cert)?;
        let handle = match &self.runtime {
            Some(r) => r.handle().clone(),
            None => tokio::runtime::Handle::current(),
        };
        let listener = {
            let _in = handle.enter();
            tokio::net::TcpListener::from_std(std_listener)?
        };
        self.tasks.push(handle.spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of descriptors, say: back off rather than spin.
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let Ok(server) = build_server(&root, &cert) else {
                    continue;
                };
                tokio::spawn(server.service(stream));
            }
        }));
        self.addrs.push(addr);
        Ok(())
    }

    /// The target to run against: explicit FTPS, trusting the server's
    /// own certificate.
    pub fn target(&self) -> Target {
        Target {
            // No ports in the name: they change every run, and reports,
            // baselines and page titles should not.
            name: "embedded libunftp".to_owned(),
            addrs: self.addrs.clone(),
            user: Some(USER.to_owned()),
            pass: PASS.to_owned(),
            path: None,
            security: Security::Explicit,
            trust: Trust {
                ca: Some(self.cert.cert.clone()),
                insecure: false,
            },
            host: "localhost".to_owned(),
        }
    }

    /// The server's certificate (PEM): what `--tls-ca` takes to test it
    /// from outside.
    pub fn certificate(&self) -> &Path {
        &self.cert.cert
    }

    /// The directory holding the certificate and key.
    pub fn secrets_dir(&self) -> &Path {
        self.secrets.path()
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
        // Without waiting: a runtime may not block within another's task.
        if let Some(r) = self.runtime.take() {
            r.shutdown_background();
        }
    }
}

/// The runtime of a server started apart: two workers, as many as the
/// machines we measure on have cores.
fn own_runtime() -> Result<tokio::runtime::Runtime, EmbeddedError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("embedded-libunftp")
        .enable_all()
        .build()?)
}
