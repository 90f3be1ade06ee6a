//! The example login site without a browser, on each database and session store it supports:
//! PostgreSQL members and links with Redis sessions, SQLite with in-memory sessions, and two
//! instances sharing Redis and PostgreSQL, where a login and a link started on one finish on the
//! other. Each walk logs in through the simulator, signs in as a demo member, links, checks `/me`
//! and the link rows in the chosen database, and unlinks.
//!
//! PostgreSQL is `LINE_LOGIN_TEST_POSTGRES_URL` (default the `.ci/setup` one) with a schema of its
//! own per test; Redis is `LINE_LOGIN_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`, where
//! sessions have random keys, so tests never collide). Either missing fails with "run .ci/setup".

use crate::common;
use crate::site;

use std::path::PathBuf;
use std::time::Duration;

use common::Browser;
use line_login::session::SESSION_COOKIE_NAME;
use line_login::token_crypto::{TokenKey, TokenKeyRing};
use line_login_simulator::{ConsentChoice, Endpoint, Simulator};
use reqwest::StatusCode;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use url::Url;

const POSTGRES_URL_DEFAULT: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";
const REDIS_URL_DEFAULT: &str = "redis://127.0.0.1:6379";
/// How long a PostgreSQL or Redis connection may take before the test fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The member area's link and unlink forms, as `members.html` posts them.
const LINK_PATH: &str = "/auth/line/link?return_to=/members%3Fnotice%3Dlinked";
const UNLINK_PATH: &str = "/auth/line/unlink?return_to=/members%3Fnotice%3Dunlinked";

fn postgres_url() -> String {
    std::env::var("LINE_LOGIN_TEST_POSTGRES_URL").unwrap_or_else(|_| POSTGRES_URL_DEFAULT.into())
}

fn redis_url() -> String {
    std::env::var("LINE_LOGIN_TEST_REDIS_URL").unwrap_or_else(|_| REDIS_URL_DEFAULT.into())
}

/// A PostgreSQL schema of this test's own; [`Schema::database_url`] points the site at it.
struct Schema {
    name: String,
    admin: PgPool,
}

