//! The example login site as one axum `Router`: pages rendered with minijinja templates, a demo
//! company-member area in SQLite or PostgreSQL (with the member links beside it), `GET /me`,
//! `LineLoginLayer` with member links, and sessions in memory, Redis or PostgreSQL.
//! `main.rs` picks the configuration (simulator or real LINE) and serves it; `tests/browser.rs`
//! and `tests/login_site.rs` build the same router in-process.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Form, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use line_login::extract::RequireBearer;
use line_login::link::{MemberInSession, MemberLinks, PostgresLinks, SqlLinksError, SqliteLinks};
use line_login::messages::{Language, Messages, MessagesError};
use line_login::same_origin::SameOrigin;
use line_login::session::session_layer;
use line_login::store::{AnySessionStore, StoreKind, session_store_from_url};
use line_login::token_crypto::{TokenKey, TokenKeyRing, TokenProtection};
use line_login::{
    BotPrompt, Config, ConfigError, FriendFlag, LineLoginLayer, LineUser, LoginDoor, LoginError,
};
use line_login_simulator::Simulator;
use minijinja::{Environment, context};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use tower_sessions::Session;

/// Where the site keeps the signed-in demo member's ID; the layer reads it through
/// [`MemberInSession`] to know whom to link.
pub const MEMBER_SESSION_KEY: &str = "demo_member_id";
/// Connections in the database pool.
const DB_CONNECTIONS_MAX: u32 = 4;
/// Longest wait for a PostgreSQL connection, so an unreachable server fails start-up quickly.
const DB_ACQUIRE_TIMEOUT_SECS: u64 = 5;
/// The PostgreSQL advisory lock taken while creating and seeding the demo members, so instances
/// starting together take turns ("DEMO_MEM").
const SEED_LOCK_KEY: i64 = 0x4445_4d4f_5f4d_454d;
/// How often expired sessions are deleted from a PostgreSQL session store (Redis and memory
/// expire them by themselves).
const EXPIRED_SESSIONS_SWEEP_SECS: u64 = 3600;

/// The demo company members seeded into the database: `(id, name, email, tier)`.
const DEMO_MEMBERS: [(&str, &str, &str, &str); 3] = [
    ("1001", "Aiko Tanaka", "aiko@example.com", "Gold"),
    ("1002", "Ben Carter", "ben@example.com", "Silver"),
    ("1003", "Chen Wei", "chen@example.com", "Bronze"),
];

// The demo members' SQL, the same text for SQLite and PostgreSQL (both read `$1` placeholders).
const CREATE_MEMBERS: &str = "CREATE TABLE IF NOT EXISTS demo_members (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    tier TEXT NOT NULL
)";
/// Seeding is idempotent: a member already there is left alone.
const INSERT_MEMBER: &str = "INSERT INTO demo_members (id, name, email, tier) \
    VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING";
const SELECT_MEMBER: &str = "SELECT id, name, email, tier FROM demo_members WHERE id = $1";
const SELECT_MEMBERS: &str = "SELECT id, name, email, tier FROM demo_members ORDER BY id";

/// Everything the site needs to start.
pub struct SiteOptions {
    /// The LINE Login channel (real LINE or the simulator).
    pub config: Config,
    /// The database holding the demo members and the member links: `sqlite://login_site.db`
    /// or `postgres://user:password@host/db`.
    pub database_url: String,
    /// Where sessions live: `None` in memory (one instance only), `redis://...` or
    /// `postgres://...` to share them between instances.
    pub session_store_url: Option<String>,
    /// The built-in simulator, when the site runs offline; every page then says so.
    pub simulator: Option<Simulator>,
}

