//! Adding accounts: a pasted list, an operator's import file or one typed account, checked,
//! hashed on every core and created with their Maildirs in one transaction; the batch of a
//! web add is kept for its result screen.

use std::collections::HashMap;

use sqlx::AnyPool;
use tokio::task::JoinSet;

use super::limit_and_count;
use crate::context::SessionKey;
use crate::error::AppError;
use crate::model::accounts::{AddedAccount, AddedBatch};
use crate::ssr::access::caller::DomainScope;
use crate::ssr::access::state::AppState;
use crate::ssr::services::routing::{self, live_among, Holder};
use crate::ssr::storage::audit::{self, Action, Entry};
use crate::ssr::storage::hashing::Hasher;
use crate::ssr::storage::mailstore::{self, removals, PendingMaildirs};
use crate::ssr::storage::progress::Counting;
use crate::ssr::storage::reserve;
use crate::validate::{
    address_taken, check_account, generate_password, parse_bulk, parse_quota_mb, read_import,
    AccountFields, BulkLine, BulkOptions, Field, FieldProblem, NewAccount, PasswordContext, Rule,
    DEFAULT_LEN,
};

/// One account of the "Add one account" form, as typed.
#[derive(Debug, Clone, Default)]
pub struct OneAccount {
    /// The username, or a full address in the domain.
    pub username: String,
    /// The first name, possibly empty.
    pub first_name: String,
    /// The last name, possibly empty.
    pub last_name: String,
    /// The password, typed.
    pub password: String,
    /// The password, typed again.
    pub password_again: String,
    /// Generate the password when both are left empty; it is then shown on the result screen.
    pub generate: bool,
    /// The quota typed, in MB; empty or `None` for the domain's default.
    pub quota_mb: Option<String>,
}

/// How a pasted list is added.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasteOptions {
    /// Generate the passwords of lines that give only a username.
    pub generate_missing: bool,
    /// Every account's quota in MB (0: no limit); `None` takes the domain's default.
    pub quota_mb: Option<u32>,
}

/// "Add many accounts" as posted: the paste, whether to generate missing passwords, and the
/// quota typed (empty or missing for the domain's default).
pub struct PastedAccounts<'a> {
    pub text: &'a str,
    pub generate: bool,
    pub quota_mb: Option<&'a str>,
}

/// A posted paste added for the session `owner`, as the server function and the server's own
/// form page both add it: the result screen's place is taken first, and the hashing counted
/// for that session. Returns the batch's id, for the result screen.
pub async fn add_pasted(
    state: &AppState,
    scope: &DomainScope,
    owner: &SessionKey,
    pasted: PastedAccounts<'_>,
) -> Result<String, AppError> {
    let quota_mb = pasted
        .quota_mb
        .filter(|typed| !typed.trim().is_empty())
        .map(parse_quota_mb)
        .transpose()
        .map_err(quota_refused)?;
    let options = PasteOptions {
        generate_missing: pasted.generate,
        quota_mb,
    };
    let slot = state.batches.reserve(owner)?;
    let progress = state.progress.track(owner);
    let batch = add_from_paste(state, scope, pasted.text, options, Some(&progress)).await?;
    drop(progress);
    Ok(slot.fill(batch))
}

/// The refusal of a quota typed wrong, beside the quota field.
pub fn quota_refused(message: &str) -> AppError {
    AppError::beside(Field::Quota, None, message)
}

/// Adds every account of a pasted list (see [`parse_bulk`] for the format) in one transaction,
/// or none, and returns the accounts added, counting each password hashed on `progress`.
///
/// Refused with every problem by line and field (never a password) when a line breaks a rule,
/// repeats a username or names an address that exists; refused too when the list would take
/// the domain over its account limit.
pub async fn add_from_paste(
    state: &AppState,
    scope: &DomainScope,
    text: &str,
    options: PasteOptions,
    progress: Option<&Counting>,
) -> Result<AddedBatch, AppError> {
    let domain = scope.within();
    let lines = check_paste(&state.db, &domain.name, text, options.generate_missing, &[]).await?;
    let settings = Settings {
        quota_mb: options.quota_mb,
        active: true,
    };
    let accounts = lines
        .into_iter()
        .map(|(_, account)| (account, settings))
        .collect();
    create(state, scope, progress, accounts).await
}

