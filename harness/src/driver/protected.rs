//! A data connection under PROT P, made in the background: the TLS
//! handshake starts as soon as the TCP connection is up (at once in
//! passive mode, when the server connects in active mode), not when the
//! case first reads or writes. Servers differ in when they negotiate: some
//! (libunftp) hold a transfer command's replies until the data
//! connection's handshake is done, others (vsftpd) start it only after the
//! command; a ClientHello sent early suits both (RFC 4217 §12.6-12.7 show
//! the handshake right after the connection).

use super::stream::Stream;
use super::tls::{TlsClient, TlsInfo};
use super::{DriverError, within};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A protected connection, once made.
pub(super) struct Made {
    pub stream: Stream,
    pub info: TlsInfo,
    /// What happened on the way, for the transcript.
    pub notes: Vec<String>,
}

/// The background work of one protected data connection; dropping it
/// stops the work.
#[derive(Debug)]
pub(super) struct Protected {
    task: JoinHandle<Result<Made, DriverError>>,
    /// Where the TCP connection came from, once there is one.
    connected: watch::Receiver<Option<SocketAddr>>,
    /// Whether the server connects (active mode).
    active: bool,
}

impl std::fmt::Debug for Made {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Made").field("info", &self.info).finish()
    }
}

async fn handshake(
    tls: TlsClient,
    tcp: TcpStream,
    limit: Duration,
    mut notes: Vec<String>,
) -> Result<Made, DriverError> {
    match tls.handshake(tcp, limit).await {
        Ok((s, info)) => {
            notes.push(format!("data: TLS {info}"));
            Ok(Made {
                stream: Stream::Tls(Box::new(s)),
                info,
                notes,
            })
        }
        Err(failure) => Err(DriverError::Tls {
            on: "data connection",
            failure,
        }),
    }
}

impl Protected {
    /// We connected (passive mode): the handshake starts now.
    pub(super) fn passive(tcp: TcpStream, tls: TlsClient, limit: Duration) -> Protected {
        let (tx, connected) = watch::channel(tcp.peer_addr().ok());
        drop(tx);
        Protected {
            task: tokio::spawn(handshake(tls, tcp, limit, Vec::new())),
            connected,
            active: false,
        }
    }

    /// We listen (active mode): accept the server (only `expect_from`),
    /// then the handshake.
    pub(super) fn active(
        listener: TcpListener,
        expect_from: IpAddr,
        tls: TlsClient,
        limit: Duration,
    ) -> Protected {
        let (tx, connected) = watch::channel(None);
        let task = tokio::spawn(async move {
            let mut notes = Vec::new();
            loop {
                let (s, from) = listener
                    .accept()
                    .await
                    .map_err(DriverError::io("accepting"))?;
                if from.ip() == expect_from {
                    let _ = s.set_nodelay(true);
                    let _ = tx.send(Some(from));
                    notes.push(format!("data: server connected from {from}"));
                    return handshake(tls, s, limit, notes).await;
                }
                notes.push(format!(
                    "data: refused a connection from {from}, not the server"
                ));
            }
        });
        Protected {
            task,
            connected,
            active: true,
        }
    }

    /// Whether the server is to connect (active mode).
    pub(super) fn is_active(&self) -> bool {
        self.active
    }

    /// Where the server's connection came from, if one came.
    pub(super) fn connected_from(&self) -> Option<SocketAddr> {
        *self.connected.borrow()
    }

    /// The connection, waiting at most `limit` for it.
    pub(super) async fn wait(mut self, limit: Duration) -> Result<Made, DriverError> {
        within(limit, "the protected data connection", async {
            match (&mut self.task).await {
                Ok(made) => made,
                Err(e) => Err(DriverError::Io {
                    what: "the data connection's TLS task",
                    source: std::io::Error::other(e.to_string()),
                }),
            }
        })
        .await
    }

    /// The connection if it is made within `limit`; `None` if not yet.
    pub(super) async fn ready_within(&mut self, limit: Duration) -> Option<Made> {
        match tokio::time::timeout(limit, &mut self.task).await {
            Ok(Ok(Ok(made))) => Some(made),
            _ => None,
        }
    }
}

impl Drop for Protected {
    fn drop(&mut self) {
        self.task.abort();
    }
}
