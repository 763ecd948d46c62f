//! A full address taken apart once, instead of splitting on `@` wherever one is needed.

use std::fmt;

/// A full address: its local part and its domain, trimmed and lowercase, as every table stores
/// them. [`Address::split`] takes an address apart without judging either part; the rules for
/// each part are [`super::parse_username`] and [`super::domain::parse_domain`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    /// The part before the last `@`.
    pub local: String,
    /// The part after the last `@`.
    pub domain: String,
}

impl Address {
    /// `input` trimmed, lowercase and split at its last `@`; `None` without one.
    pub fn split(input: &str) -> Option<Self> {
        let (local, domain) = input.trim().rsplit_once('@')?;
        Some(Address {
            local: local.to_lowercase(),
            domain: domain.to_lowercase(),
        })
    }

    /// The domain of `input` (see [`Address::split`]), when it has one.
    pub fn domain_of(input: &str) -> Option<String> {
        Self::split(input).map(|address| address.domain)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

#[cfg(test)]
mod tests {
    use super::Address;

    #[test]
    fn splits_at_the_last_at_sign_in_lowercase() {
        let address = Address::split("  \"A@B\"@Example.TEST ").unwrap();
        assert_eq!(address.local, "\"a@b\"");
        assert_eq!(address.domain, "example.test");
        assert_eq!(address.to_string(), "\"a@b\"@example.test");
        assert_eq!(
            Address::domain_of("Sales@Example.Test").as_deref(),
            Some("example.test")
        );
    }

    #[test]
    fn an_address_without_at_sign_has_no_parts() {
        assert_eq!(Address::split("sales"), None);
        assert_eq!(Address::domain_of(""), None);
    }
}
