//! Mail accounts of a domain: list, add (many at once or one), edit, set a password, delete,
//! restore and purge. Each change is authorized by the [`DomainScope`] it receives, checked with
//! the shared `validate` rules the browser runs too, and audited in the same transaction.

use std::collections::HashMap;

use sqlx::SqlitePool;
use tokio::task::JoinSet;

use super::audit::{self, Action, Actor, Entry};
use super::auth::{self, now, CurrentSession, DomainScope};
use super::clock;
use super::hashing::Hasher;
use super::mailstore::{self, removals, MailStore, PendingMaildirs};
use super::progress::Counting;
use super::reserve;
use super::routing::{self, no_account, Domain, Holder};
use super::state::AppState;
use crate::api::mailboxes::{
    AddedAccount, AddedBatch, DeletedRow, MailboxDetail, MailboxPage, MailboxRow, RebuildRecord,
    RebuildReport, PAGE_SIZE,
};
use crate::error::AppError;
use crate::validate::{
    check_account, generate_password, name_problems, parse_bulk, password_problems, read_import,
    AccountFields, BulkLine, BulkOptions, Field, NewAccount, PasswordContext, Problem, DEFAULT_LEN,
};

/// Days a deleted account stays in "Deleted accounts", restorable, before the purge.
pub const RETENTION_DAYS: u32 = 30;

/// Problems one refusal lists; the rest are counted.
const PROBLEMS_LISTED: usize = 50;

/// The current time as every table stores it.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

const DIFFERENT_PASSWORDS: &str = "The two passwords differ.";

/// Search matches counted at most; past it the list says "1000+" and pages on, the end unknown:
/// nobody reads a thousand matches, and counting them all costs a scan of the domain.
const MAX_COUNTED: i64 = 1_000;

/// An account's size in bytes: as Dovecot last counted it (`mailbox_usage`, kept by its
/// quota_clone plugin), else as the last Rebuild mailbox measured it.
pub(super) const USAGE_BYTES: &str =
    "COALESCE((SELECT bytes FROM mailbox_usage u WHERE u.email = mailboxes.email), mailbox_bytes)";
/// An account's message count, from the same sources as [`USAGE_BYTES`].
const USAGE_MESSAGES: &str = "COALESCE((SELECT messages FROM mailbox_usage u WHERE u.email = mailboxes.email), message_count)";

/// One page of a domain's live accounts in address order, filtered by a search on the
/// address or the names. Paging and search run in SQL, so a large domain stays fast.
pub async fn list(
    db: &SqlitePool,
    scope: &DomainScope,
    search: &str,
    page: u32,
) -> Result<MailboxPage, AppError> {
    let search = search.trim();
    let pattern = format!(
        "%{}%",
        search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let filter = "domain_id = ? AND deleted_at IS NULL
         AND (? = '%%' OR local_part LIKE ? ESCAPE '\\' OR first_name LIKE ? ESCAPE '\\' OR last_name LIKE ? ESCAPE '\\')";
    let page_sql = format!(
        "SELECT email, first_name, last_name, active = 1 AS active, substr(created_at, 1, 10) AS created,
                {USAGE_BYTES} AS mailbox_bytes
         FROM mailboxes WHERE {filter} ORDER BY local_part LIMIT ? OFFSET ?"
    );
    let rows_of = |page: u32| {
        sqlx::query_as::<_, MailboxRow>(&page_sql)
            .bind(scope.domain_id())
            .bind(pattern.clone())
            .bind(pattern.clone())
            .bind(pattern.clone())
            .bind(pattern.clone())
            .bind(PAGE_SIZE)
            // In 64 bits: any page number times the page size fits.
            .bind(i64::from(page.max(1) - 1) * i64::from(PAGE_SIZE))
            .fetch_all(db)
    };
    let mut page = page.max(1);
    let mut rows = rows_of(page).await?;
    // A short first page is the whole answer: a rare search term costs one scan, not two.
    let (total, more) = if page == 1 && rows.len() < PAGE_SIZE as usize {
        (rows.len() as i64, false)
    } else {
        // A broad search stops counting at the cap, so it never scans the whole domain.
        let cap = if search.is_empty() {
            i64::MAX
        } else {
            MAX_COUNTED
        };
        let counted: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM mailboxes WHERE {filter} LIMIT ?)"
        ))
        .bind(scope.domain_id())
        .bind(&pattern)
        .bind(&pattern)
        .bind(&pattern)
        .bind(&pattern)
        .bind(cap.saturating_add(1))
        .fetch_one(db)
        .await?;
        (counted.min(cap), counted > cap)
    };
    let counted_pages = u32::try_from(total.max(1))
        .unwrap_or(u32::MAX)
        .div_ceil(PAGE_SIZE);
    // Past the end (even of an uncounted search): the last page that is known to have rows.
    if page > counted_pages && (!more || rows.is_empty()) {
        page = counted_pages;
        rows = rows_of(page).await?;
    }
    let pages = if more {
        // Past the counted matches a full page promises another.
        counted_pages.max(page.saturating_add(u32::from(rows.len() == PAGE_SIZE as usize)))
    } else {
        counted_pages
    };
    Ok(MailboxPage {
        domain: scope.domain().to_owned(),
        rows,
        total: total as u64,
        more,
        page,
        pages,
    })
}

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
}

