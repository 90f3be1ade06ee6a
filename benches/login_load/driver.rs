//! The many-logins driver shared by `cargo bench --bench login_load` and `tests/instances.rs`:
//! app instances on loopback sharing one session store, and a run of concurrent full logins
//! that alternate between two instances and checks that every user ends up as themselves.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use line_login::store::AnySessionStore;
use line_login::store::attempts::{AttemptKey, AttemptStore, AttemptStoreError};
use line_login::{LineLoginLayer, LineUser};
use line_login_simulator::{ConsentChoice, Simulator};
use tokio::sync::Semaphore;
use tower_sessions::Session;
use url::Url;

/// The session key of the per-login tag the driver plants at login start.
const TAG_KEY: &str = "load_test.tag";
/// Response header carrying the time the app spent on the request, in microseconds.
const SERVER_TIME_HEADER: &str = "x-server-time-us";
/// The session cookie's name.
const SESSION_COOKIE: &str = line_login::session::SESSION_COOKIE_NAME;
const ATTEMPT_COOKIE: &str = line_login::session::ATTEMPT_COOKIE_NAME;
/// Per-request client timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One app instance serving on a loopback port; stops when dropped.
pub struct Instance {
    pub base: String,
    pub port: u16,
    /// Attempt store operations this instance made.
    pub attempt_ops: Arc<AtomicUsize>,
    /// Its session store (operations counted by the store; clones share the count).
    pub sessions: AnySessionStore,
    server: tokio::task::JoinHandle<()>,
}

/// An attempt store that counts the operations that reach it.
struct CountingAttempts {
    inner: Arc<dyn AttemptStore>,
    ops: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl AttemptStore for CountingAttempts {
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

/// Where an instance listens, cheap to clone into a task.
#[derive(Clone, Debug)]
pub struct Target {
    pub base: String,
    pub port: u16,
}

/// Store operations (sessions and attempts) made by `a` and `b` so far; a session store shared by
/// both (the memory store's clones) is counted once.
pub fn store_operations(a: &Instance, b: &Instance, shared_store: bool) -> usize {
    let sessions = if shared_store {
        a.sessions.operations()
    } else {
        a.sessions.operations() + b.sessions.operations()
    };
    sessions + a.attempt_ops.load(Ordering::Relaxed) + b.attempt_ops.load(Ordering::Relaxed)
}

impl Instance {
    /// Where it listens.
    pub fn target(&self) -> Target {
        Target {
            base: self.base.clone(),
            port: self.port,
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// At `/auth/line/login?...&tag=T`, stores `T` in the session before the login layer runs, so
/// `/me` can later prove that the logged-in session is the very one this client started.
async fn plant_tag(request: Request, next: Next) -> Response {
    if request.uri().path() == "/auth/line/login"
        && let Some(tag) = request.uri().query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "tag")
                .map(|(_, v)| v.into_owned())
        })
        && let Some(session) = request.extensions().get::<Session>().cloned()
        && session.insert(TAG_KEY, tag).await.is_err()
    {
        return (StatusCode::SERVICE_UNAVAILABLE, "session store unavailable").into_response();
    }
    next.run(request).await
}

/// Outermost layer: how long the app (session layer, login layer, handler) took, in a header.
async fn server_timing(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    let micros = started.elapsed().as_micros().to_string();
    if let Ok(value) = HeaderValue::from_str(&micros) {
        response.headers_mut().insert(SERVER_TIME_HEADER, value);
    }
    response
}

async fn me(user: LineUser, session: Session) -> Response {
    match session.get::<String>(TAG_KEY).await {
        Ok(tag) => Json(serde_json::json!({ "user_id": user.user_id, "tag": tag })).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "session store unavailable").into_response(),
    }
}

/// Starts an app instance for `sim` on a free loopback port, with its sessions in `store`.
/// Its redirect URI is its own `/auth/line/callback`.
pub async fn start_instance(sim: &Simulator, store: AnySessionStore) -> Instance {
    let attempt_ops = Arc::new(AtomicUsize::new(0));
    let attempts = Arc::new(CountingAttempts {
        inner: store.attempts(),
        ops: attempt_ops.clone(),
    });
    let sessions = store.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free loopback port");
    let port = listener.local_addr().expect("bound address").port();
    let base = format!("http://127.0.0.1:{port}");
    let config = sim
        .config_builder(&format!("{base}/auth/line/callback"))
        .build()
        .expect("valid configuration");
    let app = Router::new()
        .route("/me", get(me))
        .route("/done/{n}", get(|| async { "done" }))
        .layer(
            LineLoginLayer::new(config.clone())
                .expect("layer builds")
                .attempt_store(attempts),
        )
        .layer(axum::middleware::from_fn(plant_tag))
        .layer(line_login::session::session_layer(store, &config))
        .layer(axum::middleware::from_fn(server_timing));
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    Instance {
        base,
        port,
        attempt_ops,
        sessions,
        server,
    }
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Logins attempted.
    pub logins: usize,
    /// Logins that ended with `/me` naming the right user and the right session.
    pub succeeded: usize,
    /// Logins that ended as somebody else, or in somebody else's session.
    pub mixups: usize,
    /// Callbacks sent twice at once that logged in twice (the code spent twice).
    pub double_spends: usize,
    /// Answers with a 5xx status.
    pub server_errors: usize,
    /// Every other failure (first few kept as text).
    pub other_failures: usize,
    /// Descriptions of the first failures.
    pub failure_samples: Vec<String>,
    /// Wall time of the whole run.
    pub wall: Duration,
    /// Per successful login: start to `/me` answered (app requests and the consent).
    pub whole: Vec<Duration>,
    /// Per successful login: time spent inside the two apps on its three requests (login start;
    /// callback with the token exchange, ID-token check and friendship fetch; `/me`), as the
    /// apps measured it: no network, no queueing before the app sees the request.
    pub server: Vec<Duration>,
}

impl LoadReport {
    /// Successful logins per second of wall time.
    pub fn logins_per_sec(&self) -> f64 {
        self.succeeded as f64 / self.wall.as_secs_f64().max(f64::EPSILON)
    }

