use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::{added_accounts, DismissBatch};
use crate::components::layout::{refusal, ActionError, Layout, LoadFailed};
use crate::csv;
use crate::model::accounts::AddedBatch;
use crate::routes::AddAccounts;
use crate::url::encode_query;
use crate::words::counted;

/// The result of an add: the accounts created, and the generated passwords, shown until the
/// postmaster chooses Done (or for a few minutes), so that a reload shows them again.
#[component]
pub fn AddedPage() -> impl IntoView {
    let query = use_query_map();
    let id = move || query.read().get("batch").unwrap_or_default();
    let batch = Resource::new(id, added_accounts);
    view! {
        <Title text="Accounts added"/>
        <Layout>
            <h1 class="page__title">"Accounts added"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || batch.get().map(|result| match result {
                    Ok(batch) => view! { <AddedList batch id=id()/> }.into_any(),
                    Err(error) => view! { <LoadFailed error/> }.into_any(),
                })}
            </Suspense>
        </Layout>
    }
}

/// The comma-separated file of the generated passwords, as a link that needs no server.
fn csv_link(batch: &AddedBatch) -> Option<String> {
    csv_text(batch).map(|text| format!("data:text/csv;charset=utf-8,{}", encode_query(&text)))
}

/// `email,password` rows of the accounts with a generated password; none when there is none.
fn csv_text(batch: &AddedBatch) -> Option<String> {
    let rows: Vec<String> = batch
        .accounts
        .iter()
        .filter_map(|account| {
            let password = account.generated_password.as_ref()?;
            Some(csv::row(&[account.email.as_str(), password.as_str()]))
        })
        .collect();
    (!rows.is_empty()).then(|| format!("email,password\r\n{}", rows.concat()))
}

/// The accounts of batch `id`, and Done, which forgets the batch.
#[component]
fn AddedList(batch: AddedBatch, id: String) -> impl IntoView {
    let dismiss = ServerAction::<DismissBatch>::new();
    let error = refusal(dismiss);
    let csv = csv_link(&batch);
    let count = batch.accounts.len();
    let generated = csv.is_some();
    view! {
        <p class="alert alert--ok" role="status">{format!("{} added to {}.", counted(count as u64, "account", "accounts"), batch.domain)}</p>
        {generated.then(|| view! {
            <p class="alert alert--info">
                "The generated passwords are shown only on this page, for 10 minutes or until you "
                "choose Done, and cannot be shown again after that. Note them or download them "
                "now, and pass them on safely."
            </p>
        })}
        <table class="accounts">
            <thead><tr><th scope="col">"Address"</th><th scope="col">"Generated password"</th></tr></thead>
            <tbody>
                {batch.accounts.into_iter().map(|account| view! {
                    <tr>
                        <td data-label="Address">{account.email}</td>
                        <td data-label="Generated password">
                            {match account.generated_password {
                                Some(password) => view! { <code class="generate__value">{password}</code> }.into_any(),
                                None => view! { <span class="muted">"as typed"</span> }.into_any(),
                            }}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <ActionError text=error/>
        <ActionForm action=dismiss attr:class="actions">
            <input type="hidden" name="batch" value=id/>
            {csv.map(|href| view! { <a class="button" href=href download="new-accounts.csv">"Download the passwords (CSV)"</a> })}
            <button class="button button--primary" type="submit">"Done"</button>
            <a class="button" href=AddAccounts::PATH>"Add more accounts"</a>
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::accounts::AddedAccount;
    use crate::validate::{
        generate_password, starts_like_formula, PasswordContext, DEFAULT_LEN, PASSWORD_MIN,
    };

    fn batch_of(accounts: Vec<(String, Option<String>)>) -> AddedBatch {
        AddedBatch {
            domain: "example.test".into(),
            accounts: accounts
                .into_iter()
                .map(|(email, generated_password)| AddedAccount {
                    email,
                    generated_password,
                })
                .collect(),
        }
    }

    /// The cells of a CSV whose every cell is quoted and has no line break.
    fn cells(csv: &str) -> Vec<Vec<String>> {
        csv.split_terminator("\r\n")
            .skip(1)
            .map(|row| {
                let inner = row
                    .strip_prefix('"')
                    .and_then(|row| row.strip_suffix('"'))
                    .unwrap_or_else(|| panic!("{row}"));
                inner
                    .split("\",\"")
                    .map(|cell| cell.replace("\"\"", "\""))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn generated_passwords_reach_the_csv_unchanged_and_never_as_formulas() {
        let context = PasswordContext {
            username: "user",
            first_name: "",
            last_name: "",
            domain: "example.test",
        };
        let accounts: Vec<(String, Option<String>)> = (0..2_000)
            .map(|n| {
                let len = if n % 2 == 0 {
                    PASSWORD_MIN
                } else {
                    DEFAULT_LEN
                };
                let password = generate_password(&context, len).expect("generated");
                (format!("user{n}@example.test"), Some(password))
            })
            .collect();
        let batch = batch_of(accounts.clone());
        let csv = csv_text(&batch).expect("a CSV");
        assert!(csv.starts_with("email,password\r\n"));
        let rows = cells(&csv);
        assert_eq!(rows.len(), accounts.len());
        for (row, (email, password)) in rows.iter().zip(&accounts) {
            assert_eq!(row, &[email.clone(), password.clone().unwrap()]);
            for cell in row {
                assert!(!starts_like_formula(cell), "{cell:?}");
            }
        }
    }

    #[test]
    fn typed_passwords_are_left_out() {
        let typed = batch_of(vec![("jane@example.test".into(), None)]);
        assert_eq!(csv_text(&typed), None);
        let mixed = batch_of(vec![
            ("jane@example.test".into(), None),
            ("bob@example.test".into(), Some("Xk4#pq9!".into())),
        ]);
        assert_eq!(
            csv_text(&mixed).as_deref(),
            Some("email,password\r\n\"bob@example.test\",\"Xk4#pq9!\"\r\n")
        );
    }
}