/// How a pasted list is added.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasteOptions {
    /// Generate the passwords of lines that give only a username.
    pub generate_missing: bool,
    /// Every account's quota in MB (0: no limit); `None` takes the domain's default.
    pub quota_mb: Option<u32>,
}

/// Adds every account of a pasted list (see [`parse_bulk`] for the format) in one transaction,
/// or none, and returns the id of the batch for the result screen (see [`added_batch`]).
///
/// Refused with every problem by line and field (never a password) when a line breaks a rule,
/// repeats a username or names an address that exists; refused too when the list would take
/// the domain over its account limit.
pub async fn add_from_paste(
    state: &AppState,
    scope: &DomainScope,
    client: &str,
    text: &str,
    options: PasteOptions,
) -> Result<String, AppError> {
    let domain = scope.within();
    let lines = check_paste(&state.db, &domain.name, text, options.generate_missing, &[]).await?;
    let accounts = lines
        .into_iter()
        .map(|(_, account)| (account, options.quota_mb))
        .collect();
    let actor = scope.actor(client);
    let batch = create(state, &domain, actor, scope.session_key(), accounts).await?;
    state.batches.put(scope.session_key(), batch)
}

/// Adds the accounts of an operator's import file (see [`read_import`]) with the rules, the
/// report and the all-or-nothing of [`add_from_paste`], each with its own quota. With
/// `dry_run`, checks everything (the account limit too) and adds nothing. Returns the
/// accounts added, or the addresses that would be.
pub async fn import(
    state: &AppState,
    domain: &Domain,
    actor: Actor<'_>,
    file: &str,
    generate_missing: bool,
    dry_run: bool,
) -> Result<AddedBatch, AppError> {
    let import = read_import(file);
    let lines = check_paste(
        &state.db,
        &domain.name,
        &import.paste,
        generate_missing,
        &import.problems,
    )
    .await?;
    let accounts: Vec<(NewAccount, Option<u32>)> = lines
        .into_iter()
        .map(|(number, account)| (account, import.quotas.get(&number).copied()))
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
    create(state, domain, actor, &[], accounts).await
}

/// The accounts of a pasted list by line number, when every line is right and no address is
/// taken; otherwise refused with every problem, `more` (by line) among them.
async fn check_paste(
    db: &SqlitePool,
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
    let mut messages = Vec::new();
    let mut more = more.iter().peekable();
    for line in &report.lines {
        while let Some((_, message)) = more.next_if(|(number, _)| *number <= line.number) {
            messages.push(message.clone());
        }
        if let Some(email) = line.username.as_ref().map(|name| address(name, domain)) {
            if let Some(holder) = taken.get(&email) {
                messages.push(format!(
                    "Line {}: {}",
                    line.number,
                    taken_words(&email, *holder)
                ));
            }
        }
        for problem in &line.problems {
            messages.push(describe(Some(line.number), problem));
        }
    }
    messages.extend(more.map(|(_, message)| message.clone()));
    refuse_if_any(messages)?;
    Ok(report
        .lines
        .into_iter()
        .filter_map(|line| Some((line.number, line.account?)))
        .collect())
}

