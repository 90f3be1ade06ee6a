//! Choosing the stores at start-up from one URL (`SESSION_STORE_URL`): in memory, Redis or
//! PostgreSQL behind one [`AnySessionStore`], so several instances of a site share sessions, and
//! the [attempt store](attempts) on the same connection ([`AnySessionStore::attempts`]), so a
//! login's code is spent once whichever instances its callback's copies reach.
//!
//! Whatever the backend, a session deleted by a logout (or replaced when a login cycles its id)
//! stays deleted: `save` only updates an existing record and only `create` inserts, so a request
//! that loaded the session before the delete cannot write it back. A second `save` of a record
//! this process has just written unchanged is skipped, so one login step is one write.
//!
//! ```no_run
//! use line_login::{Config, LineLoginLayer, session::session_layer, store};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::from_env()?;
//! // Unset: in memory (one instance only). `redis://...` or `postgres://...`: shared.
//! let sessions = store::session_store_from_env().await?;
//! let app: axum::Router = axum::Router::new()
//!     .route("/", axum::routing::get(|| async { "home" }))
//!     .layer(LineLoginLayer::new(config.clone())?.attempt_store(sessions.attempts()))
//!     .layer(session_layer(sessions, &config));
//! # let _ = app;
//! # Ok(()) }
//! ```

pub mod attempts;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis-store")]
mod redis;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;
use url::Url;

#[cfg(feature = "redis-store")]
use tower_sessions_redis_store::{
    RedisStore,
    fred::clients::{Pool, WithOptions},
};
#[cfg(feature = "postgres")]
use tower_sessions_sqlx_store::PostgresStore;

use attempts::{AttemptStore, MemoryAttempts};
use memory::MemorySessions;

/// The environment variable [`session_store_from_env`] reads.
pub const SESSION_STORE_URL_VAR: &str = "SESSION_STORE_URL";
/// The environment variable [`session_store_from_env`] reads for a private CA (a PEM file) that
/// a `rediss://` server's certificate must chain to, instead of the system roots.
pub const SESSION_STORE_CA_FILE_VAR: &str = "SESSION_STORE_CA_FILE";
/// The URL schemes of Redis: one server, TLS, Redis Cluster and Sentinel (fred's URL syntax).
pub(crate) const REDIS_SCHEMES: [&str; 6] = [
    "redis",
    "rediss",
    "redis-cluster",
    "rediss-cluster",
    "redis-sentinel",
    "rediss-sentinel",
];
/// Default longest wait for one store operation; past it the request fails (503) instead of
/// hanging while the store is down.
pub const STORE_COMMAND_TIMEOUT: Duration = Duration::from_millis(1500);
/// Default longest wait for the first connection at start-up.
pub const STORE_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of connections to Redis, or the most connections to PostgreSQL.
pub const STORE_POOL_CONNECTIONS: usize = 8;
/// Shortest wait between two attempts to reconnect to Redis after an outage.
pub(crate) const REDIS_RECONNECT_DELAY_MIN_MS: u32 = 100;
/// Longest wait between two attempts to reconnect to Redis after an outage: service resumes at
/// most this long after Redis is back.
pub const REDIS_RECONNECT_DELAY_MAX_MS: u32 = 1000;
/// Default PostgreSQL schema of the session table (tower-sessions-sqlx-store's default).
pub const POSTGRES_SCHEMA_DEFAULT: &str = "tower_sessions";
/// Default PostgreSQL session table (tower-sessions-sqlx-store's default).
pub const POSTGRES_TABLE_DEFAULT: &str = "session";

/// Which backend an [`AnySessionStore`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// In this process's memory: sessions die with the process and are not shared between
    /// processes.
    Memory,
    /// Redis, through tower-sessions-redis-store.
    Redis,
    /// PostgreSQL, through tower-sessions-sqlx-store.
    Postgres,
}

impl StoreKind {
    /// `"memory"`, `"redis"` or `"postgres"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Memory => "memory",
            StoreKind::Redis => "redis",
            StoreKind::Postgres => "postgres",
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why no session store could be built. Messages never contain a password from the URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL does not parse.
    #[error(
        "the session store URL is not a valid URL ({reason}); expected redis://host:6379, rediss://host:6380, redis-cluster://host:7000?node=host:7001, redis-sentinel://host:26379?sentinelServiceName=name or postgres://user:password@host/db"
    )]
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// The URL's scheme names no supported store.
    #[error(
        "unsupported session store scheme {scheme:?}: use redis://, rediss://, redis-cluster://, rediss-cluster://, redis-sentinel://, rediss-sentinel://, postgres:// or postgresql://, or leave SESSION_STORE_URL unset for the in-memory store"
    )]
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
    },
    /// The store is supported but this build left its cargo feature out.
    #[error("{kind} session stores need the `{feature}` cargo feature of line-login")]
    FeatureDisabled {
        /// The store asked for.
        kind: StoreKind,
        /// The feature to enable.
        feature: &'static str,
    },
    /// The store could not be reached or configured at start-up.
    #[error("cannot connect to the {kind} session store at {location}: {reason}")]
    Connect {
        /// The store.
        kind: StoreKind,
        /// The URL with any password replaced by `***`.
        location: String,
        /// The backend's error, with any password replaced by `***`.
        reason: String,
    },
    /// The session table could not be created.
    #[error("cannot create the session table in {location}: {reason}")]
    Migrate {
        /// The URL with any password replaced by `***`.
        location: String,
        /// The database's error, with any password replaced by `***`.
        reason: String,
    },
    /// A [`StoreOptions`] value is unusable (e.g. a PostgreSQL table name that is not an
    /// identifier).
    #[error("invalid session store options: {reason}")]
    InvalidOptions {
        /// What is wrong.
        reason: String,
    },
    /// `SESSION_STORE_URL` or `SESSION_STORE_CA_FILE` is set but not valid Unicode.
    #[error("SESSION_STORE_URL or SESSION_STORE_CA_FILE is not valid Unicode")]
    NotUnicode,
    /// The private CA file (`SESSION_STORE_CA_FILE`) cannot be used.
    #[error("cannot use the session store CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// How to connect to a shared store. The defaults suit most sites.
