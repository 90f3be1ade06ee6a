//! A LINE Login simulator: one axum server on loopback that answers like LINE's access and API
//! servers (consent page, tokens signed as LINE signs them, every endpoint this crate calls, fault
//! injection), for tests and the example site. It never talks to LINE.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use line_login_simulator::{ConsentChoice, Simulator};
//!
//! let sim = Simulator::start().await?;
//! let config = sim
//!     .config_builder("http://127.0.0.1:3000/auth/line/callback")
//!     .build()
//!     .expect("valid configuration");
//! // ... build an authorize URL for `config`, then consent as a test user:
//! # let authorize_url = String::new();
//! let brown = sim.users()[0].user_id.clone();
//! let callback = sim.consent(&authorize_url, ConsentChoice::allow(brown)).await;
//! # let _ = (config, callback);
//! # Ok(()) }
//! ```
//!
//! HTTP routes: `GET /oauth2/v2.1/authorize`, `POST /oauth2/v2.1/authorize/consent`,
//! `POST /oauth2/v2.1/token`, `POST|GET /oauth2/v2.1/verify`, `POST /oauth2/v2.1/revoke`,
//! `GET /v2/profile`, `GET /friendship/v1/status`, `GET|POST /oauth2/v2.1/userinfo`,
//! `GET /oauth2/v2.1/certs`, `GET /.well-known/openid-configuration`, `POST /oauth2/v3/token`,
//! `POST /user/v1/deauthorize`; the test API `POST /__sim/friend` `{user_id, friend}`,
//! `POST /__sim/revoke-consent` `{user_id}`, `POST /__sim/fault` `{endpoint, fault, times}`,
//! `POST /__sim/clear-faults`, `POST /__sim/advance-clock` `{secs}`, `GET /__sim/requests`,
//! `GET /__sim/users`, `GET /__sim/deauthorizations`, `POST /__sim/rotate-jwks`,
//! `POST /__sim/es256-id-token` `{user_id, nonce?}`, `POST /__sim/liff-login`
//! `{user_id, channel_id?, scope?, nonce?, stale?}` (LIFF / MINI App tokens, callable from a
//! page of another origin), `POST /__sim/upgrade-permissions` `{access_token, scope}`, and
//! `GET /__sim/avatar/{user_id}`.

mod api;
mod authorize;
mod faults;
mod keys;
mod liff;
mod profile_plus;
mod state;
mod test_api;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode, header};
use axum::middleware;
use axum::routing::{get, post};
use jsonwebtoken::jwk::JwkSet;
use serde::Serialize;
use tokio::sync::watch;
use tower::ServiceExt;
use url::Url;

use line_login::{Config, ConfigBuilder};

pub use faults::{Endpoint, Fault};
pub use liff::{DEFAULT_LIFF_CHANNEL_ID, LIFF_ACCESS_TOKEN_TTL_SECS, LiffLogin, LiffTokens};

use keys::{EsKey, IdTokenInput, id_token_claims};
use state::SimState;

/// Largest request body any simulator endpoint reads (LINE answers 413 above 2 MB).
pub const REQUEST_BODY_MAX_BYTES: usize = 64 * 1024;
/// Largest response body [`Simulator::consent`] reads.
const CONSENT_RESPONSE_MAX_BYTES: usize = 1024 * 1024;
/// Most callback URLs a LINE channel can register.
const REDIRECT_URIS_MAX: usize = 400;
/// The `amr` of LIFF / native-style ES256 ID tokens.
const NATIVE_LOGIN_AMR: &str = "lineautologin";

