//! Saved API logs in SQL (`SqlApiLogSink`), SQLite and PostgreSQL held to the same rules: one
//! row per LINE call for success and for each error kind (LINE error, 429, timeout, unexpected
//! body, no connection), a purge that keeps exactly the records younger than the period, no
//! token, code, secret or personal data in any stored row, and logging that never blocks.
//!
//! PostgreSQL comes from `LINE_LOGIN_TEST_POSTGRES_URL` (default
//! `postgres://postgres:postgres@127.0.0.1:5432/postgres`, as `.ci/setup` starts it); every test
//! works in a fresh schema. A missing server fails the test.

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use line_login::api::{
    AccessTokenError, ApiCallRecord, ApiError, ApiLogSink, ApiOutcome, Endpoint, LineApi,
    TracingSink,
};
use line_login::api_log::{ApiLogOptions, SqlApiLogSink, StoredApiCall};
use line_login::compliance::Status;
use line_login::{AuthorizationCode, Config, LineLoginLayer, RefreshToken};
use line_login_simulator::{ConsentChoice, Fault, Simulator};
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use time::OffsetDateTime;
use url::Url;

const POSTGRES_URL_VAR: &str = "LINE_LOGIN_TEST_POSTGRES_URL";
const POSTGRES_URL_DEFAULT: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";
const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/line/callback";

static SEQ: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000_000
    )
}

/// The database behind a sink, for reading rows back the way an auditor would.
enum Db {
    Sqlite {
        pool: SqlitePool,
        path: std::path::PathBuf,
    },
    Postgres {
        pool: PgPool,
        admin: PgPool,
        schema: String,
    },
}

struct Store {
    sink: SqlApiLogSink,
    db: Db,
}

/// A SQLite file of its own.
async fn sqlite_store(options: ApiLogOptions) -> Store {
    let dir = std::env::temp_dir().join(unique("line-login-api-log"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("api_log.db");
    let pool = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(
            SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
                .unwrap()
                .create_if_missing(true),
        )
        .await
        .unwrap();
    let sink = SqlApiLogSink::sqlite(pool.clone(), options).await.unwrap();
    Store {
        sink,
        db: Db::Sqlite { pool, path },
    }
}

/// A PostgreSQL schema of its own (dropped by [`Store::finish`]).
async fn postgres_store(options: ApiLogOptions) -> Store {
    let url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| POSTGRES_URL_DEFAULT.into());
    let connect = PgConnectOptions::from_str(&url)
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is not a PostgreSQL URL: {e}"));
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(connect.clone())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {url} ({e}). Run .ci/setup to install and start \
                 it, or set {POSTGRES_URL_VAR}."
            )
        });
    let schema = unique("line_login_api_log_test");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(connect.options([("search_path", schema.as_str())]))
        .await
        .unwrap();
    let sink = SqlApiLogSink::postgres(pool.clone(), options)
        .await
        .unwrap();
    Store {
        sink,
        db: Db::Postgres {
            pool,
            admin,
            schema,
        },
    }
}

impl Store {
    /// Every stored row, every column, as text.
    async fn rows_as_text(&self) -> Vec<String> {
        match &self.db {
            Db::Sqlite { pool, .. } => sqlx::query(
                "SELECT quote(id) || ',' || quote(at) || ',' || quote(endpoint) || ',' || \
                 quote(method) || ',' || quote(status) || ',' || quote(request_id) || ',' || \
                 quote(latency_ms) || ',' || quote(outcome) FROM line_login_api_log ORDER BY id",
            )
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>(0))
            .collect(),
            Db::Postgres { pool, .. } => {
                sqlx::query("SELECT t::text FROM line_login_api_log t ORDER BY id")
                    .fetch_all(pool)
                    .await
                    .unwrap()
                    .iter()
                    .map(|row| row.get::<String, _>(0))
                    .collect()
            }
        }
    }

    async fn count(&self) -> i64 {
        match &self.db {
            Db::Sqlite { pool, .. } => {
                sqlx::query_scalar("SELECT COUNT(*) FROM line_login_api_log")
                    .fetch_one(pool)
                    .await
                    .unwrap()
            }
            Db::Postgres { pool, .. } => {
                sqlx::query_scalar("SELECT COUNT(*) FROM line_login_api_log")
                    .fetch_one(pool)
                    .await
                    .unwrap()
            }
        }
    }

    async fn migrations_applied(&self) -> i64 {
        let sql = "SELECT COUNT(*) FROM line_login_api_log_migrations";
        match &self.db {
            Db::Sqlite { pool, .. } => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
            Db::Postgres { pool, .. } => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        }
    }

    /// Closes the pool; returns the raw bytes of a SQLite database (file and WAL).
    async fn finish(self) -> Vec<u8> {
        self.sink.flush().await.unwrap();
        match self.db {
            Db::Sqlite { pool, path } => {
                pool.close().await;
                let mut bytes = std::fs::read(&path).unwrap();
                for suffix in ["-wal", "-journal"] {
                    let mut side = path.clone().into_os_string();
                    side.push(suffix);
                    if let Ok(more) = std::fs::read(side) {
                        bytes.extend(more);
                    }
                }
                bytes
            }
            Db::Postgres {
                pool,
                admin,
                schema,
            } => {
                pool.close().await;
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&admin)
                    .await
                    .unwrap();
                Vec::new()
            }
        }
    }
}

