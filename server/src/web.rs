//! The web server: the Leptos app and its server functions behind axum.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use app::error::AppError;
use app::routes::{AddAccounts, AddAliases, ExportAccounts};
use app::ssr::db::Location;
use app::ssr::mailstore::{current_uid, finish_removals, is_root, reconcile_maildirs, MailStore};
use app::ssr::sessions::SessionPolicy;
use app::ssr::two_factor::{self, SecretKey};
use app::ssr::Batches;
use app::ssr::Hasher;
use app::ssr::RunningAdds;
use app::ssr::{accounts, retention};
use app::ssr::{AppState, TwoFactorSettings};
use app::{shell, App};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{middleware, Router};
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use leptos::config::{Env, LeptosOptions};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use sqlx::AnyPool;
use tokio::time::MissedTickBehavior;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::app_context::provide_app_context;
use crate::cli::{MailArgs, ServeArgs};
use crate::export::{ExportState, RunningExports};
use crate::forms::{self, FormPages};
use crate::guard::{guard, GuardConfig, TrustedProxies, LOOPBACK_HOSTS};
use crate::limits::{default_client_share, LimitedAcceptor, REQUEST_TIMEOUT};

/// Largest request body: a full bulk paste (1 MiB of text) form-encoded fits with room to spare.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// How often the server purges accounts deleted longer ago than the retention period.
const PURGE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// The name cargo-leptos gives the WASM, JS and CSS files under `pkg/`.
const OUTPUT_NAME: &str = "vpostmaster";

/// The app's routes, walked once per process: while Leptos walks the app it holds back the
/// first load of every resource in the process (a global flag), so a page rendering meanwhile
/// would wait forever (leptos-rs/leptos #4773).
fn routes() -> &'static [AxumRouteListing] {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App))
}

/// The router of the whole site, for `serve` and for in-process tests.
pub fn router(config: GuardConfig, site_dir: &Path) -> Router {
    let options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(site_dir.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .env(Env::PROD)
        .build();
    let routes = routes().to_vec();
    let state = config.state.clone();
    let context = move || provide_app_context(&state);
    let forms = FormPages {
        state: config.state.clone(),
        options: options.clone(),
    };
    Router::new()
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .route(
            AddAccounts::PATH,
            post(forms::add_accounts).with_state(forms.clone()),
        )
        .route(AddAliases::PATH, post(forms::add_aliases).with_state(forms))
        .route(
            ExportAccounts::PATH,
            get(crate::export::users_csv).with_state(ExportState {
                state: config.state.clone(),
                running: RunningExports::default(),
            }),
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        // Inside the guard, which finds the session, and the NUL check, which reads the body.
        .layer(middleware::from_fn(crate::once::once))
        .layer(middleware::from_fn(crate::nul::refuse_nul))
        // The guard wraps the body limit, so that its 413 becomes a readable page.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(Arc::new(config), guard))
}

/// Serves until SIGINT or SIGTERM.
pub async fn serve(
    data_dir: &Path,
    database: &Location,
    mail: &MailArgs,
    args: ServeArgs,
) -> Result<(), String> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(http1_only(
            RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(|error| format!("cannot use the TLS certificate or key: {error}"))?,
        )),
        _ => None,
    };
    if tls.is_none() && !args.listen.ip().is_loopback() && !args.behind_proxy {
        return Err(format!(
            "refusing to serve passwords in clear on {}: give --tls-cert and --tls-key, or \
             --behind-proxy when TLS ends at a reverse proxy",
            args.listen
        ));
    }
    if args.behind_proxy && args.trusted_proxies.is_empty() && !args.listen.ip().is_loopback() {
        return Err(format!(
            "refusing to take the client's address from anyone who connects to {}: give \
             --trusted-proxy with the reverse proxy's address",
            args.listen
        ));
    }
    let proxies = args
        .behind_proxy
        .then(|| TrustedProxies::new(&args.trusted_proxies));
    let site_dir = site_dir(args.site_dir)?;
    let listener = std::net::TcpListener::bind(args.listen)
        .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
        .map_err(|error| format!("cannot listen on {}: {error}", args.listen))?;
    let local = listener.local_addr().map_err(|error| error.to_string())?;
    let store = mail.store(data_dir)?;
    let db = app::ssr::db::open_at(data_dir, database)
        .await
        .map_err(|error| error.to_string())?;
    // The data directory goes to the mail user whichever the database: Dovecot enters it.
    store
        .hand_over_database(data_dir, app::ssr::db::DB_FILE)
        .map_err(|error| error.to_string())?;
    if !is_root() && store.owner().uid != current_uid() {
        tracing::warn!(
            mail_user = %store.owner().name,
            "the server does not run as the mail user: Dovecot may not read the mail it creates"
        );
    }
    finish_removals(&db, &store)
        .await
        .map_err(|error| format!("cannot reconcile the mail store: {error}"))?;
    let policy = SessionPolicy {
        idle: Duration::from_secs(args.session_idle_minutes * 60),
        absolute: Duration::from_secs(args.session_max_hours * 3600),
        // Behind a proxy, TLS ends there: browsers still reach the console over HTTPS.
        secure_cookie: tls.is_some() || args.behind_proxy,
    };
    let key_file = data_dir.join(two_factor::KEY_FILE);
    let key = SecretKey::load_or_create(&key_file).map_err(|_| {
        format!(
            "cannot read or create the two-factor key {}",
            key_file.display()
        )
    })?;
    let state = AppState {
        db: db.clone(),
        hasher: Hasher::default(),
        policy: policy.clone(),
        batches: Batches::default(),
        mail: store.clone(),
        progress: RunningAdds::default(),
        two_factor: TwoFactorSettings::new(key, args.require_2fa),
    };
    let config = GuardConfig {
        state,
        proxies: proxies.clone(),
        hsts: tls.is_some() || args.behind_proxy,
        allowed_hosts: allowed_hosts(&args.host_names, args.listen),
        request_timeout: REQUEST_TIMEOUT,
    };
    let app = router(config, &site_dir).into_make_service_with_connect_info::<SocketAddr>();
    let purger = StopOnDrop(tokio::spawn(reconcile_then_purge(db.clone(), store)));
    let sweeper = StopOnDrop(tokio::spawn(sweep_often(
        db.clone(),
        policy.clone(),
        args.audit_retention_days,
    )));
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!(
        "Virtual Postmaster is serving {scheme}://{local}/ (data in {})",
        data_dir.display()
    );
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stopper.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let share = args
        .max_connections_per_client
        .unwrap_or_else(|| default_client_share(args.max_connections));
    let idle = Duration::from_secs(args.idle_timeout);
    let limited = LimitedAcceptor::new(args.max_connections, share, idle, proxies);
    // HTTP/1.1 only: hyper bounds every wait of an HTTP/1.1 connection for a request, the
    // first and each next one, by the header-read timeout; it has no such bound for an idle
    // HTTP/2 connection.
    let mut server = axum_server::from_tcp(listener)
        .map_err(|error| format!("cannot serve: {error}"))?
        .http1_only()
        .handle(handle);
    server.http_builder().http1().header_read_timeout(idle);
    let served = match tls {
        None => server.acceptor(limited).serve(app).await,
        Some(tls) => {
            // Each connection takes its place before its handshake.
            let acceptor = RustlsAcceptor::new(tls)
                .handshake_timeout(idle)
                .acceptor(limited);
            server.acceptor(acceptor).serve(app).await
        }
    };
    drop(purger);
    drop(sweeper);
    served.map_err(|error| format!("server error: {error}"))?;
    db.close().await;
    println!("Virtual Postmaster stopped.");
    Ok(())
}

