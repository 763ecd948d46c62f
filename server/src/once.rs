//! A form posted twice is done once. A double click or a second Enter sends the same post
//! again, often before the first is answered; done twice, the second would report the first's
//! work as a conflict ("added by someone else meanwhile", "not found"). So a session's post
//! that repeats, byte for byte, the last post of that session that did something, within
//! [`REPEAT_WINDOW`] and with nothing done in between, is answered as that one was, and does
//! nothing; one that repeats a post still running waits for it and is answered the same way.
//! Posts that ask for a page are the forms, sent by the browser or by `navigate.js` alike; the
//! app's own calls (JSON back) are done as they come, and one that did something ends the
//! repeat of the form post before it. "Did something" is read from the answer: a
//! redirect to the page that shows the outcome, which is how every form of the console answers
//! a success (a refusal goes back to its form, with its error in the address or the page).
//!
//! The first post runs to its end even when its browser stops waiting for it (it does, on the
//! second click), so that its outcome is known. Only a digest of each post is kept, never its
//! fields (a password among them).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use app::context::{CurrentSession, SessionKey};
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::future::{BoxFuture, FutureExt, Shared};
use leptos::server_fn::redirect::REDIRECT_HEADER;
use sha2::{Digest, Sha256};

/// How long after a post has done something a repeat of it is answered without doing it again:
/// long enough for a double click on a slow connection (a repeat sent while the post runs
/// waits for it, however long it takes), short enough that a deliberate repeat a little later
/// (a second Rebuild mailbox) is done.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(10);

/// Most sessions remembered at once; past it, posts are done as they come.
const SESSIONS_KEPT: usize = 10_000;

/// The largest answer kept to be given again: a redirect's answer is a few bytes.
const ANSWER_MAX_BYTES: usize = 64 * 1024;

/// The answer of a post that did something, as it is given again.
#[derive(Clone)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn response(&self) -> Response {
        let mut response = (self.status, self.body.clone()).into_response();
        *response.headers_mut() = self.headers.clone();
        response
    }
}

/// A post being answered: resolves when it has been.
type Running = Shared<BoxFuture<'static, ()>>;

/// A session's last post that did something, and its posts being answered.
#[derive(Default)]
struct Recent {
    done: Option<([u8; 32], Instant, Answer)>,
    running: Vec<([u8; 32], Running)>,
}

impl Recent {
    fn is_idle(&self) -> bool {
        self.running.is_empty()
            && self
                .done
                .as_ref()
                .is_none_or(|(_, at, _)| at.elapsed() >= REPEAT_WINDOW)
    }
}

static RECENT: LazyLock<Mutex<HashMap<SessionKey, Recent>>> = LazyLock::new(Mutex::default);

fn recent() -> MutexGuard<'static, HashMap<SessionKey, Recent>> {
    lock(&RECENT)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The same post, sent before by the session.
enum Seen {
    /// Done a moment ago: its answer is given again.
    Done(Answer),
    /// Still running: wait for it, then look again.
    Running(Running),
}

/// A post not seen before.
enum Step {
    /// It runs: the first of its kind, answered when `Running` ends.
    Started(Running, Arc<Mutex<Option<Response>>>),
    /// Too many sessions are remembered: do it without noting it.
    Unnoted(Box<Request>),
}

/// Answers a signed-in session's form post as the module says; passes every other request
/// on. Runs inside the guard (which finds the session) and the body limit.
pub async fn once(request: Request, next: Next) -> Response {
    let wants_page = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("text/html"));
    let session = request
        .extensions()
        .get::<CurrentSession>()
        .map(CurrentSession::key);
    let Some(session) = session.filter(|_| request.method() == Method::POST) else {
        return next.run(request).await;
    };
    if !wants_page {
        // One of the app's own calls: if it did something, a form post before it is no
        // longer the session's last action, and its repeat is done again.
        let response = next.run(request).await;
        if response.status().is_success() && response.headers().contains_key(REDIRECT_HEADER) {
            if let Some(recent) = recent().get_mut(&session) {
                recent.done = None;
            }
        }
        return response;
    }
    let (parts, body) = request.into_parts();
    // The body limit around this stops a body too large while it is read.
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let post = digest(&parts, &bytes);
    let request = Request::from_parts(parts, Body::from(bytes));
    // Looking and starting under one lock: of two posts arriving together, one runs.
    let step = loop {
        let running = {
            let mut sessions = recent();
            match sessions
                .get(&session)
                .and_then(|recent| seen(recent, &post))
            {
                Some(Seen::Done(answer)) => return answer.response(),
                Some(Seen::Running(running)) => running,
                None => break start(&mut sessions, &session, post, request, next.clone()),
            }
        };
        running.await;
    };
    match step {
        Step::Started(running, answer) => {
            running.await;
            let response = lock(&answer).take();
            response.unwrap_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Step::Unnoted(request) => next.run(*request).await,
    }
}

