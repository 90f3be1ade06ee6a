//! [`PostgresLinks`]: member links in PostgreSQL, for several app instances sharing one store.
//! Concurrent links of one LINE user wait on the unique index; exactly one commits.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions, Postgres};
use sqlx::{Row, Transaction};
use time::OffsetDateTime;

use super::{MIGRATIONS_SUBJECT, MIGRATIONS_TABLE, SqlLinksError, sql_member_links};
use crate::link::{
    AuditAction, AuditEvent, Link, LinkCause, LinkError, LinkKey, MemberLinks, SweepLinks,
    UserTokens,
};
use crate::sql_migrations::{self, Migration};
use crate::token_crypto::TokenProtection;

/// Connections kept by [`PostgresLinks::connect`].
const POOL_CONNECTIONS_MAX: u32 = 8;
/// The advisory lock that serializes migrations across instances ("LINE_LNK").
const MIGRATION_LOCK_KEY: i64 = 0x4c49_4e45_5f4c_4e4b;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "member links and audit",
        sql: include_str!("../../../migrations/link/postgres/0001_member_links.sql"),
    },
    Migration {
        version: 2,
        description: "encrypted link tokens",
        sql: include_str!("../../../migrations/link/postgres/0002_encrypted_tokens.sql"),
    },
];

async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    pool.begin().await
}

/// Member links in PostgreSQL: the same tables as [`SqliteLinks`](super::SqliteLinks)
/// (`line_login_member_links` with `member_id` as primary key and a unique `line_user_id`, and
/// `line_login_link_audit`), created in the connection's current schema (`search_path`). The
/// tokens are encrypted with the key ring of the [`TokenProtection`] given at construction (see
/// [`crate::link`]).
///
/// ```no_run
/// use line_login::link::{MemberInSession, PostgresLinks};
/// # async fn run(layer: line_login::LineLoginLayer) -> Result<(), Box<dyn std::error::Error>> {
/// let config = line_login::Config::from_env()?; // with LINE_LOGIN_TOKEN_KEY
/// let links = PostgresLinks::<i64>::connect("postgres://app@db/app", config.token_protection()?)
///     .await?;
/// let layer = layer.member_links(links, MemberInSession("member_id"));
/// # let _ = layer; Ok(()) }
/// ```
pub struct PostgresLinks<M = String> {
    pool: PgPool,
    protection: TokenProtection,
    member: PhantomData<fn() -> M>,
}

impl<M> Clone for PostgresLinks<M> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            protection: self.protection.clone(),
            member: PhantomData,
        }
    }
}

impl<M> fmt::Debug for PostgresLinks<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresLinks").finish_non_exhaustive()
    }
}

impl<M> PostgresLinks<M> {
    /// A store on an existing pool. Run [`PostgresLinks::migrate`] once before use.
    ///
    /// `protection` comes from [`Config::token_protection`](crate::Config::token_protection):
    /// the key ring that encrypts the tokens, or plain text if the app opted in.
    pub fn new(pool: PgPool, protection: TokenProtection) -> Self {
        Self {
            pool,
            protection,
            member: PhantomData,
        }
    }

    /// Connects to `url` (`postgres://user:password@host/db`) and runs the migrations.
    ///
    /// Fails with [`SqlLinksError::Database`] when the URL is invalid, the server cannot be
    /// reached, or a migration fails.
    pub async fn connect(url: &str, protection: TokenProtection) -> Result<Self, SqlLinksError> {
        let pool = PgPoolOptions::new()
            .max_connections(POOL_CONNECTIONS_MAX)
            .connect(url)
            .await?;
        let links = Self::new(pool, protection);
        links.migrate().await?;
        Ok(links)
    }

    /// Creates or upgrades the tables in one transaction (idempotent; instances starting
    /// together queue on an advisory lock). Applied versions are kept in
    /// `line_login_link_migrations`.
    pub async fn migrate(&self) -> Result<(), SqlLinksError> {
        sql_migrations::run_postgres(
            &self.pool,
            MIGRATIONS_TABLE,
            MIGRATIONS_SUBJECT,
            MIGRATION_LOCK_KEY,
            MIGRATIONS,
        )
        .await?;
        Ok(())
    }

    /// The pool, to share it with the app.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

sql_member_links!(PostgresLinks, Postgres);
