//! The real router in-process over a fresh SQLite file, and requests as browsers send them.

#![allow(dead_code)] // each test file uses its own subset

// Integration tests only: the examples that share this support have no binary to run.
#[cfg(test)]
pub mod binary;
pub mod budget;
pub mod console;
pub mod database;
pub mod deployment;
pub mod dovecot;
pub mod mail;
pub mod postfix;
pub mod sink;
#[cfg(test)]
pub mod vmail;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use app::ssr::access::sessions::SessionPolicy;
use app::ssr::access::state::{AppState, TwoFactorSettings};
use app::ssr::access::two_factor::{self, SecretKey};
use app::ssr::storage::audit::Actor;
use app::ssr::storage::batches::Batches;
use app::ssr::storage::hashing::Hasher;
use app::ssr::storage::mailstore::{Doveadm, MailStore, MailUser};
use app::ssr::storage::progress::RunningAdds;
use app::ssr::{access::admins, storage::db, storage::domains};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use server::guard::GuardConfig;
use sqlx::AnyPool;
use tempfile::TempDir;
use tower::ServiceExt;

pub const PASSWORD: &str = "Xk4#pq9!zz";
pub const POSTMASTER_A: &str = "postmaster@alpha.test";
pub const POSTMASTER_B: &str = "postmaster@beta.test";

/// A server with domains alpha.test and beta.test, each with its postmaster.
pub struct TestServer {
    pub router: Router,
    pub db: AnyPool,
    /// The PostgreSQL database's URL when the run tests PostgreSQL.
    pub database_url: Option<String>,
    /// The data directory: the database and the mail store.
    pub data_dir: PathBuf,
    pub store: MailStore,
    /// The results of adds that the result screen shows.
    pub batches: Batches,
    /// The server's state, for tests that call the services directly, as the CLI does.
    pub state: AppState,
    _dir: Arc<TempDir>,
}

impl TestServer {
    /// A server whose mail belongs to whoever runs the tests.
    pub async fn new() -> Self {
        Self::with_mail(MailUser::current(), None).await
    }

    /// A server whose Maildirs and database belong to `mail_user`, as Dovecot needs them,
    /// and whose rebuilds ask `doveadm` to resync when given.
    pub async fn with_mail(mail_user: MailUser, doveadm: Option<Doveadm>) -> Self {
        Self::build(mail_user, doveadm, |_| {}).await
    }

    /// A server whose guard is set up as `edit` says (behind a proxy, host names, ...).
    pub async fn with_guard(edit: impl FnOnce(&mut GuardConfig)) -> Self {
        Self::build(MailUser::current(), None, edit).await
    }

    /// A server whose data directory lies under `parent` (a small file system, say).
    pub async fn in_dir(parent: &std::path::Path) -> Self {
        Self::build_in(
            TempDir::new_in(parent).unwrap(),
            MailUser::current(),
            None,
            |_| {},
        )
        .await
    }

    async fn build(
        mail_user: MailUser,
        doveadm: Option<Doveadm>,
        edit: impl FnOnce(&mut GuardConfig),
    ) -> Self {
        Self::build_in(TempDir::new().unwrap(), mail_user, doveadm, edit).await
    }

