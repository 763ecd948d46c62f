//! Building addresses for links.

/// Percent-encodes a value for a URL query.
pub fn encode_query(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_everything_but_unreserved_characters() {
        assert_eq!(
            super::encode_query("/users?q=a b&page=2"),
            "%2Fusers%3Fq%3Da%20b%26page%3D2"
        );
        assert_eq!(super::encode_query("Ann-Marie_1.~"), "Ann-Marie_1.~");
    }
}