    /// Whether every login succeeded as itself, without a 5xx.
    pub fn is_clean(&self) -> bool {
        self.succeeded == self.logins
            && self.mixups == 0
            && self.double_spends == 0
            && self.server_errors == 0
            && self.other_failures == 0
    }
}

/// The `q`-quantile (0..=1) of `samples`, nearest rank.
pub fn quantile(samples: &[Duration], q: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

enum Failure {
    Mixup(String),
    DoubleSpend(String),
    ServerError(String),
    Other(String),
}

struct Timing {
    whole: Duration,
    server: Duration,
}

/// One client request's answer.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    session_cookie: Option<String>,
    /// The attempt cookies a login start set (the browser key and the sealed attempt), as
    /// `name=value` pairs for a `Cookie` header.
    attempt_cookie: Option<String>,
    /// Time spent inside the app, from its timing header.
    server_time: Duration,
    body: String,
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    cookie: Option<&str>,
) -> Result<Answer, Failure> {
    send_with(client, url, cookie, None).await
}

async fn send_with(
    client: &reqwest::Client,
    url: &str,
    cookie: Option<&str>,
    attempt_cookie: Option<&str>,
) -> Result<Answer, Failure> {
    let mut request = client
        .get(url)
        .header(header::ACCEPT, HeaderValue::from_static("application/json"));
    let cookies: Vec<String> = [
        cookie.map(|c| format!("{SESSION_COOKIE}={c}")),
        attempt_cookie.map(str::to_owned),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !cookies.is_empty() {
        request = request.header(header::COOKIE, cookies.join("; "));
    }
    let response = request
        .send()
        .await
        .map_err(|e| Failure::Other(format!("GET {url}: {e}")))?;
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let set_cookie = |name: &str| {
        response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| cookie::Cookie::parse(v.to_owned()).ok())
            .find(|c| c.name() == name)
            .map(|c| c.value().to_owned())
    };
    let session_cookie = set_cookie(SESSION_COOKIE);
    let attempt_cookies: Vec<String> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| cookie::Cookie::parse(v.to_owned()).ok())
        .filter(|c| c.name().starts_with(ATTEMPT_COOKIE) && !c.value().is_empty())
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect();
    let attempt_cookie = (!attempt_cookies.is_empty()).then(|| attempt_cookies.join("; "));
    let server_time = response
        .headers()
        .get(SERVER_TIME_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .map(Duration::from_micros)
        .unwrap_or_default();
    let body = response.text().await.unwrap_or_default();
    if status.is_server_error() {
        return Err(Failure::ServerError(format!("GET {url}: {status} {body}")));
    }
    Ok(Answer {
        status,
        location,
        session_cookie,
        attempt_cookie,
        server_time,
        body,
    })
}

/// Login `n` must come back to its own return path, `/done/{n}`.
pub fn check_return(n: usize, location: Option<&str>) -> Result<(), String> {
    let expected = format!("/done/{n}");
    if location == Some(expected.as_str()) {
        Ok(())
    } else {
        Err(format!(
            "login {n}: the callback returned to {location:?}, not {expected}"
        ))
    }
}

/// `/me` after login `n` must name `user_id` and carry the tag planted at its start (none when
/// `tag` is empty: the plain login, which plants nothing).
pub fn check_me(n: usize, user_id: &str, tag: &str, me: &serde_json::Value) -> Result<(), String> {
    let tag_ok = if tag.is_empty() {
        me["tag"].is_null()
    } else {
        me["tag"].as_str() == Some(tag)
    };
    if me["user_id"].as_str() == Some(user_id) && tag_ok {
        Ok(())
    } else {
        Err(format!(
            "login {n}: expected {user_id} with tag {tag}, /me says {me}"
        ))
    }
}

/// One full login: start on `first`, consent on the simulator, callback on `second`, `/me` on
/// `first`; checks the user, the session's tag and the return path.
async fn one_login(
    client: &reqwest::Client,
    sim: &Simulator,
    first: &Target,
    second: &Target,
    n: usize,
    user_id: &str,
    twice: bool,
) -> Result<Timing, Failure> {
    let started = Instant::now();
    let mut server = Duration::ZERO;
    // `LOGIN_LOAD_PLANT_TAG=0`: a plain login from a fresh browser, the app writing nothing
    // to the session before the callback.
    let plant = std::env::var("LOGIN_LOAD_PLANT_TAG").map_or(true, |v| v != "0");
    let tag = if plant {
        format!("login-{n}-{}", rand::random::<u64>())
    } else {
        String::new()
    };
    let tag_query = if plant {
        format!("&tag={tag}")
    } else {
        String::new()
    };

    let login = send(
        client,
        &format!(
            "{}/auth/line/login?return_to=/done/{n}{tag_query}",
            first.base
        ),
        None,
    )
    .await?;
    server += login.server_time;
    let (Some(authorize), Some(attempt)) = (login.location, login.attempt_cookie) else {
        return Err(Failure::Other(format!(
            "login {n}: {} without a redirect and an attempt cookie: {}",
            login.status, login.body
        )));
    };
    // The session cookie exists only when the app wrote to the session (the planted tag).
    let cookie = login.session_cookie;
    if plant && cookie.is_none() {
        return Err(Failure::Other(format!("login {n}: no session cookie")));
    }

    let callback = sim
        .consent(&authorize, ConsentChoice::allow(user_id))
        .await
        .map_err(|e| Failure::Other(format!("login {n}: consent refused: {e}")))?;
    let mut callback = callback;
    callback
        .set_port(Some(second.port))
        .map_err(|()| Failure::Other(format!("login {n}: cannot move the callback")))?;

    let back = if twice {
        // The same callback twice at once (a double click, a prefetch, an attacker): exactly
        // one may reach LINE's token endpoint; the other is refused.
        let (one, two) = futures_util::future::join(
            send_with(client, callback.as_str(), cookie.as_deref(), Some(&attempt)),
            send_with(client, callback.as_str(), cookie.as_deref(), Some(&attempt)),
        )
        .await;
        let (one, two) = (one?, two?);
        match (one.status, two.status) {
            (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER) => {
                return Err(Failure::DoubleSpend(format!(
                    "login {n}: both copies of the callback logged in"
                )));
            }
            (StatusCode::SEE_OTHER, _) => one,
            (_, StatusCode::SEE_OTHER) => two,
            _ => {
                return Err(Failure::Other(format!(
                    "login {n}: neither copy of the callback logged in: {} {}",
                    one.body, two.body
                )));
            }
        }
    } else {
        send_with(client, callback.as_str(), cookie.as_deref(), Some(&attempt)).await?
    };
    server += back.server_time;
    if back.status != StatusCode::SEE_OTHER {
        return Err(Failure::Other(format!(
            "login {n}: callback answered {}: {}",
            back.status, back.body
        )));
    }
    if let Err(mixup) = check_return(n, back.location.as_deref()) {
        return Err(Failure::Mixup(mixup));
    }
    let Some(cookie) = back.session_cookie else {
        return Err(Failure::Other(format!(
            "login {n}: the callback set no new session cookie"
        )));
    };

    let me = send(client, &format!("{}/me", first.base), Some(&cookie)).await?;
    server += me.server_time;
    if me.status != StatusCode::OK {
        return Err(Failure::Other(format!(
            "login {n}: /me answered {}: {}",
            me.status, me.body
        )));
    }
    let json: serde_json::Value = serde_json::from_str(&me.body)
        .map_err(|e| Failure::Other(format!("login {n}: /me is not JSON: {e}")))?;
    if let Err(mixup) = check_me(n, user_id, &tag, &json) {
        return Err(Failure::Mixup(mixup));
    }
    Ok(Timing {
        whole: started.elapsed(),
        server,
    })
}

/// `logins` full logins against two instances sharing one store, at most `in_flight` at once:
/// login `n` starts on `a` when `n` is even and on `b` when odd, and finishes on the other. The
/// test users take turns. Stops starting new logins at `deadline`; those never started count
/// as failures.
pub async fn run_load(
    sim: &Simulator,
    a: &Instance,
    b: &Instance,
    logins: usize,
    in_flight: usize,
    deadline: Duration,
) -> LoadReport {
    run_load_with(sim, a, b, logins, in_flight, deadline, false).await
}

/// [`run_load`], sending every callback twice at once when `twice` is set.
pub async fn run_load_with(
    sim: &Simulator,
    a: &Instance,
    b: &Instance,
    logins: usize,
    in_flight: usize,
    deadline: Duration,
    twice: bool,
) -> LoadReport {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(in_flight)
        .build()
        .expect("HTTP client builds");
    let users: Vec<String> = sim.users().into_iter().map(|u| u.user_id).collect();
    let permits = Arc::new(Semaphore::new(in_flight.max(1)));
    let started = Instant::now();

    let (a, b) = (a.target(), b.target());
    // All logins run in this one task: `Simulator::consent`'s future is not `Send`, so it
    // cannot be spawned. The app instances and the simulator's HTTP side still serve on every
    // worker thread.
    let runs = (0..logins).map(|n| {
        let permits = permits.clone();
        let client = &client;
        let user = users[n % users.len()].as_str();
        let (first, second) = if n % 2 == 0 { (&a, &b) } else { (&b, &a) };
        async move {
            let Ok(_permit) = permits.acquire().await else {
                return Err(Failure::Other(format!("login {n}: semaphore closed")));
            };
            if started.elapsed() > deadline {
                return Err(Failure::Other(format!(
                    "login {n}: not started before the deadline"
                )));
            }
            one_login(client, sim, first, second, n, user, twice).await
        }
    });
    let results = futures_util::future::join_all(runs).await;

    let mut report = LoadReport {
        logins,
        wall: started.elapsed(),
        ..LoadReport::default()
    };
    for result in results {
        let sample = match result {
            Ok(timing) => {
                report.succeeded += 1;
                report.whole.push(timing.whole);
                report.server.push(timing.server);
                continue;
            }
            Err(Failure::Mixup(text)) => {
                report.mixups += 1;
                text
            }
            Err(Failure::DoubleSpend(text)) => {
                report.double_spends += 1;
                text
            }
            Err(Failure::ServerError(text)) => {
                report.server_errors += 1;
                text
            }
            Err(Failure::Other(text)) => {
                report.other_failures += 1;
                text
            }
        };
        if report.failure_samples.len() < 10 {
            report.failure_samples.push(sample);
        }
    }
    report
}

/// Rewrites `url`'s port (to finish a login on another instance).
pub fn on_port(url: &str, port: u16) -> String {
    let mut url = Url::parse(url).expect("absolute URL");
    url.set_port(Some(port)).expect("http URL has a port");
    url.to_string()
}

/// A private `redis-server` on a free loopback port, without persistence; killed when dropped.
/// The shared server on 6379 is never touched.
pub struct RedisServer {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl RedisServer {
    /// Starts one on a free port and waits until it answers `PING`.
    ///
    /// Panics with "run .ci/setup" when `redis-server` is not installed.
    pub async fn start() -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut server = RedisServer { port, child: None };
        server.restart().await;
        server
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL) and waits for it to exit. Its data is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (after [`RedisServer::kill`]).
    pub async fn restart(&mut self) {
        self.kill();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(std::env::temp_dir())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed: run .ci/setup (it installs Debian's redis-server)"
            ),
            Err(e) => panic!("cannot start redis-server: {e}; run .ci/setup"),
        };
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if ping(self.port).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "redis-server on port {} did not answer PING within 10 s",
            self.port
        );
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn ping(port: u16) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    if stream.write_all(b"PING\r\n").await.is_err() {
        return false;
    }
    let mut buffer = [0u8; 16];
    matches!(
        tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await,
        Ok(Ok(n)) if buffer[..n].starts_with(b"+PONG")
    )
}

