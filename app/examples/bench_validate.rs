//! Times `parse_bulk` on a realistic 1,000-line "Add many accounts" paste and
//! prints min / median / p99 per paste. Run in release mode:
//! `cargo run --release -p app --example bench_validate`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use app::validate::{parse_bulk, BulkOptions};

const LINES: usize = 1_000;
const WARM_UP: usize = 10;
const RUNS: usize = 300;

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

fn paste() -> String {
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

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

fn main() {
    let text = paste();
    let opts = BulkOptions::default();
    let report = parse_bulk(&text, "example.test", opts);
    println!(
        "paste: {} lines, {} bytes; {} ready, {} need attention",
        report.lines.len(),
        text.len(),
        report.ready,
        report.need_attention
    );
    for _ in 0..WARM_UP {
        black_box(parse_bulk(black_box(&text), "example.test", opts));
    }
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            black_box(parse_bulk(black_box(&text), "example.test", opts));
            started.elapsed()
        })
        .collect();
    times.sort_unstable();
    let p99 = times[(RUNS * 99 / 100).min(RUNS - 1)];
    println!(
        "parse_bulk per paste over {RUNS} runs: min {:.3} ms, median {:.3} ms, p99 {:.3} ms",
        millis(times[0]),
        millis(times[RUNS / 2]),
        millis(p99)
    );
}
