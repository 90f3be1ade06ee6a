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
use axum::{Json, Router};
use line_login::link::{MemberInSession, MemberLinks, PostgresLinks, SqlLinksError, SqliteLinks};
use line_login::same_origin::SameOrigin;
use line_login::session::session_layer;
use line_login::simulator::Simulator;
use line_login::store::{AnySessionStore, StoreKind, session_store_from_url};
use line_login::token_crypto::{TokenKey, TokenKeyRing, TokenProtection};
use line_login::{
    BotPrompt, Config, ConfigError, FriendFlag, LineLoginLayer, LineUser, LoginError,
};
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
/// add-friend option on the consent page (`bot_prompt=normal`), and an ephemeral token key made
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
        .email(true)
        .bot_prompt(BotPrompt::Normal)
        .token_keys(keys)
        .build()
}

/// The site's templates, embedded in the binary.
fn templates() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.add_template("base.html", include_str!("templates/base.html"))?;
    env.add_template("home.html", include_str!("templates/home.html"))?;
    env.add_template("profile.html", include_str!("templates/profile.html"))?;
    env.add_template("members.html", include_str!("templates/members.html"))?;
    env.add_template("failure.html", include_str!("templates/failure.html"))?;
    env.add_template(
        "line_button.html",
        include_str!("templates/line_button.html"),
    )?;
    Ok(env)
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
    };

    let error_pages = state.clone();
    let layer = LineLoginLayer::new(options.config.clone())?
        .attempt_store(sessions.attempts())
        .after_logout("/?notice=logged_out")
        .on_error(move |error, parts| failure_page(&error_pages, error, parts))
        .session_store(sessions.kind())?;
    let layer = links.attach(layer);

    Ok(Router::new()
        .route("/", get(home))
        .route("/profile", get(profile))
        .route("/me", get(me))
        .route("/members", get(members))
        .route("/members/signin", post(member_sign_in))
        .route("/members/signout", post(member_sign_out))
        .route("/site.css", get(style_sheet))
        .route("/favicon.ico", get(favicon))
        .fallback(not_found)
        .with_state(state)
        .layer(layer)
        .layer(session_layer(sessions, &options.config)))
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

    /// Renders `name` with the context every page shares, or a plain 500 page.
    fn render(&self, name: &str, user: Option<&LineUser>, page: minijinja::Value) -> Response {
        let shared = context! {
            simulator => self.simulator,
            line_user => user.map(|u| context! {
                name => u.display_name.clone().unwrap_or_else(|| "LINE user".to_owned()),
                picture_url => u.picture_url,
            }),
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
    text: &'static str,
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

fn notice(query: &NoticeQuery) -> Option<Notice> {
    let (kind, text) = match query.notice.as_deref()? {
        "logged_out" => (
            "ok",
            "You are logged out. This site told LINE to revoke its access token.",
        ),
        "signed_in" => ("ok", "You are signed in to the member area."),
        "signed_out" => ("ok", "You signed out of the member area."),
        "linked" => (
            "ok",
            "Your LINE account is now linked to this member account.",
        ),
        "unlinked" => (
            "ok",
            "Your LINE account is no longer linked, and your LINE login on this site ended with \
             it. LY Corporation was notified that the link ended.",
        ),
        "link_conflict" => (
            "error",
            "That LINE account is already linked to another member, or this member to another \
             LINE account. Nothing was changed.",
        ),
        "no_member" => ("error", "Please sign in to the member area first."),
        "unknown_member" => ("error", "There is no such demo member."),
        _ => return None,
    };
    Some(Notice { kind, text })
}

async fn home(
    State(state): State<AppState>,
    Query(query): Query<NoticeQuery>,
    user: Option<LineUser>,
) -> Response {
    state.render(
        "home.html",
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
    member: Option<Member>,
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
            member: self.linked_member(&user.user_id).await?,
        })
    }
}

/// The profile page. Anonymous browsers are sent to the LINE login and come back here.
async fn profile(State(state): State<AppState>, user: LineUser) -> Result<Response, PageError> {
    let me = state.me(&user).await?;
    let amr: Vec<_> = me
        .amr
        .iter()
        .map(|value| context! { value, meaning => amr_meaning(value) })
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
        Some(&user),
        context! { me, amr, logged_in_at },
    ))
}

/// What an `amr` value means, in words.
fn amr_meaning(value: &str) -> &'static str {
    match value {
        "pwd" => "email address and password",
        "lineautologin" => "automatic login in the LINE app",
        "lineqr" => "QR code scanned with the LINE app",
        "linesso" => "single sign-on (already logged in to LINE in this browser)",
        "mfa" => "two-factor authentication",
        _ => "",
    }
}

/// `GET /me`: the logged-in LINE user as JSON, or 401 with a JSON error.
async fn me(State(state): State<AppState>, user: Option<LineUser>) -> Result<Response, PageError> {
    let Some(user) = user else {
        let body = serde_json::json!({
            "error": "not_logged_in",
            "message": "Nobody is logged in. Log in with LINE at /auth/line/login.",
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

async fn not_found(State(state): State<AppState>) -> Response {
    let page = context! {
        title => "Page not found",
        message => "There is nothing at this address.",
        code => "not_found",
    };
    let mut response = state.render("failure.html", None, page);
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// The title of the failure page for each [`LoginError::code`]; the words under it are the
/// crate's [`LoginError::user_message`].
fn failure_title(code: &str) -> &'static str {
    match code {
        "access_denied" => "Login cancelled",
        "line_refused" => "LINE could not log you in",
        "session_gone" | "unknown_state" => "We lost track of this login",
        "expired_attempt" => "This login expired",
        "invalid_callback" | "bad_request" => "Something was wrong with that request",
        "session_cookie_misconfigured" | "no_session_layer" => "Logins cannot finish on this site",
        "token_exchange_failed" | "missing_id_token" | "line_api_failed" => {
            "LINE did not finish the login"
        }
        "invalid_id_token" => "We could not verify LINE's answer",
        "session_store_unavailable" | "link_store_unavailable" => "Temporarily unavailable",
        "method_not_allowed" => "Please use the buttons on the page",
        "not_logged_in" => "Please log in with LINE first",
        "cross_site" => "Request refused",
        "no_member" => "Please sign in as a member first",
        "link_conflict" => "Already linked",
        "not_found" => "Page not found",
        _ => "Something went wrong",
    }
}

/// The layer's `on_error` hook: link problems go back to the member area with a notice; every
/// other failure gets the site's own page in plain words. API clients keep the JSON default.
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
    let page = context! {
        title => failure_title(code),
        message => error.user_message(),
        code,
        retry_url,
    };
    let mut response = state.render("failure.html", None, page);
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