/// Adds the accounts of an operator's import file (see [`read_import`]) with the rules, the
/// report and the all-or-nothing of [`add_from_paste`], each with its own quota and status. With
/// `dry_run`, checks everything (the account limit too) and adds nothing. Returns the
/// accounts added, or the addresses that would be.
pub async fn import(
    state: &AppState,
    scope: &DomainScope,
    file: &str,
    generate_missing: bool,
    dry_run: bool,
) -> Result<AddedBatch, AppError> {
    let domain = scope.within();
    let import = read_import(file).map_err(AppError::Invalid)?;
    let lines = check_paste(
        &state.db,
        &domain.name,
        &import.paste,
        generate_missing,
        &import.problems,
    )
    .await?;
    let accounts: Vec<(NewAccount, Settings)> = lines
        .into_iter()
        .map(|(number, account)| {
            let settings = Settings {
                quota_mb: import.quotas.get(&number).copied(),
                active: !import.disabled.contains(&number),
            };
            (account, settings)
        })
        .collect();
    if dry_run {
        let mut conn = state.db.acquire().await?;
        let (max, live) = limit_and_count(&mut conn, domain.id).await?;
        if let Some(refusal) = over_limit(&domain.name, max, live, accounts.len()) {
            return Err(refusal);
        }
        return Ok(AddedBatch {
            domain: domain.name.clone(),
            accounts: accounts
                .into_iter()
                .map(|(account, _)| AddedAccount {
                    email: format!("{}@{}", account.username, domain.name),
                    generated_password: None,
                })
                .collect(),
        });
    }
    create(state, scope, None, accounts).await
}

/// The accounts of a pasted list by line number, when every line is right and no address is
/// taken; otherwise refused with every problem, `more` (by line) among them.
async fn check_paste(
    db: &AnyPool,
    domain: &str,
    text: &str,
    generate_missing: bool,
    more: &[(usize, String)],
) -> Result<Vec<(usize, NewAccount)>, AppError> {
    let report = parse_bulk(text, domain, BulkOptions { generate_missing });
    if let Some(message) = report.too_big {
        return Err(AppError::Invalid(message));
    }
    if report.lines.is_empty() && more.is_empty() {
        return Err(AppError::Invalid("Paste at least one account.".into()));
    }
    let taken = taken_addresses(db, domain, &report.lines).await?;
    let mut problems = Vec::new();
    let said = |(number, message): &(usize, String)| import_problem(*number, message);
    let mut more = more.iter().peekable();
    for line in &report.lines {
        while let Some(problem) = more.next_if(|(number, _)| *number <= line.number) {
            problems.push(said(problem));
        }
        if let Some(taken) = taken_problem(&taken, line, domain) {
            problems.push(FieldProblem {
                line: Some(line.number),
                ..taken
            });
        }
        for problem in &line.problems {
            problems.push(FieldProblem::on_line(line.number, problem.clone()));
        }
    }
    problems.extend(more.map(said));
    AppError::refuse(problems)?;
    Ok(report
        .lines
        .into_iter()
        .filter_map(|line| Some((line.number, line.account?)))
        .collect())
}

/// Adds one account typed in the form, with the same rules as a pasted line, and returns it.
pub async fn add_one(
    state: &AppState,
    scope: &DomainScope,
    account: OneAccount,
    progress: Option<&Counting>,
) -> Result<AddedBatch, AppError> {
    let given = AccountFields {
        username: &account.username,
        password: &account.password,
        password_again: &account.password_again,
        first_name: &account.first_name,
        last_name: &account.last_name,
    };
    let quota_mb = account
        .quota_mb
        .as_deref()
        .filter(|typed| !typed.trim().is_empty())
        .map(parse_quota_mb)
        .transpose()
        .map_err(quota_refused);
    let line = check_account(&given, scope.domain(), account.generate);
    let taken = taken_addresses(&state.db, scope.domain(), std::slice::from_ref(&line)).await?;
    let mut problems: Vec<FieldProblem> = taken_problem(&taken, &line, scope.domain())
        .into_iter()
        .chain(line.problems.iter().cloned().map(FieldProblem::of))
        .collect();
    if let Err(AppError::Refused(quota)) = &quota_mb {
        problems.extend(quota.problems.iter().cloned());
    }
    AppError::refuse(problems)?;
    let new = line.account.ok_or_else(|| {
        tracing::error!("a line without problems has no account");
        AppError::Internal
    })?;
    let settings = Settings {
        quota_mb: quota_mb?,
        active: true,
    };
    create(state, scope, progress, vec![(new, settings)]).await
}

/// The full address of a username of `domain`.
fn address(username: &str, domain: &str) -> String {
    format!("{username}@{domain}")
}

