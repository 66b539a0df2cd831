//! The control connection.

use super::data::DataConn;
use super::stream::Stream;
use super::tls::{TlsClient, TlsFailure, TlsInfo};
use super::transcript::{Direction, Transcript};
use super::{DriverError, Limits, within};
use crate::codec::{Leniency, Parsed, Reply, ReplyDecoder, ReplyOptions};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Whether a socket error is the peer hanging up (reset, aborted, a broken pipe).
fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
    )
}

/// A control connection with a bounded, permissive reply decoder: every
/// tolerated deviation comes back with the reply so it can become a warning.
/// With a TLS client it can go into TLS ([`Control::start_tls`]) and back
/// out ([`Control::clear_tls`]), and it knows the data protection level in
/// force, which its data connections take on.
#[derive(Debug)]
pub struct Control {
    stream: Stream,
    decoder: ReplyDecoder,
    peer: SocketAddr,
    local: SocketAddr,
    limits: Limits,
    eof: bool,
    tls: Option<TlsClient>,
    tls_info: Option<TlsInfo>,
    /// PROT P was accepted (RFC 4217 §9): data connections use TLS.
    private_data: bool,
}

impl Control {
    /// Connect within the step timeout.
    pub async fn connect(addr: SocketAddr, limits: Limits) -> Result<Control, DriverError> {
        let stream = within(limits.step_timeout, "the control connection", async {
            TcpStream::connect(addr)
                .await
                .map_err(DriverError::io("connecting"))
        })
        .await?;
        let _ = stream.set_nodelay(true);
        let peer = stream
            .peer_addr()
            .map_err(DriverError::io("peer address"))?;
        let local = stream
            .local_addr()
            .map_err(DriverError::io("local address"))?;
        let options = ReplyOptions {
            leniency: Leniency::PERMISSIVE,
            limits: limits.reply,
        };
        Ok(Control {
            stream: Stream::Plain(stream),
            decoder: ReplyDecoder::new(options),
            peer,
            local,
            limits,
            eof: false,
            tls: None,
            tls_info: None,
            private_data: false,
        })
    }

    /// Connect, and for an implicit-TLS target (`implicit`) run the TLS
    /// handshake before anything else. `tls`: the run's TLS client, kept
    /// for AUTH TLS and protected data connections.
    pub async fn open(
        addr: SocketAddr,
        limits: Limits,
        tls: Option<&TlsClient>,
        implicit: bool,
        t: &mut Transcript,
    ) -> Result<Control, DriverError> {
        let mut c = Control::connect(addr, limits).await?.with_tls(tls);
        if implicit {
            c.start_tls(t).await?;
        }
        Ok(c)
    }

    /// Keep `tls` (the run's TLS client) for a handshake later: AUTH TLS,
    /// an implicit-TLS target's first move, protected data connections.
    pub fn with_tls(mut self, tls: Option<&TlsClient>) -> Control {
        self.tls = tls.map(TlsClient::for_session);
        self
    }

    /// Run the TLS handshake on this connection (after a 234 to AUTH TLS,
    /// or at once for implicit TLS). On failure the connection is unusable.
    pub async fn start_tls(&mut self, t: &mut Transcript) -> Result<TlsInfo, DriverError> {
        let fail = |failure| DriverError::Tls {
            on: "control connection",
            failure,
        };
        let Some(client) = self.tls.clone() else {
            return Err(fail(TlsFailure::Other(
                "no TLS client: the target is ftp:// (use ftpes:// or ftps:// to test TLS)".into(),
            )));
        };
        if !self.decoder.is_idle() {
            t.push(
                Direction::Note,
                format!(
                    "TLS: {} bytes that came in clear after the reply are dropped",
                    self.decoder.buffered()
                ),
            );
            self.decoder = ReplyDecoder::new(*self.decoder.options());
        }
        let tcp = match std::mem::replace(&mut self.stream, Stream::Gone) {
            Stream::Plain(tcp) => tcp,
            other => {
                self.stream = other;
                return Err(fail(TlsFailure::Other(
                    "the control connection is in TLS already".into(),
                )));
            }
        };
        match client.handshake(tcp, self.limits.step_timeout).await {
            Ok((s, info)) => {
                t.push(Direction::Note, format!("TLS: {info}"));
                self.stream = Stream::Tls(Box::new(s));
                self.tls_info = Some(info.clone());
                // RFC 2228: "The AUTH command, if accepted, removes any
                // state associated with prior FTP Security commands."
                self.private_data = false;
                Ok(info)
            }
            Err(failure) => {
                t.push(Direction::Note, format!("TLS: {failure}"));
                self.eof = true;
                Err(fail(failure))
            }
        }
    }

