//! TLS for FTP (RFC 4217): ftpspec is always the TLS client, on the control
//! connection and on every protected data connection, whichever side
//! connected (§7: "the FTP client MUST be the TLS client and the FTP server
//! MUST be the TLS server"). One [`TlsClient`] per run: its session cache
//! is shared, so data connections resume the control connection's session,
//! as servers may insist (vsftpd's `require_ssl_reuse`, RFC 4217 §10.2).

use super::stream::Tap;
use crate::target::{Target, Trust};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// A TLS session on one connection, as negotiated.
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct TlsInfo {
    /// `TLSv1.3`, `TLSv1.2`.
    pub version: String,
    /// The cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
    /// Whether the handshake resumed an earlier session.
    pub resumed: bool,
}

impl TlsInfo {
    /// Whether the session is TLS 1.3 (whose RFC 8446 makes close_notify a MUST).
    pub fn is_tls13(&self) -> bool {
        self.version == "TLSv1.3"
    }
}

impl fmt::Display for TlsInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.version, self.cipher)?;
        if self.resumed {
            f.write_str(" (resumed)")?;
        }
        Ok(())
    }
}

/// Why TLS could not be set up for a run (before any connection).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// `--tls-ca` could not be read.
    #[error("--tls-ca {path}: {why}")]
    Ca {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// The URL's host is no name a certificate can carry.
    #[error("{0:?} is not a host name or address a TLS certificate can name")]
    Name(String),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// How a TLS handshake failed, in the terms a server's maintainer needs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TlsFailure {
    /// The certificate did not verify: not the server's protocol fault.
    #[error(
        "the server's certificate is not accepted ({0}): pass --tls-ca FILE with the PEM certificate of the CA that signed it (or the server's own, if self-signed), or --insecure to skip verification"
    )]
    Certificate(String),
    /// The server answered the ClientHello with bytes that are not TLS
    /// (such as a plain FTP reply, or file data in clear).
    #[error("the server answered the TLS ClientHello with bytes that are not TLS: {}", crate::codec::escape_bytes(.0))]
    NotTls(Vec<u8>),
    /// The server sent a ClientHello of its own: it tried to be the TLS
    /// client.
    #[error("the server sent a TLS ClientHello: it acted as the TLS client")]
    ServerActedAsClient,
    /// The server refused the handshake with an alert.
    #[error("the server refused the TLS handshake with the alert {0}")]
    Alert(String),
    /// The server closed the connection during the handshake.
    #[error("the server closed the connection during the TLS handshake")]
    Closed,
    /// No answer to the ClientHello.
    #[error("no answer to the TLS ClientHello within {0:?}")]
    Silent(Duration),
    /// After the handshake, the server sent what TLS cannot read: bytes
    /// in clear inside the session, or a record that does not decrypt.
    #[error("the server broke the TLS session: {why} (the last bytes read: {})", crate::codec::escape_bytes(.seen))]
    Broken {
        /// What the TLS library said.
        why: String,
        /// The start of the last read from the socket.
        seen: Vec<u8>,
    },
    /// Anything else the TLS library reported.
    #[error("TLS handshake failed: {0}")]
    Other(String),
}

impl TlsFailure {
    /// Whether the server, not the harness's configuration, is at fault
    /// on the wire (as opposed to an untrusted certificate or a policy
    /// refusal).
    pub fn is_protocol_breach(&self) -> bool {
        matches!(
            self,
            TlsFailure::NotTls(_)
                | TlsFailure::ServerActedAsClient
                | TlsFailure::Silent(_)
                | TlsFailure::Broken { .. }
        )
    }
}

/// Accept any certificate (`--insecure`); signatures are still checked, so
/// the session is what it claims to be, only its owner unproven.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The roots to verify against: `--tls-ca`, or the system's store.
fn roots(trust: &Trust) -> Result<RootCertStore, TlsSetupError> {
    let mut store = RootCertStore::empty();
    match &trust.ca {
        Some(path) => {
            let ca_err = |why: String| TlsSetupError::Ca {
                path: path.clone(),
                why,
            };
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| ca_err(e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ca_err(e.to_string()))?;
            if certs.is_empty() {
                return Err(ca_err(
                    "no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)".into(),
                ));
            }
            for c in certs {
                store.add(c).map_err(|e| ca_err(e.to_string()))?;
            }
        }
        None => {
            // Certificates the system store holds that rustls cannot parse
            // are skipped, as every client does.
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
        }
    }
    Ok(store)
}

/// The TLS client of a run: configuration, session cache and the name the
/// server's certificate must carry.
#[derive(Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    connector: TlsConnector,
    name: ServerName<'static>,
}

