//! FTP over TLS for the scripted server (RFC 4217): a certificate made at
//! start, the control connection upgraded after `234`, PBSZ/PROT/CCC, and
//! TLS data connections under PROT P, with the TLS faults.

use super::session::{Flow, Session};
use super::*;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The server's TLS configuration and the certificate a client trusts.
pub struct TlsFixture {
    pub(super) config: Arc<ServerConfig>,
    /// The certificate (PEM), for `--tls-ca`.
    pub ca: PathBuf,
    /// TLS from the first byte (`ftps://`), not after AUTH TLS.
    pub implicit: bool,
    /// Data connections protected by TLS so far (PROT P, handshake done).
    pub protected_data: std::sync::atomic::AtomicUsize,
    _dir: tempfile::TempDir,
}

impl TlsFixture {
    /// A self-signed certificate for 127.0.0.1, ::1 and localhost; with
    /// `resumption` off the server keeps no sessions and issues no
    /// tickets.
    pub(super) fn new(resumption: bool, implicit: bool) -> TlsFixture {
        let names = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        let made = rcgen::generate_simple_self_signed(names).expect("a certificate");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ca = dir.path().join("scripted-cert.pem");
        std::fs::write(&ca, made.cert.pem()).expect("write the certificate");
        let cert = CertificateDer::from_pem_slice(made.cert.pem().as_bytes()).unwrap();
        let key =
            PrivateKeyDer::from_pem_slice(made.signing_key.serialize_pem().as_bytes()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        if !resumption {
            config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            config.send_tls13_tickets = 0;
        }
        TlsFixture {
            config: Arc::new(config),
            ca,
            implicit,
            protected_data: Default::default(),
            _dir: dir,
        }
    }
}

/// The control connection: in clear, or in TLS after AUTH TLS.
pub(super) enum Ctl {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Only while the connection is being upgraded.
    Gone,
}

impl AsyncRead for Ctl {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Ctl::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Ctl::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Ctl::Gone => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for Ctl {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Ctl::Plain(s) => Pin::new(s).poll_write(cx, b),
            Ctl::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, b),
            Ctl::Gone => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Ctl::Plain(s) => Pin::new(s).poll_flush(cx),
            Ctl::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Ctl::Gone => Poll::Ready(Ok(())),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Ctl::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Ctl::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Ctl::Gone => Poll::Ready(Ok(())),
        }
    }
}

/// A data connection: in clear, or TLS under PROT P.
pub(super) enum DataIo {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl DataIo {
    pub(super) async fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        match self {
            DataIo::Plain(s) => s.write_all(b).await,
            DataIo::Tls(s) => s.write_all(b).await,
        }
    }

    pub(super) async fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        use tokio::io::AsyncReadExt;
        match self {
            DataIo::Plain(s) => s.read(b).await,
            // A client that closes without close_notify has still sent
            // its data.
            DataIo::Tls(s) => match s.read(b).await {
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                other => other,
            },
        }
    }

    /// End the connection: close_notify, then the TCP close (unless
    /// `Fault::TlsNoCloseNotify`, which closes TCP under the TLS layer).
    pub(super) async fn finish(self, fault: Fault) -> io::Result<()> {
        match self {
            DataIo::Plain(mut s) => s.shutdown().await,
            DataIo::Tls(mut s) if fault == Fault::TlsNoCloseNotify => {
                s.flush().await?;
                s.get_mut().0.shutdown().await
            }
            DataIo::Tls(mut s) => s.shutdown().await,
        }
    }
}

impl Session {
    /// The TLS commands (RFC 2228, RFC 4217), on a server with TLS.
    pub(super) async fn tls_command(&mut self, verb: &str, arg: &str) -> io::Result<Flow> {
        match verb {
            "AUTH" => self.auth(arg).await,
            "PBSZ" if !self.secured => self.ok("503 AUTH first").await,
            "PBSZ" if arg.trim().parse::<u32>().is_err() => {
                self.ok("501 PBSZ takes a number").await
            }
            "PBSZ" => {
                self.pbsz = true;
                self.ok("200 PBSZ=0").await
            }
            "PROT" if !self.pbsz && self.fault != Fault::TlsProtBeforePbsz => {
                self.ok("503 PBSZ first").await
            }
            "PROT" => match arg.trim().to_ascii_uppercase().as_str() {
                "C" => {
                    self.private = false;
                    self.ok("200 Protection level Clear").await
                }
                "P" => {
                    self.private = true;
                    self.ok("200 Protection level Private").await
                }
                "S" | "E" => self.ok("536 Only C and P are used over TLS").await,
                _ => self.ok("504 Unknown protection level").await,
            },
            "CCC" if !self.secured => self.ok("533 The connection is not protected").await,
            _ => self.ok("534 CCC is refused by policy").await,
        }
    }