/// The configuration used in offline mode: the simulator's channel, the `email` scope, the
/// add-friend option on the consent page (`bot_prompt=normal`), the consent page in the
/// visitor's language (`ui_locales` from the page's language), and an ephemeral token key made
/// now (LINE tokens kept with links and sessions are encrypted with it and unreadable after a
/// restart, which only means logging in again).
pub fn simulator_config(sim: &Simulator, redirect_uri: &str) -> Result<Config, ConfigError> {
    let key = TokenKey::generate().map_err(|reason| ConfigError::InvalidTokenKey {
        variable: "the ephemeral token key",
        reason,
    })?;
    simulator_config_with_keys(sim, redirect_uri, TokenKeyRing::new(key))
}

/// [`simulator_config`] with the given token keys (instances sharing a database and a session
/// store must share them).
pub fn simulator_config_with_keys(
    sim: &Simulator,
    redirect_uri: &str,
    keys: TokenKeyRing,
) -> Result<Config, ConfigError> {
    sim.config_builder(redirect_uri)
        // One channel, two hosts: the site answers on 127.0.0.1 and on localhost, each login
        // returning to the callback registered on its own host.
        .redirect_uris(localhost_twin(redirect_uri))
        // The simulator's LIFF / MINI App channel: its tokens log in at /auth/line/token-login
        // and pass the bearer guard of /api/me (LINE_LOGIN_TOKEN_AUDIENCES with real LINE).
        .token_audiences([sim.liff_channel_id()])
        .email(true)
        .bot_prompt(BotPrompt::Normal)
        .token_keys(keys)
        .ui_locales_from_visitor(true)
        .build()
}

/// The same callback URL on `localhost` when `redirect_uri` is on `127.0.0.1` (the site's
/// default address), so the site serves both hosts with one channel; nothing otherwise.
pub fn localhost_twin(redirect_uri: &str) -> Option<String> {
    let mut url = url::Url::parse(redirect_uri).ok()?;
    if url.host_str() != Some("127.0.0.1") {
        return None;
    }
    url.set_host(Some("localhost")).ok()?;
    Some(url.to_string())
}

/// The site's templates, embedded in the binary.
fn templates() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.add_template("base.html", include_str!("templates/base.html"))?;
    env.add_template("home.html", include_str!("templates/home.html"))?;
    env.add_template("profile.html", include_str!("templates/profile.html"))?;
    env.add_template("members.html", include_str!("templates/members.html"))?;
    env.add_template("failure.html", include_str!("templates/failure.html"))?;
    env.add_template("liff.html", include_str!("templates/liff.html"))?;
    env.add_template(
        "line_button.html",
        include_str!("templates/line_button.html"),
    )?;
    Ok(env)
}

/// The site's own texts, one Fluent file per language (the crate's messages come with it).
pub const SITE_CATALOGUES: &[(&str, &str)] = &[
    ("en", include_str!("locales/en/site.ftl")),
    ("ja", include_str!("locales/ja/site.ftl")),
    ("zh-Hant", include_str!("locales/zh-Hant/site.ftl")),
    ("th", include_str!("locales/th/site.ftl")),
    ("id", include_str!("locales/id/site.ftl")),
];
/// Each language's name in itself, for the language switch.
const LANGUAGE_NAMES: [(&str, &str); 5] = [
    ("en", "English"),
    ("ja", "日本語"),
    ("zh-Hant", "繁體中文"),
    ("th", "ไทย"),
    ("id", "Bahasa Indonesia"),
];
/// The cookie remembering the language picked with `?lang=`.
pub const LANGUAGE_COOKIE: &str = "site_lang";
/// How long the language choice is remembered.
const LANGUAGE_COOKIE_MAX_AGE_DAYS: i64 = 365;

/// The crate's catalogue with the site's texts added: the layer's pages and the site's speak
/// the same language.
pub fn catalogue() -> Result<Messages, MessagesError> {
    let mut builder = Messages::builder().builtin();
    for (tag, source) in SITE_CATALOGUES {
        builder = builder.resource(tag, source)?;
    }
    Ok(builder.build())
}