impl Schema {
    async fn create() -> Schema {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect(&postgres_url())
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is not reachable at LINE_LOGIN_TEST_POSTGRES_URL (default \
                     127.0.0.1:5432): {e}; run .ci/setup"
                )
            });
        let name = format!(
            "ll_site_{}_{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        sqlx::query(&format!(r#"CREATE SCHEMA "{name}""#))
            .execute(&admin)
            .await
            .unwrap();
        Schema { name, admin }
    }

    /// The test server's URL with every connection's `search_path` set to this schema, so the
    /// site's tables land here.
    fn database_url(&self) -> String {
        let mut url = Url::parse(&postgres_url()).unwrap();
        url.query_pairs_mut()
            .append_pair("options", &format!("-csearch_path={}", self.name));
        url.to_string()
    }

    async fn drop(self) {
        sqlx::query(&format!(r#"DROP SCHEMA "{}" CASCADE"#, self.name))
            .execute(&self.admin)
            .await
            .unwrap();
        self.admin.close().await;
    }
}

/// A temporary directory for a SQLite file, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "line-login-site-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A direct look into the site's database (not through the site), the same SQL for both.
enum Db {
    Postgres(PgPool),
    /// The pool and the directory holding the database file (and its journal).
    Sqlite(SqlitePool, PathBuf),
}

impl Db {
    async fn open(url: &str) -> Db {
        if let Some(path) = url.strip_prefix("sqlite://") {
            let dir = std::path::Path::new(path).parent().unwrap().to_owned();
            Db::Sqlite(SqlitePoolOptions::new().connect(url).await.unwrap(), dir)
        } else {
            Db::Postgres(PgPoolOptions::new().connect(url).await.unwrap())
        }
    }

    /// Which of `tokens` appear anywhere at rest: in any byte of the SQLite files, or in any row
    /// of any table of the PostgreSQL schema, as text.
    async fn tokens_at_rest(&self, tokens: &[String]) -> Vec<String> {
        let mut stored = Vec::new();
        match self {
            Db::Sqlite(_, dir) => {
                for entry in std::fs::read_dir(dir).unwrap() {
                    stored.push(std::fs::read(entry.unwrap().path()).unwrap());
                }
            }
            Db::Postgres(pool) => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = current_schema()",
                )
                .fetch_all(pool)
                .await
                .unwrap();
                assert!(tables.contains(&"line_login_member_links".to_owned()));
                for table in tables {
                    let rows: Vec<String> =
                        sqlx::query_scalar(&format!(r#"SELECT t::text FROM "{table}" t"#))
                            .fetch_all(pool)
                            .await
                            .unwrap();
                    stored.extend(rows.into_iter().map(String::into_bytes));
                }
            }
        }
        found_in(tokens, &stored)
    }

    async fn strings(&self, sql: &str) -> Vec<(String, String)> {
        match self {
            Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
            Db::Sqlite(pool, _) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
        }
    }

    /// `(member_id, line_user_id)` of every link.
    async fn links(&self) -> Vec<(String, String)> {
        self.strings("SELECT member_id, line_user_id FROM line_login_member_links ORDER BY 1")
            .await
    }

    /// `(action, member_id)` of the audit trail, oldest first.
    async fn audit(&self) -> Vec<(String, String)> {
        self.strings("SELECT action, member_id FROM line_login_link_audit ORDER BY at, action")
            .await
    }

    /// `(id, name)` of the demo members.
    async fn members(&self) -> Vec<(String, String)> {
        self.strings("SELECT id, name FROM demo_members ORDER BY id")
            .await
    }

    async fn close(self) {
        match self {
            Db::Postgres(pool) => pool.close().await,
            Db::Sqlite(pool, _) => pool.close().await,
        }
    }
}

/// Which of `tokens` occur in any of the `stored` byte strings.
fn found_in(tokens: &[String], stored: &[Vec<u8>]) -> Vec<String> {
    tokens
        .iter()
        .filter(|token| {
            stored.iter().any(|bytes| {
                bytes
                    .windows(token.len())
                    .any(|window| window == token.as_bytes())
            })
        })
        .cloned()
        .collect()
}

/// The token key shared by the instances of one test (they share a database and sessions).
fn shared_token_keys() -> TokenKeyRing {
    static KEY: std::sync::OnceLock<TokenKey> = std::sync::OnceLock::new();
    TokenKeyRing::new(KEY.get_or_init(|| TokenKey::generate().unwrap()).clone())
}

/// Starts the example site on a free loopback port over `sim`; returns its base URL.
async fn start_site(
    sim: &Simulator,
    database_url: &str,
    session_store_url: Option<&str>,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let callback = format!("{base}/auth/line/callback");
    // Instances sharing sessions share the key; alone, each makes its own, as offline mode does.
    let config = match session_store_url {
        Some(_) => site::simulator_config_with_keys(sim, &callback, shared_token_keys()),
        None => site::simulator_config(sim, &callback),
    }
    .unwrap();
    let app = site::router(site::SiteOptions {
        config,
        database_url: database_url.to_owned(),
        session_store_url: session_store_url.map(str::to_owned),
        simulator: Some(sim.clone()),
    })
    .await
    .unwrap_or_else(|e| panic!("the site does not start: {e}; run .ci/setup"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// `url` with its scheme, host and port taken from `base` (to finish on another instance).
fn on_base(url: &Url, base: &str) -> String {
    let base = Url::parse(base).unwrap();
    let mut url = url.clone();
    url.set_port(base.port()).unwrap();
    url.to_string()
}

fn allow_as(user_id: &str) -> ConsentChoice {
    ConsentChoice {
        user_id: user_id.to_owned(),
        grant: true,
        add_friend: false,
        grant_email: false,
    }
}

/// Consents on the simulator to the authorize URL in `answer`'s `Location` (LINE's redirect
/// back goes to `start`), finishes on `finish`, and returns where the site sent the browser.
async fn consent_and_return(
    sim: &Simulator,
    browser: &Browser,
    answer: common::Answer,
    user_id: &str,
    start: &str,
    finish: &str,
) -> String {
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let authorize = answer.location().expect("a redirect to LINE");
    assert!(
        authorize.starts_with(sim.base_url().as_str()),
        "{authorize}"
    );
    let callback = sim.consent(&authorize, allow_as(user_id)).await.unwrap();
    assert!(
        callback
            .as_str()
            .starts_with(&format!("{start}/auth/line/callback")),
        "LINE returns to the instance that started: {callback}"
    );
    let answer = browser.get_cross_site(&on_base(&callback, finish)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    answer.location().expect("the callback redirects")
}

/// A LINE login started on `start` and finished on `finish`.
async fn log_in(sim: &Simulator, browser: &Browser, user_id: &str, start: &str, finish: &str) {
    let answer = browser.get(&format!("{start}/auth/line/login")).await;
    consent_and_return(sim, browser, answer, user_id, start, finish).await;
}

/// `/me` as JSON, with its status.
async fn me(browser: &Browser, base: &str) -> (StatusCode, serde_json::Value) {
    let answer = browser.as_json().get(&format!("{base}/me")).await;
    (answer.status, answer.json())
}

/// The whole walk: log in as Brown, sign in as Aiko (1001), link (started on `a`, finished on
/// `b`), `/me` shows the member on both, the link is in `db`; unlink on `b`, which also ends the
/// LINE login; log in again, not linked. With one instance, `a` and `b` are the same.
async fn log_in_link_and_unlink(sim: &Simulator, a: &str, b: &str, db: &Db, redis: bool) {
    let browser = Browser::new();
    let brown = sim.user("Brown").unwrap().user_id;
    let (status, body) = me(&browser, a).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "not_logged_in");

    log_in(sim, &browser, &brown, a, b).await;
    for base in [a, b] {
        let (status, body) = me(&browser, base).await;
        assert_eq!(status, StatusCode::OK, "{base}: {body}");
        assert_eq!(body["user_id"], brown.as_str());
        assert_eq!(body["display_name"], "Brown");
        assert_eq!(body["member"], serde_json::Value::Null);
    }

    let answer = browser
        .post_with(&format!("{a}/members/signin"), |r| {
            r.form(&[("member_id", "1001")])
        })
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(
        answer.location().as_deref(),
        Some("/members?notice=signed_in")
    );

    let answer = browser.post(&format!("{a}{LINK_PATH}")).await;
    let back = consent_and_return(sim, &browser, answer, &brown, a, b).await;
    assert_eq!(back, "/members?notice=linked");
    for base in [a, b] {
        let (status, body) = me(&browser, base).await;
        assert_eq!(status, StatusCode::OK, "{base}: {body}");
        assert_eq!(body["member"]["id"], "1001", "{base}: {body}");
        assert_eq!(body["member"]["name"], "Aiko Tanaka");
        assert_eq!(body["member"]["tier"], "Gold");
    }
    let page = browser.get(&format!("{b}/members")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Aiko Tanaka") && page.body.contains(&brown));
    assert_eq!(db.links().await, [("1001".to_owned(), brown.clone())]);

    // Tokens at rest: none of the tokens LINE issued is readable in the database (the link row
    // holds Brown's latest ones) or in the Redis session record.
    let issued = sim.issued_tokens();
    assert!(issued.len() >= 4, "{issued:?}");
    assert_eq!(db.tokens_at_rest(&issued).await, Vec::<String>::new());
    if redis {
        let id = browser
            .cookie(SESSION_COOKIE_NAME)
            .expect("a session cookie");
        let record = redis_get(&id).await.expect("the session is in Redis");
        assert!(String::from_utf8_lossy(&record).contains("line_login.tokens"));
        assert_eq!(found_in(&issued, &[record]), Vec::<String>::new());
    }

    let answer = browser.post(&format!("{b}{UNLINK_PATH}")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(
        answer.location().as_deref(),
        Some("/members?notice=unlinked")
    );
    assert!(db.links().await.is_empty());
    let link = |action: &str| (action.to_owned(), "1001".to_owned());
    assert_eq!(db.audit().await, [link("link"), link("unlink")]);
    assert_eq!(sim.deauthorizations().len(), 1, "LINE was told");
    for base in [a, b] {
        let (status, _) = me(&browser, base).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "unlinking ended the login"
        );
    }

    log_in(sim, &browser, &brown, b, a).await;
    let (status, body) = me(&browser, a).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user_id"], brown.as_str());
    assert_eq!(body["member"], serde_json::Value::Null);
}

/// The value of `key` in Redis (`GET`), or `None` when there is none.
async fn redis_get(key: &str) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let url = Url::parse(&redis_url()).unwrap();
    let address = (
        url.host_str().unwrap_or("127.0.0.1").to_owned(),
        url.port().unwrap_or(6379),
    );
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(address))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("Redis is not reachable at {url}; run .ci/setup"));
    let mut stream = BufReader::new(stream);
    let request = format!("*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n", key.len());
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut header = String::new();
    stream.read_line(&mut header).await.unwrap();
    let len: i64 = header.trim_end().trim_start_matches('$').parse().unwrap();
    if len < 0 {
        return None;
    }
    let mut value = vec![0u8; len as usize + 2];
    stream.read_exact(&mut value).await.unwrap();
    value.truncate(len as usize);
    Some(value)
}

/// Sends one command to Redis and returns the first line of its answer.
async fn redis_command(args: &[&str]) -> String {
    let url = Url::parse(&redis_url()).unwrap();
    let address = (
        url.host_str().unwrap_or("127.0.0.1").to_owned(),
        url.port().unwrap_or(6379),
    );
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(address))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("Redis is not reachable at {url}; run .ci/setup"));
    let mut stream = BufReader::new(stream);
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut line = String::new();
    stream.read_line(&mut line).await.unwrap();
    line.trim_end().to_owned()
}