/// How to start a [`Simulator`].
#[derive(Clone)]
pub struct SimulatorOptions {
    /// The channel ID (default `"1234567890"`).
    pub channel_id: String,
    /// The channel secret (default: 32 random hex digits).
    pub channel_secret: String,
    /// The second channel, a LIFF / LINE MINI App channel of the same provider (default
    /// [`DEFAULT_LIFF_CHANNEL_ID`]): its tokens carry this `aud` / `client_id`.
    pub liff_channel_id: String,
    /// Registered callback URLs. Empty (the default) accepts any loopback http(s) URL.
    pub redirect_uris: Vec<String>,
    /// Further web-login channels served at once (e.g. one per country), each with its own
    /// secret, callback URLs and codes: a code is exchanged, and its ID token signed, by its
    /// own channel only. Empty by default.
    pub web_channels: Vec<WebChannelOptions>,
    /// Where to listen (default `127.0.0.1:0`, a free port). Must be a loopback address.
    pub bind: SocketAddr,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        Self {
            channel_id: "1234567890".to_owned(),
            channel_secret: state::random_hex(16),
            liff_channel_id: DEFAULT_LIFF_CHANNEL_ID.to_owned(),
            redirect_uris: Vec::new(),
            web_channels: Vec::new(),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}

/// Another web-login channel of the simulator (see [`SimulatorOptions::web_channels`]).
#[derive(Clone)]
pub struct WebChannelOptions {
    /// The channel ID (digits; unlike every other channel's).
    pub channel_id: String,
    /// The channel secret (the HS256 key of its ID tokens).
    pub channel_secret: String,
    /// Registered callback URLs. Empty accepts any loopback http(s) URL.
    pub redirect_uris: Vec<String>,
}

impl WebChannelOptions {
    /// A channel with this ID, a random secret and any loopback callback URL.
    pub fn new(channel_id: impl Into<String>) -> Self {
        Self {
            channel_id: channel_id.into(),
            channel_secret: state::random_hex(16),
            redirect_uris: Vec::new(),
        }
    }
}

impl fmt::Debug for WebChannelOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebChannelOptions")
            .field("channel_id", &self.channel_id)
            .field("channel_secret", &"[redacted]")
            .field("redirect_uris", &self.redirect_uris)
            .finish()
    }
}

/// Parses registered callback URLs (at most [`REDIRECT_URIS_MAX`], absolute http(s), no
/// fragment).
fn parse_redirect_uris(raw_list: &[String]) -> io::Result<Vec<Url>> {
    if raw_list.len() > REDIRECT_URIS_MAX {
        return Err(invalid_input(format!(
            "LINE accepts at most {REDIRECT_URIS_MAX} callback URLs"
        )));
    }
    let mut redirect_uris = Vec::with_capacity(raw_list.len());
    for raw in raw_list {
        let url = Url::parse(raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .filter(|_| !raw.contains('#'))
            .ok_or_else(|| invalid_input(format!("invalid callback URL {raw:?}")))?;
        redirect_uris.push(url);
    }
    Ok(redirect_uris)
}

impl fmt::Debug for SimulatorOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatorOptions")
            .field("channel_id", &self.channel_id)
            .field("channel_secret", &"[redacted]")
            .field("liff_channel_id", &self.liff_channel_id)
            .field("redirect_uris", &self.redirect_uris)
            .field("web_channels", &self.web_channels)
            .field("bind", &self.bind)
            .finish()
    }
}

/// A test user of the simulator. IDs are stable across runs; nobody is a friend of the
/// Official Account at start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TestUser {
    /// `U` followed by 32 hex digits.
    pub user_id: String,
    /// Display name (`Brown`, `Cony`, `Sally`).
    pub name: String,
    /// Picture URL (an SVG served by the simulator, so it works offline).
    pub picture_url: String,
    /// Email address, given only with the `email` scope and the user's grant.
    pub email: String,
    /// Status message (`Sally` has none, so profile responses omit it).
    pub status_message: Option<String>,
}

pub(crate) fn test_users(base_url: &Url) -> Vec<TestUser> {
    [
        (
            "Ub684d04f6f41f849fcde8be4f606b662",
            "Brown",
            Some("Hello, LINE!"),
        ),
        (
            "U9e159d3aeeccc14f76d1e987a14b5f0b",
            "Cony",
            Some("Carrots!"),
        ),
        ("Uac5376ba85eac3b6c792cf13f9c1bb46", "Sally", None),
    ]
    .into_iter()
    .map(|(user_id, name, status)| TestUser {
        user_id: user_id.to_owned(),
        name: name.to_owned(),
        picture_url: base_url
            .join(&format!("__sim/avatar/{user_id}"))
            .map(String::from)
            .unwrap_or_default(),
        email: format!("{}@example.com", name.to_ascii_lowercase()),
        status_message: status.map(str::to_owned),
    })
    .collect()
}

