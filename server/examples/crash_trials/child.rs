//! The child process: sets up as the server does, says `ready`, runs the operation through the
//! same entry point the console or the command line uses, and says `done` when it returns.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use app::api::accounts::{AddAccounts, DeleteAccounts, RestoreAccount};
use app::ssr::access::caller::{Caller, DomainScope};
use app::ssr::access::sessions::SessionPolicy;
use app::ssr::access::state::AppState;
use app::ssr::services::accounts;
use app::ssr::storage::batches::Batches;
use app::ssr::storage::db;
use app::ssr::storage::hashing::Hasher;
use app::ssr::storage::mailstore::{MailStore, MailUser};
use app::ssr::storage::progress::RunningAdds;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Response};
use axum::Router;
use leptos::server_fn::ServerFn;
use server::guard::GuardConfig;
use sqlx::AnyPool;
use tower::ServiceExt;

use crate::operation::{Operation, ADDED, DOMAIN, PASSWORD, POSTMASTER, REBUILT};
use crate::support;

pub fn run(operation: Operation, data: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = MailStore::open(data, MailUser::current()).unwrap();
        let db = db::open(data, None).await.unwrap();
        match operation {
            Operation::Add | Operation::Delete | Operation::Restore => {
                let console = Console::log_on(&db, &store, data).await;
                let form = form(operation, &db).await;
                let path = match operation {
                    Operation::Add => AddAccounts::PATH,
                    Operation::Delete => DeleteAccounts::PATH,
                    _ => RestoreAccount::PATH,
                };
                let fields: Vec<(&str, &str)> =
                    form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                say("ready");
                let reply = console.call(path, &fields).await;
                let status = reply.status();
                assert!(status.is_success() || status.is_redirection(), "{status}");
            }
            Operation::Purge => {
                say("ready");
                accounts::purge_expired(&db, &store, accounts::RETENTION_DAYS)
                    .await
                    .unwrap();
            }
            Operation::Rebuild => {
                say("ready");
                let scope = DomainScope::of(&db, Caller::Operator, Some(DOMAIN))
                    .await
                    .unwrap();
                accounts::rebuild(&state(&db, &store), &scope, REBUILT)
                    .await
                    .unwrap();
            }
        }
        say("done");
    });
}

/// The server's state over the trial's database and mail store.
fn state(db: &AnyPool, store: &MailStore) -> AppState {
    AppState {
        db: db.clone(),
        hasher: Hasher::default(),
        policy: SessionPolicy::default(),
        batches: Batches::default(),
        mail: store.clone(),
        progress: RunningAdds::default(),
        two_factor: Default::default(),
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

/// The fields the browser posts for the operation.
async fn form(operation: Operation, db: &AnyPool) -> Vec<(&'static str, String)> {
    let mut form = vec![("domain", DOMAIN.to_owned())];
    match operation {
        Operation::Add => {
            let text: Vec<String> = (0..ADDED).map(|n| format!("a{n:02}")).collect();
            form.push(("text", text.join("\n")));
            form.push(("generate", "on".to_owned()));
        }
        Operation::Delete => {
            let emails: Vec<String> =
                sqlx::query_scalar("SELECT email FROM mailboxes WHERE deleted_at IS NULL")
                    .fetch_all(db)
                    .await
                    .unwrap();
            form.push(("emails", emails.join("\n")));
        }
        _ => {
            let id: i64 =
                sqlx::query_scalar("SELECT id FROM mailboxes WHERE deleted_at IS NOT NULL")
                    .fetch_one(db)
                    .await
                    .unwrap();
            form.push(("id", id.to_string()));
        }
    }
    form
}

/// The real router over the data directory, and a session of the domain's postmaster.
struct Console {
    router: Router,
    cookie: String,
}

impl Console {
    async fn log_on(db: &AnyPool, store: &MailStore, data: &Path) -> Console {
        let site = data.with_file_name("site");
        std::fs::create_dir_all(site.join("pkg")).unwrap();
        let config = GuardConfig {
            state: state(db, store),
            proxies: None,
            hsts: false,
            allowed_hosts: Vec::new(),
            request_timeout: server::limits::REQUEST_TIMEOUT,
        };
        let mut console = Console {
            router: server::web::router(config, &site),
            cookie: String::new(),
        };
        let form = [("email", POSTMASTER), ("password", PASSWORD)];
        let reply = console.call(support::LOG_ON, &form).await;
        let set = reply.headers().get(header::SET_COOKIE).expect("a session");
        let pair = set.to_str().unwrap().split(';').next().unwrap_or_default();
        console.cookie = pair.to_owned();
        console
    }

    /// A server function called as the WASM app calls it, from a documentation address.
    async fn call(&self, path: &str, form: &[(&str, &str)]) -> Response<Body> {
        let body = support::encode(form);
        let cookie = (!self.cookie.is_empty()).then_some(self.cookie.as_str());
        let mut request = support::post(path, cookie)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap();
        let client = SocketAddr::from(([192, 0, 2, 1], 40000));
        request.extensions_mut().insert(ConnectInfo(client));
        self.router.clone().oneshot(request).await.unwrap()
    }
}
