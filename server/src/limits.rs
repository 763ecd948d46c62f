//! Limits on what clients can hold: open connections, each client's share of them, how long a
//! connection may sit without sending a request, and how long one request may take.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::Accept;
use futures_util::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

use crate::guard::TrustedProxies;

/// Open connections served at once by default; more wait until one ends.
pub const MAX_CONNECTIONS: usize = 1024;

/// How long a connection may take by default to finish its TLS handshake, to send a request's
/// headers, or to start the next request on a kept-alive connection, and its client may take
/// nothing of an answer, before it is closed.
pub const IDLE_TIMEOUT_SECONDS: u64 = 30;

/// The longest a request may take, from its first byte to its answer: a slow client cannot
/// hold a connection and its memory for ever. A bulk add of the most accounts a paste may hold
/// hashes for well under this on one core.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// The connections one client may hold by default: an eighth of all, so that a few clients
/// cannot take every place, but at least 16 (a browser opens up to six at once), and never
/// more than all.
pub fn default_client_share(max_connections: usize) -> usize {
    (max_connections / 8).max(16).min(max_connections)
}

/// Takes each accepted connection's place, before anything is read from it, and holds it until
/// the connection ends: at most `max` are served at once, and past that a connection waits for
/// one to end without a handshake or a request read. A client (an IPv4 address, or an IPv6
/// /64) over its share, counting those that wait, is closed at once, so that one client cannot
/// take every place; a trusted proxy, whose connections carry many clients, has no share. A
/// connection whose client takes nothing of an answer for the stall timeout is closed.
#[derive(Clone)]
pub struct LimitedAcceptor {
    open: Arc<Semaphore>,
    clients: Clients,
    share: usize,
    stall_timeout: Duration,
    proxies: Option<TrustedProxies>,
}

impl LimitedAcceptor {
    /// Lets at most `max` connections on at once (at least one), and `share` of them (at least
    /// one) from any one client but `proxies`; closes a connection whose client takes nothing
    /// of an answer for `stall_timeout`.
    pub fn new(
        max: usize,
        share: usize,
        stall_timeout: Duration,
        proxies: Option<TrustedProxies>,
    ) -> Self {
        LimitedAcceptor {
            open: Arc::new(Semaphore::new(max.max(1))),
            clients: Arc::default(),
            share: share.max(1),
            stall_timeout,
            proxies,
        }
    }

    /// Counts a connection from `peer` against its client's share, or refuses it over the share.
    fn take_share(&self, peer: IpAddr) -> Option<ClientShare> {
        if self
            .proxies
            .as_ref()
            .is_some_and(|proxies| proxies.trust(peer))
        {
            return Some(ClientShare(None));
        }
        let client = client_of(peer.to_canonical());
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let held = clients.entry(client).or_default();
        if *held >= self.share {
            return None;
        }
        *held += 1;
        Some(ClientShare(Some((self.clients.clone(), client))))
    }
}

/// The connections each client holds.
type Clients = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// The client an address belongs to: an IPv4 address, or an IPv6 address's /64, which one
/// host commonly holds whole.
fn client_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::from(octets)
        }
    }
}

/// One connection counted against its client's share, given back when it ends; none for a
/// trusted proxy's.
struct ClientShare(Option<(Clients, IpAddr)>);

impl Drop for ClientShare {
    fn drop(&mut self) {
        let Some((clients, client)) = self.0.take() else {
            return;
        };
        let mut clients = clients.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(held) = clients.get_mut(&client) {
            *held -= 1;
            if *held == 0 {
                clients.remove(&client);
            }
        }
    }
}

impl<S: Send + 'static> Accept<TcpStream, S> for LimitedAcceptor {
    type Stream = Limited;
    type Service = S;
    type Future = BoxFuture<'static, io::Result<(Limited, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let share = stream
            .peer_addr()
            .map_err(|error| error.to_string())
            .and_then(|peer| {
                self.take_share(peer.ip())
                    .ok_or_else(|| format!("{} holds its share of connections", peer.ip()))
            });
        let (open, stall_timeout) = (self.open.clone(), self.stall_timeout);
        Box::pin(async move {
            // Dropping the stream closes it: a client over its share gets no answer.
            let share = share.map_err(|refusal| {
                tracing::debug!("{refusal}: closed a new connection");
                io::Error::other(refusal)
            })?;
            let permit = open.acquire_owned().await.map_err(io::Error::other)?;
            Ok((Limited::new(stream, permit, share, stall_timeout), service))
        })
    }
}