#[tokio::test]
async fn postgres_members_and_links_with_redis_sessions() {
    let schema = Schema::create().await;
    let database_url = schema.database_url();
    let sim = Simulator::start().await.unwrap();
    let site = start_site(&sim, &database_url, Some(&redis_url())).await;
    let db = Db::open(&database_url).await;
    assert_eq!(db.members().await.len(), 3, "the demo members are seeded");

    log_in_link_and_unlink(&sim, &site, &site, &db, true).await;

    // The session lives in Redis under the cookie's session ID.
    let browser = Browser::new();
    log_in(&sim, &browser, &sim.users()[1].user_id, &site, &site).await;
    let id = browser
        .cookie(SESSION_COOKIE_NAME)
        .expect("a session cookie");
    assert_eq!(redis_command(&["EXISTS", &id]).await, ":1");
    let answer = browser.post(&format!("{site}/auth/line/logout")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(redis_command(&["EXISTS", &id]).await, ":0");

    db.close().await;
    schema.drop().await;
}

#[tokio::test]
async fn sqlite_members_and_links_with_sessions_in_memory() {
    let dir = TempDir::new();
    let database_url = format!("sqlite://{}", dir.0.join("members.db").display());
    let sim = Simulator::start().await.unwrap();
    let site = start_site(&sim, &database_url, None).await;
    let db = Db::open(&database_url).await;
    log_in_link_and_unlink(&sim, &site, &site, &db, false).await;

    // Starting again on the same file seeds nothing twice and keeps the audit trail.
    let again = start_site(&sim, &database_url, None).await;
    let members = db.members().await;
    let ids: Vec<&str> = members.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["1001", "1002", "1003"]);
    assert_eq!(db.audit().await.len(), 2);
    // In-memory sessions are not shared: the first site's login is unknown to the second.
    let browser = Browser::new();
    log_in(&sim, &browser, &sim.users()[0].user_id, &site, &site).await;
    assert_eq!(me(&browser, &site).await.0, StatusCode::OK);
    assert_eq!(me(&browser, &again).await.0, StatusCode::UNAUTHORIZED);
    db.close().await;
}

