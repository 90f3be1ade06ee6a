//! A full login's server time (login start + callback; the simulator answers the token request
//! on loopback at once), p50 and p99 on the memory store, and the bytes a pending attempt and a
//! logged-in session take in a store (JSON as the memory store would hold it, and MessagePack as
//! the Redis store writes it).
//!
//! Run: `cargo bench --bench login_latency` (2,000 logins). Under `cargo test` it runs 20 logins
//! and checks the sizes against their limits.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use line_login::store::AnySessionStore;
use line_login::store::attempts::{AttemptKey, AttemptStore, AttemptStoreError, MemoryAttempts};
use line_login::{LineLoginLayer, LineUser, session::session_layer};
use line_login_simulator::{ConsentChoice, Simulator};
use tower::ServiceExt as _;
use tower_sessions::session::{Id, Record};
use tower_sessions::{SessionStore, session_store};

/// A memory store that remembers the serialized size of the last record saved.
#[derive(Clone, Debug, Default)]
struct MeasuringStore {
    inner: AnySessionStore,
    last: Arc<Mutex<(usize, usize)>>,
}

impl MeasuringStore {
    fn measure(&self, record: &Record) {
        let json = serde_json::to_vec(&record.data)
            .map(|v| v.len())
            .unwrap_or(0);
        let msgpack = rmp_serde::to_vec(record).map(|v| v.len()).unwrap_or(0);
        *self.last.lock().unwrap() = (json, msgpack);
    }
    fn last(&self) -> (usize, usize) {
        *self.last.lock().unwrap()
    }
}

#[async_trait]
impl SessionStore for MeasuringStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.measure(record);
        self.inner.create(record).await
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.measure(record);
        self.inner.save(record).await
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(id).await
    }
}

/// Counts the spent-marks claimed in the attempt store.
#[derive(Clone, Default)]
struct MeasuringAttempts {
    inner: MemoryAttempts,
    ops: Arc<std::sync::atomic::AtomicUsize>,
}

#[async_trait]
impl AttemptStore for MeasuringAttempts {
    async fn claim(
        &self,
        key: &AttemptKey,
        expires_at: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> Result<bool, AttemptStoreError> {
        self.ops.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.claim(key, expires_at, now).await
    }
}

/// Every `name=value` the response sets (removals left out), as one `Cookie` header value.
fn set_cookies(response: &axum::response::Response) -> String {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default())
        .filter(|pair| !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let logins = if benchmarking { 2_000 } else { 20 };

    let sim = Simulator::start().await.expect("simulator");
    let config = sim
        .config_builder("http://127.0.0.1:3000/auth/line/callback")
        .email(true)
        .build()
        .expect("config");
    let store = MeasuringStore::default();
    let attempts = MeasuringAttempts::default();
    let app = Router::new()
        .route(
            "/me",
            get(|user: LineUser| async move { Json(user.user_id) }),
        )
        .layer(
            LineLoginLayer::new(config.clone())
                .expect("layer")
                .attempt_store(Arc::new(attempts.clone())),
        )
        .layer(session_layer(store.clone(), &config));
    let users = sim.users();

    let mut server_times = Vec::with_capacity(logins);
    let (mut attempt_bytes, mut session_bytes) = (0, (0, 0));
    for i in 0..logins {
        let user = &users[i % users.len()].user_id;
        let started = Instant::now();
        let response = app
            .clone()
            .oneshot(
                Request::get("/auth/line/login?return_to=/orders")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let login_time = started.elapsed();
        let cookie = set_cookies(&response);
        attempt_bytes = cookie
            .split("; ")
            .find(|pair| pair.starts_with("line_login_attempt_"))
            .expect("a sealed attempt cookie")
            .len();
        let authorize = response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let callback = sim
            .consent(
                &authorize,
                ConsentChoice::allow(user.clone()).with_email(true),
            )
            .await
            .expect("consent");
        let path = format!("{}?{}", callback.path(), callback.query().unwrap_or(""));
        let started = Instant::now();
        let response = app
            .clone()
            .oneshot(
                Request::get(path)
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        server_times.push(login_time + started.elapsed());
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login {i} failed");
        session_bytes = store.last();
    }
    if std::env::var_os("LOGIN_LATENCY_DEBUG").is_some() {
        let mut slow: Vec<(usize, Duration)> = server_times.iter().copied().enumerate().collect();
        slow.sort_by_key(|(_, t)| std::cmp::Reverse(*t));
        println!("slowest: {:?}", &slow[..20.min(slow.len())]);
    }
    let operations =
        store.inner.operations() + attempts.ops.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "store operations per login (sessions and attempts, reaching the store): {:.2}",
        operations as f64 / logins as f64
    );
    // Issue 14's budget: the attempt spent and the session created, nothing more.
    assert!(
        operations <= 2 * logins,
        "a login must cost at most 2 store operations, it cost {:.2}",
        operations as f64 / logins as f64
    );
    server_times.sort();
    let p50 = percentile(&server_times, 0.50);
    let p99 = percentile(&server_times, 0.99);
    println!("full login server time over {logins} logins (memory store, simulator on loopback):");
    println!("  p50 {:>8.3} ms", p50.as_secs_f64() * 1e3);
    println!("  p99 {:>8.3} ms", p99.as_secs_f64() * 1e3);
    println!("stored bytes:");
    println!("  one pending attempt (sealed, in its cookie, name=value): {attempt_bytes}");
    println!("  (a login start writes no session and nothing to the attempt store)");
    println!("stored bytes (JSON data / MessagePack record):");
    println!(
        "  logged-in session:                {} / {}",
        session_bytes.0, session_bytes.1
    );
    assert!(
        session_bytes.1 < 1024,
        "a logged-in session must stay under 1 KB, it is {} bytes",
        session_bytes.1
    );
}