/// An accepted connection, holding its place and its client's share until it is dropped.
pub struct Limited {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    _share: ClientShare,
    /// How long a write may wait for the client to take something.
    stall_timeout: Duration,
    /// Since when the current write has waited, as the time it gives up.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl Limited {
    fn new(
        stream: TcpStream,
        permit: OwnedSemaphorePermit,
        share: ClientShare,
        stall_timeout: Duration,
    ) -> Self {
        // An answer written in two pieces (a file's headers, then its body) must not wait for
        // the client's delayed acknowledgement of the first: 40 ms per site file otherwise.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        Limited {
            stream,
            _permit: permit,
            _share: share,
            stall_timeout,
            stalled: None,
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

impl Limited {
    /// `poll` of a write, which fails once the client has taken nothing for the stall timeout:
    /// a client that stops reading an answer (a large export, say) cannot hold its connection,
    /// and what the answer holds, for ever.
    fn unless_stalled<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let timeout = self.stall_timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client took nothing of the answer",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Limited {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.unless_stalled(cx, poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_flush(cx);
        self.unless_stalled(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_shutdown(cx);
        self.unless_stalled(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.unless_stalled(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use tokio::net::{TcpListener, TcpSocket};
    use tokio::task::JoinHandle;

    /// A stall timeout no test reaches.
    const LONG: Duration = Duration::from_secs(3600);

    /// Fails unless `next` is still waiting for its place a while later.
    async fn still_waiting<T>(next: &mut JoinHandle<T>) {
        assert!(
            tokio::time::timeout(Duration::from_millis(200), next)
                .await
                .is_err(),
            "the second connection waits while the first is open"
        );
    }

    /// A connection to the listener from the loopback address `from`, and the server's side of it.
    async fn connect(listener: &TcpListener, from: &str) -> (TcpStream, TcpStream) {
        let socket = TcpSocket::new_v4().unwrap();
        socket
            .bind(SocketAddr::new(from.parse().unwrap(), 0))
            .unwrap();
        let client = socket
            .connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    }

    #[tokio::test]
    async fn a_connection_past_the_limit_waits_before_its_handshake_until_one_ends() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let acceptor = LimitedAcceptor::new(1, 2, LONG, None);
        let (_first, first) = connect(&listener, "127.0.0.1").await;
        let (held, ()) = acceptor.accept(first, ()).await.unwrap();
        assert!(held.stream.nodelay().unwrap(), "sent without delay");
        let (_second, second) = connect(&listener, "127.0.0.1").await;
        let mut next = tokio::spawn(acceptor.accept(second, ()));
        still_waiting(&mut next).await;
        drop(held);
        assert!(next.await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn a_client_over_its_share_is_closed_while_another_gets_in() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy: IpAddr = "127.0.0.3".parse().unwrap();
        let acceptor = LimitedAcceptor::new(5, 2, LONG, Some(TrustedProxies::new(&[proxy])));
        let mut held = Vec::new();
        for _ in 0..2 {
            let (_, server) = connect(&listener, "127.0.0.1").await;
            held.push(acceptor.accept(server, ()).await.unwrap());
        }
        let (mut third, server) = connect(&listener, "127.0.0.1").await;
        assert!(acceptor.accept(server, ()).await.is_err(), "over its share");
        let mut byte = [0; 1];
        let read = tokio::io::AsyncReadExt::read(&mut third, &mut byte).await;
        assert!(matches!(read, Ok(0) | Err(_)), "closed: {read:?}");
        let (_, other) = connect(&listener, "127.0.0.2").await;
        assert!(acceptor.accept(other, ()).await.is_ok(), "another client");
        held.pop();
        let (_, again) = connect(&listener, "127.0.0.1").await;
        assert!(
            acceptor.accept(again, ()).await.is_ok(),
            "a share given back"
        );
        for _ in 0..3 {
            let (_, proxied) = connect(&listener, "127.0.0.3").await;
            held.push(acceptor.accept(proxied, ()).await.unwrap());
        }
    }

    #[tokio::test]
    async fn a_client_that_takes_nothing_of_an_answer_is_cut_off() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let acceptor = LimitedAcceptor::new(1, 1, Duration::from_millis(500), None);
        let (_client, server) = connect(&listener, "127.0.0.1").await;
        let (mut held, ()) = acceptor.accept(server, ()).await.unwrap();
        let chunk = vec![b'x'; 64 * 1024];
        // The kernel's buffers take the first megabytes; then the writes wait, and fail.
        let written = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                if let Err(error) = tokio::io::AsyncWriteExt::write_all(&mut held, &chunk).await {
                    return error;
                }
            }
        })
        .await
        .expect("the write gives up");
        assert_eq!(written.kind(), io::ErrorKind::TimedOut);
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_of(a), client_of(b));
        assert_ne!(client_of(a), client_of(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(
            client_of(mapped.to_canonical()),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn the_default_share_is_an_eighth_within_bounds() {
        assert_eq!(default_client_share(MAX_CONNECTIONS), 128);
        assert_eq!(default_client_share(40), 16);
        assert_eq!(default_client_share(4), 4);
    }
}