#[tokio::test]
async fn two_instances_sharing_redis_and_postgres_finish_each_others_logins() {
    let schema = Schema::create().await;
    let database_url = schema.database_url();
    let redis = redis_url();
    let sim = Simulator::start().await.unwrap();
    // Started together: they take turns creating and seeding the tables.
    let (a, b) = tokio::join!(
        start_site(&sim, &database_url, Some(&redis)),
        start_site(&sim, &database_url, Some(&redis)),
    );
    assert_ne!(a, b);
    let db = Db::open(&database_url).await;
    assert_eq!(db.members().await.len(), 3, "seeded once");

    log_in_link_and_unlink(&sim, &a, &b, &db, true).await;
    // One code exchange per finished login or link: nothing was repeated on the other instance.
    assert_eq!(sim.requests(Endpoint::Token), 3);

    db.close().await;
    schema.drop().await;
}

/// Issue 15 item 3 on the example site: the profile page and `/me` show the verified
/// `became_friend`, true for a real new friend and false for a user who did not add the friend
/// and flipped `friendship_status_changed` to `true` in their own callback.
#[tokio::test]
async fn the_site_shows_the_verified_new_friend_and_not_a_forged_one() {
    let dir = TempDir::new();
    let database_url = format!("sqlite://{}", dir.0.join("members.db").display());
    let sim = Simulator::start().await.unwrap();
    let site = start_site(&sim, &database_url, None).await;
    let users = sim.users();
    for (user, add_friend, forge, expected) in [
        (&users[0].user_id, true, false, true),
        (&users[1].user_id, false, true, false),
    ] {
        let browser = Browser::new();
        let answer = browser.get(&format!("{site}/auth/line/login")).await;
        let authorize = answer.location().expect("a redirect to LINE");
        let mut choice = allow_as(user);
        choice.add_friend = add_friend;
        let mut callback = sim.consent(&authorize, choice).await.unwrap().to_string();
        assert!(
            callback.contains("friendship_status_changed="),
            "{callback}"
        );
        if forge {
            callback = callback.replace(
                "friendship_status_changed=false",
                "friendship_status_changed=true",
            );
        }
        let answer = browser.get_cross_site(&callback).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        let (status, body) = me(&browser, &site).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["friendship_status_changed"], true, "{body}");
        assert_eq!(body["became_friend"], expected, "{body}");
        let page = browser.get(&format!("{site}/profile")).await;
        assert_eq!(page.status, StatusCode::OK);
        let shown = page
            .body
            .split(r#"id="became-friend">"#)
            .nth(1)
            .expect("the profile page shows became_friend");
        assert_eq!(
            shown
                .trim_start()
                .starts_with("<span class=\"badge yes\">Yes"),
            expected,
            "{shown}"
        );
    }
}