///
/// ```
/// use std::time::Duration;
/// use line_login::store::StoreOptions;
/// let options = StoreOptions::default()
///     .command_timeout(Duration::from_secs(1))
///     .postgres_table("web_sessions");
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
pub struct StoreOptions {
    command_timeout: Duration,
    connect_timeout: Duration,
    pool_connections: usize,
    postgres_schema: String,
    postgres_table: String,
    ca_file: Option<std::path::PathBuf>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            command_timeout: STORE_COMMAND_TIMEOUT,
            connect_timeout: STORE_CONNECT_TIMEOUT,
            pool_connections: STORE_POOL_CONNECTIONS,
            postgres_schema: POSTGRES_SCHEMA_DEFAULT.to_owned(),
            postgres_table: POSTGRES_TABLE_DEFAULT.to_owned(),
            ca_file: None,
        }
    }
}

impl StoreOptions {
    /// Longest wait for one store operation (default [`STORE_COMMAND_TIMEOUT`]); past it the
    /// operation fails and the request answers 503. Zero is raised to one millisecond.
    #[must_use]
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Longest wait for the first connection (default [`STORE_CONNECT_TIMEOUT`]).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Redis connections, or the most PostgreSQL connections (default
    /// [`STORE_POOL_CONNECTIONS`], at least 1).
    #[must_use]
    pub fn pool_connections(mut self, connections: usize) -> Self {
        self.pool_connections = connections.max(1);
        self
    }

    /// PostgreSQL schema of the session table (default [`POSTGRES_SCHEMA_DEFAULT`]); created if
    /// missing. Checked when the store is built.
    #[must_use]
    pub fn postgres_schema(mut self, schema: impl Into<String>) -> Self {
        self.postgres_schema = schema.into();
        self
    }

    /// PostgreSQL session table (default [`POSTGRES_TABLE_DEFAULT`]); created if missing.
    /// Checked when the store is built.
    #[must_use]
    pub fn postgres_table(mut self, table: impl Into<String>) -> Self {
        self.postgres_table = table.into();
        self
    }

    /// A private CA (a PEM file of one or more certificates) that a `rediss://` server's
    /// certificate must chain to, instead of the system roots (the default). Only for TLS Redis
    /// URLs: with any other URL the store is refused ([`StoreError::InvalidOptions`]), so a
    /// forgotten `s` in `rediss://` fails at start-up instead of sending sessions in clear.
    /// [`session_store_from_env`] takes it from `SESSION_STORE_CA_FILE`.
    #[must_use]
    pub fn redis_ca_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }
}

/// A tower-sessions store chosen at run time: in memory, Redis or PostgreSQL. Clones share the
/// same store (the same memory, the same connection pool), and [`AnySessionStore::attempts`] the
/// attempt store on the same backend.
///
/// A deleted session is never recreated by a later `save` (see the [module docs](self)).
///
/// Every operation is bounded by the command timeout, so a store outage answers 503 quickly
/// instead of hanging; the Redis pool reconnects by itself, so service resumes when Redis is
/// back. `Debug` shows the URL with its password replaced by `***`.
///
/// Several instances of a site share sessions when they use the same Redis or PostgreSQL URL. The
/// memory store is shared only by clones within one process.
#[derive(Clone)]
pub struct AnySessionStore {
    inner: Inner,
    attempts: Arc<dyn AttemptStore>,
    location: String,
    command_timeout: Duration,
    recent: Arc<RecentWrites>,
}

#[derive(Clone)]
enum Inner {
    Memory(MemorySessions),
    #[cfg(feature = "redis-store")]
    Redis(RedisStore<WithOptions<Pool>>),
    #[cfg(feature = "postgres")]
    Postgres(postgres::PgSessions),
}

/// How long a record this process wrote stays "just written": a `save` of it unchanged within
/// this window is skipped (tower-sessions saves again on the way out what the layer already
/// saved). Skipping only delays the idle-expiry extension by at most this much.
pub(crate) const SESSION_REWRITE_SKIP_WINDOW: Duration = Duration::from_secs(30);
/// Records remembered as just written, at most; past it the memory is cleared.
const RECENT_WRITES_MAX: usize = 10_000;

/// Digests of the records this process wrote last, to skip saving them again unchanged.
#[derive(Default)]
struct RecentWrites {
    records: Mutex<HashMap<Id, (u64, Instant)>>,
    /// Operations (creates, saves, loads, deletes) that reached the backend.
    operations: std::sync::atomic::AtomicUsize,
}

