//! Saved API logs in SQL: [`SqlApiLogSink`] keeps every [`ApiCallRecord`] in the table
//! `line_login_api_log` of a SQLite or PostgreSQL database, and the layer's authorization and
//! callback records ([`crate::login_log`]) in `line_login_authorize_log` and
//! `line_login_callback_log`, written by a background task so that
//! logging never blocks or fails a login, with a retention period and a purge.
//!
//! ```
//! use std::sync::Arc;
//! use line_login::api::LineApi;
//! use line_login::api_log::{ApiLogOptions, SqlApiLogSink};
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! # let config = line_login::Config::builder("1", "s", "https://e.com/cb").build().unwrap();
//! let options = ApiLogOptions::default().retention(std::time::Duration::from_secs(180 * 86_400));
//! let sink = SqlApiLogSink::connect("sqlite::memory:", options).await.unwrap();
//! let api = LineApi::new(&config).unwrap().with_log_sink(Arc::new(sink.clone()));
//! // ... serve; once a day:
//! let purged = sink.purge().await.unwrap();
//! # assert_eq!(purged, 0);
//! // at shutdown, so that nothing queued is lost:
//! sink.flush().await.unwrap();
//! # let _ = api; });
//! ```
//!
//! Migrations are tracked in their own table, `line_login_api_log_migrations`, like the member
//! links' (`migrations/api_log/{sqlite,postgres}`).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use crate::api::{ApiCallRecord, ApiLogSink};
use crate::login_log::{AuthorizationRecord, CallbackRecord};
use crate::sql_migrations::{self, Migration};

/// How long records are kept by default before [`SqlApiLogSink::purge`] removes them.
pub const DEFAULT_API_LOG_RETENTION: Duration = Duration::from_secs(90 * 86_400);
/// Records that may wait for the writer by default; more are dropped (and counted).
pub const DEFAULT_API_LOG_QUEUE_RECORDS: usize = 10_000;
/// Records the writer stores in one transaction at most.
const WRITE_BATCH_RECORDS_MAX: usize = 256;
/// A dropped record is logged as a warning the first time and then once per this many.
const DROP_WARNING_EVERY_RECORDS: u64 = 1_000;
/// Connections kept by [`SqlApiLogSink::connect`] for a database file or server.
const POOL_CONNECTIONS_MAX: u32 = 4;
/// The advisory lock that serializes API-log migrations across PostgreSQL clients ("LINE_LOG").
#[cfg(feature = "postgres")]
const MIGRATION_LOCK_KEY: i64 = 0x4c49_4e45_5f4c_4f47;
/// Where applied API-log migrations are recorded.
const MIGRATIONS_TABLE: &str = "line_login_api_log_migrations";
/// Names the API-log migrations in the log ("API log migration applied").
const MIGRATIONS_SUBJECT: &str = "API log";

#[cfg(feature = "sqlite")]
const SQLITE_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "API log",
        sql: include_str!("../migrations/api_log/sqlite/0001_api_log.sql"),
    },
    Migration {
        version: 2,
        description: "authorization and callback logs",
        sql: include_str!("../migrations/api_log/sqlite/0002_login_logs.sql"),
    },
];

#[cfg(feature = "postgres")]
const POSTGRES_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "API log",
        sql: include_str!("../migrations/api_log/postgres/0001_api_log.sql"),
    },
    Migration {
        version: 2,
        description: "authorization and callback logs",
        sql: include_str!("../migrations/api_log/postgres/0002_login_logs.sql"),
    },
];

const INSERT: &str = "INSERT INTO line_login_api_log \
     (at, endpoint, method, status, request_id, latency_ms, outcome) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
const PURGE: &str = "DELETE FROM line_login_api_log WHERE at < $1";
const PURGE_AUTHORIZE: &str = "DELETE FROM line_login_authorize_log WHERE at < $1";
const PURGE_CALLBACK: &str = "DELETE FROM line_login_callback_log WHERE at < $1";
const INSERT_AUTHORIZE: &str = "INSERT INTO line_login_authorize_log \
     (at, url, state_hash, purpose, raw_url) VALUES ($1, $2, $3, $4, $5)";