    /// Leave TLS and go on in clear (after a 200 to CCC, or a REIN): send
    /// close_notify, take the server's for at most the optional-close
    /// wait, and carry on over the same TCP connection.
    pub async fn clear_tls(&mut self, t: &mut Transcript) -> Result<(), DriverError> {
        let mut s = match std::mem::replace(&mut self.stream, Stream::Gone) {
            Stream::Tls(s) => s,
            other => {
                self.stream = other;
                return Ok(());
            }
        };
        s.get_mut().1.send_close_notify();
        let _ = tokio::time::timeout(self.limits.step_timeout, s.flush()).await;
        let mut buf = [0u8; 1024];
        let closed = tokio::time::timeout(self.limits.optional_close_wait, async {
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => self.decoder.push(&buf[..n]),
                }
            }
        })
        .await
        .is_ok();
        t.push(
            Direction::Note,
            if closed {
                "TLS: cleared; the control connection goes on in clear"
            } else {
                "TLS: cleared without the server's close_notify; the control connection goes on in clear"
            },
        );
        let (tap, _) = s.into_inner();
        self.stream = Stream::Plain(tap.into_tcp());
        self.tls_info = None;
        Ok(())
    }

    /// The TCP connection of a control connection in clear with nothing
    /// unread (for the legacy-version check, which speaks raw TLS records
    /// on it after AUTH TLS); `None` otherwise.
    pub fn into_plain_tcp(self) -> Option<TcpStream> {
        match self.stream {
            Stream::Plain(s) if self.decoder.is_idle() => Some(s),
            _ => None,
        }
    }

    /// The TLS session of the control connection, if it is in TLS.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.tls_info.as_ref()
    }

    /// Whether the control connection is in TLS.
    pub fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// The run's TLS client, if the target speaks TLS.
    pub fn tls_client(&self) -> Option<&TlsClient> {
        self.tls.as_ref()
    }

    /// Record the data protection level the server accepted (`true`: PROT
    /// P); data connections set up from now on use it.
    pub fn set_private_data(&mut self, private: bool) {
        self.private_data = private;
    }

    /// Whether PROT P is in force.
    pub fn private_data(&self) -> bool {
        self.private_data
    }

    /// The TLS client a data connection set up now must use, if any.
    pub fn data_tls(&self) -> Option<TlsClient> {
        self.tls.clone().filter(|_| self.private_data)
    }

    /// The server's address: the only host data connections may go to.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The bounds this connection reads with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Our address: the only address active mode listens on.
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// A passive data connection: connect to `port` on this connection's
    /// peer. There is no way to name another host: a 227 naming one is
    /// judged, never followed.
    pub async fn connect_passive(
        &self,
        port: u16,
        t: &mut Transcript,
    ) -> Result<DataConn, DriverError> {
        DataConn::connect(self.peer.ip(), port, &self.limits, self.data_tls(), t).await
    }

    /// An active data connection: listen on this connection's local
    /// address, any port, accepting only the peer. The address to name in
    /// PORT/EPRT comes back with it.
    pub async fn listen_active(
        &self,
        t: &mut Transcript,
    ) -> Result<(DataConn, SocketAddr), DriverError> {
        DataConn::listen(
            SocketAddr::new(self.local.ip(), 0),
            self.peer.ip(),
            self.data_tls(),
            &self.limits,
            t,
        )
        .await
    }

    /// The host a bounce check names: 127.0.0.2 (only ever when this
    /// connection is on 127.0.0.1, so nothing off the machine is named),
    /// on `port`. The listener reports any connection, from anyone.
    pub async fn listen_bounce_target(
        &self,
        port: u16,
        t: &mut Transcript,
    ) -> Result<(DataConn, SocketAddr), DriverError> {
        if self.peer.ip() != IpAddr::V4(Ipv4Addr::LOCALHOST) {
            return Err(DriverError::Unsafe(
                "a bounce target is named only when the control connection is on 127.0.0.1",
            ));
        }
        let third = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), port);
        DataConn::listen(third, self.peer.ip(), None, &self.limits, t).await
    }

    /// Send bytes as they are.
    pub async fn send(&mut self, bytes: &[u8], t: &mut Transcript) -> Result<(), DriverError> {
        t.bytes(Direction::Client, bytes);
        within(self.limits.step_timeout, "sending a command", async {
            // The flush is what sends a TLS record: tokio-rustls reports
            // bytes written once they are in the TLS session, and keeps
            // them there if the socket was not ready (a task that has
            // spent its cooperative budget, after a large transfer, is
            // told so). Unflushed, the command would never leave.
            let sent = async {
                self.stream.write_all(bytes).await?;
                self.stream.flush().await
            };
            sent.await.map_err(|e| match e.kind() {
                // The server hung up before we wrote: say so, rather than
                // leave a socket error to be read as harness trouble.
                _ if is_reset(&e) => DriverError::Closed,
                _ => DriverError::io("sending")(e),
            })
        })
        .await
    }

    fn record(reply: &Parsed<Reply>, t: &mut Transcript) {
        t.bytes(Direction::Server, &reply.value.to_bytes());
    }

    /// The next reply, waiting at most the step timeout.
    pub async fn read_reply(&mut self, t: &mut Transcript) -> Result<Parsed<Reply>, DriverError> {
        self.read_reply_for(self.limits.step_timeout, t).await
    }

    /// The next reply, waiting at most `limit` (for replies a server may
    /// delay on purpose, such as the answer to a wrong password).
    pub async fn read_reply_for(
        &mut self,
        limit: Duration,
        t: &mut Transcript,
    ) -> Result<Parsed<Reply>, DriverError> {
        let result = self.next_reply(limit).await;
        let result = match result {
            Err(DriverError::Timeout(d, _)) if !self.decoder.is_idle() => {
                Err(DriverError::Unterminated(d, self.decoder.buffered()))
            }
            other => other,
        };
        match &result {
            Ok(r) => Self::record(r, t),
            Err(e) => t.push(Direction::Note, format!("no reply: {e}")),
        }
        result
    }

    /// The next reply if one completes within `limit` (capped at the step
    /// timeout); `Ok(None)` if not, with any part of a reply kept for the
    /// next read. Nothing is noted for a reply that is merely not here yet.
    pub async fn read_reply_within(
        &mut self,
        limit: Duration,
        t: &mut Transcript,
    ) -> Result<Option<Parsed<Reply>>, DriverError> {
        match self.next_reply(limit.min(self.limits.step_timeout)).await {
            Ok(r) => {
                Self::record(&r, t);
                Ok(Some(r))
            }
            Err(DriverError::Timeout(..)) => Ok(None),
            Err(e) => {
                t.push(Direction::Note, format!("no reply: {e}"));
                Err(e)
            }
        }
    }

    /// Whether no part of a reply is buffered.
    pub fn between_replies(&self) -> bool {
        self.decoder.is_idle()
    }

    async fn next_reply(&mut self, limit: Duration) -> Result<Parsed<Reply>, DriverError> {
        within(limit, "a reply", async {
            let mut buf = [0u8; 8192];
            loop {
                if let Some(r) = self.decoder.next_reply()? {
                    return Ok(r);
                }
                if self.eof {
                    self.decoder.finish()?;
                    return Err(DriverError::Closed);
                }
                let n = match self.stream.read(&mut buf).await {
                    Ok(n) => n,
                    // A reset is the server closing, abruptly: not a socket
                    // failure of ours (and judged as a close); so is a TLS
                    // connection closed without close_notify.
                    Err(e) if is_reset(&e) || e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
                    Err(e) => {
                        return Err(match self.stream.broken_tls(&e) {
                            Some(failure) => DriverError::Tls {
                                on: "control connection",
                                failure,
                            },
                            None => DriverError::io("reading a reply")(e),
                        });
                    }
                };
                if n == 0 {
                    self.eof = true;
                } else {
                    // Acknowledge at once rather than after the delayed-ACK
                    // timer (~40 ms on Linux): a server with Nagle on (libunftp,
                    // the embedded target) holds its next reply, e.g. a
                    // transfer's 226 after the 150, until this reply is
                    // acknowledged. Quick-ACK mode does not stick, so it is
                    // set after every read.
                    #[cfg(target_os = "linux")]
                    if let Some(tcp) = self.stream.tcp() {
                        let _ = socket2::SockRef::from(tcp).set_tcp_quickack(true);
                    }
                    self.decoder.push(&buf[..n]);
                }
            }
        })
        .await
    }

    /// Send a command line (CRLF added) and read its reply: for the
    /// harness's own bookkeeping (probe, cleanup), outside any oracle.
    pub async fn ask(&mut self, line: &str, t: &mut Transcript) -> Result<Reply, DriverError> {
        self.send(format!("{line}\r\n").as_bytes(), t).await?;
        self.read_reply(t).await.map(|p| p.value)
    }

    /// A reply that is already here, without waiting: anything the server
    /// sent that no command asked for. Does not block.
    pub fn unsolicited(
        &mut self,
        t: &mut Transcript,
    ) -> Result<Option<Parsed<Reply>>, DriverError> {
        let mut buf = [0u8; 8192];
        while !self.eof {
            match self.stream.read_now(&mut buf) {
                Ok(Some(0)) => self.eof = true,
                Ok(Some(n)) => self.decoder.push(&buf[..n]),
                Ok(None) => break,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if is_reset(&e) || e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.eof = true
                }
                Err(e) => return Err(DriverError::io("reading")(e)),
            }
        }
        let r = self.decoder.next_reply()?;
        if let Some(r) = &r {
            Self::record(r, t);
        }
        Ok(r)
    }

    /// Bytes received that do not yet form a reply.
    pub fn pending_bytes(&self) -> usize {
        self.decoder.buffered()
    }

    /// Wait at most `limit` for the server to close the connection. Replies
    /// that arrive first are returned; `Ok(true)` once closed, `Ok(false)`
    /// on timeout.
    pub async fn wait_close(
        &mut self,
        limit: Duration,
        t: &mut Transcript,
    ) -> Result<(bool, Vec<Reply>), DriverError> {
        let mut extra = Vec::new();
        let deadline = tokio::time::Instant::now() + limit;
        let mut buf = [0u8; 8192];
        loop {
            while let Some(r) = self.decoder.next_reply()? {
                Self::record(&r, t);
                extra.push(r.value);
            }
            if self.eof {
                return Ok((true, extra));
            }
            match tokio::time::timeout_at(deadline, self.stream.read(&mut buf)).await {
                Err(_) => return Ok((false, extra)),
                Ok(Ok(0)) => self.eof = true,
                Ok(Ok(n)) => self.decoder.push(&buf[..n]),
                // A reset is a close too, if an abrupt one.
                Ok(Err(_)) => self.eof = true,
            }
        }
    }
}