/// Adds one account typed in the form, with the same rules as a pasted line, and returns the
/// id of the batch for the result screen.
pub async fn add_one(
    state: &AppState,
    scope: &DomainScope,
    client: &str,
    account: OneAccount,
) -> Result<String, AppError> {
    let given = AccountFields {
        username: &account.username,
        password: &account.password,
        password_again: &account.password_again,
        first_name: &account.first_name,
        last_name: &account.last_name,
    };
    let line = check_account(&given, scope.domain());
    let mut messages = Vec::new();
    let taken = taken_addresses(&state.db, scope.domain(), std::slice::from_ref(&line)).await?;
    if let Some(email) = line
        .username
        .as_ref()
        .map(|name| address(name, scope.domain()))
    {
        if let Some(holder) = taken.get(&email) {
            messages.push(taken_words(&email, *holder));
        }
    }
    messages.extend(line.problems.iter().map(|problem| describe(None, problem)));
    refuse_if_any(messages)?;
    let new = line.account.ok_or_else(|| {
        tracing::error!("a line without problems has no account");
        AppError::Internal
    })?;
    let actor = scope.actor(client);
    let batch = create(
        state,
        &scope.within(),
        actor,
        scope.session_key(),
        vec![(new, None)],
    )
    .await?;
    state.batches.put(scope.session_key(), batch)
}

/// The accounts of batch `id`, only to the session that added them, as long as it is kept
/// (see [`crate::ssr::batches`]).
pub fn added_batch(
    state: &AppState,
    session: &CurrentSession,
    id: &str,
) -> Result<AddedBatch, AppError> {
    state
        .batches
        .get(&session.key(), id)
        .ok_or_else(|| AppError::NotFound(BATCH_GONE.into()))
}

/// Forgets batch `id` of the session, when the postmaster is done with it.
pub fn dismiss_batch(state: &AppState, session: &CurrentSession, id: &str) {
    state.batches.dismiss(&session.key(), id);
}

/// What a batch that is no longer kept is called in its "not found" message.
const BATCH_GONE: &str =
    "The list of new accounts (it is kept for 10 minutes, or until you choose Done)";

/// The full address of a username of `domain`.
fn address(username: &str, domain: &str) -> String {
    format!("{username}@{domain}")
}

/// "Line 3, password again: The two passwords differ." (or without the line for one account).
fn describe(line: Option<usize>, problem: &Problem) -> String {
    let message = problem.message.trim_end_matches('.');
    match (line, problem.field) {
        (Some(number), Field::Line) => format!("Line {number}: {message}."),
        (Some(number), field) => format!("Line {number}, {}: {message}.", field.label()),
        (None, field) => {
            let label = field.label();
            let mut chars = label.chars();
            let capital: String = chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
                .collect();
            format!("{capital}: {message}.")
        }
    }
}

/// Refuses with the messages one per line, at most [`PROBLEMS_LISTED`] of them.
pub(super) fn refuse_if_any(messages: Vec<String>) -> Result<(), AppError> {
    if messages.is_empty() {
        return Ok(());
    }
    let more = messages.len().saturating_sub(PROBLEMS_LISTED);
    let mut listed: Vec<String> = messages.into_iter().take(PROBLEMS_LISTED).collect();
    if more > 0 {
        listed.push(format!("and {more} more."));
    }
    Err(AppError::Invalid(listed.join("\n")))
}

/// What an account may not be added at, in words.
fn taken_words(email: &str, holder: Holder) -> String {
    match holder {
        Holder::Account => format!("{email} already exists."),
        Holder::Alias => routing::taken(email, holder).to_string(),
    }
}

/// Which addresses of the lines' usernames live accounts or aliases hold, in one query.
async fn taken_addresses(
    db: &SqlitePool,
    domain: &str,
    lines: &[BulkLine],
) -> Result<HashMap<String, Holder>, AppError> {
    let emails: Vec<String> = lines
        .iter()
        .filter_map(|line| line.username.as_deref())
        .map(|name| address(name, domain))
        .collect();
    live_among(db, &emails).await
}

/// The addresses of `emails` that live accounts or aliases hold, and which; an alias is named
/// where both do (an account written in the caller's transaction, say).
async fn live_among<'c, E>(db: E, emails: &[String]) -> Result<HashMap<String, Holder>, AppError>
where
    E: sqlx::SqliteExecutor<'c>,
{
    if emails.is_empty() {
        return Ok(HashMap::new());
    }
    let list = serde_json::to_string(emails).map_err(|error| {
        tracing::error!(%error, "cannot encode addresses");
        AppError::Internal
    })?;
    let taken: Vec<(String, bool)> = sqlx::query_as(
        "SELECT email, 0 FROM mailboxes
         WHERE deleted_at IS NULL AND email IN (SELECT value FROM json_each(?1))
         UNION ALL
         SELECT address, 1 FROM aliases
         WHERE deleted_at IS NULL AND address IN (SELECT value FROM json_each(?1))",
    )
    .bind(list)
    .fetch_all(db)
    .await?;
    Ok(taken
        .into_iter()
        .map(|(email, alias)| {
            (
                email,
                if alias {
                    Holder::Alias
                } else {
                    Holder::Account
                },
            )
        })
        .collect())
}