const INSERT_CALLBACK: &str = "INSERT INTO line_login_callback_log \
     (at, method, parameters, state_hash, code_hash, error, raw_query) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
const RECENT_AUTHORIZE: &str = "SELECT at, url, state_hash, purpose, raw_url \
     FROM line_login_authorize_log ORDER BY id DESC LIMIT $1";
const RECENT_CALLBACK: &str = "SELECT at, method, parameters, state_hash, code_hash, error, \
     raw_query FROM line_login_callback_log ORDER BY id DESC LIMIT $1";
const RECENT: &str = "SELECT at, endpoint, method, status, request_id, latency_ms, outcome \
     FROM line_login_api_log ORDER BY id DESC LIMIT $1";

/// Why the SQL API log failed. Never carries a database URL or password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiLogError {
    /// The database failed (connection, migration, query).
    #[error("API log database error")]
    Database(#[from] sqlx::Error),
    /// The background writer is gone (its runtime shut down).
    #[error("the API log writer has stopped")]
    WriterStopped,
    /// The URL is neither `sqlite:` nor `postgres://` (or that backend's feature is off).
    #[error("unsupported API log database URL scheme {0:?}: use sqlite: or postgres://")]
    UnsupportedUrl(String),
    /// A stored time cannot be read back.
    #[error("a stored API log time is unreadable")]
    BadTimestamp,
}

/// Settings of a [`SqlApiLogSink`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiLogOptions {
    /// How long records are kept ([`SqlApiLogSink::purge`]); default 90 days.
    pub retention: Duration,
    /// How many records may wait for the writer; default 10 000. When the database is slower
    /// than LINE calls for that long, further records are dropped and counted
    /// ([`SqlApiLogSink::dropped`]), never blocking a login.
    pub queue_records: usize,
}

impl Default for ApiLogOptions {
    fn default() -> Self {
        Self {
            retention: DEFAULT_API_LOG_RETENTION,
            queue_records: DEFAULT_API_LOG_QUEUE_RECORDS,
        }
    }
}

impl ApiLogOptions {
    /// Sets the retention period.
    #[must_use]
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Sets the queue size (at least 1).
    #[must_use]
    pub fn queue_records(mut self, records: usize) -> Self {
        self.queue_records = records.max(1);
        self
    }
}

/// One stored row of `line_login_api_log`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredApiCall {
    /// When the call started (UTC, microseconds).
    pub at: OffsetDateTime,
    /// Short endpoint name, e.g. `token`.
    pub endpoint: String,
    /// `GET` or `POST`.
    pub method: String,
    /// The HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// LINE's `x-line-request-id`.
    pub request_id: Option<String>,
    /// Latency in milliseconds.
    pub latency_ms: u64,
    /// `ok`, LINE's error code (or `http_<status>`), `transport`, `timeout` or
    /// `unexpected_body` (see [`ApiOutcome::as_str`](crate::api::ApiOutcome::as_str)).
    pub outcome: String,
}

/// One stored row of `line_login_authorize_log` (see
/// [`AuthorizationRecord`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredAuthorization {
    /// When the login started (UTC, microseconds).
    pub at: OffsetDateTime,
    /// The authorization URL without the values of `state`, `nonce` and `code_challenge`.
    pub url: String,
    /// The keyed hash of the state.
    pub state_hash: String,
    /// `login` or `link`.
    pub purpose: String,
    /// The raw URL, only with the raw-values opt-in.
    pub raw_url: Option<String>,
}