/// The TLS configuration offering HTTP/1.1 alone, which is all the server speaks: a browser
/// offered HTTP/2 would speak it.
fn http1_only(tls: RustlsConfig) -> RustlsConfig {
    let mut config = (*tls.get_inner()).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    RustlsConfig::from_config(Arc::new(config))
}

/// Purges the accounts deleted longer ago than the retention period, at start and then every
/// hour, until the server stops.
/// Checks every live account's Maildir while the server already serves (a million take
/// minutes), logging when done, then purges: never both at once, so the check cannot re-create
/// a Maildir the purge has just removed.
async fn reconcile_then_purge(db: AnyPool, store: MailStore) {
    let started = std::time::Instant::now();
    match reconcile_maildirs(&db, &store).await {
        Ok(report) => tracing::info!(
            accounts = report.checked,
            created = report.created.len(),
            orphans = report.orphans.len(),
            problems = report.problems.len(),
            seconds = (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            "reconciled the Maildirs of every live account"
        ),
        Err(error) => tracing::error!(%error, "the reconcile of the Maildirs failed"),
    }
    purge_hourly(db, store).await;
}

async fn purge_hourly(db: AnyPool, store: MailStore) {
    let mut every_hour = tokio::time::interval(PURGE_INTERVAL);
    every_hour.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        every_hour.tick().await;
        match accounts::purge_expired(&db, &store, accounts::RETENTION_DAYS).await {
            Ok(purged) if purged.is_empty() => {}
            Ok(purged) => tracing::info!(count = purged.len(), "purged deleted accounts"),
            Err(AppError::Conflict(hold)) => tracing::warn!("{hold}"),
            Err(error) => tracing::error!(%error, "the purge of deleted accounts failed"),
        }
    }
}

/// How often expired sessions, old log-on attempts and audit rows are swept.
const SWEEP_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// Sweeps what the database should forget (see [`retention::sweep`]) until the server stops.
async fn sweep_often(db: AnyPool, policy: SessionPolicy, audit_days: u32) {
    let mut every = tokio::time::interval(SWEEP_INTERVAL);
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match retention::sweep(&db, &policy, audit_days).await {
            Ok(swept) => tracing::debug!(?swept, "swept"),
            Err(error) => tracing::error!(%error, "the sweep of old sessions and records failed"),
        }
    }
}

/// The host names the console answers to: those given, and on a loopback listener the
/// loopback names; none (any name) for a public listener without names.
fn allowed_hosts(names: &[String], listen: SocketAddr) -> Vec<String> {
    let mut hosts: Vec<String> = names
        .iter()
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect();
    if listen.ip().is_loopback() {
        hosts.extend(LOOPBACK_HOSTS.map(str::to_owned));
    }
    hosts
}

/// Stops a background task when the server stops, however `serve` returns.
struct StopOnDrop(tokio::task::JoinHandle<()>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The built site: the flag, else cargo-leptos's `LEPTOS_SITE_ROOT`, else `site/` next to the
/// binary's folder (`target/release/vpostmaster` → `target/site`), so a release runs from anywhere.
fn site_dir(flag: Option<PathBuf>) -> Result<PathBuf, String> {
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(|dir| dir.join("site")));
    let dir = flag
        .or_else(|| std::env::var_os("LEPTOS_SITE_ROOT").map(PathBuf::from))
        .or(beside_binary)
        .ok_or("cannot find the site files: give --site-dir")?;
    if dir.join("pkg").is_dir() {
        Ok(dir)
    } else {
        Err(format!(
            "the site files are missing from {} (build them with `make build`, or give --site-dir)",
            dir.display()
        ))
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
