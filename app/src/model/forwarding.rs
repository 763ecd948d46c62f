//! An account's forwarding as the Edit screen shows it.

use serde::{Deserialize, Serialize};

/// An account's forwarding; no targets is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forwarding {
    pub targets: Vec<String>,
    /// The account's own mailbox keeps a copy of what is forwarded.
    pub keep_copy: bool,
}