/// One stored row of `line_login_callback_log` (see
/// [`CallbackRecord`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredCallback {
    /// When the callback arrived (UTC, microseconds).
    pub at: OffsetDateTime,
    /// The HTTP method.
    pub method: String,
    /// The query's parameter names, comma-separated.
    pub parameters: String,
    /// The keyed hash of the state.
    pub state_hash: Option<String>,
    /// The keyed hash of the code.
    pub code_hash: Option<String>,
    /// LINE's error code.
    pub error: Option<String>,
    /// The raw query, only with the raw-values opt-in.
    pub raw_query: Option<String>,
}

/// One record waiting for the writer.
enum Entry {
    Call(ApiCallRecord),
    Authorization(AuthorizationRecord),
    Callback(CallbackRecord),
}

#[derive(Clone)]
enum Db {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

enum Command {
    Record(Entry),
    Flush(oneshot::Sender<()>),
}

#[derive(Default)]
struct Counters {
    dropped: AtomicU64,
    write_failures: AtomicU64,
}

/// An [`ApiLogSink`] that saves every call record in `line_login_api_log` (SQLite or
/// PostgreSQL). [`ApiLogSink::record`] only queues the record (bounded; a full queue drops it
/// with a counted warning); a background task writes queued records in batches. Cheap to clone.
///
/// Install it with [`LineApi::with_log_sink`](crate::api::LineApi::with_log_sink), call
/// [`SqlApiLogSink::purge`] periodically (or [`SqlApiLogSink::spawn_purge_task`]) and
/// [`SqlApiLogSink::flush`] at shutdown.
#[derive(Clone)]
pub struct SqlApiLogSink {
    queue: mpsc::Sender<Command>,
    db: Db,
    retention: Duration,
    counters: Arc<Counters>,
}

impl fmt::Debug for SqlApiLogSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = match &self.db {
            #[cfg(feature = "sqlite")]
            Db::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Db::Postgres(_) => "postgres",
        };
        f.debug_struct("SqlApiLogSink")
            .field("backend", &backend)
            .field("retention", &self.retention)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl SqlApiLogSink {
    /// A sink on an existing SQLite pool: runs the migrations, then starts the writer on the
    /// current tokio runtime. Fails with [`ApiLogError::Database`] when a migration fails.
    #[cfg(feature = "sqlite")]
    pub async fn sqlite(
        pool: sqlx::SqlitePool,
        options: ApiLogOptions,
    ) -> Result<Self, ApiLogError> {
        let db = Db::Sqlite(pool);
        db.migrate().await?;
        Ok(Self::start(db, options))
    }

    /// A sink on an existing PostgreSQL pool (tables in the connection's `search_path`): runs
    /// the migrations, then starts the writer on the current tokio runtime. Fails with
    /// [`ApiLogError::Database`] when a migration fails.
    #[cfg(feature = "postgres")]
    pub async fn postgres(pool: sqlx::PgPool, options: ApiLogOptions) -> Result<Self, ApiLogError> {
        let db = Db::Postgres(pool);
        db.migrate().await?;
        Ok(Self::start(db, options))
    }

    /// Opens `url` (`sqlite://api_log.db`, `sqlite::memory:`, `postgres://user:pw@host/db`),
    /// runs the migrations and starts the writer. An in-memory SQLite database keeps one
    /// connection for the pool's whole life, so it is not lost.
    ///
    /// Fails with [`ApiLogError::UnsupportedUrl`] for another scheme and
    /// [`ApiLogError::Database`] when the database cannot be opened or migrated.
    pub async fn connect(url: &str, options: ApiLogOptions) -> Result<Self, ApiLogError> {
        let scheme = url.split(':').next().unwrap_or("").to_ascii_lowercase();
        match scheme.as_str() {
            #[cfg(feature = "sqlite")]
            "sqlite" => {
                use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
                let connect = url.parse::<SqliteConnectOptions>()?.create_if_missing(true);
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                let pool = if in_memory {
                    SqlitePoolOptions::new()
                        .min_connections(1)
                        .max_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None)
                } else {
                    SqlitePoolOptions::new().max_connections(POOL_CONNECTIONS_MAX)
                }
                .connect_with(connect)
                .await?;
                Self::sqlite(pool, options).await
            }
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(POOL_CONNECTIONS_MAX)
                    .connect(url)
                    .await?;
                Self::postgres(pool, options).await
            }
            _ => Err(ApiLogError::UnsupportedUrl(
                scheme
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(16)
                    .collect(),
            )),
        }
    }

    fn start(db: Db, options: ApiLogOptions) -> Self {
        let (queue, receiver) = mpsc::channel(options.queue_records.max(1));
        let counters = Arc::new(Counters::default());
        tokio::spawn(run_writer(receiver, db.clone(), counters.clone()));
        Self {
            queue,
            db,
            retention: options.retention,
            counters,
        }
    }

    /// The retention period [`SqlApiLogSink::purge`] applies.
    pub fn retention(&self) -> Duration {
        self.retention
    }

    /// Records dropped because the queue was full (or the writer gone) since start.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// Records lost because the database refused a write since start (each failure is logged).
    pub fn write_failures(&self) -> u64 {
        self.counters.write_failures.load(Ordering::Relaxed)
    }

    /// Waits until every record queued before this call has been written (or its write has
    /// failed, see [`SqlApiLogSink::write_failures`]). For tests and shutdown. Fails with
    /// [`ApiLogError::WriterStopped`] when the writer is gone.
    pub async fn flush(&self) -> Result<(), ApiLogError> {
        let (done, wait) = oneshot::channel();
        self.queue
            .send(Command::Flush(done))
            .await
            .map_err(|_| ApiLogError::WriterStopped)?;
        wait.await.map_err(|_| ApiLogError::WriterStopped)
    }

    /// Deletes the records older than the retention period; returns how many.
    pub async fn purge(&self) -> Result<u64, ApiLogError> {
        self.purge_older_than(self.retention).await
    }

    /// Deletes the records older than `age` (started before now − `age`); keeps exactly the
    /// younger ones. Returns how many were deleted.
    pub async fn purge_older_than(&self, age: Duration) -> Result<u64, ApiLogError> {
        purge_older_than(&self.db, age).await
    }

    /// Deletes the records that started before `cutoff`; returns how many.
    pub async fn purge_before(&self, cutoff: OffsetDateTime) -> Result<u64, ApiLogError> {
        self.db.purge_before(cutoff).await
    }

    /// The latest `limit` stored records, oldest first.
    pub async fn recent(&self, limit: usize) -> Result<Vec<StoredApiCall>, ApiLogError> {
        let mut rows = self
            .db
            .recent(i64::try_from(limit).unwrap_or(i64::MAX))
            .await?;
        rows.reverse();
        Ok(rows)
    }

    /// The latest `limit` stored authorization requests, oldest first.
    pub async fn recent_authorizations(
        &self,
        limit: usize,
    ) -> Result<Vec<StoredAuthorization>, ApiLogError> {
        let mut rows = self
            .db
            .recent_authorizations(i64::try_from(limit).unwrap_or(i64::MAX))
            .await?;
        rows.reverse();
        Ok(rows)
    }

    /// The latest `limit` stored callbacks, oldest first.
    pub async fn recent_callbacks(&self, limit: usize) -> Result<Vec<StoredCallback>, ApiLogError> {
        let mut rows = self
            .db
            .recent_callbacks(i64::try_from(limit).unwrap_or(i64::MAX))
            .await?;
        rows.reverse();
        Ok(rows)
    }

    /// Queues one entry; never blocks. A full queue drops it with a counted warning.
    fn queue(&self, entry: Entry, what: &'static str) {
        if self.queue.try_send(Command::Record(entry)).is_err() {
            let dropped = self.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped == 1 || dropped.is_multiple_of(DROP_WARNING_EVERY_RECORDS) {
                tracing::warn!(
                    dropped_total = dropped,
                    record = what,
                    "API log queue full or writer stopped: record dropped"
                );
            }
        }
    }

    /// Purges every `every` (first right away) on the current runtime, logging how many records
    /// went and any failure. Abort the handle to stop it; it does not keep the writer alive.
    pub fn spawn_purge_task(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let db = self.db.clone();
        let retention = self.retention;
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every.max(Duration::from_secs(1)));
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match purge_older_than(&db, retention).await {
                    Ok(purged) => tracing::info!(purged, "API log purged"),
                    Err(error) => {
                        tracing::warn!(error = %crate::log_safe::Escaped(&error), "API log purge failed")
                    }
                }
            }
        })
    }
}