/// The PostgreSQL server for tests: `LINE_LOGIN_TEST_POSTGRES_URL`, by default the one
/// `.ci/setup` starts.
pub fn postgres_url() -> String {
    std::env::var("LINE_LOGIN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A schema name of its own for this run (`ll_test_<pid>_<random>`).
pub fn unique_schema() -> String {
    format!(
        "ll_test_{}_{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Drops a schema made by [`unique_schema`]; panics with "run .ci/setup" when PostgreSQL is
/// unreachable.
pub async fn drop_schema(schema: &str) {
    let pool = postgres_pool().await;
    sqlx::query(&format!(r#"drop schema if exists "{schema}" cascade"#))
        .execute(&pool)
        .await
        .expect("drop the test schema");
    pool.close().await;
}

/// A small pool on [`postgres_url`]; panics with "run .ci/setup" when PostgreSQL is unreachable.
pub async fn postgres_pool() -> sqlx::PgPool {
    let url = postgres_url();
    match sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&url)
        .await
    {
        Ok(pool) => pool,
        Err(e) => panic!(
            "PostgreSQL is not reachable at LINE_LOGIN_TEST_POSTGRES_URL (default 127.0.0.1:5432): {e}; run .ci/setup"
        ),
    }
}

/// A session store on [`postgres_url`] in its own `schema`; panics with "run .ci/setup" when
/// PostgreSQL is unreachable.
pub async fn postgres_store(
    schema: &str,
    options: &line_login::store::StoreOptions,
) -> line_login::store::AnySessionStore {
    let options = options.clone().postgres_schema(schema);
    match line_login::store::session_store_from_url_with(Some(&postgres_url()), &options).await {
        Ok(store) => store,
        Err(e) => panic!("{e}; run .ci/setup"),
    }
}

/// A session store on a private Redis server.
pub async fn redis_store(
    server: &RedisServer,
    options: &line_login::store::StoreOptions,
) -> line_login::store::AnySessionStore {
    match line_login::store::session_store_from_url_with(Some(&server.url()), options).await {
        Ok(store) => store,
        Err(e) => panic!("{e}; run .ci/setup"),
    }
}

/// A directory of its own under the system temp dir; removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(what: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "line_login_{what}_{}_{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&path).expect("create a temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A free loopback port; with `bus`, one whose cluster bus port (+10000) is free too.
fn free_port(bus: bool) -> u16 {
    loop {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let port = listener.local_addr().expect("a local address").port();
        if !bus {
            return port;
        }
        if port < 55_000 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

/// Starts `redis-server` with these arguments, output discarded; panics with "run .ci/setup"
/// when it is not installed.
fn spawn_redis_server<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Child {
    match std::process::Command::new("redis-server")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "redis-server is not installed: run .ci/setup (it installs Debian's redis-server)"
        ),
        Err(e) => panic!("cannot start redis-server: {e}; run .ci/setup"),
    }
}

/// `redis-cli -p PORT ARGS...` on loopback; its standard output.
pub fn redis_cli_on(port: u16, args: &[&str]) -> String {
    let output = std::process::Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli runs (run .ci/setup)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `redis-cli` on a loopback port, over TLS trusting `ca` when given, with the password `auth`
/// when given; its standard output.
pub fn redis_cli_tls(
    ca: Option<&std::path::Path>,
    auth: Option<&str>,
    port: u16,
    args: &[&str],
) -> String {
    let mut command = std::process::Command::new("redis-cli");
    if let Some(ca) = ca {
        command.arg("--tls").arg("--cacert").arg(ca);
    }
    if let Some(auth) = auth {
        command.env("REDISCLI_AUTH", auth);
    }
    let output = command
        .args(["-h", "localhost", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli runs (run .ci/setup)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Polls `ready` every 50 ms for up to `limit`; panics naming `what` when it never holds.
async fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} within {limit:?}");
}

fn kill_child(child: &mut Option<std::process::Child>) {
    if let Some(mut child) = child.take() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A CA and a server certificate signed by it, made by rcgen, as PEM files.
pub struct TestCertificates {
    pub ca_file: std::path::PathBuf,
    pub cert_file: std::path::PathBuf,
    pub key_file: std::path::PathBuf,
}

impl TestCertificates {
    /// Writes `ca.pem`, `server.pem` and `server.key` into `dir`, the server certificate naming
    /// `names` (host names or IP addresses).
    pub fn write(dir: &std::path::Path, names: &[&str]) -> TestCertificates {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        };
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "line-login test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().expect("a CA key");
        let ca_cert = ca_params.self_signed(&ca_key).expect("a CA certificate");
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let server_params = CertificateParams::new(names).expect("server params");
        let server_key = KeyPair::generate().expect("a server key");
        let issuer = Issuer::from_params(&ca_params, &ca_key);
        let server_cert = server_params
            .signed_by(&server_key, &issuer)
            .expect("a server certificate");
        let certificates = TestCertificates {
            ca_file: dir.join("ca.pem"),
            cert_file: dir.join("server.pem"),
            key_file: dir.join("server.key"),
        };
        std::fs::write(&certificates.ca_file, ca_cert.pem()).unwrap();
        std::fs::write(&certificates.cert_file, server_cert.pem()).unwrap();
        std::fs::write(&certificates.key_file, server_key.serialize_pem()).unwrap();
        certificates
    }
}

/// A private Redis that listens only on TLS (no plain port), with a CA and a server
/// certificate (for `127.0.0.1` and `localhost`) generated here, and a password; killed and
/// its files removed when dropped.
pub struct RedisTlsServer {
    pub port: u16,
    /// The CA's certificate (PEM), for `SESSION_STORE_CA_FILE`.
    pub ca_file: std::path::PathBuf,
    pub password: &'static str,
    child: Option<std::process::Child>,
    _dir: TempDir,
}

impl RedisTlsServer {
    pub async fn start() -> RedisTlsServer {
        let dir = TempDir::new("redis_tls");
        let TestCertificates {
            ca_file,
            cert_file,
            key_file,
        } = TestCertificates::write(&dir.0, &["localhost", "127.0.0.1"]);
        let port = free_port(false);
        let password = "tls-hunter2";
        let port_text = port.to_string();
        let args: Vec<&std::ffi::OsStr> = vec![
            "--port".as_ref(),
            "0".as_ref(),
            "--tls-port".as_ref(),
            port_text.as_ref(),
            "--bind".as_ref(),
            "127.0.0.1".as_ref(),
            "--tls-cert-file".as_ref(),
            cert_file.as_os_str(),
            "--tls-key-file".as_ref(),
            key_file.as_os_str(),
            "--tls-ca-cert-file".as_ref(),
            ca_file.as_os_str(),
            "--tls-auth-clients".as_ref(),
            "no".as_ref(),
            "--requirepass".as_ref(),
            password.as_ref(),
            "--save".as_ref(),
            "".as_ref(),
            "--appendonly".as_ref(),
            "no".as_ref(),
            "--dir".as_ref(),
            dir.0.as_os_str(),
        ];
        let child = spawn_redis_server(&args);
        let server = RedisTlsServer {
            port,
            ca_file,
            password,
            child: Some(child),
            _dir: dir,
        };
        wait_until(
            "the TLS redis-server listens",
            Duration::from_secs(10),
            || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        )
        .await;
        server
    }

    /// `rediss://:PASSWORD@127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("rediss://:{}@127.0.0.1:{}", self.password, self.port)
    }
}

impl Drop for RedisTlsServer {
    fn drop(&mut self) {
        kill_child(&mut self.child);
    }
}

/// A private 3-node Redis Cluster (3 primaries, no replicas) on loopback; killed and its files
/// removed when dropped.
pub struct RedisCluster {
    pub ports: Vec<u16>,
    /// The CA of a TLS cluster ([`RedisCluster::start_tls`]).
    pub ca_file: Option<std::path::PathBuf>,
    children: Vec<std::process::Child>,
    _dir: TempDir,
}

impl RedisCluster {
    pub async fn start() -> RedisCluster {
        Self::start_with(false).await
    }

    /// A cluster that speaks only TLS, between nodes too, with a certificate that names
    /// `localhost` only: the nodes announce `127.0.0.1`, so a client must check each node's
    /// certificate against the host name it was given.
    pub async fn start_tls() -> RedisCluster {
        Self::start_with(true).await
    }

    async fn start_with(tls: bool) -> RedisCluster {
        let mut cluster = RedisCluster {
            ports: Vec::new(),
            ca_file: None,
            children: Vec::new(),
            _dir: TempDir::new("redis_cluster"),
        };
        let certificates = tls.then(|| TestCertificates::write(&cluster._dir.0, &["localhost"]));
        cluster.ca_file = certificates.as_ref().map(|c| c.ca_file.clone());
        for _ in 0..3 {
            let port = free_port(true);
            let node_dir = cluster._dir.0.join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let port_text = port.to_string();
            let mut args: Vec<&std::ffi::OsStr> = match &certificates {
                None => vec!["--port".as_ref(), port_text.as_ref()],
                Some(c) => vec![
                    "--port".as_ref(),
                    "0".as_ref(),
                    "--tls-port".as_ref(),
                    port_text.as_ref(),
                    "--tls-cluster".as_ref(),
                    "yes".as_ref(),
                    "--tls-cert-file".as_ref(),
                    c.cert_file.as_os_str(),
                    "--tls-key-file".as_ref(),
                    c.key_file.as_os_str(),
                    "--tls-ca-cert-file".as_ref(),
                    c.ca_file.as_os_str(),
                    "--tls-auth-clients".as_ref(),
                    "no".as_ref(),
                ],
            };
            args.extend::<[&std::ffi::OsStr; 14]>([
                "--bind".as_ref(),
                "127.0.0.1".as_ref(),
                "--cluster-enabled".as_ref(),
                "yes".as_ref(),
                "--cluster-config-file".as_ref(),
                "nodes.conf".as_ref(),
                "--cluster-node-timeout".as_ref(),
                "2000".as_ref(),
                "--save".as_ref(),
                "".as_ref(),
                "--appendonly".as_ref(),
                "no".as_ref(),
                "--dir".as_ref(),
                node_dir.as_os_str(),
            ]);
            cluster.children.push(spawn_redis_server(&args));
            cluster.ports.push(port);
        }
        for &port in &cluster.ports {
            wait_until(
                "a cluster node answers PING",
                Duration::from_secs(10),
                || cluster.cli(port, &["ping"]).starts_with("PONG"),
            )
            .await;
        }
        let nodes: Vec<String> = cluster
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let output = std::process::Command::new("redis-cli")
            .args(cluster.tls_args())
            .arg("--cluster")
            .arg("create")
            .args(&nodes)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli --cluster create runs");
        assert!(
            output.status.success(),
            "redis-cli --cluster create: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        for &port in &cluster.ports {
            wait_until(
                "every cluster node reports cluster_state:ok",
                Duration::from_secs(20),
                || {
                    cluster
                        .cli(port, &["cluster", "info"])
                        .contains("cluster_state:ok")
                },
            )
            .await;
        }
        cluster
    }

    /// `redis-cluster://127.0.0.1:P1?node=127.0.0.1:P2&node=127.0.0.1:P3`, or for a TLS
    /// cluster `rediss-cluster://localhost:P1?node=localhost:P2&node=localhost:P3`.
    pub fn url(&self) -> String {
        let (scheme, host) = match self.ca_file {
            None => ("redis-cluster", "127.0.0.1"),
            Some(_) => ("rediss-cluster", "localhost"),
        };
        format!(
            "{scheme}://{host}:{}?node={host}:{}&node={host}:{}",
            self.ports[0], self.ports[1], self.ports[2]
        )
    }

    fn tls_args(&self) -> Vec<std::ffi::OsString> {
        match &self.ca_file {
            None => Vec::new(),
            Some(ca) => vec!["--tls".into(), "--cacert".into(), ca.clone().into()],
        }
    }

    /// `redis-cli` on one node (over TLS for a TLS cluster); its standard output.
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        redis_cli_tls(self.ca_file.as_deref(), None, port, args)
    }

    /// Keys held by each node.
    pub fn keys_per_node(&self) -> Vec<usize> {
        self.ports
            .iter()
            .map(|&p| self.cli(p, &["dbsize"]).trim().parse().unwrap_or(0))
            .collect()
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The Sentinel service name of [`RedisSentinel`].
pub const SENTINEL_SERVICE: &str = "line_login_test";

/// A private primary, its replica and one Sentinel watching them (quorum 1, the primary judged
/// down after 1 s), on loopback; killed and their files removed when dropped. The two servers
/// require [`SENTINEL_DATA_PASSWORD`]; the Sentinel requires none.
pub struct RedisSentinel {
    pub primary_port: u16,
    pub replica_port: u16,
    pub sentinel_port: u16,
    /// The CA of a TLS set ([`RedisSentinel::start_tls`]).
    pub ca_file: Option<std::path::PathBuf>,
    primary: Option<std::process::Child>,
    replica: Option<std::process::Child>,
    sentinel: Option<std::process::Child>,
    _dir: TempDir,
}

/// The password of the primary and the replica behind the Sentinel.
pub const SENTINEL_DATA_PASSWORD: &str = "data-hunter2";

/// How long the Sentinel waits before it judges the primary down.
pub const SENTINEL_DOWN_AFTER_MS: u64 = 1000;

impl RedisSentinel {
    pub async fn start() -> RedisSentinel {
        Self::start_with(false).await
    }

    /// The same, every server and the Sentinel speaking only TLS (replication too).
    pub async fn start_tls() -> RedisSentinel {
        Self::start_with(true).await
    }

    async fn start_with(tls: bool) -> RedisSentinel {
        let dir = TempDir::new("redis_sentinel");
        let primary_port = free_port(false);
        let replica_port = free_port(false);
        let sentinel_port = free_port(false);
        let certificates =
            tls.then(|| TestCertificates::write(&dir.0, &["localhost", "127.0.0.1"]));
        let tls_args: Vec<std::ffi::OsString> = match &certificates {
            None => Vec::new(),
            Some(c) => vec![
                "--tls-replication".into(),
                "yes".into(),
                "--tls-cert-file".into(),
                c.cert_file.clone().into(),
                "--tls-key-file".into(),
                c.key_file.clone().into(),
                "--tls-ca-cert-file".into(),
                c.ca_file.clone().into(),
                "--tls-auth-clients".into(),
                "no".into(),
            ],
        };
        let port_args = |port: u16| -> Vec<std::ffi::OsString> {
            if tls {
                vec![
                    "--port".into(),
                    "0".into(),
                    "--tls-port".into(),
                    port.to_string().into(),
                ]
            } else {
                vec!["--port".into(), port.to_string().into()]
            }
        };
        let server = |port: u16, replica_of: Option<u16>| {
            let node_dir = dir.0.join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let mut args = port_args(port);
            args.extend(tls_args.iter().cloned());
            args.extend(
                [
                    "--requirepass",
                    SENTINEL_DATA_PASSWORD,
                    "--masterauth",
                    SENTINEL_DATA_PASSWORD,
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--repl-diskless-sync",
                    "yes",
                    "--repl-diskless-sync-delay",
                    "0",
                    "--dir",
                ]
                .iter()
                .map(Into::into),
            );
            args.push(node_dir.into_os_string());
            if let Some(primary) = replica_of {
                args.extend(
                    ["--replicaof", "127.0.0.1", &primary.to_string()]
                        .iter()
                        .map(Into::into),
                );
            }
            spawn_redis_server(&args)
        };
        let primary = server(primary_port, None);
        let replica = server(replica_port, Some(primary_port));
        let config = dir.0.join("sentinel.conf");
        std::fs::write(
            &config,
            format!(
                "bind 127.0.0.1\ndir {dir}\n\
                 sentinel monitor {SENTINEL_SERVICE} 127.0.0.1 {primary_port} 1\n\
                 sentinel down-after-milliseconds {SENTINEL_SERVICE} {SENTINEL_DOWN_AFTER_MS}\n\
                 sentinel failover-timeout {SENTINEL_SERVICE} 3000\n\
                 sentinel parallel-syncs {SENTINEL_SERVICE} 1\n\
                 sentinel auth-pass {SENTINEL_SERVICE} {SENTINEL_DATA_PASSWORD}\n",
                dir = dir.0.display()
            ),
        )
        .unwrap();
        let mut sentinel_args: Vec<std::ffi::OsString> =
            vec![config.clone().into_os_string(), "--sentinel".into()];
        sentinel_args.extend(port_args(sentinel_port));
        sentinel_args.extend(tls_args.iter().cloned());
        let sentinel = spawn_redis_server(&sentinel_args);
        let ca_file = certificates.map(|c| c.ca_file);
        let ca = ca_file.clone();
        let set = RedisSentinel {
            primary_port,
            replica_port,
            sentinel_port,
            ca_file,
            primary: Some(primary),
            replica: Some(replica),
            sentinel: Some(sentinel),
            _dir: dir,
        };
        wait_until(
            "the replica is in sync with the primary",
            Duration::from_secs(20),
            || {
                redis_cli_tls(
                    ca.as_deref(),
                    Some(SENTINEL_DATA_PASSWORD),
                    replica_port,
                    &["info", "replication"],
                )
                .contains("master_link_status:up")
            },
        )
        .await;
        wait_until(
            "the Sentinel knows the replica",
            Duration::from_secs(30),
            || {
                redis_cli_tls(
                    ca.as_deref(),
                    None,
                    sentinel_port,
                    &["sentinel", "replicas", SENTINEL_SERVICE],
                )
                .contains(&replica_port.to_string())
            },
        )
        .await;
        set
    }

    /// `redis-sentinel://:PASSWORD@127.0.0.1:SENTINEL/0?sentinelServiceName=...`
    /// (`rediss-sentinel` for a TLS set): the password is the servers', not the Sentinel's.
    pub fn url(&self) -> String {
        let scheme = match self.ca_file {
            None => "redis-sentinel",
            Some(_) => "rediss-sentinel",
        };
        format!(
            "{scheme}://:{SENTINEL_DATA_PASSWORD}@127.0.0.1:{}/0?sentinelServiceName={SENTINEL_SERVICE}",
            self.sentinel_port
        )
    }

    /// The port of the server the Sentinel names primary now.
    pub fn current_primary(&self) -> Option<u16> {
        let answer = redis_cli_tls(
            self.ca_file.as_deref(),
            None,
            self.sentinel_port,
            &["sentinel", "get-master-addr-by-name", SENTINEL_SERVICE],
        );
        answer.lines().nth(1)?.trim().parse().ok()
    }

    /// Waits until the replica has everything the primary has written.
    pub async fn wait_for_replication(&self) {
        let offset = |port: u16, field: &str| -> Option<i64> {
            redis_cli_tls(
                self.ca_file.as_deref(),
                Some(SENTINEL_DATA_PASSWORD),
                port,
                &["info", "replication"],
            )
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().parse().ok())
        };
        let primary = self.primary_port;
        let replica = self.replica_port;
        wait_until(
            "the replica caught up with the primary",
            Duration::from_secs(10),
            || {
                let written = offset(primary, "master_repl_offset:");
                written.is_some() && offset(replica, "slave_repl_offset:") >= written
            },
        )
        .await;
    }

    /// Kills the primary (SIGKILL): the Sentinel promotes the replica.
    pub fn kill_primary(&mut self) {
        kill_child(&mut self.primary);
    }
}

impl Drop for RedisSentinel {
    fn drop(&mut self) {
        kill_child(&mut self.sentinel);
        kill_child(&mut self.replica);
        kill_child(&mut self.primary);
    }
}

/// A session store built from `url` with `options`; panics with the (password-free) error.
pub async fn store_at(
    url: &str,
    options: &line_login::store::StoreOptions,
) -> line_login::store::AnySessionStore {
    match line_login::store::session_store_from_url_with(Some(url), options).await {
        Ok(store) => store,
        Err(e) => panic!("{e}; run .ci/setup"),
    }
}
