//! Sessions and attempts in PostgreSQL. Sessions keep tower-sessions-sqlx-store's table and its
//! `load` and `delete`, but `create` is one `INSERT ... ON CONFLICT DO NOTHING` and `save` one
//! `UPDATE`, so a session deleted by a logout stays deleted (its upsert would recreate it) and a
//! login costs one commit. Spent-marks are rows put by `INSERT ... ON CONFLICT`: of any number of
//! concurrent inserts of one key PostgreSQL lets exactly one in; expired rows are purged every
//! minute. (The table keeps the columns of earlier versions, which stored whole attempts.)

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::PgPool;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;
use tower_sessions_sqlx_store::PostgresStore;

use super::attempts::{AttemptKey, AttemptStore, AttemptStoreError};

/// Expired marks are purged at most this often (seconds), by the next claim.
const ATTEMPT_PURGE_INTERVAL_SECS: i64 = 60;
/// The attempt table, beside the session table in the same schema.
const ATTEMPT_TABLE: &str = "line_login_attempt";

/// Sessions in PostgreSQL that cannot be resurrected.
#[derive(Clone, Debug)]
pub(crate) struct PgSessions {
    store: PostgresStore,
    pool: PgPool,
    table: String,
}

impl PgSessions {
    pub(crate) fn new(store: PostgresStore, pool: PgPool, schema: &str, table: &str) -> Self {
        Self {
            store,
            pool,
            table: format!("\"{schema}\".\"{table}\""),
        }
    }

    pub(crate) fn inner(&self) -> &PostgresStore {
        &self.store
    }
}

fn backend(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for PgSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let insert = format!(
            "INSERT INTO {} (id, data, expiry_date) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            self.table
        );
        loop {
            let data = rmp_serde::to_vec(&*record)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?;
            let inserted = sqlx::query(&insert)
                .bind(record.id.to_string())
                .bind(data)
                .bind(record.expiry_date)
                .execute(&self.pool)
                .await
                .map_err(backend)?
                .rows_affected();
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // Update only: a session deleted since this request loaded it stays deleted.
        let update = format!(
            "UPDATE {} SET data = $2, expiry_date = $3 WHERE id = $1",
            self.table
        );
        let data =
            rmp_serde::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        sqlx::query(&update)
            .bind(record.id.to_string())
            .bind(data)
            .bind(record.expiry_date)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        self.store.load(session_id).await
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.store.delete(session_id).await
    }
}

/// Spent-marks in PostgreSQL.
#[derive(Clone, Debug)]
pub(crate) struct PgAttempts {
    pool: PgPool,
    table: String,
    last_purge: Arc<AtomicI64>,
    command_timeout: Duration,
}

impl PgAttempts {
    /// Creates the attempt table in `schema` if missing (under an advisory lock, so instances
    /// starting together do not race).
    pub(crate) async fn migrate(
        pool: PgPool,
        schema: &str,
        command_timeout: Duration,
    ) -> Result<Self, sqlx::Error> {
        let table = format!("\"{schema}\".\"{ATTEMPT_TABLE}\"");
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(7240431911)")
            .execute(&mut *tx)
            .await?;
        sqlx::raw_sql(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                browser TEXT NOT NULL,
                attempt TEXT NOT NULL,
                sealed BYTEA NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (browser, attempt)
            );
            CREATE INDEX IF NOT EXISTS \"{ATTEMPT_TABLE}_expires_at\" ON {table} (expires_at);"
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Self {
            pool,
            table,
            last_purge: Arc::new(AtomicI64::new(0)),
            command_timeout,
        })
    }

    /// Deletes every attempt expired at `now`; returns how many.
    pub(crate) async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, sqlx::Error> {
        let deleted = sqlx::query(&format!(
            "DELETE FROM {} WHERE expires_at <= $1",
            self.table
        ))
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(deleted)
    }

    /// Purges expired marks in the background if the last purge was a minute ago or more (by
    /// the layer's clock); one instance's claims at a time start one.
    fn purge_if_due(&self, now: OffsetDateTime) {
        let now_secs = now.unix_timestamp();
        let last = self.last_purge.load(Ordering::Relaxed);
        if now_secs - last >= ATTEMPT_PURGE_INTERVAL_SECS
            && self
                .last_purge
                .compare_exchange(last, now_secs, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let this = self.clone();
            tokio::spawn(async move {
                if let Err(error) = this.purge_expired(now).await {
                    tracing::warn!(%error, "purging expired login attempt marks failed");
                }
            });
        }
    }

    /// Runs `query` within the command timeout.
    async fn bounded<T>(
        &self,
        query: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, AttemptStoreError> {
        match tokio::time::timeout(self.command_timeout, query).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(AttemptStoreError::Backend {
                kind: "postgres",
                source: Box::new(error),
            }),
            Err(_) => Err(AttemptStoreError::Timeout {
                kind: "postgres",
                millis: self.command_timeout.as_millis(),
            }),
        }
    }
}

#[async_trait]
impl AttemptStore for PgAttempts {
    async fn claim(
        &self,
        key: &AttemptKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, AttemptStoreError> {
        // The primary key decides: of concurrent inserts exactly one goes in. An expired mark
        // is replaced (its token can no longer log in anyway).
        let statement = format!(
            "INSERT INTO {t} (browser, attempt, sealed, created_at, expires_at)
             VALUES ($1, $2, '', $3, $4)
             ON CONFLICT (browser, attempt) DO UPDATE
             SET created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
             WHERE {t}.expires_at <= $3",
            t = self.table
        );
        let inserted = self
            .bounded(
                sqlx::query(&statement)
                    .bind(key.browser())
                    .bind(key.attempt())
                    .bind(now)
                    .bind(expires_at)
                    .execute(&self.pool),
            )
            .await?
            .rows_affected();
        self.purge_if_due(now);
        Ok(inserted == 1)
    }
}
