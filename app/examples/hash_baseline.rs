//! The baseline of the bulk-add benchmark: N bare Argon2id hashes with the console's
//! parameters, spread over all cores by the console's own `Hasher`. Prints the milliseconds.
//!
//! `cargo run --release -p app --features ssr --example hash_baseline -- 1000`

use app::ssr::storage::hashing::Hasher;

#[tokio::main]
async fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let hasher = Hasher::default();
    let started = std::time::Instant::now();
    let hashes: Vec<_> = (0..count)
        .map(|n| {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.hash(format!("Bench#{n:05}pass")).await })
        })
        .collect();
    for hash in hashes {
        if !matches!(hash.await, Ok(Ok(_))) {
            eprintln!("a hash failed");
            std::process::exit(1);
        }
    }
    println!("{}", started.elapsed().as_secs_f64() * 1000.0);
}