/// A problem of the import file's own (see [`read_import`]): it comes worded with its line, and
/// with its field when that is the quota, which it is taken apart into.
fn import_problem(number: usize, message: &str) -> FieldProblem {
    let quota = format!("Line {number}, quota: ");
    let whole = format!("Line {number}: ");
    let (field, message) = match message.strip_prefix(&quota) {
        Some(rest) => (Field::Quota, rest),
        None => (Field::Line, message.strip_prefix(&whole).unwrap_or(message)),
    };
    FieldProblem {
        line: Some(number),
        ..FieldProblem::new(field, None, message)
    }
}

/// The problem of a line whose address a live account or alias holds, if it is so.
fn taken_problem(
    taken: &HashMap<String, Holder>,
    line: &BulkLine,
    domain: &str,
) -> Option<FieldProblem> {
    let email = address(line.username.as_deref()?, domain);
    let holder = taken.get(&email)?;
    Some(FieldProblem::new(
        Field::Username,
        Some(Rule::AddressTaken),
        address_taken(&email, *holder == Holder::Alias),
    ))
}

/// Which addresses of the lines' usernames live accounts or aliases hold, in one query.
async fn taken_addresses(
    db: &AnyPool,
    domain: &str,
    lines: &[BulkLine],
) -> Result<HashMap<String, Holder>, AppError> {
    let emails: Vec<String> = lines
        .iter()
        .filter_map(|line| line.username.as_deref())
        .map(|name| address(name, domain))
        .collect();
    live_among(&mut *db.acquire().await?, &emails).await
}

fn over_limit(domain: &str, max: i64, live: i64, adding: usize) -> Option<AppError> {
    let adding = adding as i64;
    (max > 0 && live + adding > max).then(|| {
        let room = (max - live).max(0);
        AppError::Invalid(format!(
            "The domain {domain} is limited to {max} accounts and has {live}: {room} more can \
             be added, and this asks for {adding}."
        ))
    })
}

/// What a new account is given beyond its fields.
#[derive(Clone, Copy, Debug)]
struct Settings {
    /// `None`: the domain's default quota.
    quota_mb: Option<u32>,
    /// An import may add an account disabled, as it was exported.
    active: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            quota_mb: None,
            active: true,
        }
    }
}

/// A new account with its password, ready to be written.
struct Ready {
    account: NewAccount,
    email: String,
    password: String,
    generated: bool,
    settings: Settings,
}

/// Creates valid, unclaimed accounts: generates missing passwords, hashes them all on every
/// core, creates their Maildirs, then writes every row and its audit row in one transaction.
/// An address claimed meanwhile by someone else rolls the whole list back. The Maildirs and
/// the rows are one unit: the folders exist before the commit, and any failure before it
/// removes them again; they are listed for removal until the commit takes them off the list,
/// so that the start-up reconciliation removes those a crash in between leaves behind. Each
/// gets its settings (the domain's default quota for none). The caller is audited, hashes
/// within their share of the server's hashing, and each password hashed is counted on
/// `progress`, when the caller shows it.
async fn create(
    state: &AppState,
    scope: &DomainScope,
    progress: Option<&Counting>,
    accounts: Vec<(NewAccount, Settings)>,
) -> Result<AddedBatch, AppError> {
    let within = scope.within();
    let actor = scope.actor();
    let domain = within.name.as_str();
    reserve::room_for(&state.mail, accounts.len())?;
    {
        let mut conn = state.db.acquire().await?;
        let (max, live) = limit_and_count(&mut conn, within.id).await?;
        if let Some(refusal) = over_limit(domain, max, live, accounts.len()) {
            return Err(refusal);
        }
    }
    let ready: Vec<Ready> = accounts
        .into_iter()
        .map(|(account, settings)| with_password(account, settings, domain))
        .collect::<Result<_, _>>()?;
    if let Some(progress) = progress {
        progress.set_total(ready.len());
    }
    let hashes = hash_all(
        &scope.caller().hasher(&state.hasher),
        ready.iter().map(|r| r.password.clone()).collect(),
        progress,
    )
    .await?;
    let stamp = crate::ssr::storage::clock::now();
    let maildirs = ready
        .iter()
        .map(|new| mailstore::new_maildir(domain, &new.account.username, stamp))
        .collect::<Result<Vec<_>, _>>()?;
    removals::record(&mut *state.db.acquire().await?, &maildirs).await?;
    let folders = PendingMaildirs::create(&state.mail, maildirs.clone()).await?;

    let mut tx = state.db.begin().await?;
    for ((new, hash), maildir) in ready.iter().zip(&hashes).zip(&maildirs) {
        let inserted = sqlx::query(
            "INSERT INTO mailboxes
                 (domain_id, local_part, email, password_hash, first_name, last_name, maildir, active,
                  quota_mb)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
                     COALESCE($9, (SELECT default_quota_mb FROM domains WHERE id = $10)))",
        )
        .bind(within.id)
        .bind(&new.account.username)
        .bind(&new.email)
        .bind(hash)
        .bind(&new.account.first_name)
        .bind(&new.account.last_name)
        .bind(maildir)
        .bind(i64::from(new.settings.active))
        .bind(new.settings.quota_mb.map(i64::from))
        .bind(within.id)
        .execute(&mut *tx)
        .await;
        if let Err(sqlx::Error::Database(error)) = &inserted {
            if error.is_unique_violation() {
                drop(tx);
                return Err(added_meanwhile(&state.db, &ready).await);
            }
        }
        inserted?;
        let details = match (new.generated, new.settings.active) {
            (true, true) => "password generated",
            (true, false) => "password generated, disabled",
            (false, true) => "",
            (false, false) => "disabled",
        };
        let entry = Entry {
            details,
            ..Entry::new(actor, Action::AccountAdd, Some(domain), &new.email)
        };
        audit::record(&mut tx, &entry).await?;
    }
    // Checked again under the write lock: an alias may have taken an address meanwhile.
    let emails: Vec<String> = ready.iter().map(|r| r.email.clone()).collect();
    let shadowed = live_among(&mut tx, &emails)
        .await?
        .into_iter()
        .find(|(_, holder)| *holder == Holder::Alias);
    if let Some((email, holder)) = shadowed {
        drop(tx);
        return Err(routing::taken(&email, holder));
    }
    // Checked again under the write lock: another list may have been added meanwhile.
    let (max, live) = limit_and_count(&mut tx, within.id).await?;
    if max > 0 && live > max {
        drop(tx);
        return Err(
            over_limit(domain, max, live - ready.len() as i64, ready.len())
                .unwrap_or(AppError::Internal),
        );
    }
    removals::clear(&mut tx, &maildirs).await?;
    tx.commit().await?;
    folders.keep();
    tracing::info!(
        domain,
        actor = actor.name,
        count = ready.len(),
        "accounts added"
    );
    Ok(AddedBatch {
        domain: domain.to_owned(),
        accounts: ready
            .into_iter()
            .map(|new| AddedAccount {
                email: new.email,
                generated_password: new.generated.then_some(new.password),
            })
            .collect(),
    })
}

