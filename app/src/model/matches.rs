//! Every match of a list's search, as the confirmation of deleting them all shows it.

use serde::{Deserialize, Serialize};

/// Addresses the confirmation names; past them it says how many more.
pub const NAMED_MAX: usize = 20;

/// The addresses of a domain that match a search now: all of them counted, the first named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchMatches {
    /// The domain searched.
    pub domain: String,
    /// Every match, counted without the list's cap.
    pub total: u64,
    /// The first matches in the list's order, at most [`NAMED_MAX`].
    pub first: Vec<String>,
}

impl SearchMatches {
    /// The matches of `domain`, all of them given in the list's order.
    pub fn of(domain: &str, mut all: Vec<String>) -> Self {
        let total = all.len() as u64;
        all.truncate(NAMED_MAX);
        Self {
            domain: domain.to_owned(),
            total,
            first: all,
        }
    }
}