/// What a post the session has sent before gets, if it has.
fn seen(recent: &Recent, post: &[u8; 32]) -> Option<Seen> {
    if let Some((_, running)) = recent.running.iter().find(|(digest, _)| digest == post) {
        return Some(Seen::Running(running.clone()));
    }
    match &recent.done {
        Some((digest, at, answer)) if digest == post && at.elapsed() < REPEAT_WINDOW => {
            Some(Seen::Done(answer.clone()))
        }
        _ => None,
    }
}

/// Starts the post in a task of its own, so that it ends even if its browser stops waiting,
/// noted as running meanwhile and, if it did something, as done after.
fn start(
    sessions: &mut HashMap<SessionKey, Recent>,
    session: &SessionKey,
    post: [u8; 32],
    request: Request,
    next: Next,
) -> Step {
    if !sessions.contains_key(session) && sessions.len() >= SESSIONS_KEPT {
        sessions.retain(|_, recent| !recent.is_idle());
        if sessions.len() >= SESSIONS_KEPT {
            return Step::Unnoted(Box::new(request));
        }
    }
    let slot = Arc::new(Mutex::new(None));
    let task = tokio::spawn({
        let slot = Arc::clone(&slot);
        let finish = Finish {
            session: session.clone(),
            post,
        };
        async move {
            let (response, answer) = kept(next.run(request).await).await;
            finish.done(answer);
            *lock(&slot) = Some(response);
        }
    });
    let running = task.map(|_| ()).boxed().shared();
    sessions
        .entry(session.clone())
        .or_default()
        .running
        .push((post, running.clone()));
    Step::Started(running, slot)
}

/// A running post's place in [`RECENT`]: given up when the post ends, however it ends.
struct Finish {
    session: SessionKey,
    post: [u8; 32],
}

impl Finish {
    /// Notes the post's answer as the session's last that did something, if it is one.
    fn done(self, answer: Option<Answer>) {
        if let Some(answer) = answer {
            let mut sessions = recent();
            if let Some(recent) = sessions.get_mut(&self.session) {
                recent.done = Some((self.post, Instant::now(), answer));
            }
        }
    }
}

impl Drop for Finish {
    fn drop(&mut self) {
        let mut sessions = recent();
        if let Some(recent) = sessions.get_mut(&self.session) {
            recent.running.retain(|(digest, _)| digest != &self.post);
        }
    }
}

/// The response to give, and the answer to keep if it did something.
async fn kept(response: Response) -> (Response, Option<Answer>) {
    if !did_something(&response) {
        return (response, None);
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, ANSWER_MAX_BYTES).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR.into_response(), None);
    };
    let answer = Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    };
    (answer.response(), Some(answer))
}

/// Whether `response` says its post did something: a redirect that is not a refusal's (a
/// refusal goes back to its form with `__err` in the address, or draws the form again).
fn did_something(response: &Response) -> bool {
    response.status().is_redirection()
        && response
            .headers()
            .get(header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .is_some_and(|location| {
                let query = location.split_once('?').map_or("", |(_, query)| query);
                !query
                    .split('&')
                    .any(|pair| pair.split('=').next() == Some("__err"))
            })
}

/// What makes two posts the same: where they go, the kind of their body, and their fields.
fn digest(parts: &axum::http::request::Parts, body: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for text in [
        parts.uri.to_string().as_bytes(),
        parts
            .headers
            .get(header::CONTENT_TYPE)
            .map_or(&b""[..], |value| value.as_bytes()),
        body,
    ] {
        hash.update((text.len() as u64).to_be_bytes());
        hash.update(text);
    }
    hash.finalize().into()
}