    async fn auth(&mut self, arg: &str) -> io::Result<Flow> {
        let mech = arg.trim().to_ascii_uppercase();
        if mech != "TLS" && mech != "TLS-C" && mech != "SSL" {
            return self.ok("504 Unknown security mechanism").await;
        }
        if self.secured {
            return self.ok("534 Already in TLS").await;
        }
        self.reply("234 Proceed with TLS negotiation").await?;
        let broken = match self.fault {
            Fault::TlsNoHandshake => true,
            Fault::TlsNoHandshakeAfterMkd => self.fs().mkd_seen,
            _ => false,
        };
        if broken {
            return Ok(Flow::Continue);
        }
        let Some(tls) = self.tls.clone() else {
            return Ok(Flow::Close);
        };
        // RFC 2228: AUTH "removes any state associated with prior FTP
        // Security commands", and the user must log in again.
        self.reset();
        self.pbsz = false;
        self.private = false;
        match self.upgrade(tls).await {
            Ok(()) => {
                self.secured = true;
                Ok(Flow::Continue)
            }
            // RFC 4217 §10.1: a failed handshake leaves the connection in
            // an unknown state, which the server should drop.
            Err(_) => Ok(Flow::Close),
        }
    }

    /// Swap the control connection for its TLS form.
    pub(super) async fn upgrade(&mut self, tls: Arc<TlsFixture>) -> io::Result<()> {
        let (dr, dw) = tokio::io::split(Ctl::Gone);
        let r = std::mem::replace(&mut self.r.r, dr);
        let w = std::mem::replace(&mut self.w, dw);
        let Ctl::Plain(tcp) = r.unsplit(w) else {
            return Err(io::ErrorKind::Other.into());
        };
        if self.fault == Fault::TlsLegacyAccepted && offers_legacy_only(&tcp).await {
            // rustls speaks no TLS 1.0, so only the start of a ServerHello
            // choosing it: what a client sees of a server that accepts.
            let mut hello = vec![22, 3, 1, 0, 42, 2, 0, 0, 38, 3, 1];
            hello.extend([0u8; 33]);
            let mut tcp = tcp;
            tcp.write_all(&hello).await?;
            return Err(io::ErrorKind::Unsupported.into());
        }
        let acceptor = TlsAcceptor::from(tls.config.clone());
        let s = timeout(DATA_CONNECT, acceptor.accept(tcp))
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        let (r, w) = tokio::io::split(Ctl::Tls(Box::new(s)));
        self.r.r = r;
        self.w = w;
        self.r.buf.clear();
        Ok(())
    }

    /// The data connection in the protection PROT set: TLS under PROT P
    /// (`Fault::TlsDataInClear` leaves it in clear). `Err` carries the
    /// reply for a data connection the server will not use.
    pub(super) async fn protect_data(&self, tcp: TcpStream) -> Result<DataIo, &'static str> {
        let tls = match &self.tls {
            Some(t)
                if self.private
                    && !matches!(
                        self.fault,
                        Fault::TlsDataInClear | Fault::TlsDataInClearThen426
                    ) =>
            {
                t.clone()
            }
            Some(_) if self.fault == Fault::TlsNoDataAtAll => {
                return Err("522 Data connections must be encrypted");
            }
            _ => return Ok(DataIo::Plain(tcp)),
        };
        let acceptor = TlsAcceptor::from(tls.config.clone());
        let s = match timeout(DATA_CONNECT, acceptor.accept(tcp)).await {
            Ok(Ok(s)) => s,
            _ => return Err("522 TLS negotiation on the data connection failed"),
        };
        // `Fault::TlsNoResumption`: the server insists on a resumed
        // session (as vsftpd's require_ssl_reuse) but keeps none.
        if self.fault.insists_on_resumption()
            && s.get_ref().1.handshake_kind() != Some(rustls::HandshakeKind::Resumed)
        {
            return Err("522 SSL session reuse required");
        }
        tls.protected_data
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(DataIo::Tls(Box::new(s)))
    }
}

/// Whether the ClientHello waiting on `tcp` (peeked, not read) offers TLS
/// 1.1 at most: its client_version is 3.1 or 3.2 (a modern ClientHello
/// says 3.3 and lists the versions it wants in an extension).
async fn offers_legacy_only(tcp: &TcpStream) -> bool {
    let mut head = [0u8; 11];
    for _ in 0..50 {
        match tcp.peek(&mut head).await {
            Ok(n) if n >= head.len() => {
                return matches!(head, [22, 3, _, _, _, 1, _, _, _, 3, 1 | 2]);
            }
            Ok(0) | Err(_) => return false,
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
    false
}