/// Issue 15 item 9: the demo member sign-in and sign-out refuse a cross-site form post (login
/// CSRF), with the crate's `SameOrigin` extractor; the same post from the site itself works.
#[tokio::test]
async fn member_sign_in_and_sign_out_refuse_cross_site_posts() {
    let dir = TempDir::new();
    let database_url = format!("sqlite://{}", dir.0.join("members.db").display());
    let sim = Simulator::start().await.unwrap();
    let site = start_site(&sim, &database_url, None).await;
    let browser = Browser::new();
    let cross_site = |r: reqwest::RequestBuilder| {
        r.header("origin", "https://attacker.example")
            .header("sec-fetch-site", "cross-site")
    };

    // Another site posts the attacker's member ID: refused, nobody is signed in.
    let answer = browser
        .post_with(&format!("{site}/members/signin"), |r| {
            cross_site(r.form(&[("member_id", "1001")]))
        })
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(answer.location(), None);
    let link = browser.post(&format!("{site}{LINK_PATH}")).await;
    assert_eq!(
        link.location().as_deref(),
        Some("/members?notice=no_member"),
        "no member may be signed in"
    );

    // The site's own form works.
    let answer = browser
        .post_with(&format!("{site}/members/signin"), |r| {
            r.header("origin", site.as_str())
                .header("sec-fetch-site", "same-origin")
                .form(&[("member_id", "1001")])
        })
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);

    // A cross-site sign-out is refused as well; the member stays signed in.
    let answer = browser
        .post_with(&format!("{site}/members/signout"), cross_site)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    let answer = browser.post(&format!("{site}/members/signout")).await;
    assert_eq!(
        answer.location().as_deref(),
        Some("/members?notice=signed_out")
    );
}

