//! What the server's middleware puts on a request and every later layer reads: the signed-in
//! session and its administrator, the client's address, and whether the session must turn
//! two-factor log-on on first, and the key a session is known by. A leaf: it imports nothing of the crate, so the error type's
//! record of sent refusals and every floor of `ssr` can read it.

use sha2::{Digest, Sha256};

/// A signed-in administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub id: i64,
    pub email: String,
    pub superadmin: bool,
    /// The domains a postmaster manages (id and name, by name), when read with the session;
    /// `None` has them read when asked (a superadmin manages every domain).
    pub managed: Option<Vec<(i64, String)>>,
}

/// The live session of the request being served, put there by the server's middleware.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub admin: Admin,
    pub token: String,
}

impl CurrentSession {
    /// The session's key: what owns the results a request leaves for the next one, such as a
    /// batch of new accounts.
    pub fn key(&self) -> SessionKey {
        SessionKey::of_token(&self.token)
    }
}

/// The key of a session in the database and in the server's memory: a hash of its cookie's
/// token, so neither holds the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey(Vec<u8>);

impl SessionKey {
    /// The key of the session whose cookie holds `token`.
    pub fn of_token(token: &str) -> Self {
        SessionKey(Sha256::digest(token.as_bytes()).to_vec())
    }

    /// The key as the database stores it.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl std::ops::Deref for SessionKey {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// The client's address (the peer, or the proxy's `X-Forwarded-For` behind a proxy).
#[derive(Debug, Clone, Default)]
pub struct ClientAddr(pub String);

/// Put on a request by the server's middleware when the operator requires two-factor log-on
/// and the signed-in administrator has not turned it on yet: until they do, only enrolment,
/// who is signed in, and log off answer.
#[derive(Debug, Clone, Copy)]
pub struct MustEnrol;
