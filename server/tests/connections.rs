//! What clients can hold of the real server's listener: connections that send nothing, or
//! send their headers a byte at a time, are closed, and one client's many connections leave
//! room for the others. The bounds below are generous polling limits, not measurements.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use support::binary::{self_signed, site, Served};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Far longer than any wait the server should make here: reaching it fails the test.
const BOUND: Duration = Duration::from_secs(60);

/// A connection to the served URL from the loopback address `from`.
async fn connect(served: &Served, from: &str) -> TcpStream {
    let to: SocketAddr = served
        .url
        .split_once("://")
        .map(|(_, addr)| addr.parse().unwrap())
        .unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    socket.connect(to).await.unwrap()
}

/// Waits (up to [`BOUND`]) until the server closes the connection, ignoring what it sends.
async fn closed_by_the_server(stream: &mut TcpStream) -> bool {
    let until_closed = async {
        let mut buf = [0; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(BOUND, until_closed).await.is_ok()
}

/// Sends `request` and reads the answer's head, up to the blank line.
async fn head_of(stream: &mut TcpStream, request: &str) -> String {
    stream.write_all(request.as_bytes()).await.unwrap();
    let read = async {
        let mut head = Vec::new();
        let mut byte = [0; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).await.unwrap() == 0 {
                break;
            }
            head.push(byte[0]);
        }
        String::from_utf8_lossy(&head).into_owned()
    };
    tokio::time::timeout(BOUND, read)
        .await
        .expect("the server answers")
}

#[tokio::test]
async fn idle_connections_from_one_client_leave_room_for_others_and_are_closed() {
    let dir = TempDir::new().unwrap();
    let site = site(dir.path());
    let limits = [
        "--max-connections",
        "16",
        "--max-connections-per-client",
        "4",
        "--idle-timeout",
        "2",
    ];
    let served = Served::start(&dir.path().join("data"), &site, &limits);

    // More connections than the server serves at once, from one client, that send nothing.
    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(connect(&served, "127.0.0.1").await);
    }
    // Another client still gets its page, on a connection it keeps open.
    let mut other = connect(&served, "127.0.0.2").await;
    let head = head_of(&mut other, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 303"), "{head}");
    assert!(head.contains("content-length: 0"), "{head}");

    for (n, stream) in idle.iter_mut().enumerate() {
        assert!(closed_by_the_server(stream).await, "idle connection {n}");
    }
    assert!(
        closed_by_the_server(&mut other).await,
        "a kept-alive connection that asks nothing more"
    );
    // The first client's places were given back.
    let mut again = connect(&served, "127.0.0.1").await;
    let head = head_of(
        &mut again,
        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 303"), "{head}");
    served.stop();
}

#[tokio::test]
async fn headers_sent_a_byte_at_a_time_are_cut_off() {
    let dir = TempDir::new().unwrap();
    let site = site(dir.path());
    let served = Served::start(&dir.path().join("data"), &site, &["--idle-timeout", "2"]);
    let mut slow = connect(&served, "127.0.0.1").await;
    slow.write_all(b"GET /log-on HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    // A header byte every half second keeps the connection busy, never done: the server
    // closes it, so a write fails or a read sees the end, before the bound.
    let trickle = async {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if slow.write_all(b"X").await.is_err() {
                return;
            }
            let mut buf = [0; 64];
            if let Ok(Ok(0) | Err(_)) =
                tokio::time::timeout(Duration::from_millis(1), slow.read(&mut buf)).await
            {
                return;
            }
        }
    };
    assert!(
        tokio::time::timeout(BOUND, trickle).await.is_ok(),
        "the trickling connection is closed"
    );
    served.stop();
}

#[tokio::test]
async fn an_address_or_headers_too_large_are_answered_at_once() {
    let dir = TempDir::new().unwrap();
    let site = site(dir.path());
    let served = Served::start(&dir.path().join("data"), &site, &[]);
    let ask = |target: String, header: String| {
        format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n{header}Connection: close\r\n\r\n")
    };
    let cases = [
        (
            ask(format!("/log-on?next={}", "a".repeat(4_000)), String::new()),
            "200",
        ),
        (
            ask(format!("/log-on?next={}", "a".repeat(9_000)), String::new()),
            "414",
        ),
        (
            ask(
                "/log-on".into(),
                format!("X-Pad: {}\r\n", "a".repeat(40_000)),
            ),
            "431",
        ),
    ];
    for (request, status) in cases {
        let mut stream = connect(&served, "127.0.0.1").await;
        let head = head_of(&mut stream, &request).await;
        assert!(
            head.starts_with(&format!("HTTP/1.1 {status}")),
            "{status} for {} bytes: {head}",
            request.len()
        );
        assert!(closed_by_the_server(&mut stream).await);
    }
    served.stop();
}

#[tokio::test]
async fn a_tls_connection_that_never_says_hello_is_closed() {
    let dir = TempDir::new().unwrap();
    let site = site(dir.path());
    let (cert, key) = self_signed(dir.path());
    let (cert, key) = (cert.to_string_lossy(), key.to_string_lossy());
    let served = Served::start(
        &dir.path().join("data"),
        &site,
        &[
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--idle-timeout",
            "2",
        ],
    );
    let mut silent = connect(&served, "127.0.0.1").await;
    assert!(closed_by_the_server(&mut silent).await);
    served.stop();
}
