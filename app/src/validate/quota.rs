//! The quota rule: an account's mailbox limit in whole MB, 0 for none.

/// The largest quota in MB: 1 TB, well past any mailbox a single server keeps, and small
/// enough that a typing slip of extra digits is caught rather than stored as "no limit".
pub const QUOTA_MB_MAX: u32 = 1_048_576;

const REQUIRED: &str = "Enter a quota in MB; 0 means no limit";
const NEGATIVE: &str = "A quota cannot be negative; 0 means no limit";
const FRACTION: &str = "A quota is a whole number of MB, such as 500";
const NOT_A_NUMBER: &str = "Enter the quota as a whole number of MB, such as 500; 0 means no limit";
const TOO_LARGE: &str = "A quota is at most 1048576 MB (1 TB); 0 means no limit";

/// Reads a quota typed in MB: digits only (surrounding spaces allowed), 0 for no limit, at
/// most [`QUOTA_MB_MAX`]. The error is a sentence for the postmaster.
pub fn parse_quota_mb(input: &str) -> Result<u32, &'static str> {
    let input = input.trim();
    if input.is_empty() {
        return Err(REQUIRED);
    }
    if input.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: the only failure left is size, whatever the length.
        return input
            .parse::<u32>()
            .ok()
            .filter(|mb| *mb <= QUOTA_MB_MAX)
            .ok_or(TOO_LARGE);
    }
    let unsigned = input.strip_prefix('-').unwrap_or(input);
    let number = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if unsigned != input && (number(unsigned) || decimal(unsigned, number)) {
        return Err(NEGATIVE);
    }
    if decimal(input, number) {
        return Err(FRACTION);
    }
    Err(NOT_A_NUMBER)
}

/// `1.5`, `1,5`, `.5`: a number with a fractional part.
fn decimal(text: &str, number: impl Fn(&str) -> bool) -> bool {
    text.split_once(['.', ','])
        .is_some_and(|(whole, part)| (whole.is_empty() || number(whole)) && number(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_as_typed() {
        let cases: &[(&str, Result<u32, &str>)] = &[
            ("0", Ok(0)),
            ("500", Ok(500)),
            (" 250 ", Ok(250)),
            ("007", Ok(7)),
            ("1048576", Ok(QUOTA_MB_MAX)),
            ("", Err(REQUIRED)),
            ("   ", Err(REQUIRED)),
            ("-1", Err(NEGATIVE)),
            ("-0.5", Err(NEGATIVE)),
            ("1.5", Err(FRACTION)),
            ("1,5", Err(FRACTION)),
            (".5", Err(FRACTION)),
            ("abc", Err(NOT_A_NUMBER)),
            ("+5", Err(NOT_A_NUMBER)),
            ("5 MB", Err(NOT_A_NUMBER)),
            ("1e3", Err(NOT_A_NUMBER)),
            ("1.", Err(NOT_A_NUMBER)),
            ("--1", Err(NOT_A_NUMBER)),
            ("1048577", Err(TOO_LARGE)),
            ("4294967296", Err(TOO_LARGE)),
            ("99999999999999999999999999", Err(TOO_LARGE)),
        ];
        for (typed, expected) in cases {
            assert_eq!(parse_quota_mb(typed), *expected, "{typed:?}");
        }
    }
}
