//! Reading a domain's audit log for the Activity screen.

use sqlx::AnyPool;

use crate::error::AppError;
use crate::model::activity::{ActivityRow, ActivitySlice, ACTIVITY_PAGE_SIZE};
use crate::ssr::access::caller::DomainScope;
use crate::validate::{check_text, SEARCH_MAX};

/// One page of the domain's audit log, newest first, optionally only one action, with the
/// actions the log holds for the filter. Counting, paging and filtering run in SQL on the
/// `(domain, id)` and `(domain, action, id)` indexes.
pub async fn page(
    db: &AnyPool,
    scope: &DomainScope,
    action: Option<&str>,
    page: u32,
) -> Result<ActivitySlice, AppError> {
    let action = action
        .map(|action| check_text("The action to show", action, SEARCH_MAX))
        .transpose()
        .map_err(AppError::Invalid)?;
    let domain = scope.domain();
    // The limit and offset take the placeholders after the filter's.
    let (filter, limit, offset) = if action.is_some() {
        ("domain = $1 AND action = $2", "$3", "$4")
    } else {
        ("domain = $1", "$2", "$3")
    };
    let count_sql = format!("SELECT COUNT(*) FROM audit_log WHERE {filter}");
    let mut count = sqlx::query_scalar(&count_sql).bind(domain);
    if let Some(action) = action {
        count = count.bind(action);
    }
    let total: i64 = count.fetch_one(db).await?;
    let pages = (total.max(1) as u32).div_ceil(ACTIVITY_PAGE_SIZE);
    let page = page.clamp(1, pages);
    let rows_sql = format!(
        "SELECT at, actor, client_addr, action, target, outcome, details
         FROM audit_log WHERE {filter} ORDER BY id DESC LIMIT {limit} OFFSET {offset}"
    );
    let mut select = sqlx::query_as(&rows_sql).bind(domain);
    if let Some(action) = action {
        select = select.bind(action);
    }
    let rows: Vec<ActivityRow> = select
        .bind(i64::from(ACTIVITY_PAGE_SIZE))
        .bind(i64::from((page - 1) * ACTIVITY_PAGE_SIZE))
        .fetch_all(db)
        .await?;
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT action FROM audit_log WHERE domain = $1 ORDER BY action",
    )
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