/// The domain's account limit (0: none) and its live accounts.
async fn limit_and_count(
    conn: &mut sqlx::SqliteConnection,
    domain_id: i64,
) -> Result<(i64, i64), AppError> {
    Ok(sqlx::query_as(
        "SELECT max_mailboxes,
                (SELECT COUNT(*) FROM mailboxes WHERE domain_id = d.id AND deleted_at IS NULL)
         FROM domains d WHERE id = ?",
    )
    .bind(domain_id)
    .fetch_one(conn)
    .await?)
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

/// A new account with its password, ready to be written.
struct Ready {
    account: NewAccount,
    email: String,
    password: String,
    generated: bool,
    /// `None`: the domain's default quota.
    quota_mb: Option<u32>,
}

/// Creates valid, unclaimed accounts: generates missing passwords, hashes them all on every
/// core, creates their Maildirs, then writes every row and its audit row in one transaction.
/// An address claimed meanwhile by someone else rolls the whole list back. The Maildirs and
/// the rows are one unit: the folders exist before the commit, and any failure before it
/// removes them again; they are listed for removal until the commit takes them off the list,
/// so that the start-up reconciliation removes those a crash in between leaves behind. Each
/// gets its quota, or the domain's default quota when `None`. `actor` is audited, and the
/// hashing progress is shown to the session `progress_key` names (none for the operator).
async fn create(
    state: &AppState,
    within: &Domain,
    actor: Actor<'_>,
    progress_key: &[u8],
    accounts: Vec<(NewAccount, Option<u32>)>,
) -> Result<AddedBatch, AppError> {
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
        .map(|(account, quota_mb)| with_password(account, quota_mb, domain))
        .collect::<Result<_, _>>()?;
    let counting = state.progress.start(progress_key, ready.len());
    let hashes = hash_all(
        &state.hasher,
        ready.iter().map(|r| r.password.clone()).collect(),
        &counting,
    )
    .await?;
    let stamp = auth::now();
    let maildirs = ready
        .iter()
        .map(|new| mailstore::new_maildir(domain, &new.account.username, stamp))
        .collect::<Result<Vec<_>, _>>()?;
    removals::record(&state.db, &maildirs).await?;
    let folders = PendingMaildirs::create(&state.mail, maildirs.clone()).await?;

    let mut tx = state.db.begin().await?;
    for ((new, hash), maildir) in ready.iter().zip(&hashes).zip(&maildirs) {
        let inserted = sqlx::query(
            "INSERT INTO mailboxes
                 (domain_id, local_part, email, password_hash, first_name, last_name, maildir, quota_mb)
             VALUES (?, ?, ?, ?, ?, ?, ?,
                     coalesce(?, (SELECT default_quota_mb FROM domains WHERE id = ?)))",
        )
        .bind(within.id)
        .bind(&new.account.username)
        .bind(&new.email)
        .bind(hash)
        .bind(&new.account.first_name)
        .bind(&new.account.last_name)
        .bind(maildir)
        .bind(new.quota_mb)
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
        let details = if new.generated {
            "password generated"
        } else {
            ""
        };
        let entry = Entry {
            details,
            ..Entry::new(actor, Action::MailboxAdd, Some(domain), &new.email)
        };
        audit::record(&mut tx, &entry).await?;
    }
    // Checked again under the write lock: an alias may have taken an address meanwhile.
    let emails: Vec<String> = ready.iter().map(|r| r.email.clone()).collect();
    let shadowed = live_among(&mut *tx, &emails)
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
    removals::clear(&mut *tx, &maildirs).await?;
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
fn with_password(
    account: NewAccount,
    quota_mb: Option<u32>,
    domain: &str,
) -> Result<Ready, AppError> {
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
        quota_mb,
    })
}

/// Hashes every password at once (the hasher's semaphore runs one per core at a time),
/// counting each one done.
async fn hash_all(
    hasher: &Hasher,
    passwords: Vec<String>,
    counting: &Counting,
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
        counting.tick();
    }
    Ok(hashes)
}