const STYLE_SHEET: &str = include_str!("assets/site.css");
/// The site's icon: a green rounded square with a white "E".
const FAVICON_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\">\
<rect width=\"32\" height=\"32\" rx=\"8\" fill=\"#06C755\"/>\
<path d=\"M10 8h12v3.5h-8v3h7v3.5h-7v3h8V24H10z\" fill=\"#fff\"/></svg>";

#[derive(Clone)]
struct AppState {
    pages: Arc<Environment<'static>>,
    db: Database,
    links: Links,
    /// The simulator's base URL in offline mode.
    simulator: Option<String>,
    /// The simulator's test users (`id`, `name`), for the LIFF demo page.
    liff_users: Vec<LiffUser>,
    messages: Messages,
}

/// Builds the whole site: pages, the member area, `/me`, the LINE login routes under
/// `/auth/line`, and the session layer. Connects to the database and the session store first,
/// so a wrong URL or an unreachable server fails here.
pub async fn router(
    options: SiteOptions,
) -> Result<Router, Box<dyn std::error::Error + Send + Sync>> {
    let db = Database::open(&options.database_url)
        .await
        .map_err(|e| format!("members database (DATABASE_URL): {e}"))?;
    // Without a token key (LINE_LOGIN_TOKEN_KEY) the site refuses to start: its links and
    // shared sessions would keep LINE tokens in plain text.
    let protection = options.config.token_protection()?;
    let links = Links::open(&db, protection)
        .await
        .map_err(|e| format!("member links (DATABASE_URL): {e}"))?;
    let sessions = session_store_from_url(options.session_store_url.as_deref())
        .await
        .map_err(|e| format!("sessions (SESSION_STORE_URL): {e}"))?;
    if sessions.kind() == StoreKind::Postgres {
        tokio::spawn(delete_expired_sessions(sessions.clone()));
    }
    let state = AppState {
        pages: Arc::new(templates()?),
        db,
        links: links.clone(),
        simulator: options.simulator.as_ref().map(|s| s.base_url().to_string()),
        liff_users: options
            .simulator
            .as_ref()
            .map(|sim| {
                sim.users()
                    .into_iter()
                    .map(|u| LiffUser {
                        id: u.user_id,
                        name: u.name,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        messages: catalogue()?,
    };

    let error_pages = state.clone();
    let layer = LineLoginLayer::new(options.config.clone())?
        .attempt_store(sessions.attempts())
        .after_logout("/?notice=logged_out")
        .messages(state.messages.clone())
        .on_error(move |error, parts| failure_page(&error_pages, error, parts))
        // API routes answer 401 JSON, never a redirect.
        .api_paths(["/api"])
        .session_store(sessions.kind())?;
    let layer = links.attach(layer);

    Ok(Router::new()
        .route("/", get(home))
        .route("/profile", get(profile))
        .route("/me", get(me))
        .route("/liff", get(liff_page))
        // The stateless bearer API for LIFF, MINI App and native clients: the same JSON as
        // `/me`, for `Authorization: Bearer <LINE ID token or access token>`, no session.
        .route("/api/me", get(me).route_layer(RequireBearer::new()))
        .route("/members", get(members))
        .route("/members/signin", post(member_sign_in))
        .route("/members/signout", post(member_sign_out))
        .route("/site.css", get(style_sheet))
        .route("/favicon.ico", get(favicon))
        .fallback(not_found)
        .with_state(state.clone())
        .layer(layer)
        .layer(axum::middleware::from_fn_with_state(
            state.messages,
            choose_language,
        ))
        .layer(session_layer(sessions, &options.config)))
}

/// Puts the page's [`Language`] on the request, for the handlers and the login layer alike:
/// `?lang=` (remembered in a cookie), else the cookie, else `Accept-Language`.
async fn choose_language(
    State(messages): State<Messages>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let available = messages.languages();
    let pick = |tag: &str| Language::parse(tag).filter(|l| available.contains(l));
    let from_query = request.uri().query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "lang")
            .and_then(|(_, tag)| pick(&tag))
    });
    let from_cookie = || {
        request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == LANGUAGE_COOKIE)
            .and_then(|c| pick(c.value()))
    };
    let language = from_query
        .clone()
        .or_else(from_cookie)
        .unwrap_or_else(|| messages.language_for_headers(request.headers()));
    request.extensions_mut().insert(language);
    let mut response = next.run(request).await;
    if let Some(chosen) = from_query {
        let cookie = cookie::Cookie::build((LANGUAGE_COOKIE, chosen.to_string()))
            .path("/")
            .same_site(cookie::SameSite::Lax)
            .max_age(cookie::time::Duration::days(LANGUAGE_COOKIE_MAX_AGE_DAYS));
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// PostgreSQL keeps expired sessions until they are deleted: do it now and then.
async fn delete_expired_sessions(sessions: AnySessionStore) {
    let mut every = tokio::time::interval(Duration::from_secs(EXPIRED_SESSIONS_SWEEP_SECS));
    loop {
        every.tick().await;
        if let Err(error) = sessions.delete_expired().await {
            tracing::warn!(%error, "deleting expired sessions failed; will retry");
        }
    }
}

/// The database of demo members, which also holds the member links.
#[derive(Clone)]
enum Database {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Database {
    /// Connects to `url` (SQLite, creating the file if needed, or PostgreSQL) and seeds the demo
    /// members.
    async fn open(url: &str) -> Result<Self, sqlx::Error> {
        if url.starts_with("sqlite:") {
            let options: SqliteConnectOptions = url.parse()?;
            let pool = SqlitePoolOptions::new()
                .max_connections(DB_CONNECTIONS_MAX)
                .connect_with(options.create_if_missing(true))
                .await?;
            let mut tx = pool.begin().await?;
            sqlx::query(CREATE_MEMBERS).execute(&mut *tx).await?;
            for (id, name, email, tier) in DEMO_MEMBERS {
                let insert = sqlx::query(INSERT_MEMBER).bind(id).bind(name);
                insert.bind(email).bind(tier).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(Self::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(DB_CONNECTIONS_MAX)
                .acquire_timeout(Duration::from_secs(DB_ACQUIRE_TIMEOUT_SECS))
                .connect(url)
                .await?;
            let mut tx = pool.begin().await?;
            let lock = sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(SEED_LOCK_KEY);
            lock.execute(&mut *tx).await?;
            sqlx::query(CREATE_MEMBERS).execute(&mut *tx).await?;
            for (id, name, email, tier) in DEMO_MEMBERS {
                let insert = sqlx::query(INSERT_MEMBER).bind(id).bind(name);
                insert.bind(email).bind(tier).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(Self::Postgres(pool))
        } else {
            // Name only the scheme: the rest may hold a password.
            let scheme = url.split(':').next().unwrap_or_default();
            let problem = format!("use sqlite:... or postgres://..., not {scheme:?}");
            Err(sqlx::Error::Configuration(problem.into()))
        }
    }

    async fn member(&self, id: &str) -> Result<Option<Member>, sqlx::Error> {
        let row: Option<MemberRow> = match self {
            Self::Sqlite(pool) => {
                let query = sqlx::query_as(SELECT_MEMBER).bind(id);
                query.fetch_optional(pool).await?
            }
            Self::Postgres(pool) => {
                let query = sqlx::query_as(SELECT_MEMBER).bind(id);
                query.fetch_optional(pool).await?
            }
        };
        Ok(row.map(Member::from))
    }

    async fn all_members(&self) -> Result<Vec<Member>, sqlx::Error> {
        let rows: Vec<MemberRow> = match self {
            Self::Sqlite(pool) => sqlx::query_as(SELECT_MEMBERS).fetch_all(pool).await?,
            Self::Postgres(pool) => sqlx::query_as(SELECT_MEMBERS).fetch_all(pool).await?,
        };
        Ok(rows.into_iter().map(Member::from).collect())
    }
}

/// Member links, in the members' database (tables `line_login_member_links` and
/// `line_login_link_audit`). With PostgreSQL, every instance of the site shares them.
#[derive(Clone)]
enum Links {
    Sqlite(SqliteLinks<String>),
    Postgres(PostgresLinks<String>),
}

impl Links {
    /// The links store on the members' pool, its tables created if missing.
    async fn open(db: &Database, protection: TokenProtection) -> Result<Self, SqlLinksError> {
        Ok(match db {
            Database::Sqlite(pool) => {
                let links = SqliteLinks::new(pool.clone(), protection);
                links.migrate().await?;
                Self::Sqlite(links)
            }
            Database::Postgres(pool) => {
                let links = PostgresLinks::new(pool.clone(), protection);
                links.migrate().await?;
                Self::Postgres(links)
            }
        })
    }

    /// Gives the links to the layer, which makes and removes them at `/auth/line/link` and
    /// `/auth/line/unlink` for the member signed in under [`MEMBER_SESSION_KEY`].
    fn attach(&self, layer: LineLoginLayer) -> LineLoginLayer {
        let member = MemberInSession(MEMBER_SESSION_KEY);
        match self {
            Self::Sqlite(links) => layer.member_links(links.clone(), member),
            Self::Postgres(links) => layer.member_links(links.clone(), member),
        }
    }

    async fn member_for(&self, line_user_id: &str) -> Result<Option<String>, SqlLinksError> {
        match self {
            Self::Sqlite(links) => links.member_for(line_user_id).await,
            Self::Postgres(links) => links.member_for(line_user_id).await,
        }
    }

    async fn line_user_for(&self, member_id: &String) -> Result<Option<String>, SqlLinksError> {
        match self {
            Self::Sqlite(links) => links.line_user_for(member_id).await,
            Self::Postgres(links) => links.line_user_for(member_id).await,
        }
    }
}

/// A demo company member.
#[derive(Clone, Debug, Serialize)]
struct Member {
    id: String,
    name: String,
    email: String,
    tier: String,
}

/// A `demo_members` row: `(id, name, email, tier)`.
type MemberRow = (String, String, String, String);

impl From<MemberRow> for Member {
    fn from((id, name, email, tier): MemberRow) -> Self {
        Self {
            id,
            name,
            email,
            tier,
        }
    }
}

impl AppState {
    /// The member linked to a LINE user, looked up now (another tab may have unlinked).
    async fn linked_member(&self, line_user_id: &str) -> Result<Option<Member>, PageError> {
        let id = self.links.member_for(line_user_id).await?;
        match id {
            Some(id) => Ok(self.db.member(&id).await?),
            None => Ok(None),
        }
    }

    /// Renders `name` in `language` with the context every page shares, or a plain 500 page.
    /// Templates call `t("id", name=value)` for the text of message `id`.
    fn render(
        &self,
        name: &str,
        language: &Language,
        user: Option<&LineUser>,
        page: minijinja::Value,
    ) -> Response {
        let messages = self.messages.clone();
        let lang = language.clone();
        let t = minijinja::Value::from_function(
            move |id: &str, kwargs: minijinja::value::Kwargs| -> Result<String, minijinja::Error> {
                let args: Vec<(&str, String)> = kwargs
                    .args()
                    .map(|key| Ok((key, kwargs.get::<minijinja::Value>(key)?.to_string())))
                    .collect::<Result<_, minijinja::Error>>()?;
                let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                Ok(messages.get_with(&lang, id, &args))
            },
        );
        let languages: Vec<_> = LANGUAGE_NAMES
            .iter()
            .map(|(tag, name)| context! { tag, name })
            .collect();
        let shared = context! {
            simulator => self.simulator,
            lang => language.html_lang(),
            languages,
            line_user => user.map(|u| context! {
                name => u.display_name.clone()
                    .unwrap_or_else(|| self.messages.get(language, "line-user")),
                picture_url => u.picture_url,
            }),
            t,
        };
        let rendered = self
            .pages
            .get_template(name)
            .and_then(|t| t.render(context! { ..page, ..shared }));
        match rendered {
            Ok(html) => no_store(Html(html).into_response()),
            Err(error) => {
                tracing::error!(%error, template = name, "page rendering failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
            }
        }
    }
}

/// Personal pages must not be kept by shared caches or the back button after logout.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A failure while building a page.
#[derive(Debug, thiserror::Error)]
enum PageError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("member links: {0}")]
    Links(#[from] SqlLinksError),
    #[error("session store: {0}")]
    Session(#[from] tower_sessions::session::Error),
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "page failed");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is temporarily unavailable. Please try again shortly.",
        )
            .into_response()
    }
}

/// A one-line message shown at the top of a page after an action (`?notice=...`). Only these
/// fixed codes are shown, so the query cannot inject text.
#[derive(Serialize)]
struct Notice {
    kind: &'static str,
    /// The message id of the text.
    id: &'static str,
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

fn notice(query: &NoticeQuery) -> Option<Notice> {
    let (kind, id) = match query.notice.as_deref()? {
        "logged_out" => ("ok", "notice-logged-out"),
        "signed_in" => ("ok", "notice-signed-in"),
        "signed_out" => ("ok", "notice-signed-out"),
        "linked" => ("ok", "notice-linked"),
        "unlinked" => ("ok", "notice-unlinked"),
        "link_conflict" => ("error", "notice-link-conflict"),
        "no_member" => ("error", "notice-no-member"),
        "unknown_member" => ("error", "notice-unknown-member"),
        _ => return None,
    };
    Some(Notice { kind, id })
}

async fn home(
    State(state): State<AppState>,
    Extension(language): Extension<Language>,
    Query(query): Query<NoticeQuery>,
    user: Option<LineUser>,
) -> Response {
    state.render(
        "home.html",
        &language,
        user.as_ref(),
        context! { notice => notice(&query) },
    )
}

/// What `/me` returns and the profile page shows.
#[derive(Serialize)]
struct Me {
    user_id: String,
    display_name: Option<String>,
    picture_url: Option<String>,
    email: Option<String>,
    amr: Vec<String>,
    friend_flag: FriendFlag,
    /// What the browser's callback URL said: a hint anyone can forge, never a reason to reward.
    friendship_status_changed: Option<bool>,
    /// Became a friend at this login, confirmed by LINE's friendship API: what a "new friend"
    /// coupon may rely on.
    became_friend: bool,
    /// The LINE channel the login came through (the web channel, or a LIFF / MINI App one).
    channel_id: Option<String>,
    /// The scopes granted (`openid` alone for a MINI App with consent simplification).
    scopes: Vec<String>,
    /// `web`, `id_token` or `access_token`.
    door: LoginDoor,
    member: Option<Member>,
    /// The login asked for `email` and got none (see the crate's README, "Why is there no email?").
    email_not_granted: bool,
    /// LINE Profile+ claims (real name, gender, birth date, phone number, address): only the
    /// ones present, and only on a channel with Profile+ that requested their scopes.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    profile_plus: serde_json::Map<String, serde_json::Value>,
}

impl AppState {
    async fn me(&self, user: &LineUser) -> Result<Me, PageError> {
        Ok(Me {
            user_id: user.user_id.clone(),
            display_name: user.display_name.clone(),
            picture_url: user.picture_url.clone(),
            email: user.email.clone(),
            amr: user.amr.iter().map(|a| a.as_str().to_owned()).collect(),
            friend_flag: user.friendship.friend_flag,
            friendship_status_changed: user.friendship.changed_at_login,
            became_friend: user.became_friend,
            channel_id: user.channel_id.clone(),
            scopes: user.scopes.clone(),
            door: user.door,
            member: self.linked_member(&user.user_id).await?,
            email_not_granted: user.email_not_granted,
            profile_plus: profile_plus_present(user.profile_plus.as_ref()),
        })
    }
}

/// A test user offered on the LIFF demo page.
#[derive(Clone, Serialize)]
struct LiffUser {
    id: String,
    name: String,
}

/// `GET /liff`: a LIFF-style page (JavaScript) that logs in with a token from the simulator and
/// calls `GET /api/me` with it.
async fn liff_page(
    State(state): State<AppState>,
    Extension(language): Extension<Language>,
    user: Option<LineUser>,
) -> Response {
    state.render(
        "liff.html",
        &language,
        user.as_ref(),
        context! { liff_users => state.liff_users.clone() },
    )
}

/// The Profile+ fields that are present, as a JSON object without nulls.
fn profile_plus_present(
    plus: Option<&line_login::profile_plus::ProfilePlus>,
) -> serde_json::Map<String, serde_json::Value> {
    fn without_nulls(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        match value {
            serde_json::Value::Object(map) => map
                .into_iter()
                .filter_map(|(key, value)| match value {
                    serde_json::Value::Null => None,
                    serde_json::Value::Object(inner) => {
                        let inner = without_nulls(serde_json::Value::Object(inner));
                        (!inner.is_empty()).then_some((key, serde_json::Value::Object(inner)))
                    }
                    other => Some((key, other)),
                })
                .collect(),
            _ => serde_json::Map::new(),
        }
    }
    plus.and_then(|plus| serde_json::to_value(plus).ok())
        .map(without_nulls)
        .unwrap_or_default()
}

/// The profile page. Anonymous browsers are sent to the LINE login and come back here.
async fn profile(
    State(state): State<AppState>,
    Extension(language): Extension<Language>,
    user: LineUser,
) -> Result<Response, PageError> {
    let me = state.me(&user).await?;
    let amr: Vec<_> = me
        .amr
        .iter()
        .map(|value| {
            let meaning = amr_meaning(value).map(|id| state.messages.get(&language, id));
            context! { value, meaning }
        })
        .collect();
    let at = user.logged_in_at;
    let logged_in_at = format!(
        "{}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    );
    Ok(state.render(
        "profile.html",
        &language,
        Some(&user),
        context! { me, amr, logged_in_at },
    ))
}

/// The message id of what an `amr` value means, in words.
fn amr_meaning(value: &str) -> Option<&'static str> {
    Some(match value {
        "pwd" => "amr-pwd",
        "lineautologin" => "amr-lineautologin",
        "lineqr" => "amr-lineqr",
        "linesso" => "amr-linesso",
        "mfa" => "amr-mfa",
        _ => return None,
    })
}

/// `GET /me`: the logged-in LINE user as JSON, or 401 with a JSON error.
async fn me(
    State(state): State<AppState>,
    Extension(language): Extension<Language>,
    user: Option<LineUser>,
) -> Result<Response, PageError> {
    let Some(user) = user else {
        let body = serde_json::json!({
            "error": "not_logged_in",
            "message": state.messages.get(&language, "me-not-logged-in"),
        });
        return Ok(no_store(
            (StatusCode::UNAUTHORIZED, Json(body)).into_response(),
        ));
    };
    Ok(no_store(Json(state.me(&user).await?).into_response()))
}

/// The demo member area: sign in as a seeded member, then link or unlink LINE.
async fn members(
    State(state): State<AppState>,
    Extension(language): Extension<Language>,
    Query(query): Query<NoticeQuery>,
    session: Session,
    user: Option<LineUser>,
) -> Result<Response, PageError> {
    let signed_in = match session.get::<String>(MEMBER_SESSION_KEY).await? {
        Some(id) => state.db.member(&id).await?,
        None => None,
    };
    let linked_line_user = match &signed_in {
        Some(member) => state.links.line_user_for(&member.id).await?,
        None => None,
    };
    // The linked LINE user's name is known when that user is the one logged in here.
    let linked_is_current = linked_line_user.is_some()
        && linked_line_user.as_deref() == user.as_ref().map(|u| u.user_id.as_str());
    let all = if signed_in.is_none() {
        state.db.all_members().await?
    } else {
        Vec::new()
    };
    Ok(state.render(
        "members.html",
        &language,
        user.as_ref(),
        context! {
            notice => notice(&query),
            member => signed_in,
            members => all,
            linked_line_user,
            linked_is_current,
        },
    ))
}

#[derive(Deserialize)]
struct SignIn {
    member_id: String,
}

/// The site's own (demo) member sign-in: no password, pick a seeded member. A real site checks
/// credentials here.
///
/// [`SameOrigin`] refuses the post when it comes from another site. `SameSite=Lax` on the
/// session cookie does not: a top-level cross-site form POST still carries and sets cookies, so
/// without the check another site could sign a visitor into the attacker's member account, and
/// the visitor's next "link LINE" would link their LINE account to the attacker's member (login
/// CSRF).
async fn member_sign_in(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<SignIn>,
) -> Result<Response, PageError> {
    let Some(member) = state.db.member(&form.member_id).await? else {
        return Ok(Redirect::to("/members?notice=unknown_member").into_response());
    };
    // A new session ID on every sign-in, so a planted session cannot ride into it.
    session.cycle_id().await?;
    session.insert(MEMBER_SESSION_KEY, &member.id).await?;
    Ok(Redirect::to("/members?notice=signed_in").into_response())
}

/// Signs the member out; cross-site posts are refused like the sign-in's.
async fn member_sign_out(
    _same_origin: SameOrigin,
    session: Session,
) -> Result<Response, PageError> {
    session.remove::<String>(MEMBER_SESSION_KEY).await?;
    Ok(Redirect::to("/members?notice=signed_out").into_response())
}

async fn style_sheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLE_SHEET,
    )
        .into_response()
}

async fn favicon() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml")], FAVICON_SVG).into_response()
}

async fn not_found(
    State(state): State<AppState>,
    Extension(language): Extension<Language>,
) -> Response {
    let page = context! {
        title => state.messages.get(&language, "not-found-title"),
        message => state.messages.get(&language, "not-found-message"),
        code => "not_found",
    };
    let mut response = state.render("failure.html", &language, None, page);
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// The layer's `on_error` hook: link problems go back to the member area with a notice; every
/// other failure gets the site's own page in plain words, in the visitor's language (the title
/// and words are the crate's, from the shared catalogue). API clients keep the JSON default.
fn failure_page(state: &AppState, error: &LoginError, parts: &Parts) -> Option<Response> {
    if wants_json(&parts.headers) {
        return None;
    }
    match error {
        LoginError::LinkConflict(_) => {
            return Some(Redirect::to("/members?notice=link_conflict").into_response());
        }
        LoginError::NoMember => {
            return Some(Redirect::to("/members?notice=no_member").into_response());
        }
        _ => {}
    }
    let code = error.code();
    let retry_url = error
        .is_retryable()
        .then_some("/auth/line/login?disable_auto_login=true");
    let language = parts
        .extensions
        .get::<Language>()
        .cloned()
        .unwrap_or_else(|| state.messages.language_for_headers(&parts.headers));
    let page = context! {
        title => error.localized_title(&state.messages, &language),
        message => error.localized_message(&state.messages, &language),
        code,
        retry_url,
    };
    let mut response = state.render("failure.html", &language, None, page);
    *response.status_mut() = error.status();
    Some(response)
}

/// Whether the client asked for JSON rather than a page.
fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}
