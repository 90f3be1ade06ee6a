//! [`SqliteLinks`]: member links in an embedded SQLite database (the default store). Writes run
//! in `BEGIN IMMEDIATE` transactions, so concurrent links queue on SQLite's write lock and the
//! unique constraints decide.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use async_trait::async_trait;
use sqlx::sqlite::{Sqlite, SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Row, Transaction};
use time::OffsetDateTime;

use super::{MIGRATIONS_SUBJECT, MIGRATIONS_TABLE, SqlLinksError, sql_member_links};
use crate::link::{
    AuditAction, AuditEvent, Link, LinkCause, LinkError, LinkKey, MemberLinks, SweepLinks,
    UserTokens,
};
use crate::sql_migrations::{self, Migration};
use crate::token_crypto::TokenProtection;

/// Connections kept by [`SqliteLinks::connect`] for a database file.
const FILE_POOL_CONNECTIONS_MAX: u32 = 4;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "member links and audit",
        sql: include_str!("../../../migrations/link/sqlite/0001_member_links.sql"),
    },
    Migration {
        version: 2,
        description: "encrypted link tokens",
        sql: include_str!("../../../migrations/link/sqlite/0002_encrypted_tokens.sql"),
    },
];

async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Member links in SQLite: tables `line_login_member_links` (one row per link; `member_id` is the
/// primary key and `line_user_id` is unique, so one LINE user maps to one member and back) and
/// `line_login_link_audit` (every link and unlink with its cause). The tokens are encrypted with
/// the key ring of the [`TokenProtection`] given at construction (see [`crate::link`]).
///
/// ```
/// use line_login::link::{LinkCause, LinkKey, MemberLinks, SqliteLinks};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use line_login::token_crypto::{TokenKey, TokenKeyRing, TokenProtection};
/// let keys = TokenKeyRing::new(TokenKey::generate().unwrap()); // or config.token_protection()
/// let protection = TokenProtection::Encrypted(keys);
/// let links = SqliteLinks::<String>::connect("sqlite::memory:", protection).await.unwrap();
/// links.link(&"m-1".to_owned(), "U0123", None, &LinkCause::member()).await.unwrap();
/// assert_eq!(links.member_for("U0123").await.unwrap().as_deref(), Some("m-1"));
/// let trail = links.audit(LinkKey::LineUser("U0123")).await.unwrap();
/// assert_eq!(trail[0].cause, "member");
/// # });
/// ```
pub struct SqliteLinks<M = String> {
    pool: SqlitePool,
    protection: TokenProtection,
    member: PhantomData<fn() -> M>,
}

impl<M> Clone for SqliteLinks<M> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            protection: self.protection.clone(),
            member: PhantomData,
        }
    }
}

impl<M> fmt::Debug for SqliteLinks<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteLinks").finish_non_exhaustive()
    }
}

impl<M> SqliteLinks<M> {
    /// A store on an existing pool. Run [`SqliteLinks::migrate`] once before use.
    ///
    /// `protection` comes from [`Config::token_protection`](crate::Config::token_protection):
    /// the key ring that encrypts the tokens, or plain text if the app opted in.
    pub fn new(pool: SqlitePool, protection: TokenProtection) -> Self {
        Self {
            pool,
            protection,
            member: PhantomData,
        }
    }

    /// Opens (creating if missing) the database at `url` (`sqlite://links.db`,
    /// `sqlite://path?mode=rwc`, or `sqlite::memory:`) and runs the migrations. An in-memory
    /// database keeps one connection for the pool's whole life, so it is not lost.
    ///
    /// Fails with [`SqlLinksError::Database`] when the URL is invalid, the file cannot be
    /// opened, or a migration fails.
    pub async fn connect(url: &str, protection: TokenProtection) -> Result<Self, SqlLinksError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            // Plain tokens replaced by their encryption are zeroed, not left in free pages.
            .pragma("secure_delete", "ON");
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = if in_memory {
            SqlitePoolOptions::new()
                .min_connections(1)
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(FILE_POOL_CONNECTIONS_MAX)
        }
        .connect_with(options)
        .await?;
        let links = Self::new(pool, protection);
        links.migrate().await?;
        Ok(links)
    }

    /// Creates or upgrades the tables (idempotent; safe to run from several processes, which
    /// queue on SQLite's write lock). Applied versions are kept in `line_login_link_migrations`.
    pub async fn migrate(&self) -> Result<(), SqlLinksError> {
        sql_migrations::run_sqlite(
            &self.pool,
            MIGRATIONS_TABLE,
            MIGRATIONS_SUBJECT,
            MIGRATIONS,
            std::convert::identity,
        )
        .await?;
        Ok(())
    }

    /// The pool, to share it with the app.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

sql_member_links!(SqliteLinks, Sqlite);