/// The refusal when an address of the list became taken between the check and the write.
async fn added_meanwhile(db: &SqlitePool, ready: &[Ready]) -> AppError {
    let emails: Vec<String> = ready.iter().map(|r| r.email.clone()).collect();
    let taken = match live_among(db, &emails).await {
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

/// `email` trimmed and lowercase, when it is an address of the scope's domain.
fn in_scope(scope: &DomainScope, email: &str) -> Option<String> {
    routing::address_in(scope.domain(), email)
}

/// A live account of the scope's domain, for the Edit screen.
pub async fn detail(
    db: &SqlitePool,
    scope: &DomainScope,
    email: &str,
) -> Result<MailboxDetail, AppError> {
    let address = in_scope(scope, email).ok_or_else(|| no_account(email))?;
    type Row = (
        String,
        String,
        String,
        String,
        bool,
        String,
        String,
        String,
        Option<i64>,
        Option<i64>,
        i64,
    );
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT email, local_part, first_name, last_name, active = 1, created_at, updated_at,
                    password_changed_at, {USAGE_MESSAGES}, {USAGE_BYTES}, quota_mb
             FROM mailboxes WHERE email = ? AND domain_id = ? AND deleted_at IS NULL"
    ))
    .bind(&address)
    .bind(scope.domain_id())
    .fetch_optional(db)
    .await?;
    let (
        email,
        username,
        first_name,
        last_name,
        active,
        created,
        updated,
        changed,
        count,
        bytes,
        quota_mb,
    ) = row.ok_or_else(|| no_account(&address))?;
    Ok(MailboxDetail {
        email,
        domain: scope.domain().to_owned(),
        username,
        first_name,
        last_name,
        active,
        created_at: created,
        updated_at: updated,
        password_changed_at: changed,
        message_count: count,
        mailbox_bytes: bytes,
        quota_mb,
    })
}

/// A first or last name as stored (trimmed), or the first rule it breaks.
fn checked_name(raw: &str, field: Field) -> Result<String, AppError> {
    match name_problems(raw, field).first() {
        Some(problem) => Err(AppError::Invalid(describe(None, problem))),
        None => Ok(raw.trim().to_owned()),
    }
}

/// What Edit changes on an account, as posted.
pub struct AccountChanges<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub active: bool,
    /// The new quota in MB (0: no limit), checked by [`crate::validate::parse_quota_mb`]; `None` keeps it.
    pub quota_mb: Option<u32>,
}

/// The audit line of a quota: what the postmaster typed, in words.
fn quota_words(quota_mb: i64) -> String {
    if quota_mb == 0 {
        "quota: no limit".to_owned()
    } else {
        format!("quota: {quota_mb} MB")
    }
}

