//! The password generator behind the "Generate" buttons and generated
//! passwords in "Add many accounts".

use std::fmt;

use super::check::Level;
use super::password::{check_password, PasswordContext, PASSWORD_MAX, PASSWORD_MIN};

/// Length of a generated password when the user does not choose one: four groups of four,
/// `7kmx-q2vh-w9tb-c4ne`, 80 random bits.
pub const DEFAULT_LEN: usize = 19;

/// Characters a generated password is drawn from: small letters and digits that cannot be
/// mistaken for one another when read aloud, dictated or copied from paper (no `0 o 1 l`), so
/// nobody has to say "capital" or name a symbol. 32 of them: 5 random bits each.
const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// Between groups of [`GROUP`] characters, easy to keep one's place in while reading out, and
/// the symbol the rules ask for.
const SEPARATOR: char = '-';
const GROUP: usize = 4;

/// First characters that make a spreadsheet read a cell as a formula (or, for tab and carriage
/// return, hide one behind them). A generated password never starts with one, so the CSV of
/// generated passwords can carry every password exactly as it is.
pub const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `text` starts with a character of [`FORMULA_START`].
pub fn starts_like_formula(text: &str) -> bool {
    text.starts_with(FORMULA_START)
}

/// Candidates tried before giving up. A candidate fails only when it lacks a
/// letter, digit or symbol (likely only at length 8) or happens to contain a
/// name; a thousand misses in a row does not happen with real randomness.
const MAX_ATTEMPTS: usize = 1_000;

/// Why no password could be generated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GenerateError {
    /// The operating system's random number source failed.
    Randomness(String),
    /// No candidate satisfied the rules for this context.
    Exhausted,
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerateError::Randomness(why) => write!(f, "no random numbers available: {why}"),
            GenerateError::Exhausted => {
                f.write_str("could not generate a password that follows the rules")
            }
        }
    }
}

impl std::error::Error for GenerateError {}

/// Generates a random password for the account described by `ctx` that
/// passes every rule of [`check_password`] with no failure and no warning,
/// and does not start like a spreadsheet formula ([`starts_like_formula`]).
///
/// `len` is clamped to 8..=128 and counts the separators: groups of four characters drawn
/// uniformly from an alphabet without look-alike characters, a dash between groups. A
/// candidate that misses a rule (no letter or digit, or a name inside it) is thrown away whole
/// and a new one drawn, so the result stays uniform over the passwords that pass. It never
/// starts like a formula, as it starts with a letter or digit. Randomness comes
/// from the operating system (the browser's `crypto.getRandomValues` in
/// WebAssembly).
pub fn generate_password(ctx: &PasswordContext, len: usize) -> Result<String, GenerateError> {
    let len = len.clamp(PASSWORD_MIN, PASSWORD_MAX);
    let mut random = RandomBytes::new();
    for _ in 0..MAX_ATTEMPTS {
        let candidate = draw(&mut random, len)?;
        let clean = check_password(&candidate, ctx)
            .iter()
            .all(|check| check.level == Level::Pass);
        if clean {
            return Ok(candidate);
        }
    }
    Err(GenerateError::Exhausted)
}

fn draw(random: &mut RandomBytes, len: usize) -> Result<String, GenerateError> {
    (0..len)
        .map(|at| {
            // Every fifth place separates two groups, but never ends the password.
            if at % (GROUP + 1) == GROUP && at + 1 < len {
                Ok(SEPARATOR)
            } else {
                random
                    .below(ALPHABET.len())
                    .map(|i| char::from(ALPHABET[i]))
            }
        })
        .collect()
}

/// Operating-system random bytes, fetched a block at a time.
struct RandomBytes {
    block: [u8; 32],
    used: usize,
}

impl RandomBytes {
    fn new() -> Self {
        RandomBytes {
            block: [0; 32],
            used: 0,
        }
    }

    fn next_byte(&mut self) -> Result<u8, GenerateError> {
        if self.used == 0 || self.used == self.block.len() {
            getrandom::fill(&mut self.block)
                .map_err(|e| GenerateError::Randomness(e.to_string()))?;
            self.used = 0;
        }
        let byte = self.block[self.used];
        self.used += 1;
        Ok(byte)
    }