/// Consents as `name` in the simulator and returns the callback's code.
async fn code_for(sim: &Simulator, config: &Config, name: &str, nonce: &str) -> AuthorizationCode {
    let user = sim.user(name).unwrap().user_id;
    let mut authorize = config.authorize_endpoint();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", config.channel_id().as_str())
        .append_pair("redirect_uri", config.redirect_uri().as_str())
        .append_pair("state", "state-of-the-api-log-tests")
        .append_pair("scope", "profile openid email")
        .append_pair("nonce", nonce);
    let callback: Url = sim
        .consent(
            authorize.as_str(),
            ConsentChoice::allow(user).with_email(true),
        )
        .await
        .unwrap();
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    AuthorizationCode::new(code)
}

/// A client on a port nobody listens on.
fn closed_port_api(sink: Arc<dyn ApiLogSink>) -> LineApi {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}/");
    let config = Config::builder("1234567890", "secret", REDIRECT_URI)
        .access_base(&base)
        .api_base(&base)
        .issuer(&base)
        .build()
        .unwrap();
    LineApi::new(&config).unwrap().with_log_sink(sink)
}

/// What a stored row says, without the time and latency.
fn summary(call: &StoredApiCall) -> (&str, &str, Option<u16>, &str) {
    (
        call.endpoint.as_str(),
        call.method.as_str(),
        call.status,
        call.outcome.as_str(),
    )
}