/// The account with its password: the typed one, or one generated for it.
fn with_password(account: NewAccount, settings: Settings, domain: &str) -> Result<Ready, AppError> {
    let email = format!("{}@{domain}", account.username);
    let (password, generated) = match &account.password {
        Some(password) => (password.clone(), false),
        None => {
            let context = PasswordContext {
                username: &account.username,
                first_name: &account.first_name,
                last_name: &account.last_name,
                domain,
            };
            let password = generate_password(&context, DEFAULT_LEN).map_err(|error| {
                tracing::error!(%error, "cannot generate a password");
                AppError::Internal
            })?;
            (password, true)
        }
    };
    Ok(Ready {
        account,
        email,
        password,
        generated,
        settings,
    })
}

/// Hashes every password at once (the hasher's semaphore runs one per core at a time),
/// counting each one done.
async fn hash_all(
    hasher: &Hasher,
    passwords: Vec<String>,
    progress: Option<&Counting>,
) -> Result<Vec<String>, AppError> {
    let mut hashes = vec![String::new(); passwords.len()];
    let mut tasks = JoinSet::new();
    for (index, password) in passwords.into_iter().enumerate() {
        let hasher = hasher.clone();
        tasks.spawn(async move { (index, hasher.hash_bulk(password).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        let (index, hash) = joined.map_err(|error| {
            tracing::error!(%error, "hashing task failed");
            AppError::Internal
        })?;
        if let Some(slot) = hashes.get_mut(index) {
            *slot = hash?;
        }
        if let Some(progress) = progress {
            progress.tick();
        }
    }
    Ok(hashes)
}

/// The refusal when an address of the list became taken between the check and the write.
async fn added_meanwhile(db: &AnyPool, ready: &[Ready]) -> AppError {
    let emails: Vec<String> = ready.iter().map(|r| r.email.clone()).collect();
    let mut conn = match db.acquire().await {
        Ok(conn) => conn,
        Err(error) => return error.into(),
    };
    let taken = match live_among(&mut conn, &emails).await {
        Ok(taken) => taken,
        Err(error) => return error,
    };
    let who = emails
        .iter()
        .find(|email| taken.contains_key(*email))
        .map_or_else(|| "An address of the list".to_owned(), String::clone);
    AppError::Conflict(format!(
        "{who} was added by someone else meanwhile; nothing was added. Check the list and try again."
    ))
}