/// Changes a live account's names, whether it may log in and its quota, audited.
pub async fn update(
    db: &SqlitePool,
    scope: &DomainScope,
    client: &str,
    email: &str,
    changes: AccountChanges<'_>,
) -> Result<(), AppError> {
    let first_name = checked_name(changes.first_name, Field::FirstName)?;
    let last_name = checked_name(changes.last_name, Field::LastName)?;
    let address = in_scope(scope, email).ok_or_else(|| no_account(email))?;
    let before: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT first_name, last_name, quota_mb FROM mailboxes
         WHERE email = ? AND domain_id = ? AND deleted_at IS NULL",
    )
    .bind(&address)
    .bind(scope.domain_id())
    .fetch_optional(db)
    .await?;
    let (old_first, old_last, old_quota) = before.ok_or_else(|| no_account(&address))?;
    let quota_mb = changes.quota_mb.map_or(old_quota, i64::from);
    let mut details = Vec::new();
    if old_first != first_name {
        details.push("first name changed".to_owned());
    }
    if old_last != last_name {
        details.push("last name changed".to_owned());
    }
    details.push(
        if changes.active {
            "active: yes"
        } else {
            "active: no"
        }
        .to_owned(),
    );
    if quota_mb != old_quota {
        details.push(quota_words(quota_mb));
    }
    let details = details.join("; ");

    let mut tx = db.begin().await?;
    let updated: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE mailboxes SET first_name = ?, last_name = ?, active = ?, quota_mb = ?, updated_at = {NOW}
         WHERE email = ? AND domain_id = ? AND deleted_at IS NULL RETURNING id"
    ))
    .bind(&first_name)
    .bind(&last_name)
    .bind(changes.active)
    .bind(quota_mb)
    .bind(&address)
    .bind(scope.domain_id())
    .fetch_optional(&mut *tx)
    .await?;
    if updated.is_none() {
        return Err(no_account(&address));
    }
    let actor = scope.actor(client);
    let entry = Entry {
        details: &details,
        ..Entry::new(actor, Action::MailboxUpdate, Some(scope.domain()), &address)
    };
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a live account's password, typed twice and checked by the shared rules, audited.
pub async fn set_password(
    state: &AppState,
    scope: &DomainScope,
    client: &str,
    email: &str,
    password: &str,
    password_again: &str,
) -> Result<(), AppError> {
    if password != password_again {
        return Err(AppError::Invalid(DIFFERENT_PASSWORDS.into()));
    }
    let address = in_scope(scope, email).ok_or_else(|| no_account(email))?;
    let row: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, local_part, first_name, last_name FROM mailboxes
         WHERE email = ? AND domain_id = ? AND deleted_at IS NULL",
    )
    .bind(&address)
    .bind(scope.domain_id())
    .fetch_optional(&state.db)
    .await?;
    let (id, username, first_name, last_name) = row.ok_or_else(|| no_account(&address))?;
    let context = PasswordContext {
        username: &username,
        first_name: &first_name,
        last_name: &last_name,
        domain: scope.domain(),
    };
    if let Some(problem) = password_problems(password, &context).first() {
        return Err(AppError::Invalid(format!(
            "The password is not accepted: {}.",
            problem.message.trim_end_matches('.')
        )));
    }
    let hash = state.hasher.hash(password.to_owned()).await?;

    let mut tx = state.db.begin().await?;
    let updated: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE mailboxes SET password_hash = ?, password_changed_at = {NOW}, updated_at = {NOW}
         WHERE id = ? AND deleted_at IS NULL RETURNING id"
    ))
    .bind(&hash)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if updated.is_none() {
        return Err(no_account(&address));
    }
    let actor = scope.actor(client);
    audit::record(
        &mut tx,
        &Entry::new(actor, Action::MailboxPasswd, Some(scope.domain()), &address),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Moves live accounts of the domain to "Deleted accounts", all or none, each audited.
/// An address that is not a live account of the domain (deleted meanwhile, never there)
/// answers as not found, naming it; one of another domain is audited as refused too.
pub async fn delete(
    db: &SqlitePool,
    scope: &DomainScope,
    client: &str,
    emails: &[&str],
) -> Result<usize, AppError> {
    if emails.iter().all(|email| email.trim().is_empty()) {
        return Err(AppError::Invalid("Select at least one account.".into()));
    }
    let mut addresses: Vec<String> = Vec::with_capacity(emails.len());
    for email in emails.iter().filter(|email| !email.trim().is_empty()) {
        let Some(address) = in_scope(scope, email) else {
            let target = email.trim().to_lowercase();
            if let Some((_, domain)) = target.rsplit_once('@') {
                let details = format!("not an account of {}", scope.domain());
                auth::record_refusal(db, scope.actor(client), Some(domain), &target, &details)
                    .await?;
            }
            return Err(no_account(&target));
        };
        if !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    let actor = scope.actor(client);
    let mut tx = db.begin().await?;
    for address in &addresses {
        let deleted: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE mailboxes SET deleted_at = {NOW}, updated_at = {NOW}
             WHERE email = ? AND domain_id = ? AND deleted_at IS NULL RETURNING id"
        ))
        .bind(address)
        .bind(scope.domain_id())
        .fetch_optional(&mut *tx)
        .await?;
        if deleted.is_none() {
            return Err(no_account(address));
        }
        audit::record(
            &mut tx,
            &Entry::new(actor, Action::MailboxDelete, Some(scope.domain()), address),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(addresses.len())
}

/// The domain's deleted accounts, newest first, with the whole days left before the purge.
pub async fn deleted(db: &SqlitePool, scope: &DomainScope) -> Result<Vec<DeletedRow>, AppError> {
    let rows: Vec<(i64, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, email, first_name, last_name, deleted_at,
                MAX(0, ? - CAST(julianday('now') - julianday(deleted_at) AS INTEGER))
         FROM mailboxes WHERE domain_id = ? AND deleted_at IS NOT NULL
         ORDER BY deleted_at DESC, id DESC",
    )
    .bind(RETENTION_DAYS)
    .bind(scope.domain_id())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, email, first_name, last_name, deleted_at, days_left)| DeletedRow {
                id,
                email,
                first_name,
                last_name,
                deleted_at,
                days_left,
            },
        )
        .collect())
}