impl RecentWrites {
    fn digest(record: &Record) -> u64 {
        use std::hash::{BuildHasher as _, Hasher as _};
        // Keyed per process: the digest only has to tell this process's own writes apart.
        static KEYS: std::sync::OnceLock<std::collections::hash_map::RandomState> =
            std::sync::OnceLock::new();
        let mut hasher = KEYS.get_or_init(Default::default).build_hasher();
        let mut entries: Vec<_> = record.data.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (key, value) in entries {
            hasher.write(key.as_bytes());
            hasher.write(value.to_string().as_bytes());
            hasher.write_u8(0);
        }
        hasher.finish()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Id, (u64, Instant)>> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn count(&self) {
        self.operations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Remembers that the record `id` with data `digest` ([`Self::digest`]) was just written.
    fn wrote(&self, id: Id, digest: u64) {
        let mut recent = self.lock();
        if recent.len() >= RECENT_WRITES_MAX {
            recent.clear();
        }
        recent.insert(id, (digest, Instant::now()));
    }

    /// Whether the record `id` was written with data `digest` within the skip window.
    fn is_unchanged(&self, id: &Id, digest: u64) -> bool {
        self.lock().get(id).is_some_and(|(written, at)| {
            *written == digest && at.elapsed() < SESSION_REWRITE_SKIP_WINDOW
        })
    }

    fn forget(&self, id: &Id) {
        self.lock().remove(id);
    }
}

impl fmt::Debug for AnySessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnySessionStore")
            .field("kind", &self.kind())
            .field("location", &self.location)
            .field("command_timeout", &self.command_timeout)
            .finish()
    }
}

impl Default for AnySessionStore {
    fn default() -> Self {
        Self::memory()
    }
}

impl AnySessionStore {
    /// A new, empty in-memory store (sessions and attempts), for one instance.
    pub fn memory() -> Self {
        Self {
            inner: Inner::Memory(MemorySessions::default()),
            attempts: Arc::new(MemoryAttempts::default()),
            location: "memory".to_owned(),
            command_timeout: STORE_COMMAND_TIMEOUT,
            recent: Arc::default(),
        }
    }

    /// The attempt store on the same backend and connection: give it to
    /// [`crate::LineLoginLayer::attempt_store`]. Every instance of a site must use the same one,
    /// or copies of one callback sent to two instances would each reach LINE.
    pub fn attempts(&self) -> Arc<dyn AttemptStore> {
        self.attempts.clone()
    }

    /// How many operations (creates, saves, loads, deletes) reached the backend since the store
    /// was built, shared by clones; saves skipped as unchanged are not counted. For monitoring
    /// and benchmarks.
    pub fn operations(&self) -> usize {
        self.recent
            .operations
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many session records the in-memory store holds (expired ones not yet swept
    /// included); `None` for a shared store.
    pub async fn memory_len(&self) -> Option<usize> {
        match &self.inner {
            Inner::Memory(store) => Some(store.len().await),
            #[cfg(any(feature = "redis-store", feature = "postgres"))]
            _ => None,
        }
    }

    /// The backend.
    pub fn kind(&self) -> StoreKind {
        match &self.inner {
            Inner::Memory(_) => StoreKind::Memory,
            #[cfg(feature = "redis-store")]
            Inner::Redis(_) => StoreKind::Redis,
            #[cfg(feature = "postgres")]
            Inner::Postgres(_) => StoreKind::Postgres,
        }
    }

    /// Where the sessions live: `memory`, or the URL with any password replaced by `***`. Safe
    /// to log.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Deletes expired sessions. PostgreSQL keeps them until this runs (Redis expires keys
    /// itself; the memory store also sweeps every few hundred writes); run it now and then,
    /// e.g. hourly, with PostgreSQL. Expired attempt marks are purged by the attempt store itself.
    pub async fn delete_expired(&self) -> session_store::Result<()> {
        match &self.inner {
            Inner::Memory(store) => {
                store.delete_expired().await;
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Inner::Postgres(store) => {
                use tower_sessions::ExpiredDeletion;
                self.bounded(store.inner().delete_expired()).await
            }
            #[cfg(feature = "redis-store")]
            Inner::Redis(_) => Ok(()),
        }
    }

    #[cfg_attr(
        not(any(feature = "redis-store", feature = "postgres")),
        allow(dead_code)
    )]
    async fn bounded<T>(
        &self,
        operation: impl Future<Output = session_store::Result<T>>,
    ) -> session_store::Result<T> {
        match tokio::time::timeout(self.command_timeout, operation).await {
            Ok(result) => result,
            Err(_) => Err(session_store::Error::Backend(format!(
                "the {} session store did not answer within {} ms",
                self.kind(),
                self.command_timeout.as_millis()
            ))),
        }
    }
}

#[async_trait]
impl SessionStore for AnySessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.recent.count();
        match &self.inner {
            Inner::Memory(store) => store.create(record).await,
            #[cfg(feature = "redis-store")]
            Inner::Redis(store) => self.bounded(store.create(record)).await,
            #[cfg(feature = "postgres")]
            Inner::Postgres(store) => self.bounded(store.create(record)).await,
        }?;
        self.recent.wrote(record.id, RecentWrites::digest(record));
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let digest = RecentWrites::digest(record);
        if self.recent.is_unchanged(&record.id, digest) {
            return Ok(());
        }
        self.recent.count();
        match &self.inner {
            Inner::Memory(store) => store.save(record).await,
            #[cfg(feature = "redis-store")]
            Inner::Redis(store) => self.bounded(store.save(record)).await,
            #[cfg(feature = "postgres")]
            Inner::Postgres(store) => self.bounded(store.save(record)).await,
        }?;
        self.recent.wrote(record.id, digest);
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        self.recent.count();
        match &self.inner {
            Inner::Memory(store) => store.load(session_id).await,
            #[cfg(feature = "redis-store")]
            Inner::Redis(store) => self.bounded(store.load(session_id)).await,
            #[cfg(feature = "postgres")]
            Inner::Postgres(store) => self.bounded(store.load(session_id)).await,
        }
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.recent.forget(session_id);
        self.recent.count();
        match &self.inner {
            Inner::Memory(store) => store.delete(session_id).await,
            #[cfg(feature = "redis-store")]
            Inner::Redis(store) => self.bounded(store.delete(session_id)).await,
            #[cfg(feature = "postgres")]
            Inner::Postgres(store) => self.bounded(store.delete(session_id)).await,
        }
    }
}

