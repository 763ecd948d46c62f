//! Building addresses for links.

/// Percent-encodes a value for a URL query.
pub fn encode_query(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // One string for the whole value: a page encodes an address for each of its 50 rows.
    let mut encoded = String::with_capacity(text.len() + text.len() / 2);
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                encoded.push(char::from(b));
            }
            _ => {
                encoded.push('%');
                encoded.push(char::from(HEX[usize::from(b >> 4)]));
                encoded.push(char::from(HEX[usize::from(b & 0xF)]));
            }
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_everything_but_unreserved_characters() {
        assert_eq!(
            super::encode_query("a/b?q=a b&page=2"),
            "a%2Fb%3Fq%3Da%20b%26page%3D2"
        );
        assert_eq!(super::encode_query("Ann-Marie_1.~"), "Ann-Marie_1.~");
        assert_eq!(super::encode_query("zoë@x"), "zo%C3%AB%40x");
    }
}
