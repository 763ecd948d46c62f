//! The 1,000-line "Add many accounts" paste that both speed measurements of
//! `parse_bulk` time (the native example and the WebAssembly test in
//! Chromium), and the one way they summarise their timings.
//!
//! Both include this file with `#[path]`, so the two figures always come from
//! the same text and the same statistics, and compare like with like.

/// The managed domain of the paste.
pub const DOMAIN: &str = "example.test";
/// Account lines in the paste (a comment line comes first).
pub const LINES: usize = 1_000;
/// Untimed runs first, so caches and the allocator are warm.
pub const WARM_UP: usize = 10;
/// Timed runs.
pub const RUNS: usize = 300;

const FIRST: &[&str] = &[
    "John",
    "Mary",
    "Ana",
    "Jürgen",
    "Zoë",
    "Mohammed",
    "Li",
    "Søren",
    "Chloé",
    "Oluwaseun",
    "Siobhán",
    "Ravi",
    "Kateryna",
    "José",
    "Mei",
    "Ingrid",
];
const LAST: &[&str] = &[
    "Smith",
    "O'Connor",
    "García",
    "Müller",
    "Nguyen",
    "Kowalski",
    "Andersen",
    "Dubois",
    "Okafor",
    "Ní Bhriain",
    "Patel",
    "Shevchenko",
    "Fernández",
    "Wang",
    "Lindqvist",
    "Smith, Jr",
];
const PASSWORD_CHARS: &[u8] =
    b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#$%&*+-.:;=?@^_~";

/// A small deterministic generator, so every run times the same paste.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let len = u64::try_from(items.len()).unwrap_or(u64::MAX);
        let index = usize::try_from(self.next() % len).unwrap_or(0);
        &items[index]
    }

    fn password(&mut self) -> String {
        let len = 10 + self.next() % 10;
        let mut pw: String = (0..len)
            .map(|_| char::from(*self.pick(PASSWORD_CHARS)))
            .collect();
        pw.push_str("7~");
        if self.next().is_multiple_of(20) {
            pw.insert(3, ',');
        }
        pw
    }
}

/// A paste as a postmaster would bring it: a comment, CRLF line ends, every
/// line form (space, tab and comma separated, full addresses, quoted names,
/// non-ASCII names), one password in twenty with a comma, and about one line
/// in ten with a problem (a second password that differs).
pub fn paste() -> String {
    let mut rng = XorShift(0x5eed_cafe_f00d_d00d);
    let mut text = String::from("# New staff, autumn intake\n");
    for i in 0..LINES {
        let first = *rng.pick(FIRST);
        let last = *rng.pick(LAST);
        let user = format!("user{i}.{}", rng.next() % 1000);
        let pw = rng.password();
        let line = match rng.next() % 10 {
            0 => format!("{user},{pw},{pw},{first},\"{last}\""),
            1 => format!("{user}\t{pw}\t{pw}"),
            2 => format!("{user} {pw} {pw}x {first}"),
            3 => format!("{user}@example.test {pw} {pw} {first}"),
            _ if last.contains([' ', ',']) => format!("{user},{pw},{pw},{first},\"{last}\""),
            _ => format!("{user} {pw} {pw} {first} {last}"),
        };
        text.push_str(&line);
        text.push_str("\r\n");
    }
    text
}

/// One line describing the paste and the verdict on it, so a reader of the
/// figures can see that the work measured is the same everywhere.
pub fn describe(text: &str, report: &app::validate::BulkReport) -> String {
    format!(
        "paste: {} lines, {} bytes; {} ready, {} need attention",
        report.lines.len(),
        text.len(),
        report.ready,
        report.need_attention
    )
}

/// "min, median, p99" of per-paste times in milliseconds, as one line.
pub fn summary(mut millis: Vec<f64>) -> String {
    millis.sort_unstable_by(f64::total_cmp);
    let runs = millis.len();
    let at = |rank: usize| millis.get(rank.min(runs.saturating_sub(1))).copied();
    let (Some(min), Some(median), Some(p99)) = (at(0), at(runs / 2), at(runs * 99 / 100)) else {
        return "parse_bulk: no runs timed".to_owned();
    };
    format!(
        "parse_bulk per paste over {runs} runs: min {min:.3} ms, median {median:.3} ms, p99 {p99:.3} ms"
    )
}