/// The session store named by `url`, with [`StoreOptions::default`]:
///
/// - `None` or blank: a new in-memory store (one instance only);
/// - `redis://[user:password@]host[:port][/db]`: Redis, a pool of connections that reconnects by
///   itself after an outage; `rediss://` the same over TLS (rustls, system roots, or a private
///   CA from [`StoreOptions::redis_ca_file`]);
/// - `redis-cluster://[user:password@]host:port?node=host:port&node=host:port` (or
///   `rediss-cluster://`): a Redis Cluster, found from any of the nodes listed;
/// - `redis-sentinel://[user:password@]host:port[/db]?sentinelServiceName=name&node=host:port`
///   (or `rediss-sentinel://`): the primary that the listed Sentinels name, followed through a
///   failover; `sentinelUsername` and `sentinelPassword` authenticate to the Sentinels;
/// - `postgres://` or `postgresql://user:password@host[:port]/db`: PostgreSQL; the session table
///   is created if missing.
///
/// It connects before returning, so a wrong URL or an unreachable store fails at start-up:
/// [`StoreError::InvalidUrl`], [`StoreError::UnsupportedScheme`] (e.g. `mysql://`),
/// [`StoreError::InvalidOptions`], [`StoreError::CaFile`],
/// [`StoreError::FeatureDisabled`], [`StoreError::Connect`] or [`StoreError::Migrate`]. Neither
/// the errors nor the log line it writes contain the URL's password.
///
/// ```no_run
/// # async fn run() -> Result<(), line_login::store::StoreError> {
/// use line_login::store::{StoreKind, session_store_from_url};
/// let store = session_store_from_url(Some("redis://127.0.0.1:6379")).await?;
/// assert_eq!(store.kind(), StoreKind::Redis);
/// # Ok(()) }
/// ```
pub async fn session_store_from_url(url: Option<&str>) -> Result<AnySessionStore, StoreError> {
    session_store_from_url_with(url, &StoreOptions::default()).await
}

/// [`session_store_from_url`] with the URL from the `SESSION_STORE_URL` environment variable
/// (unset or blank: in memory) and, when `SESSION_STORE_CA_FILE` is set and not blank, the
/// private CA of a `rediss://` server ([`StoreOptions::redis_ca_file`]).
pub async fn session_store_from_env() -> Result<AnySessionStore, StoreError> {
    let (url, options) = url_and_options_from(|name| std::env::var(name))?;
    session_store_from_url_with(url.as_deref(), &options).await
}

/// The URL and options that the variables read by `var` name.
fn url_and_options_from(
    var: impl Fn(&str) -> Result<String, std::env::VarError>,
) -> Result<(Option<String>, StoreOptions), StoreError> {
    let read = |name: &str| match var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(StoreError::NotUnicode),
    };
    let url = read(SESSION_STORE_URL_VAR)?;
    let mut options = StoreOptions::default();
    if let Some(path) = read(SESSION_STORE_CA_FILE_VAR)?.filter(|p| !p.trim().is_empty()) {
        options = options.redis_ca_file(path.trim());
    }
    Ok((url, options))
}

/// [`session_store_from_url`] with explicit options.
pub async fn session_store_from_url_with(
    url: Option<&str>,
    options: &StoreOptions,
) -> Result<AnySessionStore, StoreError> {
    let Some(raw) = url.map(str::trim).filter(|u| !u.is_empty()) else {
        if options.ca_file.is_some() {
            return Err(ca_file_without_tls());
        }
        tracing::info!(store = "memory", "session store ready");
        return Ok(AnySessionStore {
            command_timeout: options.command_timeout,
            ..AnySessionStore::memory()
        });
    };
    let parsed = Url::parse(raw).map_err(|e| StoreError::InvalidUrl {
        reason: e.to_string(),
    })?;
    let secrets = Secrets::of(&parsed);
    let location = redact_url(&parsed);
    let scheme = parsed.scheme();
    if options.ca_file.is_some() && !scheme.starts_with("rediss") {
        return Err(ca_file_without_tls());
    }
    let (inner, attempts) = match scheme {
        _ if REDIS_SCHEMES.contains(&scheme) => {
            connect_redis(raw, &parsed, &location, &secrets, options).await?
        }
        "postgres" | "postgresql" => connect_postgres(raw, &location, &secrets, options).await?,
        other => {
            return Err(StoreError::UnsupportedScheme {
                scheme: other.to_owned(),
            });
        }
    };
    let store = AnySessionStore {
        inner,
        attempts,
        location,
        command_timeout: options.command_timeout,
        recent: Arc::default(),
    };
    tracing::info!(store = %store.kind(), location = %store.location, "session store ready");
    Ok(store)
}

