// Deeply nested view types of the screens exceed the default.
#![recursion_limit = "256"]
use std::process::ExitCode;

use server::cli::Cli;

/// Rendering a page allocates and frees many small strings and views, from every worker
/// thread: mimalloc does that far faster than glibc's allocator under many clients.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VPM_LOG")
                // PostgreSQL's notices (a table that already exists, at every start) are noise.
                .unwrap_or_else(|_| "info,sqlx::postgres::notice=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse_or_exit();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start: {error}")),
    };
    match runtime.block_on(server::commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

/// One clear line on stderr and a failing exit status.
fn fail(message: &str) -> ExitCode {
    eprintln!("vpostmaster: {message}");
    ExitCode::FAILURE
}
