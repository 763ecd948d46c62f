//! The rule every free-text input passes before any other work is done with it: at most its
//! number of characters, counted only once the bytes could fit, and no NUL, which PostgreSQL's
//! text cannot hold.

/// The refusal of a NUL in any input.
pub const NUL_REFUSED: &str = "What you sent holds a NUL character, which no field can hold";

/// Most characters of a search term.
pub const SEARCH_MAX: usize = 100;

/// `text`, typed into the input called `what` (as a sentence begins), when it has at most `max`
/// characters and no NUL; else the refusal to show.
pub fn check_text<'a>(what: &str, text: &'a str, max: usize) -> Result<&'a str, String> {
    // A character is at most 4 bytes: a longer text is refused without counting.
    if text.len() > 4 * max || text.chars().count() > max {
        return Err(format!("{what} can have at most {max} characters"));
    }
    if text.contains('\0') {
        return Err(format!("{what} cannot hold a NUL character"));
    }
    Ok(text)
}

/// Whether a request's query or form body, URL-encoded as browsers and the server functions
/// send them, would give some input a NUL once decoded: `%00`, or the byte itself.
pub fn encoded_nul(encoded: &[u8]) -> bool {
    encoded.contains(&0) || encoded.windows(3).any(|three| three == b"%00")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_found_however_it_is_encoded() {
        for sent in [&b"a=b%00c"[..], b"a=b\0c"] {
            assert!(encoded_nul(sent), "{sent:?}");
        }
        for sent in [&b"a=b%2500c&d=%0A"[..], b"a=100"] {
            assert!(!encoded_nul(sent), "{sent:?}");
        }
    }

    #[test]
    fn a_text_is_refused_when_too_long_or_holding_a_nul() {
        assert_eq!(check_text("A search", "ann", SEARCH_MAX), Ok("ann"));
        let full = "é".repeat(SEARCH_MAX);
        assert_eq!(check_text("A search", &full, SEARCH_MAX), Ok(full.as_str()));
        for long in ["a".repeat(SEARCH_MAX + 1), "a".repeat(4 << 20)] {
            assert_eq!(
                check_text("A search", &long, SEARCH_MAX),
                Err("A search can have at most 100 characters".to_owned())
            );
        }
        assert_eq!(
            check_text("A search", "a\0b", SEARCH_MAX),
            Err("A search cannot hold a NUL character".to_owned())
        );
    }
}