fn ca_file_without_tls() -> StoreError {
    StoreError::InvalidOptions {
        reason: "a CA file (SESSION_STORE_CA_FILE) is only for TLS Redis URLs (rediss://, rediss-cluster://, rediss-sentinel://); for PostgreSQL use sslrootcert= in the URL".to_owned(),
    }
}

/// A rustls client configuration trusting only the certificates in the PEM file `path`.
#[cfg(feature = "redis-store")]
fn private_ca_tls(path: &std::path::Path) -> Result<rustls::ClientConfig, StoreError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;

    let failed = |reason: String| StoreError::CaFile {
        path: path.display().to_string(),
        reason,
    };
    let mut roots = rustls::RootCertStore::empty();
    let certificates = CertificateDer::pem_file_iter(path).map_err(|e| failed(e.to_string()))?;
    for certificate in certificates {
        let certificate = certificate.map_err(|e| failed(e.to_string()))?;
        roots
            .add(certificate)
            .map_err(|e| failed(format!("not a usable CA certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(failed("no PEM certificate in it".to_owned()));
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

#[cfg(feature = "redis-store")]
async fn connect_redis(
    raw: &str,
    parsed: &Url,
    location: &str,
    secrets: &Secrets,
    options: &StoreOptions,
) -> Result<(Inner, Arc<dyn AttemptStore>), StoreError> {
    use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, ReconnectPolicy};
    use tower_sessions_redis_store::fred::types::Builder;
    use tower_sessions_redis_store::fred::types::config::{Options, ServerConfig, TlsHostMapping};

    let failed = |reason: String| StoreError::Connect {
        kind: StoreKind::Redis,
        location: location.to_owned(),
        reason: secrets.scrub(&reason),
    };
    let config = match &options.ca_file {
        None => Config::from_url(raw).map_err(|e| failed(e.to_string()))?,
        Some(path) => {
            let tls = private_ca_tls(path)?;
            // Parsed as the plain scheme, so fred does not load the system roots it would
            // then throw away; the TLS settings are ours.
            let mut plain = parsed.clone();
            let scheme = parsed.scheme().replacen("rediss", "redis", 1);
            plain
                .set_scheme(&scheme)
                .map_err(|()| failed(format!("cannot use the scheme {scheme}")))?;
            let mut config = Config::from_url(plain.as_str()).map_err(|e| failed(e.to_string()))?;
            config.tls = Some(tls.into());
            config
        }
    };
    let mut config = config;
    if let (Some(tls), ServerConfig::Clustered { .. }) = (&mut config.tls, &config.server) {
        // Cluster nodes announce IP addresses, which a managed service's certificate does not
        // name: verify each node against the host name of the URL (or the host name the node
        // announces, when it does) instead.
        tls.hostnames = TlsHostMapping::DefaultHost;
    }
    let pool = Builder::from_config(config)
        .with_connection_config(|c| {
            c.connection_timeout = options.connect_timeout;
            c.internal_command_timeout = options.command_timeout;
        })
        .with_performance_config(|p| p.default_command_timeout = options.command_timeout)
        // Unlimited attempts, 100 ms growing to 1 s apart: service resumes by itself.
        .set_policy(ReconnectPolicy::new_exponential(
            0,
            REDIS_RECONNECT_DELAY_MIN_MS,
            REDIS_RECONNECT_DELAY_MAX_MS,
            2,
        ))
        .build_pool(options.pool_connections)
        .map_err(|e| failed(e.to_string()))?;
    let reason = match tokio::time::timeout(options.connect_timeout, pool.init()).await {
        Ok(Ok(_connection_task)) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(_) => Some(format!(
            "no answer within {} ms",
            options.connect_timeout.as_millis()
        )),
    };
    if let Some(reason) = reason {
        // Stop the pool's connection tasks rather than let them retry forever in the background.
        let _ = tokio::time::timeout(options.command_timeout, pool.quit()).await;
        return Err(failed(reason));
    }
    let attempts = Arc::new(redis::RedisAttempts::new(
        pool.clone(),
        options.command_timeout,
    ));
    // While Redis is down, commands fail at once instead of queueing until it is back.
    let client = pool.with_options(&Options {
        fail_fast: true,
        timeout: Some(options.command_timeout),
        ..Options::default()
    });
    Ok((Inner::Redis(RedisStore::new(client)), attempts))
}

#[cfg(not(feature = "redis-store"))]
async fn connect_redis(
    _raw: &str,
    _parsed: &Url,
    _location: &str,
    _secrets: &Secrets,
    _options: &StoreOptions,
) -> Result<(Inner, Arc<dyn AttemptStore>), StoreError> {
    Err(StoreError::FeatureDisabled {
        kind: StoreKind::Redis,
        feature: "redis-store",
    })
}

#[cfg(feature = "postgres")]
async fn connect_postgres(
    raw: &str,
    location: &str,
    secrets: &Secrets,
    options: &StoreOptions,
) -> Result<(Inner, Arc<dyn AttemptStore>), StoreError> {
    use std::str::FromStr;

    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

    let failed = |reason: String| StoreError::Connect {
        kind: StoreKind::Postgres,
        location: location.to_owned(),
        reason: secrets.scrub(&reason),
    };
    let connect = PgConnectOptions::from_str(raw).map_err(|e| failed(e.to_string()))?;
    let pool = PgPoolOptions::new()
        .max_connections(u32::try_from(options.pool_connections).unwrap_or(u32::MAX))
        .acquire_timeout(options.command_timeout)
        .connect_lazy_with(connect);
    // Names are checked before any connection is made.
    let store = PostgresStore::new(pool.clone())
        .with_schema_name(&options.postgres_schema)
        .and_then(|s| s.with_table_name(&options.postgres_table))
        .map_err(|reason| StoreError::InvalidOptions { reason })?;
    match tokio::time::timeout(options.connect_timeout, pool.acquire()).await {
        Ok(Ok(_connection)) => {}
        Ok(Err(error)) => return Err(failed(error.to_string())),
        Err(_) => {
            return Err(failed(format!(
                "no answer within {} ms",
                options.connect_timeout.as_millis()
            )));
        }
    }
    let migrated = tokio::time::timeout(options.connect_timeout, store.migrate()).await;
    let migrate_failed = |reason: String| StoreError::Migrate {
        location: location.to_owned(),
        reason: secrets.scrub(&reason),
    };
    match migrated {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(migrate_failed(error.to_string())),
        Err(_) => {
            return Err(migrate_failed(format!(
                "no answer within {} ms",
                options.connect_timeout.as_millis()
            )));
        }
    }
    let attempts = tokio::time::timeout(
        options.connect_timeout,
        postgres::PgAttempts::migrate(
            pool.clone(),
            &options.postgres_schema,
            options.command_timeout,
        ),
    )
    .await;
    let attempts = match attempts {
        Ok(Ok(attempts)) => attempts,
        Ok(Err(error)) => return Err(migrate_failed(error.to_string())),
        Err(_) => {
            return Err(migrate_failed(format!(
                "no answer within {} ms",
                options.connect_timeout.as_millis()
            )));
        }
    };
    let sessions = postgres::PgSessions::new(
        store,
        pool,
        &options.postgres_schema,
        &options.postgres_table,
    );
    Ok((Inner::Postgres(sessions), Arc::new(attempts)))
}

#[cfg(not(feature = "postgres"))]
async fn connect_postgres(
    _raw: &str,
    _location: &str,
    _secrets: &Secrets,
    _options: &StoreOptions,
) -> Result<(Inner, Arc<dyn AttemptStore>), StoreError> {
    Err(StoreError::FeatureDisabled {
        kind: StoreKind::Postgres,
        feature: "postgres",
    })
}

/// Query parameters whose values are secrets (libpq's `password`, `sslpassword`, ...).
fn is_secret_param(key: &str) -> bool {
    key.to_ascii_lowercase().contains("password")
}

/// The passwords in a URL, raw and percent-decoded, to scrub from backend messages.
#[cfg_attr(
    not(any(feature = "redis-store", feature = "postgres")),
    allow(dead_code)
)]
struct Secrets(Vec<String>);

impl Secrets {
    fn of(url: &Url) -> Self {
        let mut found = Vec::new();
        let mut add = |value: &str| {
            if !value.is_empty() {
                found.push(value.to_owned());
                if let Ok(decoded) = percent_decode(value)
                    && decoded != value
                {
                    found.push(decoded);
                }
            }
        };
        if let Some(password) = url.password() {
            add(password);
        }
        for (key, value) in url.query_pairs() {
            if is_secret_param(&key) {
                add(&value);
            }
        }
        // Longest first, so a secret containing another is replaced whole.
        found.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self(found)
    }

    #[cfg_attr(
        not(any(feature = "redis-store", feature = "postgres")),
        allow(dead_code)
    )]
    fn scrub(&self, message: &str) -> String {
        self.0.iter().fold(message.to_owned(), |text, secret| {
            text.replace(secret, "***")
        })
    }
}