async fn records_success_and_every_error_kind(store: Store) {
    let sim = Simulator::start().await.unwrap();
    let config = sim
        .config_builder(REDIRECT_URI)
        .http_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let sink: Arc<dyn ApiLogSink> = Arc::new(store.sink.clone());
    let api = LineApi::new(&config).unwrap().with_log_sink(sink.clone());
    let started = OffsetDateTime::now_utc();

    let code = code_for(&sim, &config, "Brown", "nonce-kinds").await;
    let tokens = api
        .exchange_code(&code, config.redirect_uri(), None)
        .await
        .unwrap();
    let line_error = api
        .refresh(&RefreshToken::new("no-such-refresh-token"))
        .await
        .unwrap_err();
    sim.inject(
        Endpoint::Profile,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
        Some(1),
    );
    let limited = api.profile(&tokens.access_token).await.unwrap_err();
    sim.inject(
        Endpoint::Friendship,
        Fault::Delay(Duration::from_secs(3)),
        Some(1),
    );
    let timeout = api
        .friendship_status(&tokens.access_token)
        .await
        .unwrap_err();
    sim.inject(Endpoint::UserInfo, Fault::MalformedJson, Some(1));
    let unexpected = api.userinfo(&tokens.access_token).await.unwrap_err();
    let transport = closed_port_api(sink)
        .verify_access_token(&tokens.access_token)
        .await
        .unwrap_err();

    assert!(
        matches!(limited, ApiError::Line { status: 429, .. }),
        "{limited:?}"
    );
    assert!(
        matches!(transport, AccessTokenError::Api(ApiError::Transport { .. })),
        "{transport:?}"
    );
    assert!(matches!(timeout, ApiError::Timeout { .. }), "{timeout:?}");
    assert!(
        matches!(unexpected, ApiError::UnexpectedBody { .. }),
        "{unexpected:?}"
    );
    let limited_outcome = limited
        .error_code()
        .map(str::to_owned)
        .unwrap_or_else(|| "http_429".to_owned());

    store.sink.flush().await.unwrap();
    let rows = store.sink.recent(100).await.unwrap();
    let summaries: Vec<_> = rows.iter().map(summary).collect();
    assert_eq!(
        summaries,
        [
            ("token", "POST", Some(200), "ok"),
            ("refresh", "POST", Some(400), "invalid_grant"),
            ("profile", "GET", Some(429), limited_outcome.as_str()),
            ("friendship", "GET", None, "timeout"),
            ("userinfo", "GET", Some(200), "unexpected_body"),
            ("verify_access_token", "GET", None, "transport"),
        ]
    );
    // LINE's request id is kept whenever an answer arrived, and it is the one of the error.
    assert_eq!(rows[1].request_id.as_deref(), line_error.request_id());
    assert_eq!(rows[2].request_id.as_deref(), limited.request_id());
    assert_eq!(rows[4].request_id.as_deref(), unexpected.request_id());
    assert!(rows[0].request_id.is_some() && rows[1].request_id.is_some());
    assert_eq!(rows[3].request_id, None);
    assert_eq!(rows[5].request_id, None);
    // Times and latencies are the calls' own.
    let finished = OffsetDateTime::now_utc();
    for row in &rows {
        assert!(
            row.at >= started - time::Duration::milliseconds(1) && row.at <= finished,
            "{row:?}"
        );
    }
    assert!((900..2_500).contains(&rows[3].latency_ms), "{:?}", rows[3]);
    assert!(rows[0].latency_ms < 5_000);
    assert_eq!(store.sink.dropped(), 0);
    assert_eq!(store.sink.write_failures(), 0);
    store.finish().await;
}

#[tokio::test]
async fn sqlite_records_success_and_every_error_kind() {
    records_success_and_every_error_kind(sqlite_store(ApiLogOptions::default()).await).await;
}

#[tokio::test]
async fn postgres_records_success_and_every_error_kind() {
    records_success_and_every_error_kind(postgres_store(ApiLogOptions::default()).await).await;
}

fn record_at(at: OffsetDateTime, request_id: &str) -> ApiCallRecord {
    ApiCallRecord::new(
        at,
        Endpoint::Token,
        "POST",
        Some(200),
        Some(request_id.to_owned()),
        Duration::from_millis(12),
        ApiOutcome::Ok,
    )
}

async fn purge_keeps_exactly_what_is_younger_than_the_retention(store: Store) {
    let week = time::Duration::days(7);
    let now = OffsetDateTime::now_utc();
    // Whole microseconds: what both databases store.
    let now = now.replace_nanosecond(now.microsecond() * 1_000).unwrap();
    let cutoff = now - week;
    let micro = time::Duration::microseconds(1);
    for (at, id) in [
        (cutoff - time::Duration::days(1), "a-day-older"),
        (cutoff - micro, "one-microsecond-older"),
        (cutoff, "exactly-the-cutoff"),
        (cutoff + micro, "one-microsecond-younger"),
        (now - time::Duration::hours(1), "an-hour-old"),
    ] {
        store.sink.record(&record_at(at, id));
    }
    store.sink.flush().await.unwrap();
    assert_eq!(store.sink.purge_before(cutoff).await.unwrap(), 2);
    let kept: Vec<(OffsetDateTime, Option<String>)> = store
        .sink
        .recent(10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.at, r.request_id))
        .collect();
    assert_eq!(
        kept,
        [
            (cutoff, Some("exactly-the-cutoff".to_owned())),
            (cutoff + micro, Some("one-microsecond-younger".to_owned())),
            (
                now - time::Duration::hours(1),
                Some("an-hour-old".to_owned())
            ),
        ]
    );

    // The configured retention (7 days here) through purge().
    assert_eq!(store.sink.retention(), Duration::from_secs(7 * 86_400));
    assert_eq!(
        store
            .sink
            .purge_before(now + time::Duration::days(1))
            .await
            .unwrap(),
        3
    );
    let now = OffsetDateTime::now_utc();
    let minute = time::Duration::minutes(1);
    store.sink.record(&record_at(now - week - minute, "older"));
    store
        .sink
        .record(&record_at(now - week + minute, "younger"));
    store.sink.flush().await.unwrap();
    assert_eq!(store.sink.purge().await.unwrap(), 1);
    let kept = store.sink.recent(10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].request_id.as_deref(), Some("younger"));
    assert_eq!(
        store.sink.purge_older_than(Duration::ZERO).await.unwrap(),
        1
    );
    assert_eq!(store.count().await, 0);
    store.finish().await;
}

