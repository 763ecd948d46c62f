//! Whether Dovecot's sockets and Postfix's SMTP port answer. A server that is stopped is a
//! problem to report, not a reason to stop checking.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use tokio::net::{TcpStream, UnixStream};
use tokio::time::timeout;

use super::Line;

/// Long enough for a busy server to accept, short enough for an operator to wait.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A Unix socket at `path` accepts a connection.
pub async fn unix_socket(path: &Path, what: &str) -> Line {
    let shown = path.display();
    match timeout(CONNECT_TIMEOUT, UnixStream::connect(path)).await {
        Ok(Ok(_)) => Line::ok(format!("{what} answers at {shown}")),
        Ok(Err(error)) => Line::problem(format!(
            "{what} does not answer at {shown} ({error}): start Dovecot with the configuration \
             `vpostmaster dovecot-config` prints, or give --postfix-queue"
        )),
        Err(_) => Line::problem(format!(
            "{what} did not answer at {shown} within {} s",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

/// A TCP port accepts a connection.
pub async fn tcp(addr: SocketAddr, what: &str) -> Line {
    match timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
        Ok(Ok(_)) => Line::ok(format!("{what} answers at {addr}")),
        Ok(Err(error)) => Line::problem(format!(
            "{what} does not answer at {addr} ({error}): start Postfix, or give --smtp"
        )),
        Err(_) => Line::problem(format!(
            "{what} did not answer at {addr} within {} s",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}