fn percent_decode(value: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes: Vec<u8> = url::form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default();
    String::from_utf8(bytes)
}

/// The URL with its password (and any `password`-like query value) replaced by `***`.
fn redact_url(url: &Url) -> String {
    let mut redacted = url.clone();
    if url.password().is_some() {
        // Only fails for URLs that cannot have credentials, and those have no password.
        let _ = redacted.set_password(Some("***"));
    }
    // Rewritten (and so re-encoded) only when it holds a secret.
    if url.query_pairs().any(|(key, _)| is_secret_param(&key)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let value = if is_secret_param(&k) {
                    "***".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), value)
            })
            .collect();
        redacted.query_pairs_mut().clear().extend_pairs(pairs);
    }
    redacted.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options_fast() -> StoreOptions {
        StoreOptions::default()
            .connect_timeout(Duration::from_secs(2))
            .command_timeout(Duration::from_millis(500))
    }

    /// A loopback port nothing listens on.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn no_url_or_blank_url_gives_the_memory_store() {
        for url in [None, Some(""), Some("   ")] {
            let store = session_store_from_url(url).await.unwrap();
            assert_eq!(store.kind(), StoreKind::Memory);
            assert_eq!(store.location(), "memory");
        }
    }

    #[tokio::test]
    async fn memory_store_clones_share_sessions() {
        let store = AnySessionStore::memory();
        let clone = store.clone();
        let mut record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
        };
        store.create(&mut record).await.unwrap();
        assert!(clone.load(&record.id).await.unwrap().is_some());
        clone.delete(&record.id).await.unwrap();
        assert!(store.load(&record.id).await.unwrap().is_none());
    }

    fn record_with(value: &str) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert("k".to_owned(), serde_json::json!(value));
        Record {
            id: Id::default(),
            data,
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
        }
    }

    #[tokio::test]
    async fn a_save_of_a_record_just_written_unchanged_reaches_no_backend() {
        let store = AnySessionStore::memory();
        let mut record = record_with("a");
        store.create(&mut record).await.unwrap();
        assert_eq!(store.operations(), 1);
        // tower-sessions saves again on the way out what the layer already saved.
        store.save(&record).await.unwrap();
        assert_eq!(store.operations(), 1, "the unchanged save was skipped");
        let changed = Record {
            data: record_with("b").data,
            ..record.clone()
        };
        store.save(&changed).await.unwrap();
        assert_eq!(store.operations(), 2, "a changed record is written");
        assert_eq!(
            store.load(&record.id).await.unwrap().unwrap().data["k"],
            "b"
        );
    }

    #[tokio::test]
    async fn a_deleted_session_is_not_brought_back_by_a_save() {
        let store = AnySessionStore::memory();
        let mut record = record_with("a");
        store.create(&mut record).await.unwrap();
        let loaded_before_logout = store.load(&record.id).await.unwrap().unwrap();
        store.delete(&record.id).await.unwrap();
        let changed = Record {
            data: record_with("b").data,
            ..loaded_before_logout
        };
        store.save(&changed).await.unwrap();
        assert!(store.load(&record.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn unknown_schemes_are_refused_with_the_supported_list() {
        for (url, scheme) in [
            ("mysql://u:hunter2@db/x", "mysql"),
            ("redis+unix://:hunter2@x/tmp/redis.sock", "redis+unix"),
            ("sqlite://sessions.db", "sqlite"),
        ] {
            let error = session_store_from_url(Some(url)).await.unwrap_err();
            assert!(
                matches!(&error, StoreError::UnsupportedScheme { scheme: s } if s == scheme),
                "{error:?}"
            );
            let message = error.to_string();
            for scheme in REDIS_SCHEMES {
                assert!(message.contains(&format!("{scheme}://")), "{message}");
            }
            assert!(!message.contains("hunter2"), "{message}");
        }
    }

    #[tokio::test]
    async fn a_malformed_url_is_invalid() {
        let error = session_store_from_url(Some("not a url")).await.unwrap_err();
        assert!(matches!(error, StoreError::InvalidUrl { .. }), "{error:?}");
    }

    #[test]
    fn redaction_hides_passwords_in_userinfo_and_query() {
        let url = Url::parse("postgres://app:s3cr%40t@db:5432/site?sslmode=require&password=other")
            .unwrap();
        let redacted = redact_url(&url);
        assert_eq!(
            redacted,
            "postgres://app:***@db:5432/site?sslmode=require&password=***"
        );
        let secrets = Secrets::of(&url);
        let scrubbed = secrets.scrub("auth failed for app with s3cr@t and s3cr%40t and other");
        assert_eq!(scrubbed, "auth failed for app with *** and *** and ***");
        let plain = Url::parse("redis://127.0.0.1:6379/2").unwrap();
        assert_eq!(redact_url(&plain), "redis://127.0.0.1:6379/2");
        let cluster = "redis-cluster://:hunter2@a:7000?node=b:7001&node=c:7002";
        assert_eq!(
            redact_url(&Url::parse(cluster).unwrap()),
            "redis-cluster://:***@a:7000?node=b:7001&node=c:7002"
        );
    }

    #[cfg(feature = "redis-store")]
    #[tokio::test]
    async fn unreachable_redis_fails_at_start_up_without_the_password() {
        let url = format!("redis://user:hunter2@127.0.0.1:{}/0", closed_port());
        let started = std::time::Instant::now();
        let error = session_store_from_url_with(Some(&url), &options_fast())
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            matches!(
                &error,
                StoreError::Connect {
                    kind: StoreKind::Redis,
                    ..
                }
            ),
            "{error:?}"
        );
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("user:***@127.0.0.1"), "{shown}");
    }

    /// Every Redis form is let through to fred (TLS, Cluster, Sentinel): an unreachable one fails
    /// to connect, not as an unsupported scheme, and never shows its passwords.
    #[cfg(feature = "redis-store")]
    #[tokio::test]
    async fn every_redis_url_form_is_accepted_and_fails_to_connect_without_its_passwords() {
        let port = closed_port();
        for url in [
            format!("rediss://user:hunter2@127.0.0.1:{port}/0"),
            format!("redis-cluster://:hunter2@127.0.0.1:{port}?node=127.0.0.1:{port}"),
            format!("rediss-cluster://:hunter2@127.0.0.1:{port}"),
            format!(
                "redis-sentinel://:hunter2@127.0.0.1:{port}/0?sentinelServiceName=main&node=127.0.0.1:{port}&sentinelPassword=swordfish"
            ),
            format!(
                "rediss-sentinel://:hunter2@127.0.0.1:{port}?sentinelServiceName=main&sentinelUsername=watch&sentinelPassword=swordfish"
            ),
        ] {
            let error = session_store_from_url_with(Some(&url), &options_fast())
                .await
                .unwrap_err();
            assert!(
                matches!(
                    &error,
                    StoreError::Connect {
                        kind: StoreKind::Redis,
                        ..
                    }
                ),
                "{url}: {error:?}"
            );
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!shown.contains("swordfish"), "{shown}");
            assert!(shown.contains(":***@127.0.0.1"), "{shown}");
        }
    }

    #[test]
    fn a_sentinel_password_is_redacted() {
        let url = Url::parse(
            "rediss-sentinel://:hunter2@s1:26379/0?sentinelServiceName=main&node=s2:26379&sentinelPassword=swordfish",
        )
        .unwrap();
        assert_eq!(
            redact_url(&url),
            "rediss-sentinel://:***@s1:26379/0?sentinelServiceName=main&node=s2%3A26379&sentinelPassword=***"
        );
        let secrets = Secrets::of(&url);
        assert_eq!(secrets.scrub("hunter2 swordfish"), "*** ***");
    }

    /// A CA file means TLS was meant: with a plain URL the store is refused, not built in clear.
    #[tokio::test]
    async fn a_ca_file_with_a_url_that_is_not_tls_redis_is_refused() {
        let options = options_fast().redis_ca_file("/nonexistent/ca.pem");
        for url in [
            None,
            Some("redis://127.0.0.1:6379"),
            Some("redis-cluster://127.0.0.1:7000"),
            Some("redis-sentinel://127.0.0.1:26379?sentinelServiceName=main"),
            Some("postgres://app@127.0.0.1/site"),
        ] {
            let error = session_store_from_url_with(url, &options)
                .await
                .unwrap_err();
            assert!(
                matches!(&error, StoreError::InvalidOptions { reason } if reason.contains("SESSION_STORE_CA_FILE")),
                "{url:?}: {error:?}"
            );
        }
    }

    #[test]
    fn session_store_ca_file_is_read_with_the_url_and_blank_means_unset() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
                    .ok_or(std::env::VarError::NotPresent)
            }
        };
        let (url, options) = url_and_options_from(env(&[
            ("SESSION_STORE_URL", "rediss://cache:6380"),
            ("SESSION_STORE_CA_FILE", " /etc/ssl/redis-ca.pem "),
        ]))
        .unwrap();
        assert_eq!(url.as_deref(), Some("rediss://cache:6380"));
        assert_eq!(
            options.ca_file.as_deref(),
            Some(std::path::Path::new("/etc/ssl/redis-ca.pem"))
        );
        for vars in [
            &[("SESSION_STORE_URL", "redis://cache")][..],
            &[("SESSION_STORE_CA_FILE", "  ")][..],
        ] {
            let (_, options) = url_and_options_from(env(vars)).unwrap();
            assert_eq!(options.ca_file, None);
        }
        let not_unicode = |_: &str| {
            Err(std::env::VarError::NotUnicode(std::ffi::OsString::from(
                "x",
            )))
        };
        assert!(matches!(
            url_and_options_from(not_unicode),
            Err(StoreError::NotUnicode)
        ));
    }

    #[cfg(feature = "redis-store")]
    #[tokio::test]
    async fn a_missing_empty_or_garbled_ca_file_is_refused_before_connecting() {
        let dir = std::env::temp_dir().join(format!(
            "line_login_ca_{}_{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let garbled = dir.join("garbled.pem");
        std::fs::write(
            &garbled,
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let url = format!("rediss://:hunter2@127.0.0.1:{}", closed_port());
        for path in [dir.join("missing.pem"), empty, garbled] {
            let options = options_fast().redis_ca_file(&path);
            let error = session_store_from_url_with(Some(&url), &options)
                .await
                .unwrap_err();
            assert!(
                matches!(&error, StoreError::CaFile { path: p, .. } if p.contains("line_login_ca_")),
                "{path:?}: {error:?}"
            );
            assert!(!error.to_string().contains("hunter2"));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn unreachable_postgres_fails_at_start_up_without_the_password() {
        let url = format!("postgres://app:hunter2@127.0.0.1:{}/site", closed_port());
        let error = session_store_from_url_with(Some(&url), &options_fast())
            .await
            .unwrap_err();
        assert!(
            matches!(
                &error,
                StoreError::Connect {
                    kind: StoreKind::Postgres,
                    ..
                }
            ),
            "{error:?}"
        );
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn an_invalid_postgres_table_name_is_refused_before_connecting() {
        let url = format!("postgres://app:hunter2@127.0.0.1:{}/site", closed_port());
        for options in [
            options_fast().postgres_table("sessions; drop table users"),
            options_fast().postgres_schema("1st"),
        ] {
            let error = session_store_from_url_with(Some(&url), &options)
                .await
                .unwrap_err();
            assert!(
                matches!(error, StoreError::InvalidOptions { .. }),
                "{error:?}"
            );
        }
    }

    #[test]
    fn debug_never_shows_a_password() {
        let store = AnySessionStore {
            location: redact_url(&Url::parse("redis://:hunter2@cache:6379").unwrap()),
            ..AnySessionStore::memory()
        };
        let shown = format!("{store:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains(":***@cache"), "{shown}");
    }
}