#[tokio::test]
async fn the_site_refuses_to_start_without_a_token_key_unless_plain_text_is_chosen() {
    let dir = TempDir::new();
    let database_url = format!("sqlite://{}?mode=rwc", dir.0.join("members.db").display());
    let sim = Simulator::start().await.unwrap();
    let callback = "http://127.0.0.1:3000/auth/line/callback";
    let options = |config| site::SiteOptions {
        config,
        database_url: database_url.clone(),
        session_store_url: None,
        simulator: None,
    };
    let without_key = sim.config_builder(callback).build().unwrap();
    let refused = match site::router(options(without_key)).await {
        Ok(_) => panic!("the site started without a token key"),
        Err(error) => error,
    };
    assert!(
        refused.to_string().contains("LINE_LOGIN_TOKEN_KEY"),
        "{refused}"
    );
    let plain = sim.config_builder(callback).plaintext_tokens(true).build();
    assert!(site::router(options(plain.unwrap())).await.is_ok());
}

/// Issue 16 items 5 and 8: the site's `GET /api/me` is the bearer API: the same JSON as `/me`
/// for a LIFF token, no session, and 401 with a bare `Bearer` challenge (never a redirect)
/// without one.
#[tokio::test]
async fn the_sites_bearer_api_answers_like_me_without_a_session() {
    let dir = TempDir::new();
    let database_url = format!("sqlite://{}", dir.0.join("members.db").display());
    let sim = Simulator::start().await.unwrap();
    let site = start_site(&sim, &database_url, None).await;
    let browser = Browser::new();
    let anonymous = browser.get(&format!("{site}/api/me")).await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.body
    );
    assert_eq!(anonymous.headers["www-authenticate"], "Bearer");

    let brown = sim.users()[0].user_id.clone();
    let tokens = sim
        .liff_login(&line_login_simulator::LiffLogin::new(&brown).scope("openid"))
        .unwrap();
    for token in [tokens.id_token.unwrap(), tokens.access_token] {
        let answer = browser
            .get_with(&format!("{site}/api/me"), |r| r.bearer_auth(&token))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let me = answer.json();
        assert_eq!(me["user_id"], brown.as_str());
        assert_eq!(me["channel_id"], sim.liff_channel_id());
        assert_eq!(me["scopes"], serde_json::json!(["openid"]));
        assert_eq!(me["display_name"], serde_json::Value::Null);
        assert!(
            answer.set_cookies().is_empty(),
            "{:?}",
            answer.set_cookies()
        );
    }
    assert!(browser.cookie(SESSION_COOKIE_NAME).is_none());
}

/// Issue 16 (replay): an access token that logged in on one instance cannot log in on another
/// sharing Redis sessions and attempts.
#[tokio::test]
async fn an_access_token_logs_in_once_across_instances() {
    let schema = Schema::create().await;
    let database_url = schema.database_url();
    let sim = Simulator::start().await.unwrap();
    let a = start_site(&sim, &database_url, Some(&redis_url())).await;
    let b = start_site(&sim, &database_url, Some(&redis_url())).await;
    let tokens = sim
        .liff_login(&line_login_simulator::LiffLogin::new(
            sim.users()[0].user_id.clone(),
        ))
        .unwrap();
    let body = serde_json::json!({ "access_token": tokens.access_token });
    let first = Browser::new()
        .as_json()
        .post_with(&format!("{a}/auth/line/token-login"), |r| r.json(&body))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = Browser::new()
        .as_json()
        .post_with(&format!("{b}/auth/line/token-login"), |r| r.json(&body))
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.body);
    assert_eq!(again.json()["error"], "token_already_used");
    schema.drop().await;
}