    async fn build_in(
        dir: TempDir,
        mail_user: MailUser,
        doveadm: Option<Doveadm>,
        edit: impl FnOnce(&mut GuardConfig),
    ) -> Self {
        // VPM_LOG=error (or finer) shows what the server logs, such as an Internal error's cause.
        if let Ok(filter) = std::env::var("VPM_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        std::fs::create_dir_all(dir.path().join("site/pkg")).unwrap();
        let data_dir = dir.path().join("data");
        let store = MailStore::open(&data_dir, mail_user)
            .unwrap()
            .with_doveadm(doveadm);
        let db = database::open(&data_dir).await;
        store.hand_over_database(&data_dir, db::DB_FILE).unwrap();
        let hasher = Hasher::default();
        for (domain, admin) in [("alpha.test", POSTMASTER_A), ("beta.test", POSTMASTER_B)] {
            domains::add(&db, domain, "", Actor::CLI).await.unwrap();
            admins::add(
                &db,
                &hasher,
                admin,
                admins::Scope::Domain(domain),
                PASSWORD,
                Actor::CLI,
            )
            .await
            .unwrap();
        }
        Self::serve(Arc::new(dir), data_dir, store, db, edit)
    }

    /// A second console on this one's database, key and mail store, as another host behind a
    /// load balancer: its own pool, router and memory.
    pub async fn beside(&self) -> Self {
        let db = database::open(&self.data_dir).await;
        Self::serve(
            self._dir.clone(),
            self.data_dir.clone(),
            self.store.clone(),
            db,
            |_| {},
        )
    }

    fn serve(
        dir: Arc<TempDir>,
        data_dir: PathBuf,
        store: MailStore,
        db: AnyPool,
        edit: impl FnOnce(&mut GuardConfig),
    ) -> Self {
        let batches = Batches::default();
        let state = AppState {
            db: db.clone(),
            hasher: Hasher::default(),
            policy: SessionPolicy::default(),
            batches: batches.clone(),
            mail: store.clone(),
            progress: RunningAdds::default(),
            two_factor: TwoFactorSettings::new(
                SecretKey::load_or_create(&data_dir.join(two_factor::KEY_FILE)).unwrap(),
                false,
            ),
        };
        let mut config = Self::config(&state);
        edit(&mut config);
        let router = server::web::router(config, &dir.path().join("site"));
        TestServer {
            router,
            db,
            database_url: database::url_for(&data_dir),
            data_dir,
            store,
            batches,
            state,
            _dir: dir,
        }
    }

    fn config(state: &AppState) -> GuardConfig {
        GuardConfig {
            state: state.clone(),
            proxies: None,
            hsts: false,
            allowed_hosts: Vec::new(),
            request_timeout: server::limits::REQUEST_TIMEOUT,
        }
    }

    /// Another router on this console's state, as a console starting in the same process.
    pub fn another_router(&self) -> Router {
        server::web::router(Self::config(&self.state), &self._dir.path().join("site"))
    }

    /// Sends a request from the client address 192.0.2.1 unless the test set one.
    pub async fn send(&self, mut request: Request<Body>) -> Reply {
        if request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_none()
        {
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 40000))));
        }
        Reply::read(self.router.clone().oneshot(request).await.unwrap()).await
    }

    /// A server function called as the WASM app calls it (form-encoded POST, JSON back).
    pub async fn call(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
        let body = encode(form);
        let request = post(path, cookie)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body));
        self.send(request.unwrap()).await
    }

    /// A page loaded by a browser.
    /// Calls a server function with `cookie`; panics unless it succeeds. The answer's body.
    pub async fn call_ok(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> String {
        let reply = self.call(path, form, Some(cookie)).await;
        assert!(
            reply.status.is_success() || reply.status.is_redirection(),
            "{path}: {} {}",
            reply.status,
            reply.body
        );
        reply.body
    }

    /// Adds alpha.test's accounts of a pasted list, as Add many accounts does; panics unless
    /// they are added.
    pub async fn add_accounts(&self, cookie: &str, text: &str) {
        use app::api::accounts::AddAccounts;
        use leptos::server_fn::ServerFn;
        self.call_ok(
            AddAccounts::PATH,
            &[("domain", "alpha.test"), ("text", text)],
            cookie,
        )
        .await;
    }

    /// Restores the account deleted last in alpha.test, as Deleted accounts does.
    pub async fn restore_first_deleted(&self, cookie: &str) {
        use app::api::accounts::{ListDeleted, RestoreAccount};
        use app::model::accounts::DeletedRow;
        use app::model::deleted::DeletedPage;
        use leptos::server_fn::ServerFn;
        let body = self
            .call_ok(ListDeleted::PATH, &[("domain", "alpha.test")], cookie)
            .await;
        let deleted: DeletedPage<DeletedRow> = serde_json::from_str(&body).unwrap();
        let id = deleted.rows[0].id.to_string();
        self.call_ok(
            RestoreAccount::PATH,
            &[("domain", "alpha.test"), ("id", &id)],
            cookie,
        )
        .await;
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::get(path).header(header::ACCEPT, "text/html");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// Logs on and returns the `Cookie` header value of the new session.
    pub async fn log_on(&self, email: &str, password: &str) -> String {
        let reply = self
            .call(LOG_ON, &[("email", email), ("password", password)], None)
            .await;
        reply
            .session_cookie()
            .unwrap_or_else(|| panic!("log on as {email} failed: {} {}", reply.status, reply.body))
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.db).await.unwrap()
    }
}

pub const LOG_ON: &str = <app::api::auth::LogOn as leptos::server_fn::ServerFn>::PATH;
pub const LOG_OFF: &str = <app::api::auth::LogOff as leptos::server_fn::ServerFn>::PATH;

pub fn post(path: &str, cookie: Option<&str>) -> axum::http::request::Builder {
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "console.test")
        .header(header::ORIGIN, "http://console.test");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request
}

pub fn encode(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(key, value)| format!("{key}={}", percent(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    async fn read(response: Response<Body>) -> Self {
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// `vpm_session=<token>` (or `__Host-vpm_session=<token>`) from a `Set-Cookie` that
    /// opens a session.
    pub fn session_cookie(&self) -> Option<String> {
        let set = self.header("set-cookie")?;
        let pair = set.split(';').next()?;
        let (_, token) = pair.split_once('=')?;
        (!token.is_empty()).then(|| pair.to_owned())
    }
}
