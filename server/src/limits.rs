//! Limits on what clients can hold: open connections, and how long one request may take.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::Accept;
use futures_util::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Open connections served at once by default; more wait in the kernel's queue until one ends.
pub const MAX_CONNECTIONS: usize = 1024;

/// The longest a request may take, from its first byte to its answer: a slow client cannot
/// hold a connection and its memory for ever. A bulk add of the most accounts a paste may hold
/// hashes for well under this on one core.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// A listener that accepts a connection only while fewer than its limit are open.
pub struct LimitedListener {
    inner: TcpListener,
    open: Arc<Semaphore>,
}

impl LimitedListener {
    /// Serves at most `max` connections of `inner` at once.
    pub fn new(inner: TcpListener, max: usize) -> Self {
        LimitedListener {
            inner,
            open: places(max),
        }
    }
}

impl axum::serve::Listener for LimitedListener {
    type Io = Limited;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // Never closed, so acquiring only waits.
        let permit = loop {
            if let Ok(permit) = self.open.clone().acquire_owned().await {
                break permit;
            }
        };
        let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        (Limited::new(stream, permit), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// The TLS server's [`LimitedListener`]: that server accepts connections itself, so each one
/// takes its place here, before its handshake, and holds it until it ends. Past the limit a
/// connection waits without a handshake or a request read.
#[derive(Clone)]
pub struct LimitedAcceptor {
    open: Arc<Semaphore>,
}

impl LimitedAcceptor {
    /// Lets at most `max` connections on at once.
    pub fn new(max: usize) -> Self {
        LimitedAcceptor { open: places(max) }
    }
}

/// The places of at most `max` open connections, at least one.
fn places(max: usize) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(max.max(1)))
}

impl<S: Send + 'static> Accept<TcpStream, S> for LimitedAcceptor {
    type Stream = Limited;
    type Service = S;
    type Future = BoxFuture<'static, io::Result<(Limited, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let open = self.open.clone();
        Box::pin(async move {
            let permit = open.acquire_owned().await.map_err(io::Error::other)?;
            Ok((Limited::new(stream, permit), service))
        })
    }
}

/// An accepted connection, holding its place until it is dropped.
pub struct Limited {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl Limited {
    fn new(stream: TcpStream, permit: OwnedSemaphorePermit) -> Self {
        // An answer written in two pieces (a file's headers, then its body) must not wait for
        // the client's delayed acknowledgement of the first: 40 ms per site file otherwise.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        Limited {
            stream,
            _permit: permit,
        }
    }
}

impl AsyncRead for Limited {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Limited {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::serve::Listener;
    use tokio::task::JoinHandle;

    /// Fails unless `next` is still waiting for its place a while later.
    async fn still_waiting<T>(next: &mut JoinHandle<T>) {
        assert!(
            tokio::time::timeout(Duration::from_millis(200), next)
                .await
                .is_err(),
            "the second connection waits while the first is open"
        );
    }

    #[tokio::test]
    async fn a_connection_past_the_limit_is_taken_only_when_one_ends() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut limited = LimitedListener::new(listener, 1);
        let _first = TcpStream::connect(addr).await.unwrap();
        let (held, _) = limited.accept().await;
        assert!(held.stream.nodelay().unwrap(), "sent without delay");
        let _second = TcpStream::connect(addr).await.unwrap();
        let mut next = tokio::spawn(async move { limited.accept().await });
        still_waiting(&mut next).await;
        drop(held);
        let (second, peer) = next.await.unwrap();
        assert_eq!(peer.ip(), addr.ip());
        drop(second);
    }

    #[tokio::test]
    async fn a_tls_connection_past_the_limit_waits_before_its_handshake_until_one_ends() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = LimitedAcceptor::new(1);
        let _first = TcpStream::connect(addr).await.unwrap();
        let (first, _) = listener.accept().await.unwrap();
        let (held, ()) = acceptor.accept(first, ()).await.unwrap();
        assert!(held.stream.nodelay().unwrap(), "sent without delay");
        let _second = TcpStream::connect(addr).await.unwrap();
        let (second, _) = listener.accept().await.unwrap();
        let mut next = tokio::spawn(acceptor.accept(second, ()));
        still_waiting(&mut next).await;
        drop(held);
        assert!(next.await.unwrap().is_ok());
    }
}