/// Brings back the deleted account `id` of the domain and returns its address. Refused when
/// a newer live account holds the address, or when the domain is at its account limit. The
/// account finds its Maildir where it was: deletion moved nothing.
pub async fn restore(
    state: &AppState,
    scope: &DomainScope,
    client: &str,
    id: i64,
) -> Result<String, AppError> {
    let db = &state.db;
    let gone = || AppError::NotFound("The deleted account".into());
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT email, domain_id, maildir FROM mailboxes WHERE id = ? AND deleted_at IS NOT NULL",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let (email, maildir) = match row {
        None => return Err(gone()),
        Some((email, domain_id, _)) if domain_id != scope.domain_id() => {
            let domain = email.rsplit_once('@').map(|(_, domain)| domain);
            let details = format!("not an account of {}", scope.domain());
            auth::record_refusal(db, scope.actor(client), domain, &email, &details).await?;
            return Err(gone());
        }
        Some((email, _, maildir)) => (email, maildir),
    };

    let mut tx = db.begin().await?;
    let restored = sqlx::query_scalar::<_, i64>(&format!(
        "UPDATE mailboxes SET deleted_at = NULL, updated_at = {NOW}
         WHERE id = ? AND domain_id = ? AND deleted_at IS NOT NULL RETURNING id"
    ))
    .bind(id)
    .bind(scope.domain_id())
    .fetch_optional(&mut *tx)
    .await;
    match restored {
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(AppError::Conflict(format!(
                "{email} is in use by a newer account; delete or rename that one first."
            )));
        }
        Ok(None) => return Err(gone()),
        other => other?,
    };
    let aliased = live_among(&mut *tx, std::slice::from_ref(&email)).await?;
    if aliased.get(&email) == Some(&Holder::Alias) {
        return Err(AppError::Conflict(format!(
            "{} Delete the alias first to restore the account.",
            routing::taken(&email, Holder::Alias)
        )));
    }
    let (max, live) = limit_and_count(&mut tx, scope.domain_id()).await?;
    if max > 0 && live > max {
        return Err(AppError::Invalid(format!(
            "The domain {} is limited to {max} accounts and has {}: delete one before restoring \
             {email}.",
            scope.domain(),
            live - 1
        )));
    }
    let actor = scope.actor(client);
    audit::record(
        &mut tx,
        &Entry::new(actor, Action::MailboxRestore, Some(scope.domain()), &email),
    )
    .await?;
    tx.commit().await?;
    // Only a Maildir lost outside the console is missing here; the account gets an empty one.
    let store = state.mail.clone();
    let created = mailstore::blocking(move || store.ensure(&maildir)).await??;
    if !created.is_empty() {
        tracing::warn!(%email, "the restored account's Maildir was missing; created it empty");
    }
    Ok(email)
}

/// Removes for good the accounts deleted more than `retention_days` ago, of every domain,
/// with their Maildirs, and returns their addresses; each is audited as the system's doing.
/// The rows go first, rather than mail removed from an account that still exists; their
/// Maildirs are listed for removal in the same transaction, so that the start-up
/// reconciliation removes those a crash or an error leaves behind.
/// Aliases deleted as long ago go in the same transaction (see [`super::aliases::purge_expired`]).
/// Nothing is removed while the clock is held (see [`clock`]): the error says how to go on.
pub async fn purge_expired(
    db: &SqlitePool,
    store: &MailStore,
    retention_days: u32,
) -> Result<Vec<String>, AppError> {
    clock::check(db, now()).await?.trusted()?;
    let mut tx = db.begin().await?;
    let purged: Vec<(String, String, String)> = sqlx::query_as(
        "DELETE FROM mailboxes
         WHERE deleted_at IS NOT NULL AND deleted_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?)
         RETURNING email, deleted_at, maildir",
    )
    .bind(format!("-{retention_days} days"))
    .fetch_all(&mut *tx)
    .await?;
    for (email, deleted_at, _) in &purged {
        let domain = email.rsplit_once('@').map(|(_, domain)| domain);
        let details = format!("deleted {deleted_at}");
        let entry = Entry {
            details: &details,
            ..Entry::new(Actor::SYSTEM, Action::MailboxPurge, domain, email)
        };
        audit::record(&mut tx, &entry).await?;
    }
    let maildirs: Vec<String> = purged
        .iter()
        .map(|(_, _, maildir)| maildir.clone())
        .collect();
    removals::record(&mut *tx, &maildirs).await?;
    let aliases = super::aliases::purge_expired(&mut tx, retention_days).await?;
    tx.commit().await?;
    if !aliases.is_empty() {
        tracing::info!(count = aliases.len(), "purged deleted aliases");
    }
    let store = store.clone();
    let (emails, removed) = blocking_purge(store, purged).await?;
    removals::clear(db, &removed).await?;
    Ok(emails)
}

