//! Reading a domain's audit log for the Activity screen.

use sqlx::AnyPool;

use crate::error::AppError;
use crate::model::activity::{ActivityRow, ActivitySlice, ACTIVITY_PAGE_SIZE};
use crate::ssr::access::caller::DomainScope;
use crate::validate::{check_text, SEARCH_MAX};

/// One page of the domain's audit log, newest first, optionally only one action and only
/// one account (a username or a full address of the domain), with the actions the log holds
/// for the filter. Paging and filtering run in SQL on the `(domain, id)`, `(domain, action, id)`
/// and `(domain, target, id)` indexes; the counts the database keeps per action give the pages.
pub async fn page(
    db: &AnyPool,
    scope: &DomainScope,
    action: Option<&str>,
    account: Option<&str>,
    page: u32,
) -> Result<ActivitySlice, AppError> {
    let action = action
        .map(|action| check_text("The action to show", action, SEARCH_MAX))
        .transpose()
        .map_err(AppError::Invalid)?;
    let domain = scope.domain();
    let account = account
        .map(|account| check_text("The account to show", account.trim(), SEARCH_MAX))
        .transpose()
        .map_err(AppError::Invalid)?
        .map(|account| {
            let account = account.to_lowercase();
            if account.contains('@') {
                account
            } else {
                format!("{account}@{domain}")
            }
        });
    let account_filtered = account.is_some();
    let mut filter = String::from("domain = $1");
    let mut values = vec![domain.to_owned()];
    for (column, value) in [("action", action.map(str::to_owned)), ("target", account)] {
        if let Some(value) = value {
            values.push(value);
            filter.push_str(&format!(" AND {column} = ${}", values.len()));
        }
    }
    // One account's entries are counted on its index (an account has few); a domain's, or
    // one action's, are summed from the counts the database keeps: a log of a million
    // entries is too long to count on every page.
    let count_sql = if account_filtered {
        format!("SELECT COUNT(*) FROM audit_log WHERE {filter}")
    } else {
        format!("SELECT CAST(COALESCE(SUM(entries), 0) AS BIGINT) FROM audit_counts WHERE {filter}")
    };
    let mut count = sqlx::query_scalar(&count_sql);
    for value in &values {
        count = count.bind(value);
    }
    let total: i64 = count.fetch_one(db).await?;
    let pages = (total.max(1) as u32).div_ceil(ACTIVITY_PAGE_SIZE);
    let page = page.clamp(1, pages);
    // A page past the middle is read from the oldest end, backwards: the last pages of a long
    // log cost what the first ones do.
    let skip = i64::from(page - 1) * i64::from(ACTIVITY_PAGE_SIZE);
    let take = i64::from(ACTIVITY_PAGE_SIZE).min(total - skip).max(0);
    let from_oldest = skip > total / 2;
    let (order, offset) = if from_oldest {
        ("ASC", total - skip - take)
    } else {
        ("DESC", skip)
    };
    let rows_sql = format!(
        "SELECT at, actor, client_addr, action, target, outcome, details
         FROM audit_log WHERE {filter} ORDER BY id {order} LIMIT ${} OFFSET ${}",
        values.len() + 1,
        values.len() + 2
    );
    let mut select = sqlx::query_as(&rows_sql);
    for value in &values {
        select = select.bind(value);
    }
    let mut rows: Vec<ActivityRow> = select.bind(take.max(1)).bind(offset).fetch_all(db).await?;
    if from_oldest {
        rows.reverse();
    }
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_counts WHERE domain = $1 ORDER BY action")
            .bind(domain)
            .fetch_all(db)
            .await?;
    Ok(ActivitySlice {
        domain: domain.to_owned(),
        rows,
        page,
        pages,
        actions,
    })
}
