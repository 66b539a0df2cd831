//! A connection that is plain TCP or TLS over TCP, read and written the
//! same way; and [`Tap`], the TCP side of a TLS connection, which keeps the
//! first bytes the server sends (to say what a failed handshake got).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// How many bytes of the server's first answer a [`Tap`] keeps.
const SEEN: usize = 64;

/// TCP under TLS, keeping the first [`SEEN`] bytes read until told to
/// stop, and after that the start of the latest read (to show what a
/// server sent that broke the TLS stream).
#[derive(Debug)]
pub struct Tap {
    tcp: TcpStream,
    seen: Vec<u8>,
    recording: bool,
}

impl Tap {
    pub(crate) fn new(tcp: TcpStream) -> Tap {
        Tap {
            tcp,
            seen: Vec::new(),
            recording: true,
        }
    }

    /// The first bytes read while recording.
    pub(crate) fn seen(&self) -> &[u8] {
        &self.seen
    }

    pub(crate) fn stop_recording(&mut self) {
        self.recording = false;
        self.seen.clear();
    }

    /// The TCP stream.
    pub(crate) fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    pub(crate) fn into_tcp(self) -> TcpStream {
        self.tcp
    }
}

impl AsyncRead for Tap {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.tcp).poll_read(cx, buf);
        // Acknowledge TLS records at once (see `Control::read_reply`): a
        // server with Nagle on holds its next small record until then.
        #[cfg(target_os = "linux")]
        if buf.filled().len() > before {
            let _ = socket2::SockRef::from(&self.tcp).set_tcp_quickack(true);
        }
        let new = &buf.filled()[before..];
        if !new.is_empty() {
            if !self.recording {
                // After the handshake: the start of the latest read only.
                self.seen.clear();
            }
            let room = SEEN.saturating_sub(self.seen.len());
            let take = new.len().min(room);
            let new = new[..take].to_vec();
            self.seen.extend_from_slice(&new);
        }
        r
    }
}

impl AsyncWrite for Tap {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// A control or data connection: plain, or inside TLS.
#[derive(Debug)]
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS, ftpspec being the client.
    Tls(Box<TlsStream<Tap>>),
    /// Between the two, while a handshake runs (or after it failed): reads
    /// see the end of the stream and writes fail.
    Gone,
}

impl Stream {
    /// The TCP stream underneath.
    pub fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Stream::Plain(s) => Some(s),
            Stream::Tls(s) => Some(s.get_ref().0.tcp()),
            Stream::Gone => None,
        }
    }

    /// Whether the stream is inside TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// What a read error on this stream says about the server's TLS, if
    /// anything (see [`super::tls::broken`]).
    pub fn broken_tls(&self, e: &io::Error) -> Option<super::tls::TlsFailure> {
        match self {
            Stream::Tls(s) => super::tls::broken(e, s.get_ref().0.seen()),
            _ => None,
        }
    }

    /// Read what is here without waiting: `Ok(None)` when nothing is.
    pub fn read_now(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        let mut cx = Context::from_waker(Waker::noop());
        let mut rb = ReadBuf::new(buf);
        match Pin::new(self).poll_read(&mut cx, &mut rb) {
            Poll::Ready(Ok(())) => Ok(Some(rb.filled().len())),
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Ok(None),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Gone => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }
}
