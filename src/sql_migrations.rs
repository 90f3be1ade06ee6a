//! The runner for the crate's own embedded SQL migrations (member links, API log): each set is
//! recorded in its own table and applied once, in one transaction locked against other
//! processes (`BEGIN IMMEDIATE` on SQLite, a transaction-scoped advisory lock on PostgreSQL).

use time::OffsetDateTime;

/// One embedded schema migration.
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) description: &'static str,
    pub(crate) sql: &'static str,
}

/// Creates `$table` (`version`, `description`, `applied_at`) with `$columns`, then applies the
/// migrations missing from it inside `$tx`, recording each with `$applied_at(now)`.
macro_rules! apply {
    ($tx:ident, $table:expr, $columns:expr, $subject:expr, $migrations:expr, $applied_at:expr) => {{
        let table = $table;
        sqlx::raw_sql(&format!(
            "CREATE TABLE IF NOT EXISTS {table} ({})",
            $columns
        ))
        .execute(&mut *$tx)
        .await?;
        let applied: Vec<i64> =
            sqlx::query_scalar(&format!("SELECT version FROM {table} ORDER BY version"))
                .fetch_all(&mut *$tx)
                .await?;
        let insert =
            format!("INSERT INTO {table} (version, description, applied_at) VALUES ($1, $2, $3)");
        for migration in $migrations {
            if applied.contains(&migration.version) {
                continue;
            }
            sqlx::raw_sql(migration.sql).execute(&mut *$tx).await?;
            sqlx::query(&insert)
                .bind(migration.version)
                .bind(migration.description)
                .bind($applied_at(OffsetDateTime::now_utc()))
                .execute(&mut *$tx)
                .await?;
            let subject = $subject;
            tracing::info!(
                version = migration.version,
                description = migration.description,
                "{subject} migration applied"
            );
        }
        $tx.commit().await
    }};
}

/// Applies the pending `migrations` to a SQLite database in one `BEGIN IMMEDIATE` transaction
/// (so processes queue on the write lock), recording them in `table`; `applied_at` renders the
/// time stored with each. Logs "`{subject}` migration applied" per migration.
#[cfg(feature = "sqlite")]
pub(crate) async fn run_sqlite<T>(
    pool: &sqlx::SqlitePool,
    table: &str,
    subject: &str,
    migrations: &[Migration],
    applied_at: impl Fn(OffsetDateTime) -> T,
) -> Result<(), sqlx::Error>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send + 'static,
{
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    apply!(
        tx,
        table,
        "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL",
        subject,
        migrations,
        applied_at
    )
}

/// Applies the pending `migrations` to PostgreSQL in one transaction holding the advisory lock
/// `lock_key` (so instances starting together queue), recording them in `table`. Logs
/// "`{subject}` migration applied" per migration.
#[cfg(feature = "postgres")]
pub(crate) async fn run_postgres(
    pool: &sqlx::PgPool,
    table: &str,
    subject: &str,
    lock_key: i64,
    migrations: &[Migration],
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(lock_key)
        .execute(&mut *tx)
        .await?;
    apply!(
        tx,
        table,
        "version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL",
        subject,
        migrations,
        std::convert::identity
    )
}