/// What the test user does on the consent page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsentChoice {
    /// The test user who logs in.
    pub user_id: String,
    /// `true` presses Allow, `false` presses Cancel.
    pub grant: bool,
    /// Ticks "Add ... as a friend" (only shown with `bot_prompt` to users who are not friends).
    pub add_friend: bool,
    /// Ticks the optional email permission (only shown with the `email` scope).
    pub grant_email: bool,
}

impl ConsentChoice {
    /// Log in as `user_id` and press Allow, ticking nothing.
    pub fn allow(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            grant: true,
            ..Self::default()
        }
    }

    /// Press Cancel.
    pub fn deny() -> Self {
        Self::default()
    }

    /// Also tick "Add ... as a friend".
    pub fn with_add_friend(mut self, add_friend: bool) -> Self {
        self.add_friend = add_friend;
        self
    }

    /// Also tick the email permission.
    pub fn with_email(mut self, grant_email: bool) -> Self {
        self.grant_email = grant_email;
        self
    }
}

/// The simulator answered with a page instead of a redirect (a 400 page for a bad `client_id`
/// or `redirect_uri`, an expired consent page, ...), or the request could not be made
/// (`status` 0).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the simulator answered {status} instead of redirecting")]
pub struct SimulatorRefusal {
    /// HTTP status of the page (0 when no request could be made).
    pub status: u16,
    /// The page's body.
    pub body: String,
}

impl SimulatorRefusal {
    fn local(body: impl Into<String>) -> Self {
        Self {
            status: 0,
            body: body.into(),
        }
    }
}

/// One call of `POST /user/v1/deauthorize` that succeeded. Its `Debug` leaves the tokens out.
#[derive(Clone, PartialEq, Eq)]
pub struct DeauthorizeRecord {
    /// The user whose authorization ended.
    pub user_id: String,
    /// The user access token sent in `userAccessToken`.
    pub user_access_token: String,
    /// The channel access token sent as Bearer.
    pub channel_access_token: String,
    /// The simulator's clock at the call.
    pub at: SystemTime,
}

impl std::fmt::Debug for DeauthorizeRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeauthorizeRecord")
            .field("user_id", &self.user_id)
            .field("user_access_token", &"[redacted]")
            .field("channel_access_token", &"[redacted]")
            .field("at", &self.at)
            .finish()
    }
}

/// A running LINE Login simulator. Cheap to clone; the server stops when the last clone is
/// dropped or on [`Simulator::shutdown`].
#[derive(Clone)]
pub struct Simulator {
    handle: Arc<Handle>,
}

struct Handle {
    state: Arc<SimState>,
    router: Router,
    shutdown: watch::Sender<bool>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.handle.state.base_url.as_str())
            .field("channel_id", &self.handle.state.channel_id)
            .finish_non_exhaustive()
    }
}