fn week_options() -> ApiLogOptions {
    ApiLogOptions::default().retention(Duration::from_secs(7 * 86_400))
}

#[tokio::test]
async fn sqlite_purge_keeps_exactly_what_is_younger_than_the_retention() {
    purge_keeps_exactly_what_is_younger_than_the_retention(sqlite_store(week_options()).await)
        .await;
}

#[tokio::test]
async fn postgres_purge_keeps_exactly_what_is_younger_than_the_retention() {
    purge_keeps_exactly_what_is_younger_than_the_retention(postgres_store(week_options()).await)
        .await;
}

/// Every call the crate makes, with tokens, codes and personal data in flight; then the stored
/// rows (and, for SQLite, the database file itself) are searched for each of them.
async fn stored_rows_hold_no_token_code_secret_or_personal_data(store: Store) {
    let sim = Simulator::start().await.unwrap();
    let config = sim.config_builder(REDIRECT_URI).build().unwrap();
    let sink: Arc<dyn ApiLogSink> = Arc::new(store.sink.clone());
    let api = LineApi::new(&config).unwrap().with_log_sink(sink.clone());
    let nonce = "nonce-that-must-never-be-stored";
    let brown = sim.user("Brown").unwrap();
    let code = code_for(&sim, &config, "Brown", nonce).await;
    let tokens = api
        .exchange_code(&code, config.redirect_uri(), None)
        .await
        .unwrap();
    let refresh_token = tokens.refresh_token.clone().unwrap();
    let id_token = tokens.id_token.clone().unwrap();
    let refreshed = api.refresh(&refresh_token).await.unwrap();
    api.verify_id_token_remote(&id_token, Some(nonce), Some(&brown.user_id))
        .await
        .unwrap();
    api.verify_access_token(&tokens.access_token).await.unwrap();
    api.profile(&tokens.access_token).await.unwrap();
    api.friendship_status(&tokens.access_token).await.unwrap();
    api.userinfo(&tokens.access_token).await.unwrap();
    api.jwks().await.unwrap();
    let channel = api.channel_access_token().await.unwrap();
    api.deauthorize_user(&tokens.access_token).await.unwrap();
    let _ = api.revoke(&refreshed.access_token).await;
    // Failures with the secrets in the request.
    let _ = api.verify_access_token(&tokens.access_token).await;
    let _ = api.exchange_code(&code, config.redirect_uri(), None).await;
    let _ = api.refresh(&refresh_token).await;
    let _ = closed_port_api(sink)
        .verify_access_token(&tokens.access_token)
        .await;
    store.sink.flush().await.unwrap();

    let rows = store.rows_as_text().await;
    assert_eq!(rows.len(), 15, "{rows:#?}");
    let secrets = [
        code.expose_secret(),
        tokens.access_token.expose_secret(),
        refreshed.access_token.expose_secret(),
        refresh_token.expose_secret(),
        id_token.expose_secret(),
        channel.expose_secret(),
        sim.channel_secret(),
        nonce,
        "state-of-the-api-log-tests",
        brown.user_id.as_str(),
        brown.name.as_str(),
        brown.email.as_str(),
    ];
    for row in &rows {
        for secret in secrets {
            assert!(!row.contains(secret), "a stored row holds a secret: {row}");
        }
    }
    let file = store.finish().await;
    for secret in secrets {
        assert!(
            !file
                .windows(secret.len())
                .any(|window| window == secret.as_bytes()),
            "the database file holds a secret"
        );
    }
}