impl fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClient")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl TlsClient {
    /// The client for `target`, or `None` for a plain `ftp://` target.
    pub fn for_target(target: &Target) -> Result<Option<TlsClient>, TlsSetupError> {
        if !target.security.is_tls() {
            return Ok(None);
        }
        TlsClient::new(&target.host, &target.trust).map(Some)
    }

    /// A client verifying `host` against `trust`.
    pub fn new(host: &str, trust: &Trust) -> Result<TlsClient, TlsSetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsSetupError::Config(e.to_string()))?;
        let config = if trust.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                .with_no_client_auth()
        } else {
            builder
                .with_root_certificates(roots(trust)?)
                .with_no_client_auth()
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| TlsSetupError::Name(host.to_owned()))?;
        let config = Arc::new(config);
        Ok(TlsClient {
            connector: TlsConnector::from(config.clone()),
            config,
            name,
        })
    }

    /// The same client with a session cache of its own: one per control
    /// connection, so that its data connections resume *its* session.
    /// Servers that insist on reuse (vsftpd's require_ssl_reuse) check
    /// that; a cache shared by concurrent cases would now and then offer a
    /// data connection another connection's ticket, which a server forked
    /// per connection cannot resume.
    pub fn for_session(&self) -> TlsClient {
        let mut config = (*self.config).clone();
        config.resumption = rustls::client::Resumption::in_memory_sessions(32);
        let config = Arc::new(config);
        TlsClient {
            connector: TlsConnector::from(config.clone()),
            config,
            name: self.name.clone(),
        }
    }

    /// Run the handshake on `tcp` as the TLS client, within `limit`.
    pub(crate) async fn handshake(
        &self,
        tcp: TcpStream,
        limit: Duration,
    ) -> Result<(TlsStream<Tap>, TlsInfo), TlsFailure> {
        // The tap keeps the first bytes the server sends, to say what it
        // answered with if that was not TLS.
        let connect = self
            .connector
            .connect(self.name.clone(), Tap::new(tcp))
            .into_fallible();
        let stream = match tokio::time::timeout(limit, connect).await {
            Err(_) => return Err(TlsFailure::Silent(limit)),
            Ok(Err((e, tap))) => return Err(classify(&e, tap.seen())),
            Ok(Ok(s)) => s,
        };
        let info = info(&stream);
        let mut stream = stream;
        stream.get_mut().0.stop_recording();
        Ok((stream, info))
    }
}

/// What was negotiated on `s`.
pub(crate) fn info(s: &TlsStream<Tap>) -> TlsInfo {
    let c = s.get_ref().1;
    TlsInfo {
        version: c
            .protocol_version()
            .map(|v| match v {
                rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
                rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
                other => format!("{other:?}"),
            })
            .unwrap_or_default(),
        cipher: c
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default(),
        resumed: c.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
    }
}

/// A read error on an established TLS stream, if it is the server's TLS
/// going wrong (a record that is not TLS, or does not decrypt), with the
/// start of the last read.
pub(crate) fn broken(e: &std::io::Error, seen: &[u8]) -> Option<TlsFailure> {
    let inner = e.get_ref()?.downcast_ref::<rustls::Error>()?;
    match inner {
        rustls::Error::InvalidMessage(_)
        | rustls::Error::DecryptError
        | rustls::Error::PeerMisbehaved(_) => Some(TlsFailure::Broken {
            why: inner.to_string(),
            seen: seen.to_vec(),
        }),
        _ => None,
    }
}

/// Whether `b` starts like a TLS record: a content type of 20-24 and a
/// major version of 3 (RFC 8446 §5.1; every SSL 3 and TLS version).
fn looks_like_tls(b: &[u8]) -> bool {
    matches!(b, [20..=24, 3, ..] | [20..=24] | [])
}

/// A handshake error as a [`TlsFailure`]; `seen`: the first bytes the
/// server sent.
fn classify(e: &std::io::Error, seen: &[u8]) -> TlsFailure {
    if !looks_like_tls(seen) {
        return TlsFailure::NotTls(seen.to_vec());
    }
    // A handshake record (22) holding a ClientHello (1).
    if let [22, 3, _, _, _, 1, ..] = seen {
        return TlsFailure::ServerActedAsClient;
    }
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(c)) => TlsFailure::Certificate(format!("{c:?}")),
        Some(rustls::Error::AlertReceived(a)) => TlsFailure::Alert(format!("{a:?}")),
        Some(other) => TlsFailure::Other(other.to_string()),
        None => match e.kind() {
            std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe => TlsFailure::Closed,
            _ => TlsFailure::Other(e.to_string()),
        },
    }
}
