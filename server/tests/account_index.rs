//! Migration 0009: the per-domain counts kept by triggers equal a count of the rows after any
//! mix of adds, soft deletes, restores, purges and moves, and the trigram index finds what the
//! LIKE rule finds for terms of three characters or more.

mod support;

use sqlx::AnyPool;

async fn fresh() -> (tempfile::TempDir, AnyPool) {
    let dir = tempfile::tempdir().unwrap();
    let pool = support::database::open(dir.path()).await;
    sqlx::query("INSERT INTO domains (name) VALUES ('a.test'), ('b.test')")
        .execute(&pool)
        .await
        .unwrap();
    (dir, pool)
}

async fn run(pool: &AnyPool, sql: &str) {
    sqlx::query(sql).execute(pool).await.unwrap();
}

#[tokio::test]
async fn counts_follow_adds_deletes_restores_purges_and_moves() {
    let (_dir, pool) = fresh().await;
    for i in 0..40 {
        let domain = 1 + i % 2;
        let name = if domain == 1 { "a.test" } else { "b.test" };
        sqlx::query(
            "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, maildir)
             VALUES ($1, $2, $3, 'h', $4)",
        )
        .bind(domain)
        .bind(format!("u{i}"))
        .bind(format!("u{i}@{name}"))
        .bind(format!("m{i}"))
        .execute(&pool)
        .await
        .unwrap();
    }
    run(
        &pool,
        "UPDATE mailboxes SET deleted_at = 'x' WHERE id % 3 = 0",
    )
    .await;
    run(
        &pool,
        "UPDATE mailboxes SET deleted_at = NULL WHERE id % 9 = 0",
    )
    .await;
    run(
        &pool,
        "UPDATE mailboxes SET deleted_at = 'y' WHERE id % 3 = 0",
    )
    .await;
    run(&pool, "DELETE FROM mailboxes WHERE id % 6 = 0").await;
    run(&pool, "DELETE FROM mailboxes WHERE id = 5").await;
    run(
        &pool,
        "UPDATE mailboxes SET domain_id = 2 WHERE id IN (1, 3)",
    )
    .await;
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM domain_account_counts c WHERE c.live <> (SELECT COUNT(*)
             FROM mailboxes m WHERE m.domain_id = c.domain_id AND m.deleted_at IS NULL)
         OR c.deleted <> (SELECT COUNT(*)
             FROM mailboxes m WHERE m.domain_id = c.domain_id AND m.deleted_at IS NOT NULL)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
    let live: i64 =
        sqlx::query_scalar("SELECT live FROM domain_account_counts WHERE domain_id = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(live > 0);
}

#[tokio::test]
async fn trigram_index_finds_what_like_finds() {
    if support::database::skipped_on_postgres("the FTS5 trigram index") {
        return;
    }
    let (_dir, pool) = fresh().await;
    let people = [
        ("anna", "Anna", "Smith"),
        ("bob", "Bob", "Jones"),
        ("cy", "", "Xu"),
    ];
    for (i, (local, first, last)) in people.iter().enumerate() {
        sqlx::query(
            "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, first_name,
             last_name, maildir) VALUES (1, $1, $2, 'h', $3, $4, $5)",
        )
        .bind(local)
        .bind(format!("{local}@a.test"))
        .bind(first)
        .bind(last)
        .bind(format!("m{i}"))
        .execute(&pool)
        .await
        .unwrap();
    }
    run(
        &pool,
        "UPDATE mailboxes SET last_name = 'Smithson' WHERE local_part = 'anna'",
    )
    .await;
    for term in ["SMI", "nes", "@a.t", "son", "xyz", "anna@"] {
        let like: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM mailboxes WHERE email LIKE '%' || $1 || '%'
             OR first_name LIKE '%' || $1 || '%' OR last_name LIKE '%' || $1 || '%' ORDER BY id",
        )
        .bind(term)
        .fetch_all(&pool)
        .await
        .unwrap();
        let indexed: Vec<i64> = sqlx::query_scalar(
            "SELECT rowid FROM mailboxes_search WHERE mailboxes_search MATCH $1 ORDER BY rowid",
        )
        .bind(format!("\"{term}\""))
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(indexed, like, "term {term}");
    }
}