#[tokio::test]
async fn sqlite_stored_rows_hold_no_token_code_secret_or_personal_data() {
    stored_rows_hold_no_token_code_secret_or_personal_data(
        sqlite_store(ApiLogOptions::default()).await,
    )
    .await;
}

#[tokio::test]
async fn postgres_stored_rows_hold_no_token_code_secret_or_personal_data() {
    stored_rows_hold_no_token_code_secret_or_personal_data(
        postgres_store(ApiLogOptions::default()).await,
    )
    .await;
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_records_counts_them_and_never_blocks() {
    // One connection: while the test holds it, the writer cannot write.
    let pool = SqlitePoolOptions::new()
        .min_connections(1)
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    let sink = SqlApiLogSink::sqlite(pool.clone(), ApiLogOptions::default().queue_records(4))
        .await
        .unwrap();
    let held = pool.acquire().await.unwrap();

    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    const SENT: u64 = 200;
    let started = Instant::now();
    tracing::subscriber::with_default(subscriber, || {
        for i in 0..SENT {
            sink.record(&record_at(OffsetDateTime::now_utc(), &format!("req-{i}")));
        }
    });
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "record() blocked"
    );
    // The queue holds 4 records; the writer took one batch and waits for the database.
    let dropped = sink.dropped();
    assert!(dropped > 0, "nothing was dropped");
    let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert_eq!(log.matches("record dropped").count(), 1, "{log}");
    assert!(log.contains("dropped_total=1"), "{log}");

    drop(held);
    sink.flush().await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM line_login_api_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored as u64 + dropped, SENT);
    assert!(stored >= 4);
    assert_eq!(sink.write_failures(), 0);
}

#[tokio::test]
async fn sqlite_migrations_run_once_and_records_survive_a_reconnect() {
    let first = sqlite_store(ApiLogOptions::default()).await;
    first
        .sink
        .record(&record_at(OffsetDateTime::now_utc(), "before-reconnect"));
    let Db::Sqlite { path, .. } = &first.db else {
        unreachable!()
    };
    let url = format!("sqlite://{}", path.display());
    first.sink.flush().await.unwrap();
    let second = SqlApiLogSink::connect(&url, ApiLogOptions::default())
        .await
        .unwrap();
    second.record(&record_at(OffsetDateTime::now_utc(), "after-reconnect"));
    second.flush().await.unwrap();
    let ids: Vec<Option<String>> = second
        .recent(10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.request_id)
        .collect();
    assert_eq!(
        ids,
        [
            Some("before-reconnect".to_owned()),
            Some("after-reconnect".to_owned())
        ]
    );
    assert_eq!(first.migrations_applied().await, 2);
    first.finish().await;
}

#[tokio::test]
async fn postgres_migrations_run_once() {
    let store = postgres_store(ApiLogOptions::default()).await;
    let Db::Postgres { pool, .. } = &store.db else {
        unreachable!()
    };
    // Two more sinks on the same schema, concurrently.
    let (a, b) = tokio::join!(
        SqlApiLogSink::postgres(pool.clone(), ApiLogOptions::default()),
        SqlApiLogSink::postgres(pool.clone(), ApiLogOptions::default())
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(store.migrations_applied().await, 2);
    store.finish().await;
}

#[tokio::test]
async fn the_layer_report_sees_whether_the_sink_is_persistent() {
    let sim = Simulator::start().await.unwrap();
    let config = sim.config_builder(REDIRECT_URI).build().unwrap();
    let api = LineApi::new(&config).unwrap();
    let tracing_only = LineLoginLayer::with_api(api.clone().with_log_sink(Arc::new(TracingSink)));
    assert_eq!(
        tracing_only
            .compliance()
            .build()
            .item("api_logs")
            .unwrap()
            .status,
        Status::Warning
    );
    let sink = SqlApiLogSink::connect("sqlite::memory:", ApiLogOptions::default())
        .await
        .unwrap();
    assert!(sink.is_persistent());
    let saved = LineLoginLayer::with_api(api.with_log_sink(Arc::new(sink)));
    assert!(saved.api().log_sink_is_persistent());
    assert_eq!(
        saved.compliance().build().item("api_logs").unwrap().status,
        Status::Ok
    );
}
