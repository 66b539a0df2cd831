//! Data connections. Passive ones go only to the control connection's
//! peer; active ones listen only on the control connection's local address.
//! Under PROT P each is a TLS connection, ftpspec the TLS client.

use super::protected::Protected;
use super::stream::Stream;
use super::tls::{TlsClient, TlsInfo};
use super::transcript::{Direction, Transcript};
use super::{DriverError, Limits, within};
use std::net::{IpAddr, SocketAddr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How a data connection is set up.
#[derive(Debug)]
enum Setup {
    /// We connected to the server (PASV, EPSV).
    Passive(TcpStream),
    /// We listen; the server connects (PORT, EPRT).
    Active {
        /// The listener.
        listener: TcpListener,
        /// The only host we accept a connection from.
        expect_from: IpAddr,
    },
    /// Under PROT P: the connection and its TLS handshake, under way in
    /// the background (see `protected.rs`).
    Protected(Protected),
    /// Only while [`DataConn::protect`] swaps one setup for another.
    Swapping,
}

/// A data connection being set up or in use. Under PROT P it becomes a TLS
/// connection (ftpspec the client, whichever side connected: RFC 4217 §7)
/// as soon as the TCP connection is up.
#[derive(Debug)]
pub struct DataConn {
    setup: Setup,
    /// How long a handshake may take.
    limit: std::time::Duration,
}

/// How a transfer ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transfer {
    /// Bytes received or sent.
    pub bytes: u64,
    /// For a TLS data connection: what was negotiated, and whether the
    /// server ended it with close_notify.
    pub tls: Option<DataTls>,
}