fn invalid_input(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

impl Simulator {
    /// Starts a simulator with [`SimulatorOptions::default`] on a free loopback port.
    pub async fn start() -> io::Result<Simulator> {
        Self::start_with(SimulatorOptions::default()).await
    }

    /// Starts a simulator. Fails with `InvalidInput` when the bind address is not loopback, the
    /// channel ID is not digits, the secret is empty, or a redirect URI is not an absolute
    /// http(s) URL without fragment; with the bind error when the port is taken.
    pub async fn start_with(options: SimulatorOptions) -> io::Result<Simulator> {
        if !options.bind.ip().is_loopback() {
            return Err(invalid_input(format!(
                "the simulator only listens on loopback, not {}",
                options.bind
            )));
        }
        let channel_id = options.channel_id.trim().to_owned();
        let liff_channel_id = options.liff_channel_id.trim().to_owned();
        for id in [&channel_id, &liff_channel_id] {
            if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid_input(
                    "the channel IDs must be ASCII digits".to_owned(),
                ));
            }
        }
        if liff_channel_id == channel_id {
            return Err(invalid_input(
                "the LIFF channel needs an ID of its own".to_owned(),
            ));
        }
        if options.channel_secret.is_empty() {
            return Err(invalid_input("the channel secret is empty".to_owned()));
        }
        let redirect_uris = parse_redirect_uris(&options.redirect_uris)?;
        let mut more_channels: Vec<state::WebChannel> = Vec::new();
        for extra in &options.web_channels {
            let id = extra.channel_id.trim().to_owned();
            let taken = id == channel_id
                || id == liff_channel_id
                || more_channels.iter().any(|c| c.id == id);
            if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()) || taken {
                return Err(invalid_input(
                    "each web channel needs an ID of its own, in ASCII digits".to_owned(),
                ));
            }
            if extra.channel_secret.is_empty() {
                return Err(invalid_input("a web channel's secret is empty".to_owned()));
            }
            more_channels.push(state::WebChannel {
                id,
                secret: extra.channel_secret.clone(),
                redirect_uris: parse_redirect_uris(&extra.redirect_uris)?,
            });
        }
        let es_key = EsKey::generate().map_err(io::Error::other)?;

        let listener = tokio::net::TcpListener::bind(options.bind).await?;
        let addr = listener.local_addr()?;
        let base_url = Url::parse(&format!("http://{addr}/"))
            .map_err(|e| io::Error::other(format!("bad listen address {addr}: {e}")))?;
        let state = Arc::new(SimState::new(
            channel_id,
            options.channel_secret,
            liff_channel_id,
            redirect_uris,
            more_channels,
            base_url,
            es_key,
        ));
        let router = build_router(state.clone());
        let (shutdown, mut stopped) = watch::channel(false);
        let server = router.clone();
        tokio::spawn(async move {
            let signal = async move {
                // Ends on shutdown() or when the last handle (the sender) is dropped.
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            if let Err(error) = axum::serve(listener, server)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::warn!(%error, "LINE simulator server stopped with an error");
            }
        });
        tracing::info!(%addr, "LINE Login simulator listening");
        Ok(Simulator {
            handle: Arc::new(Handle {
                state,
                router,
                shutdown,
            }),
        })
    }

    fn state(&self) -> &SimState {
        &self.handle.state
    }

    /// `http://127.0.0.1:PORT/`: both the access and the API base URL.
    pub fn base_url(&self) -> Url {
        self.state().base_url.clone()
    }

    /// The ID-token issuer: the base URL without its trailing slash (`http://127.0.0.1:PORT`),
    /// as `https://access.line.me` is LINE's.
    pub fn issuer(&self) -> &str {
        &self.state().issuer
    }

    /// The channel ID.
    pub fn channel_id(&self) -> &str {
        &self.state().channel_id
    }

    /// The channel ID of the LIFF / LINE MINI App channel (see [`Simulator::liff_login`]).
    pub fn liff_channel_id(&self) -> &str {
        &self.state().liff_channel_id
    }

    /// Plays `liff.getIDToken()` / `liff.getAccessToken()` in a LIFF app or LINE MINI App:
    /// an ES256 ID token (one hour; only with `openid`; `name`/`picture` only with `profile`)
    /// and a 12-hour access token of the LIFF channel (or of the channel `login` names). Refused
    /// for an unknown user, channel or scope.
    pub fn liff_login(&self, login: &LiffLogin) -> Result<LiffTokens, SimulatorRefusal> {
        liff::login(self.state(), login)
    }

    /// The user grants more permissions in a MINI App (`scope`, e.g. `profile`): LINE refreshes
    /// the access token with the added scopes and revokes the old one, which then verifies as
    /// revoked everywhere.
    pub fn upgrade_permissions(
        &self,
        access_token: &str,
        scope: &str,
    ) -> Result<LiffTokens, SimulatorRefusal> {
        liff::upgrade(self.state(), access_token, scope)
    }

    /// The channel secret (the HS256 key of web-login ID tokens).
    pub fn channel_secret(&self) -> &str {
        &self.state().channel_secret
    }

    /// A [`ConfigBuilder`] for this simulator: channel ID and secret, `redirect_uri`, and the
    /// access base, API base and issuer pointing here.
    pub fn config_builder(&self, redirect_uri: &str) -> ConfigBuilder {
        Config::builder(self.channel_id(), self.channel_secret(), redirect_uri)
            .access_base(self.base_url().as_str())
            .api_base(self.base_url().as_str())
            .issuer(self.issuer())
    }

    /// The IDs of every web-login channel, the first being [`Simulator::channel_id`].
    pub fn web_channel_ids(&self) -> Vec<String> {
        self.state()
            .web_channels
            .iter()
            .map(|c| c.id.clone())
            .collect()
    }

    /// The secret of the web channel `channel_id` (the HS256 key of its ID tokens), if the
    /// simulator serves it.
    pub fn web_channel_secret(&self, channel_id: &str) -> Option<&str> {
        self.state()
            .web_channel(channel_id)
            .map(|c| c.secret.as_str())
    }

    /// A [`ChannelBuilder`](line_login::ChannelBuilder) for the simulator's web channel
    /// `channel_id` (its ID and secret) with `redirect_uri`, to add with
    /// [`ConfigBuilder::channel`]; `None` for an unknown channel.
    pub fn channel_builder(
        &self,
        channel_id: &str,
        redirect_uri: &str,
    ) -> Option<line_login::ChannelBuilder> {
        let channel = self.state().web_channel(channel_id)?;
        Some(line_login::Channel::builder(
            channel.id.clone(),
            channel.secret.clone(),
            redirect_uri,
        ))
    }

    /// The test users (Brown, Cony, Sally).
    pub fn users(&self) -> Vec<TestUser> {
        self.state().users.clone()
    }

    /// The test user with this display name (case-insensitive).
    pub fn user(&self, name: &str) -> Option<TestUser> {
        self.state()
            .users
            .iter()
            .find(|u| u.name.eq_ignore_ascii_case(name))
            .cloned()
    }

    /// Drives the consent page without a browser: requests the path and query of
    /// `authorize_url` from this simulator, submits `choice`, and returns the URL LINE would
    /// redirect the browser to (the callback with `code`/`state`, or with an error such as
    /// `ACCESS_DENIED`). A page instead of a redirect (e.g. the 400 page for a bad `client_id`
    /// or `redirect_uri`, an unknown user, or `response_mode=form_post`) is a
    /// [`SimulatorRefusal`].
    pub async fn consent(
        &self,
        authorize_url: &str,
        choice: ConsentChoice,
    ) -> Result<Url, SimulatorRefusal> {
        let url = Url::parse(authorize_url)
            .map_err(|e| SimulatorRefusal::local(format!("bad authorize URL: {e}")))?;
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let request = Request::get(target)
            .body(Body::empty())
            .map_err(|e| SimulatorRefusal::local(e.to_string()))?;
        let page = self.call(request).await?;
        if page.status == StatusCode::FOUND {
            return page.location();
        }
        let pending = match page.pending_id.clone() {
            Some(id) if page.status == StatusCode::OK => id,
            _ => return Err(page.refusal()),
        };
        drop(page);
        // Built in a block so that nothing that is not `Send` lives across the next await, and
        // callers can spawn `consent` on a multi-threaded runtime.
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("pending", &pending);
            form.append_pair("action", if choice.grant { "allow" } else { "cancel" });
            if choice.grant {
                form.append_pair("user_id", &choice.user_id);
                if choice.add_friend {
                    form.append_pair("add_friend", "true");
                }
                if choice.grant_email {
                    form.append_pair("grant_email", "true");
                }
            }
            form.finish()
        };
        let request = Request::post("/oauth2/v2.1/authorize/consent")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .map_err(|e| SimulatorRefusal::local(e.to_string()))?;
        let answer = self.call(request).await?;
        if answer.status == StatusCode::FOUND {
            answer.location()
        } else {
            Err(answer.refusal())
        }
    }

    async fn call(&self, request: Request<Body>) -> Result<Answer, SimulatorRefusal> {
        let response = self
            .handle
            .router
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| SimulatorRefusal::local(e.to_string()))?;
        let (parts, body) = response.into_parts();
        let status = parts.status;
        let header_text = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let location = header_text(header::LOCATION.as_str());
        let pending_id = header_text(authorize::PENDING_ID_HEADER);
        let body = axum::body::to_bytes(body, CONSENT_RESPONSE_MAX_BYTES)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        Ok(Answer {
            status,
            location,
            pending_id,
            body,
        })
    }

    /// Sets whether a test user is a friend of the channel's Official Account (unknown users
    /// are ignored).
    pub fn set_friend(&self, user_id: &str, friend: bool) {
        self.state().set_friend(user_id, friend);
    }

    /// Gives the channel LINE's email permission or takes it away (default: it has it). Without
    /// it, as for a channel that never applied in the LINE Developers Console, the consent page
    /// offers no email and ID tokens never carry one, even with the `email` scope.
    pub fn set_email_permission(&self, permitted: bool) {
        self.state().lock().email_permission = permitted;
    }

    /// Gives the channel LINE Profile+ or takes it away (default: it has none, and the scopes
    /// `real_name`, `gender`, `birthdate`, `phone` and `address` are `INVALID_SCOPE`). With it,
    /// ID tokens carry made-up Profile+ claims of the test user for the scopes requested.
    pub fn set_profile_plus(&self, enabled: bool) {
        self.state().lock().profile_plus = enabled;
    }

    /// Whether a test user is a friend of the channel's Official Account.
    pub fn is_friend(&self, user_id: &str) -> bool {
        self.state().is_friend(user_id)
    }

    /// As if the user unlinked the app in LINE: every access and refresh token of theirs dies.
    pub fn revoke_consent(&self, user_id: &str) {
        self.state().revoke_user(user_id);
    }

    /// Queues `fault` for the next `times` requests to `endpoint` (`None`: until
    /// [`Simulator::clear_faults`]).
    pub fn inject(&self, endpoint: Endpoint, fault: Fault, times: Option<usize>) {
        self.state().inject(endpoint, fault, times);
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        self.state().lock().faults.clear();
    }

    /// Moves the simulator's clock forward (code, token and ID-token times follow it). At most
    /// ten years per call.
    pub fn advance_clock(&self, by: Duration) {
        self.state().advance_clock(by);
    }

    /// The simulator's clock.
    pub fn now(&self) -> SystemTime {
        self.state().now()
    }

    /// How many requests `endpoint` has received.
    pub fn requests(&self, endpoint: Endpoint) -> usize {
        self.state()
            .lock()
            .requests
            .get(&endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// An ES256 ID token as LIFF and the native SDKs get them: `kid` of the current JWKS key,
    /// `iss`/`aud` of this simulator, one hour of life, `amr` `["lineautologin"]`, and `name`
    /// and `picture` for test users. Empty only if signing fails.
    pub fn issue_es256_id_token(&self, user_id: &str, nonce: Option<&str>) -> String {
        issue_es256(self.state(), user_id, nonce).unwrap_or_default()
    }

    /// Replaces the ES256 key with a new one and a new `kid`; the old key leaves the JWKS.
    pub fn rotate_jwks_key(&self) {
        match EsKey::generate() {
            Ok(key) => self.state().lock().es_key = key,
            Err(error) => tracing::warn!(%error, "could not rotate the simulator's JWKS key"),
        }
    }

    /// The `kid` of the current ES256 key.
    pub fn current_kid(&self) -> String {
        self.state().lock().es_key.kid.clone()
    }

    /// The JWKS the simulator publishes at `/oauth2/v2.1/certs`.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.state().lock().es_key.jwk()],
        }
    }

    /// Every successful deauthorize call (the last 100), oldest first.
    pub fn deauthorizations(&self) -> Vec<DeauthorizeRecord> {
        self.state()
            .lock()
            .deauthorizations
            .iter()
            .cloned()
            .collect()
    }

    /// The most recent successful deauthorize call.
    pub fn last_deauthorize(&self) -> Option<DeauthorizeRecord> {
        self.state().lock().deauthorizations.back().cloned()
    }

    /// The user access tokens successfully deauthorized, oldest first.
    pub fn deauthorized_tokens(&self) -> Vec<String> {
        self.state()
            .lock()
            .deauthorizations
            .iter()
            .map(|r| r.user_access_token.clone())
            .collect()
    }

    /// The access and refresh tokens the simulator has issued and still knows (for tests that
    /// check where tokens end up at rest).
    pub fn issued_tokens(&self) -> Vec<String> {
        let inner = self.state().lock();
        inner
            .access
            .keys()
            .chain(inner.refresh.keys())
            .cloned()
            .collect()
    }

    /// Stops the server: it finishes the requests in flight and accepts no more.
    pub fn shutdown(&self) {
        let _ = self.handle.shutdown.send(true);
    }
}