impl ApiLogSink for SqlApiLogSink {
    /// Queues the record; never blocks. A full queue drops it with a counted warning.
    fn record(&self, record: &ApiCallRecord) {
        self.queue(Entry::Call(record.clone()), record.endpoint.as_str());
    }

    /// Queues the record for `line_login_authorize_log`; never blocks.
    fn record_authorization(&self, record: &AuthorizationRecord) {
        self.queue(Entry::Authorization(record.clone()), "authorization");
    }

    /// Queues the record for `line_login_callback_log`; never blocks.
    fn record_callback(&self, record: &CallbackRecord) {
        self.queue(Entry::Callback(record.clone()), "callback");
    }

    fn is_persistent(&self) -> bool {
        true
    }
}

async fn purge_older_than(db: &Db, age: Duration) -> Result<u64, ApiLogError> {
    let cutoff = time::Duration::try_from(age)
        .ok()
        .and_then(|age| OffsetDateTime::now_utc().checked_sub(age));
    match cutoff {
        Some(cutoff) => db.purge_before(cutoff).await,
        // Older than the calendar allows: nothing is that old.
        None => Ok(0),
    }
}

/// Writes queued records in batches until every sender is gone; answers flushes after the
/// records queued before them.
async fn run_writer(mut receiver: mpsc::Receiver<Command>, db: Db, counters: Arc<Counters>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = Vec::new();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(command) = next {
            match command {
                Command::Record(entry) => batch.push(entry),
                Command::Flush(done) => flushes.push(done),
            }
            next = if batch.len() < WRITE_BATCH_RECORDS_MAX {
                receiver.try_recv().ok()
            } else {
                None
            };
        }
        if !batch.is_empty()
            && let Err(error) = db.insert(&batch).await
        {
            counters
                .write_failures
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            tracing::warn!(error = %crate::log_safe::Escaped(&error), records = batch.len(), "writing the API log failed");
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

fn latency_ms(record: &ApiCallRecord) -> i64 {
    i64::try_from(record.latency.as_millis()).unwrap_or(i64::MAX)
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC: fixed width, so text order is time order.
#[cfg(feature = "sqlite")]
fn sqlite_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

/// Runs `$sql`, bound to `$limit`, on whichever database `$db` is, and builds each row with
/// `$build` from the row and its `at` column (text on SQLite, a timestamp on PostgreSQL).
macro_rules! fetch_recent {
    ($db:expr, $sql:expr, $limit:expr, |$row:ident, $at:ident| $build:expr) => {{
        use sqlx::Row as _;
        match $db {
            #[cfg(feature = "sqlite")]
            Db::Sqlite(pool) => {
                let rows = sqlx::query($sql).bind($limit).fetch_all(pool).await?;
                rows.iter()
                    .map(|$row| {
                        let text: String = $row.try_get("at")?;
                        let $at = parse_sqlite_time(&text)?;
                        $build
                    })
                    .collect()
            }
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => {
                let rows = sqlx::query($sql).bind($limit).fetch_all(pool).await?;
                rows.iter()
                    .map(|$row| {
                        let $at: OffsetDateTime = $row.try_get("at")?;
                        $build
                    })
                    .collect()
            }
        }
    }};
}

#[cfg(feature = "sqlite")]
fn parse_sqlite_time(text: &str) -> Result<OffsetDateTime, ApiLogError> {
    let bytes = text.as_bytes();
    if bytes.len() != 27 || bytes[10] != b'T' || bytes[26] != b'Z' {
        return Err(ApiLogError::BadTimestamp);
    }
    let num = |from: usize, to: usize| -> Result<u32, ApiLogError> {
        text.get(from..to)
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse().ok())
            .ok_or(ApiLogError::BadTimestamp)
    };
    let small = |v: u32| u8::try_from(v).map_err(|_| ApiLogError::BadTimestamp);
    let year = i32::try_from(num(0, 4)?).map_err(|_| ApiLogError::BadTimestamp)?;
    let month = time::Month::try_from(small(num(5, 7)?)?).map_err(|_| ApiLogError::BadTimestamp)?;
    let date = time::Date::from_calendar_date(year, month, small(num(8, 10)?)?)
        .map_err(|_| ApiLogError::BadTimestamp)?;
    let clock = time::Time::from_hms_micro(
        small(num(11, 13)?)?,
        small(num(14, 16)?)?,
        small(num(17, 19)?)?,
        num(20, 26)?,
    )
    .map_err(|_| ApiLogError::BadTimestamp)?;
    Ok(time::PrimitiveDateTime::new(date, clock).assume_utc())
}

impl Db {
    async fn migrate(&self) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "sqlite")]
            Db::Sqlite(pool) => {
                sql_migrations::run_sqlite(
                    pool,
                    MIGRATIONS_TABLE,
                    MIGRATIONS_SUBJECT,
                    SQLITE_MIGRATIONS,
                    sqlite_time,
                )
                .await
            }
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => {
                sql_migrations::run_postgres(
                    pool,
                    MIGRATIONS_TABLE,
                    MIGRATIONS_SUBJECT,
                    MIGRATION_LOCK_KEY,
                    POSTGRES_MIGRATIONS,
                )
                .await
            }
        }
    }

    async fn insert(&self, batch: &[Entry]) -> Result<(), sqlx::Error> {
        /// Binds and runs one entry's insert on `$tx`, with `$time` turning a time into the
        /// backend's column value.
        macro_rules! insert_entry {
            ($tx:expr, $entry:expr, $time:expr) => {
                match $entry {
                    Entry::Call(record) => {
                        sqlx::query(INSERT)
                            .bind($time(record.at))
                            .bind(record.endpoint.as_str())
                            .bind(record.method)
                            .bind(record.status.map(i32::from))
                            .bind(record.request_id.as_deref())
                            .bind(latency_ms(record))
                            .bind(record.outcome.as_str())
                            .execute(&mut *$tx)
                            .await?;
                    }
                    Entry::Authorization(record) => {
                        sqlx::query(INSERT_AUTHORIZE)
                            .bind($time(record.at))
                            .bind(record.url.as_str())
                            .bind(record.state_hash.as_str())
                            .bind(record.purpose)
                            .bind(record.raw_url.as_deref())
                            .execute(&mut *$tx)
                            .await?;
                    }
                    Entry::Callback(record) => {
                        sqlx::query(INSERT_CALLBACK)
                            .bind($time(record.at))
                            .bind(record.method.as_str())
                            .bind(record.parameters.as_str())
                            .bind(record.state_hash.as_deref())
                            .bind(record.code_hash.as_deref())
                            .bind(record.error.as_deref())
                            .bind(record.raw_query.as_deref())
                            .execute(&mut *$tx)
                            .await?;
                    }
                }
            };
        }
        match self {
            #[cfg(feature = "sqlite")]
            Db::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                for entry in batch {
                    insert_entry!(tx, entry, sqlite_time);
                }
                tx.commit().await
            }
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for entry in batch {
                    insert_entry!(tx, entry, std::convert::identity::<OffsetDateTime>);
                }
                tx.commit().await
            }
        }
    }

    /// Deletes the rows of the three logs older than `cutoff`; returns how many.
    async fn purge_before(&self, cutoff: OffsetDateTime) -> Result<u64, ApiLogError> {
        let mut done = 0;
        for purge in [PURGE, PURGE_AUTHORIZE, PURGE_CALLBACK] {
            done += match self {
                #[cfg(feature = "sqlite")]
                Db::Sqlite(pool) => sqlx::query(purge)
                    .bind(sqlite_time(cutoff))
                    .execute(pool)
                    .await?
                    .rows_affected(),
                #[cfg(feature = "postgres")]
                Db::Postgres(pool) => sqlx::query(purge)
                    .bind(cutoff)
                    .execute(pool)
                    .await?
                    .rows_affected(),
            };
        }
        Ok(done)
    }

    async fn recent_authorizations(
        &self,
        limit: i64,
    ) -> Result<Vec<StoredAuthorization>, ApiLogError> {
        fetch_recent!(self, RECENT_AUTHORIZE, limit, |row, at| {
            Ok(StoredAuthorization {
                at,
                url: row.try_get("url")?,
                state_hash: row.try_get("state_hash")?,
                purpose: row.try_get("purpose")?,
                raw_url: row.try_get("raw_url")?,
            })
        })
    }

    async fn recent_callbacks(&self, limit: i64) -> Result<Vec<StoredCallback>, ApiLogError> {
        fetch_recent!(self, RECENT_CALLBACK, limit, |row, at| {
            Ok(StoredCallback {
                at,
                method: row.try_get("method")?,
                parameters: row.try_get("parameters")?,
                state_hash: row.try_get("state_hash")?,
                code_hash: row.try_get("code_hash")?,
                error: row.try_get("error")?,
                raw_query: row.try_get("raw_query")?,
            })
        })
    }

    async fn recent(&self, limit: i64) -> Result<Vec<StoredApiCall>, ApiLogError> {
        fetch_recent!(self, RECENT, limit, |row, at| {
            let status: Option<i32> = row.try_get("status")?;
            let latency: i64 = row.try_get("latency_ms")?;
            Ok(StoredApiCall {
                at,
                endpoint: row.try_get("endpoint")?,
                method: row.try_get("method")?,
                status: status.and_then(|s| u16::try_from(s).ok()),
                request_id: row.try_get("request_id")?,
                latency_ms: u64::try_from(latency).unwrap_or(0),
                outcome: row.try_get("outcome")?,
            })
        })
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    #[test]
    fn sqlite_times_are_fixed_width_utc_and_read_back() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789)
            .unwrap()
            .to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap());
        let text = sqlite_time(at);
        assert_eq!(text, "2023-11-14T22:13:20.123456Z");
        let back = parse_sqlite_time(&text).unwrap();
        assert_eq!(back.unix_timestamp_nanos(), 1_700_000_000_123_456_000);
        // Whole seconds keep their six zeros, so text order stays time order.
        let whole = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert!(sqlite_time(whole) < sqlite_time(whole + time::Duration::microseconds(1)));
        assert_eq!(sqlite_time(whole).len(), text.len());
        for bad in [
            "",
            "2023-11-14 22:13:20.123456Z",
            "2023-13-14T22:13:20.123456Z",
        ] {
            assert!(parse_sqlite_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn options_keep_a_queue_of_at_least_one() {
        let options = ApiLogOptions::default().queue_records(0);
        assert_eq!(options.queue_records, 1);
        assert_eq!(options.retention, DEFAULT_API_LOG_RETENTION);
    }

    #[tokio::test]
    async fn unknown_url_schemes_are_refused_without_the_url() {
        let err = SqlApiLogSink::connect("mysql://user:hunter2@db/app", ApiLogOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(&err, ApiLogError::UnsupportedUrl(s) if s == "mysql"));
        assert!(!format!("{err} {err:?}").contains("hunter2"));
    }
}
