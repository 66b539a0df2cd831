//! Data connections. Passive ones go only to the control connection's
//! peer; active ones listen only on the control connection's local address.

use super::transcript::{Direction, Transcript};
use super::{DriverError, Limits, within};
use std::net::{IpAddr, SocketAddr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A data connection being set up or in use.
#[derive(Debug)]
pub enum DataConn {
    /// We connected to the server (PASV, EPSV).
    Passive(TcpStream),
    /// We listen; the server connects (PORT, EPRT).
    Active {
        /// The listener.
        listener: TcpListener,
        /// The only host we accept a connection from.
        expect_from: IpAddr,
    },
}

impl DataConn {
    /// Connect to `port` on the control connection's peer: only through
    /// [`Control::connect_passive`], which passes its own peer.
    ///
    /// [`Control::connect_passive`]: super::Control::connect_passive
    pub(super) async fn connect(
        peer: IpAddr,
        port: u16,
        limits: &Limits,
        t: &mut Transcript,
    ) -> Result<DataConn, DriverError> {
        let addr = SocketAddr::new(peer, port);
        t.push(Direction::Note, format!("data: connecting to {addr}"));
        let s = within(limits.step_timeout, "the passive data connection", async {
            TcpStream::connect(addr)
                .await
                .map_err(DriverError::io("connecting the data connection"))
        })
        .await?;
        Ok(DataConn::Passive(s))
    }

    /// Listen on `local`, any port (or `port`), accepting only `peer`:
    /// only through [`Control::listen_active`] and
    /// [`Control::listen_bounce_target`].
    ///
    /// [`Control::listen_active`]: super::Control::listen_active
    /// [`Control::listen_bounce_target`]: super::Control::listen_bounce_target
    pub(super) async fn listen(
        local: SocketAddr,
        peer: IpAddr,
        t: &mut Transcript,
    ) -> Result<(DataConn, SocketAddr), DriverError> {
        let listener = TcpListener::bind(local)
            .await
            .map_err(DriverError::io("listening"))?;
        let addr = listener
            .local_addr()
            .map_err(DriverError::io("listener address"))?;
        t.push(Direction::Note, format!("data: listening on {addr}"));
        Ok((
            DataConn::Active {
                listener,
                expect_from: peer,
            },
            addr,
        ))
    }

    /// The connected stream: for active mode, wait for the server to
    /// connect. A connection from a host other than the server is refused
    /// and reported.
    pub async fn into_stream(
        self,
        limits: &Limits,
        t: &mut Transcript,
    ) -> Result<TcpStream, DriverError> {
        match self {
            DataConn::Passive(s) => Ok(s),
            DataConn::Active {
                listener,
                expect_from,
            } => {
                within(
                    limits.step_timeout,
                    "the server to open the data connection",
                    async {
                        loop {
                            let (s, from) = listener
                                .accept()
                                .await
                                .map_err(DriverError::io("accepting"))?;
                            if from.ip() == expect_from {
                                t.push(
                                    Direction::Note,
                                    format!("data: server connected from {from}"),
                                );
                                return Ok(s);
                            }
                            t.push(
                                Direction::Note,
                                format!("data: refused a connection from {from}, not the server"),
                            );
                        }
                    },
                )
                .await
            }
        }
    }

    /// Send `bytes` and close.
    pub async fn upload(
        self,
        bytes: &[u8],
        limits: &Limits,
        t: &mut Transcript,
    ) -> Result<(), DriverError> {
        let mut s = self.into_stream(limits, t).await?;
        // Per-chunk deadlines: a large upload may take longer than one step.
        for chunk in bytes.chunks(64 * 1024) {
            within(
                limits.step_timeout,
                "the data connection to accept bytes",
                async {
                    s.write_all(chunk)
                        .await
                        .map_err(DriverError::io("uploading"))
                },
            )
            .await?;
        }
        let _ = s.shutdown().await;
        t.push(Direction::Data, format!("data> {} bytes sent", bytes.len()));
        Ok(())
    }

    /// Read until the server closes, at most [`Limits::max_transfer`] bytes.
    pub async fn download(
        self,
        limits: &Limits,
        t: &mut Transcript,
    ) -> Result<Vec<u8>, DriverError> {
        let mut out = Vec::new();
        self.stream(limits, t, |chunk| out.extend_from_slice(chunk))
            .await?;
        Ok(out)
    }

    /// Like [`DataConn::download`] but keeps only the count: for transfers
    /// nothing is compared with, so that memory stays flat however large.
    pub async fn drain(self, limits: &Limits, t: &mut Transcript) -> Result<u64, DriverError> {
        self.stream(limits, t, |_| {}).await
    }

    /// Read until the server closes, at most [`Limits::max_transfer`]
    /// bytes, handing each chunk to `sink` as it arrives (so that checks
    /// run while the data streams, and memory stays flat); the byte count.
    pub async fn stream(
        self,
        limits: &Limits,
        t: &mut Transcript,
        mut sink: impl FnMut(&[u8]),
    ) -> Result<u64, DriverError> {
        let mut s = self.into_stream(limits, t).await?;
        let mut total = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = within(limits.step_timeout, "data", async {
                s.read(&mut buf)
                    .await
                    .map_err(DriverError::io("downloading"))
            })
            .await?;
            if n == 0 {
                break;
            }
            if total + n as u64 > limits.max_transfer {
                return Err(DriverError::TransferTooLarge(limits.max_transfer));
            }
            total += n as u64;
            sink(&buf[..n]);
        }
        t.push(Direction::Data, format!("data< {total} bytes received"));
        Ok(total)
    }

    /// Check that no data flows for the quiet period: in active mode the
    /// server may connect (after a 1yz it announced it would) but must send
    /// nothing. Returns what was seen if bytes arrived.
    pub async fn expect_unused(
        self,
        limits: &Limits,
        t: &mut Transcript,
    ) -> Result<Option<String>, DriverError> {
        let quiet = limits.quiet_period;
        let mut stream = match self {
            DataConn::Passive(s) => s,
            DataConn::Active { listener, .. } => {
                match tokio::time::timeout(quiet, listener.accept()).await {
                    Err(_) => return Ok(None),
                    Ok(Ok((s, from))) => {
                        t.push(
                            Direction::Note,
                            format!("data: server connected from {from}"),
                        );
                        s
                    }
                    Ok(Err(e)) => return Err(DriverError::io("accepting")(e)),
                }
            }
        };
        let mut buf = [0u8; 512];
        match tokio::time::timeout(quiet, stream.read(&mut buf)).await {
            Err(_) | Ok(Ok(0)) | Ok(Err(_)) => Ok(None),
            Ok(Ok(n)) => {
                t.bytes(Direction::Data, &buf[..n]);
                Ok(Some(format!("{n}+ bytes on the data connection")))
            }
        }
    }

    /// Check that the server does not connect at all (active mode) or send
    /// anything (passive mode) during the quiet period.
    pub async fn expect_no_connection(
        self,
        limits: &Limits,
        t: &mut Transcript,
    ) -> Result<Option<String>, DriverError> {
        match self {
            DataConn::Active { listener, .. } => {
                match tokio::time::timeout(limits.quiet_period, listener.accept()).await {
                    Err(_) => Ok(None),
                    Ok(Ok((_, from))) => {
                        t.push(
                            Direction::Note,
                            format!("data: the server connected from {from}"),
                        );
                        Ok(Some(format!(
                            "the server opened a data connection from {from}"
                        )))
                    }
                    Ok(Err(e)) => Err(DriverError::io("accepting")(e)),
                }
            }
            passive => passive.expect_unused(limits, t).await,
        }
    }
}