/// One response seen by [`Simulator::consent`].
struct Answer {
    status: StatusCode,
    location: Option<String>,
    pending_id: Option<String>,
    body: String,
}

impl Answer {
    fn location(self) -> Result<Url, SimulatorRefusal> {
        self.location
            .as_deref()
            .and_then(|l| Url::parse(l).ok())
            .ok_or_else(|| self.refusal_ref())
    }

    fn refusal_ref(&self) -> SimulatorRefusal {
        SimulatorRefusal {
            status: self.status.as_u16(),
            body: self.body.clone(),
        }
    }

    fn refusal(self) -> SimulatorRefusal {
        SimulatorRefusal {
            status: self.status.as_u16(),
            body: self.body,
        }
    }
}

pub(crate) fn issue_es256(sim: &SimState, user_id: &str, nonce: Option<&str>) -> Option<String> {
    let user = sim.user(user_id);
    let claims = id_token_claims(&IdTokenInput {
        issuer: &sim.issuer,
        channel_id: &sim.channel_id,
        user_id,
        now: sim.now_secs(),
        nonce,
        auth_time: None,
        amr: NATIVE_LOGIN_AMR,
        name: user.map(|u| u.name.as_str()),
        picture: user.map(|u| u.picture_url.as_str()),
        email: None,
    });
    let key = sim.lock().es_key.clone();
    key.sign(&claims).ok()
}

fn build_router(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/oauth2/v2.1/authorize", get(authorize::authorize))
        .route("/oauth2/v2.1/authorize/consent", post(authorize::consent))
        .route("/oauth2/v2.1/token", post(api::token))
        .route(
            "/oauth2/v2.1/verify",
            get(api::verify_access_token).post(api::verify_id_token),
        )
        .route("/oauth2/v2.1/revoke", post(api::revoke))
        .route("/v2/profile", get(api::profile))
        .route("/friendship/v1/status", get(api::friendship))
        .route(
            "/oauth2/v2.1/userinfo",
            get(api::userinfo).post(api::userinfo),
        )
        .route("/oauth2/v2.1/certs", get(api::certs))
        .route("/.well-known/openid-configuration", get(api::discovery))
        .route("/oauth2/v3/token", post(api::channel_token))
        .route("/user/v1/deauthorize", post(api::deauthorize))
        // Browsers ask every site for an icon; an answer keeps their consoles free of 404s.
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .merge(test_api::routes())
        .fallback(api::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults::fault_middleware,
        ))
        .layer(middleware::from_fn(api::request_id_middleware))
        .layer(DefaultBodyLimit::max(REQUEST_BODY_MAX_BYTES))
        .with_state(state)
}