/// Removes the purged accounts' Maildirs; returns their addresses and the Maildirs removed.
async fn blocking_purge(
    store: MailStore,
    purged: Vec<(String, String, String)>,
) -> Result<(Vec<String>, Vec<String>), AppError> {
    mailstore::blocking(move || {
        let mut removed = Vec::new();
        let emails = purged
            .into_iter()
            .map(|(email, _, maildir)| {
                match store.remove(&maildir) {
                    Ok(_) => removed.push(maildir),
                    Err(error) => {
                        tracing::error!(%error, %email, "cannot remove the Maildir of a purged account")
                    }
                }
                email
            })
            .collect();
        (emails, removed)
    })
    .await
}

/// Rebuilds the Maildir of a live account of the scope's domain (see [`rebuild_account`]).
pub async fn rebuild(
    state: &AppState,
    scope: &DomainScope,
    client: &str,
    email: &str,
) -> Result<RebuildReport, AppError> {
    let address = in_scope(scope, email).ok_or_else(|| no_account(email))?;
    let actor = scope.actor(client);
    rebuild_account(&state.db, &state.mail, actor, &address).await
}

/// Rebuild mailbox, for the server function and the command line: repairs the live account's
/// Maildir (see [`MailStore::rebuild`]), stores the message count and size it measured, and
/// audits it as `mailbox.rebuild` with the report's counts.
pub async fn rebuild_account(
    db: &SqlitePool,
    store: &MailStore,
    actor: Actor<'_>,
    email: &str,
) -> Result<RebuildReport, AppError> {
    let address = email.trim().to_lowercase();
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, maildir FROM mailboxes WHERE email = ? AND deleted_at IS NULL")
            .bind(&address)
            .fetch_optional(db)
            .await?;
    let (id, maildir) = row.ok_or_else(|| no_account(&address))?;
    let domain = address.rsplit_once('@').map(|(_, domain)| domain);
    let work = {
        let store = store.clone();
        let address = address.clone();
        mailstore::blocking(move || store.rebuild(&maildir, &address)).await?
    };
    let report = match work {
        Ok(report) => report,
        Err(error) => {
            tracing::error!(%error, email = %address, "rebuild failed");
            let entry = Entry {
                outcome: audit::Outcome::Failed,
                ..Entry::new(actor, Action::MailboxRebuild, domain, &address)
            };
            let mut conn = db.acquire().await?;
            audit::record(&mut conn, &entry).await?;
            return Err(AppError::Internal);
        }
    };
    let summary = report.summary();
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE mailboxes SET message_count = ?, mailbox_bytes = ? WHERE id = ?")
        .bind(i64::try_from(report.message_count).unwrap_or(i64::MAX))
        .bind(i64::try_from(report.mailbox_bytes).unwrap_or(i64::MAX))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let entry = Entry {
        details: &summary,
        ..Entry::new(actor, Action::MailboxRebuild, domain, &address)
    };
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    tracing::info!(email = %address, actor = actor.name, %summary, "mailbox rebuilt");
    Ok(report)
}

/// The last rebuild of a live account of the scope's domain, from the audit log.
pub async fn last_rebuild(
    db: &SqlitePool,
    scope: &DomainScope,
    email: &str,
) -> Result<Option<RebuildRecord>, AppError> {
    let address = in_scope(scope, email).ok_or_else(|| no_account(email))?;
    Ok(sqlx::query_as(
        "SELECT at, actor, outcome, details AS summary FROM audit_log
         WHERE domain = ? AND action = ? AND target = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(scope.domain())
    .bind(Action::MailboxRebuild.as_str())
    .bind(&address)
    .fetch_optional(db)
    .await?)
}
