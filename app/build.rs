//! Rebuilds the app when a migration is added: `sqlx::migrate!` embeds the migrations folder,
//! and cargo does not notice a new file in it by itself.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