/// A TLS data connection, as it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataTls {
    /// The session.
    pub info: TlsInfo,
    /// Whether the server sent close_notify before closing (a download),
    /// so that the end of the data is known not to be a truncation.
    pub close_notify: bool,
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
        tls: Option<TlsClient>,
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
        // A TLS handshake is several small writes: with Nagle on, each
        // would wait for the server's (delayed) acknowledgement.
        let _ = s.set_nodelay(true);
        let mut conn = DataConn {
            setup: Setup::Passive(s),
            limit: limits.step_timeout,
        };
        conn.protect(tls);
        Ok(conn)
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
        tls: Option<TlsClient>,
        limits: &Limits,
        t: &mut Transcript,
    ) -> Result<(DataConn, SocketAddr), DriverError> {
        let listener = TcpListener::bind(local)
            .await
            .map_err(DriverError::io("listening"))?;
        let addr = listener
            .local_addr()
            .map_err(DriverError::io("listener address"))?;
        t.push(Direction::Note, format!("data: listening on {addr}"));
        let mut conn = DataConn {
            setup: Setup::Active {
                listener,
                expect_from: peer,
            },
            limit: limits.step_timeout,
        };
        conn.protect(tls);
        Ok((conn, addr))
    }

    /// Whether the connection is protected (PROT P was in force).
    pub fn is_protected(&self) -> bool {
        matches!(self.setup, Setup::Protected(_))
    }

    /// Protect the connection with `tls` (PROT P): its handshake starts
    /// as soon as there is a TCP connection. PROT may change between
    /// setting a data connection up and using it (RFC 4217 §8: "even
    /// straight after a PORT or PASV command"); a connection already
    /// protected stays so (`None` changes nothing).
    pub fn protect(&mut self, tls: Option<TlsClient>) {
        let Some(tls) = tls else {
            return;
        };
        let limit = self.limit;
        let setup = std::mem::replace(&mut self.setup, Setup::Swapping);
        self.setup = match setup {
            Setup::Passive(s) => Setup::Protected(Protected::passive(s, tls, limit)),
            Setup::Active {
                listener,
                expect_from,
            } => Setup::Protected(Protected::active(listener, expect_from, tls, limit)),
            protected => protected,
        };
    }

    /// The TCP connection: for active mode, wait for the server to
    /// connect. A connection from a host other than the server is refused
    /// and reported.
    async fn into_tcp(
        setup: Setup,
        limits: &Limits,
        t: &mut Transcript,
    ) -> Result<TcpStream, DriverError> {
        match setup {
            Setup::Passive(s) => Ok(s),
            Setup::Active {
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
                                let _ = s.set_nodelay(true);
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
            Setup::Protected(_) | Setup::Swapping => Err(DriverError::Io {
                what: "the data connection",
                source: std::io::Error::other("not a plain connection"),
            }),
        }
    }

    /// The connection ready for data: TCP, or under PROT P the TLS
    /// connection (waited for if its handshake is still under way).
    pub async fn into_stream(
        self,
        limits: &Limits,
        t: &mut Transcript,
    ) -> Result<(Stream, Option<TlsInfo>), DriverError> {
        match self.setup {
            // The handshake has its own bound inside; this one also covers
            // the server connecting (active mode).
            Setup::Protected(p) => match p.wait(limits.step_timeout * 2).await {
                Ok(made) => {
                    for n in made.notes {
                        t.push(Direction::Note, n);
                    }
                    Ok((made.stream, Some(made.info)))
                }
                Err(e) => {
                    t.push(Direction::Note, format!("data: {e}"));
                    Err(e)
                }
            },
            plain => Ok((Stream::Plain(Self::into_tcp(plain, limits, t).await?), None)),
        }
    }

    /// Send `bytes` and close: for TLS, close_notify first, then the
    /// server's own close is awaited briefly (its session tickets come in
    /// on it, for the next data connection to resume).
    pub async fn upload(
        self,
        bytes: &[u8],
        limits: &Limits,
        t: &mut Transcript,
    ) -> Result<Transfer, DriverError> {
        let (s, info) = self.into_stream(limits, t).await?;
        send_and_close(s, info, bytes, limits, t).await
    }

    /// A transfer whose direction is not known (a fuzz session out of step
    /// with its replies: the 1yz may answer a download or an upload sent
    /// in the same line). Bytes from the server within `first_wait` make
    /// it a download, streamed as [`DataConn::stream`] does; silence makes
    /// it an upload of `bytes`, sent and closed as [`DataConn::upload`]
    /// does. Either way neither side waits for the other forever.
    pub async fn either(
        self,
        bytes: &[u8],
        first_wait: std::time::Duration,
        limits: &Limits,
        t: &mut Transcript,
        sink: impl FnMut(&[u8]),
    ) -> Result<Transfer, DriverError> {
        let (mut s, info) = self.into_stream(limits, t).await?;
        let mut buf = vec![0u8; 64 * 1024];
        match tokio::time::timeout(first_wait, s.read(&mut buf)).await {
            Err(_) => send_and_close(s, info, bytes, limits, t).await,
            Ok(first) => read_to_end(s, info, limits, t, sink, buf, Some(first)).await,
        }
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
        self.stream(limits, t, |_| {}).await.map(|x| x.bytes)
    }

    /// Read until the server closes, at most [`Limits::max_transfer`]
    /// bytes, handing each chunk to `sink` as it arrives (so that checks
    /// run while the data streams, and memory stays flat). Over TLS, a
    /// close without close_notify ends the data too, and is reported in
    /// the [`Transfer`].
    pub async fn stream(
        self,
        limits: &Limits,
        t: &mut Transcript,
        sink: impl FnMut(&[u8]),
    ) -> Result<Transfer, DriverError> {
        let (s, info) = self.into_stream(limits, t).await?;
        read_to_end(s, info, limits, t, sink, vec![0u8; 64 * 1024], None).await
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
        let mut stream = match self.setup {
            Setup::Swapping => return Ok(None),
            Setup::Passive(s) => Stream::Plain(s),
            // Under PROT P: no application data once the handshake is done
            // (the handshake itself is no use of the connection).
            Setup::Protected(mut p) => match p.ready_within(quiet).await {
                None => return Ok(None),
                Some(made) => {
                    for n in made.notes {
                        t.push(Direction::Note, n);
                    }
                    made.stream
                }
            },
            Setup::Active { listener, .. } => {
                match tokio::time::timeout(quiet, listener.accept()).await {
                    Err(_) => return Ok(None),
                    Ok(Ok((s, from))) => {
                        t.push(
                            Direction::Note,
                            format!("data: server connected from {from}"),
                        );
                        Stream::Plain(s)
                    }
                    Ok(Err(e)) => return Err(DriverError::io("accepting")(e)),
                }
            }
        };
        let mut buf = [0u8; 512];
        let seen = match tokio::time::timeout(quiet, stream.read(&mut buf)).await {
            Err(_) | Ok(Ok(0)) | Ok(Err(_)) => None,
            Ok(Ok(n)) => {
                t.bytes(Direction::Data, &buf[..n]);
                Some(format!("{n}+ bytes on the data connection"))
            }
        };
        // Close our side properly: over TLS a server may wait for our
        // close_notify before it sends the transfer's final reply (vsftpd
        // does, as RFC 4217 §12.6 draws it).
        if stream.is_tls() {
            let _ = tokio::time::timeout(quiet, stream.shutdown()).await;
        }
        Ok(seen)
    }

    /// Check that the server does not connect at all (active mode) or send
    /// anything (passive mode) during the quiet period.
    pub async fn expect_no_connection(
        self,
        limits: &Limits,
        t: &mut Transcript,
    ) -> Result<Option<String>, DriverError> {
        match self.setup {
            Setup::Active { listener, .. } => {
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
            Setup::Protected(p) if p.is_active() => {
                tokio::time::sleep(limits.quiet_period).await;
                Ok(p.connected_from().map(|from| {
                    t.push(
                        Direction::Note,
                        format!("data: the server connected from {from}"),
                    );
                    format!("the server opened a data connection from {from}")
                }))
            }
            passive => {
                DataConn {
                    setup: passive,
                    limit: self.limit,
                }
                .expect_unused(limits, t)
                .await
            }
        }
    }
}

/// Send `bytes` on a data connection and close it: for TLS, close_notify
/// first, then the server's own close is awaited briefly (its session
/// tickets come in on it, for the next data connection to resume).
async fn send_and_close(
    mut s: Stream,
    info: Option<TlsInfo>,
    bytes: &[u8],
    limits: &Limits,
    t: &mut Transcript,
) -> Result<Transfer, DriverError> {
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
    let _ = tokio::time::timeout(limits.step_timeout, s.shutdown()).await;
    if s.is_tls() {
        let mut buf = [0u8; 1024];
        let _ = tokio::time::timeout(limits.optional_close_wait, async {
            while let Ok(n) = s.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
    }
    t.push(Direction::Data, format!("data> {} bytes sent", bytes.len()));
    Ok(Transfer {
        bytes: bytes.len() as u64,
        tls: info.map(|info| DataTls {
            info,
            close_notify: true,
        }),
    })
}

/// Read a data connection until the server closes it, at most
/// [`Limits::max_transfer`] bytes, into `sink`; `first` is a read already
/// made into `buf`.
async fn read_to_end(
    mut s: Stream,
    info: Option<TlsInfo>,
    limits: &Limits,
    t: &mut Transcript,
    mut sink: impl FnMut(&[u8]),
    mut buf: Vec<u8>,
    mut first: Option<std::io::Result<usize>>,
) -> Result<Transfer, DriverError> {
    let mut total = 0u64;
    let mut close_notify = true;
    loop {
        let read = match first.take() {
            Some(r) => r,
            None => {
                within(limits.step_timeout, "data", async {
                    Ok::<_, DriverError>(s.read(&mut buf).await)
                })
                .await?
            }
        };
        let n = match read {
            Ok(n) => n,
            // rustls: the peer closed without close_notify.
            Err(e) if info.is_some() && e.kind() == std::io::ErrorKind::UnexpectedEof => {
                close_notify = false;
                t.push(
                    Direction::Note,
                    "data: the server closed the TLS connection without close_notify",
                );
                0
            }
            // A reset ends the data as a close does (a server aborting
            // the transfer may reset rather than close): the checks
            // judge what arrived; an aborted TLS connection owes no
            // close_notify.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
                ) =>
            {
                // An abort, not a close: close_notify is not judged.
                t.push(
                    Direction::Note,
                    "data: the server reset the data connection",
                );
                0
            }
            Err(e) => return Err(DriverError::io("downloading")(e)),
        };
        if n == 0 {
            break;
        }
        // Acknowledge at once, as on the control connection: a server
        // with Nagle on holds its last small write (the close_notify
        // after the data, say) until this data is acknowledged.
        #[cfg(target_os = "linux")]
        if let Some(tcp) = s.tcp() {
            let _ = socket2::SockRef::from(tcp).set_tcp_quickack(true);
        }
        if total + n as u64 > limits.max_transfer {
            return Err(DriverError::TransferTooLarge(limits.max_transfer));
        }
        total += n as u64;
        sink(&buf[..n]);
    }
    t.push(Direction::Data, format!("data< {total} bytes received"));
    Ok(Transfer {
        bytes: total,
        tls: info.map(|info| DataTls { info, close_notify }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// `either` (uploading `up`) against a loopback server that first
    /// sends `sends` and closes its side, if given, then reads to the end:
    /// what `either` made of it, the bytes it handed on, and the bytes the
    /// server received.
    async fn either_against(
        sends: Option<&'static [u8]>,
        first_wait: Duration,
    ) -> (Transfer, Vec<u8>, Vec<u8>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let mut s = listener.accept().await.unwrap().0;
            if let Some(bytes) = sends {
                let _ = s.write_all(bytes).await;
                let _ = s.shutdown().await;
            }
            let mut got = Vec::new();
            let _ = s.read_to_end(&mut got).await;
            got
        });
        let limits = Limits {
            step_timeout: Duration::from_secs(2),
            ..Limits::default()
        };
        let mut t = Transcript::default();
        let conn = DataConn::connect(IpAddr::from([127, 0, 0, 1]), port, &limits, None, &mut t)
            .await
            .unwrap();
        let mut seen = Vec::new();
        let done = conn
            .either(b"up", first_wait, &limits, &mut t, |c| {
                seen.extend_from_slice(c)
            })
            .await
            .unwrap();
        let got = tokio::time::timeout(Duration::from_secs(1), server).await;
        (done, seen, got.unwrap().unwrap())
    }

    #[tokio::test]
    async fn either_uploads_to_a_server_that_waits_for_data() {
        // A server that read `STOU x` + `LIST` as one STOU: it reads to the end.
        let (done, seen, got) = either_against(None, Duration::from_millis(50)).await;
        assert_eq!(done.bytes, 2);
        assert!(seen.is_empty());
        assert_eq!(got, b"up");
    }

    #[tokio::test]
    async fn either_downloads_from_a_server_that_sends() {
        let (done, seen, got) = either_against(Some(b"listing\r\n"), Duration::from_secs(1)).await;
        assert_eq!(seen, b"listing\r\n");
        assert_eq!(done.bytes, 9);
        assert_eq!(got, b"", "nothing was sent to a download");
    }
}
