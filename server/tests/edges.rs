//! Inputs at the edges, through the real router: usernames the mail store could not take, the
//! size of a post without JavaScript, page numbers out of range, links that carry an error
//! message, and the result page of an add.

mod support;

use app::api::mailboxes::{AddAccount, AddAccounts};
use app::error::AppError;
use leptos::server_fn::ServerFn;
use support::*;

const PW: &str = "Tr4in#Lamp";

/// The error a server function answered with.
fn refusal(reply: &Reply) -> AppError {
    assert!(
        !reply.status.is_success(),
        "{}: {}",
        reply.status,
        reply.body
    );
    serde_json::from_str(&reply.body).unwrap_or_else(|error| panic!("{error}: {}", reply.body))
}

#[tokio::test]
async fn a_username_starting_with_a_dash_is_refused_on_its_line_and_nothing_is_added() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let text = format!("jane {PW} {PW}\n-jdoe {PW} {PW}\n");
    let reply = server
        .call(
            AddAccounts::PATH,
            &[("domain", "alpha.test"), ("text", &text)],
            Some(&cookie),
        )
        .await;
    assert_eq!(
        refusal(&reply),
        AppError::Invalid("Line 2, username: A username cannot start with a dash.".into())
    );
    let one = server
        .call(
            AddAccount::PATH,
            &[
                ("domain", "alpha.test"),
                ("username", "-x"),
                ("first_name", ""),
                ("last_name", ""),
                ("password", PW),
                ("password_again", PW),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(
        refusal(&one),
        AppError::Invalid("Username: A username cannot start with a dash.".into())
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM mailboxes").await, 0);
}