    /// A uniform number in `0..n` (`n` at most 256). Bytes at or above the
    /// largest multiple of `n` are rejected: taking them modulo `n` would
    /// favour the low numbers.
    fn below(&mut self, n: usize) -> Result<usize, GenerateError> {
        let zone = 256 - 256 % n;
        loop {
            let byte = usize::from(self.next_byte()?);
            if byte < zone {
                return Ok(byte % n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: PasswordContext<'static> = PasswordContext {
        username: "someone",
        first_name: "Jane",
        last_name: "Doe",
        domain: "example.test",
    };

    #[test]
    fn alphabet_has_no_look_alikes_capitals_or_symbols() {
        for banned in "0Oo1lI|`'\", \t".bytes() {
            assert!(!ALPHABET.contains(&banned), "{:?}", char::from(banned));
        }
        assert!(ALPHABET
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        let mut sorted = ALPHABET.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 32, "32 characters, none twice: 5 bits each");
    }

    #[test]
    fn the_default_reads_as_four_groups_of_four() {
        for _ in 0..200 {
            let pw = generate_password(&SEED, DEFAULT_LEN).expect("generated");
            let groups: Vec<&str> = pw.split(SEPARATOR).collect();
            assert_eq!(groups.len(), 4, "{pw}");
            assert!(groups.iter().all(|group| group.len() == GROUP), "{pw}");
        }
        for len in PASSWORD_MIN..=40 {
            let pw = generate_password(&SEED, len).expect("generated");
            assert!(!pw.ends_with(SEPARATOR) && !pw.contains("--"), "{pw}");
        }
    }

    #[test]
    fn lengths_are_clamped() {
        let cases = [
            (0, 8),
            (1, 8),
            (7, 8),
            (8, 8),
            (16, 16),
            (128, 128),
            (129, 128),
            (usize::MAX, 128),
        ];
        for (asked, got) in cases {
            let pw = generate_password(&SEED, asked).expect("generated");
            assert_eq!(pw.chars().count(), got, "asked {asked}");
        }
    }

    #[test]
    fn generated_passwords_pass_everything() {
        for _ in 0..200 {
            let pw = generate_password(&SEED, PASSWORD_MIN).expect("generated");
            assert!(check_password(&pw, &SEED)
                .iter()
                .all(|c| c.level == Level::Pass));
            assert!(pw
                .bytes()
                .all(|b| ALPHABET.contains(&b) || char::from(b) == SEPARATOR));
        }
    }

    #[test]
    fn no_password_starts_like_a_formula() {
        for len in [PASSWORD_MIN, DEFAULT_LEN] {
            for _ in 0..3_000 {
                let pw = generate_password(&SEED, len).expect("generated");
                assert!(!starts_like_formula(&pw), "{pw:?}");
            }
        }
    }

    #[test]
    fn formula_starts() {
        for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(starts_like_formula(text), "{text:?}");
        }
        for text in ["", "a=1", "1-2", "x@y", "'=1", " =1"] {
            assert!(!starts_like_formula(text), "{text:?}");
        }
        assert!(FORMULA_START
            .iter()
            .all(|c| !ALPHABET.contains(&(*c as u8))));
    }

    #[test]
    fn passwords_differ() {
        let a = generate_password(&SEED, DEFAULT_LEN).expect("generated");
        let b = generate_password(&SEED, DEFAULT_LEN).expect("generated");
        assert_ne!(a, b);
    }

    #[test]
    fn choice_is_unbiased() {
        // Every index of a 3-way choice must come up, roughly equally often.
        let mut random = RandomBytes::new();
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[random.below(3).expect("random")] += 1;
        }
        for count in counts {
            assert!((9_000..11_000).contains(&count), "{counts:?}");
        }
    }

    #[test]
    fn no_random_byte_is_wasted() {
        // 32 characters divide 256: every byte gives a character, none is rejected.
        assert_eq!(256 % ALPHABET.len(), 0);
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            GenerateError::Exhausted.to_string(),
            "could not generate a password that follows the rules"
        );
    }
}
