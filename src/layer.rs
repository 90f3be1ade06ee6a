//! The tower [`Layer`] that runs LINE Login on a few routes under a prefix (default `/auth/line`):
//! `GET /login`, `GET /callback`, `POST /logout`, `POST /token-login`, and, with member links,
//! `POST /link` and `POST /unlink`. Every other request passes straight through, carrying what the
//! extractors in [`crate::extract`] need.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use line_login::{Config, LineLoginLayer, LineUser, session::session_layer};
//! use tower_sessions::MemoryStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::from_env()?;
//! let app = Router::new()
//!     .route("/", get(|user: Option<LineUser>| async move {
//!         match user {
//!             Some(user) => format!("Hello, {}", user.display_name.unwrap_or_default()),
//!             None => "<a href=\"/auth/line/login\">Log in with LINE</a>".to_owned(),
//!         }
//!     }))
//!     .layer(LineLoginLayer::new(config.clone())?)
//!     .layer(session_layer(MemoryStore::default(), &config));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! On hot paths, wrap the whole router instead: `Router::layer` boxes every route once more,
//! wrapping does not (see BENCHMARKS.md).
//!
//! ```no_run
//! use axum::{Router, ServiceExt as _, routing::get};
//! use line_login::{Config, LineLoginLayer, LineUser, session::session_layer};
//! use tower::Layer as _;
//! use tower_sessions::MemoryStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::from_env()?;
//! let router = Router::new().route("/me", get(|user: LineUser| async move { user.user_id }));
//! let app = session_layer(MemoryStore::default(), &config)
//!     .layer(LineLoginLayer::new(config.clone())?.layer(router));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app.into_make_service()).await?;
//! # Ok(()) }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use axum::body::Body;
use axum::http::Request;
use axum::response::Response;
use futures_util::future::Either;
use tower_layer::Layer;
use tower_service::Service;
use tower_sessions::Session;

use crate::api::{ApiError, LineApi};
use crate::config::Config;
pub use crate::context::{
    ChannelSelector, ErrorHandler, FriendshipFetch, TokenNonce, Unauthenticated,
};
use crate::context::{LoginContext, LoginHook, Route, Routes, Shared, WebChannel};
use crate::error::LoginError;
use crate::id_token::IdTokenVerifier;
use crate::respond::{no_referrer_no_store, render_error};
use crate::routes;
use crate::store::attempts::{AttemptStore, MemoryAttempts};
use crate::user::LineUser;

/// Runs LINE Login for the wrapped service. Put a tower-sessions `SessionManagerLayer` outside it
/// (see [`crate::session::session_layer`]).
#[derive(Clone)]
pub struct LineLoginLayer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LineLoginLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineLoginLayer")
            .field("prefix", &self.shared.routes.prefix)
            .finish_non_exhaustive()
    }
}

impl LineLoginLayer {
    /// A layer for `config` with the default routes under `/auth/line`.
    ///
    /// Fails only if the HTTP client cannot be built (no TLS backend).
    pub fn new(config: Config) -> Result<Self, ApiError> {
        Ok(Self::with_api(LineApi::new(&config)?))
    }

    /// A layer using an existing API client (to share it, or to install an API log sink).
    ///
    /// Logs, once, a warning for every item of LINE's guidelines that needs action in this
    /// configuration (see [`LineLoginLayer::compliance`]).
    pub fn with_api(api: LineApi) -> Self {
        let config = api.config().clone();
        let verifier = IdTokenVerifier::new(api.clone());
        let channels = web_channels(&api, &verifier, None);
        let layer = Self {
            shared: Arc::new(Shared {
                log_hasher: crate::login_log::LogHasher::new(&config),
                attempt_sealer: crate::pending::AttemptSealer::new(&config),
                config,
                api,
                verifier,
                channels,
                channel_selector: None,
                routes: Routes::new("/auth/line"),
                after_logout: "/".to_owned(),
                cancel_redirect: None,
                error_handler: None,
                unauthenticated: Unauthenticated::default(),
                api_paths: Vec::new(),
                token_nonce: TokenNonce::default(),
                token_sessions_outlive_tokens: false,
                require_compliance: false,
                friendship_fetch: FriendshipFetch::default(),
                on_login: None,
                members: None,
                attempts: Arc::new(MemoryAttempts::default()),
                access_cache: Arc::default(),
                session_store: None,
                clock: Arc::new(time::OffsetDateTime::now_utc),
                messages: crate::messages::Messages::builtin(),
                in_app_browser: crate::in_app_browser::InAppBrowserPolicy::default(),
                email_watch: Arc::new(crate::email_watch::EmailWatch::new()),
                raw_login_log_values: false,
            }),
        };
        layer.compliance().build().log_action_needed();
        layer
    }

    fn update(mut self, f: impl FnOnce(&mut Shared)) -> Self {
        // Copies the shared state only if the layer was cloned before configuration finished.
        f(Arc::make_mut(&mut self.shared));
        self
    }

    /// Serves the routes under `prefix` instead of `/auth/line`. The redirect URI must point at
    /// `{prefix}/callback`.
    #[must_use]
    pub fn prefix(self, prefix: &str) -> Self {
        let routes = Routes::new(prefix);
        self.update(|s| s.routes = routes)
    }

    /// Where logout redirects (default `/`).
    #[must_use]
    pub fn after_logout(self, path: &str) -> Self {
        let path = crate::return_to::sanitize_return_to(Some(path));
        self.update(|s| s.after_logout = path)
    }

    /// Redirect here (a same-site path) when the user cancels on LINE's consent screen, instead
    /// of showing the default page.
    #[must_use]
    pub fn on_cancel_redirect(self, path: &str) -> Self {
        let path = crate::return_to::sanitize_return_to(Some(path));
        self.update(|s| s.cancel_redirect = Some(path))
    }

    /// Renders errors with the app's own pages; return `None` to keep the default.
    #[must_use]
    pub fn on_error(
        self,
        handler: impl Fn(&LoginError, &axum::http::request::Parts) -> Option<Response>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.update(|s| s.error_handler = Some(Arc::new(handler)))
    }

    /// What the [`LineUser`] extractor and the login guard answer to anonymous requests.
    #[must_use]
    pub fn unauthenticated(self, behaviour: Unauthenticated) -> Self {
        self.update(|s| s.unauthenticated = behaviour)
    }

    /// Path prefixes of API and LIFF routes (e.g. `["/api", "/liff"]`): anonymous requests there
    /// get 401 JSON from the [`LineUser`] extractor and the login guard, never a redirect,
    /// whatever [`Unauthenticated`] says. Requests with an `Authorization` header always do.
    #[must_use]
    pub fn api_paths<I, P>(self, prefixes: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        let prefixes: Vec<String> = prefixes.into_iter().map(Into::into).collect();
        self.update(|s| s.api_paths = prefixes)
    }

    /// When to fetch the friendship status.
    #[must_use]
    pub fn friendship_fetch(self, fetch: FriendshipFetch) -> Self {
        self.update(|s| s.friendship_fetch = fetch)
    }

    /// Runs `hook` after each successful login.
    #[must_use]
    pub fn on_login<F, Fut>(self, hook: F) -> Self
    where
        F: Fn(LineUser) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let hook: LoginHook = Arc::new(move |user: &LineUser| Box::pin(hook(user.clone())));
        self.update(|s| s.on_login = Some(hook))
    }

    /// Enables member links: `POST {prefix}/link` and `POST {prefix}/unlink`, and the member
    /// lookup on every login. See [`crate::link`].
    #[must_use]
    pub fn member_links<L, M>(self, links: L, signed_in_member: M) -> Self
    where
        L: crate::link::MemberLinks,
        M: crate::link::SignedInMember,
    {
        let access: Arc<dyn crate::link::MemberAccess> =
            Arc::new(crate::link::LinkAccess::new(links, signed_in_member));
        self.update(|s| s.members = Some(access))
    }

    /// Where the layer records which login attempts, token-login nonces and tokens are spent
    /// (default: this process's memory, for one instance; the attempts themselves wait for
    /// LINE's callback sealed in the browser's cookies). Sites with several instances give every
    /// instance the same shared store, usually [`crate::store::AnySessionStore::attempts`] of
    /// their session store, so a code is spent once whichever instance its copies reach.
    #[must_use]
    pub fn attempt_store(self, store: Arc<dyn AttemptStore>) -> Self {
        self.update(|s| s.attempts = store)
    }

    /// Declares where sessions live ([`AnySessionStore::kind`](crate::store::AnySessionStore::kind)).
    /// Session records keep the user's LINE tokens, sealed whenever the configuration has a
    /// token key; a shared store (Redis, PostgreSQL) without a key is refused with
    /// [`ConfigError::TokenKeyMissing`](crate::ConfigError::TokenKeyMissing) unless the app opted
    /// in to plain text ([`ConfigBuilder::plaintext_tokens`](crate::ConfigBuilder::plaintext_tokens)).
    /// The compliance report uses the declaration.
    pub fn session_store(
        self,
        kind: crate::store::StoreKind,
    ) -> Result<Self, crate::config::ConfigError> {
        if kind != crate::store::StoreKind::Memory {
            self.shared.config.token_protection()?;
        }
        Ok(self.update(|s| s.session_store = Some(kind)))
    }

    /// The catalogue (and language policy) of the layer's pages and JSON messages; default
    /// [`crate::messages::Messages::builtin`], negotiated per request from `Accept-Language`.
    #[must_use]
    pub fn messages(self, messages: crate::messages::Messages) -> Self {
        self.update(|s| s.messages = messages)
    }

    /// What `GET {prefix}/login` does when the login starts in an in-app browser other than
    /// LINE's (default
    /// [`InAppBrowserPolicy::Interstitial`](crate::in_app_browser::InAppBrowserPolicy::Interstitial)); see [`crate::in_app_browser`].
    #[must_use]
    pub fn in_app_browser(self, policy: crate::in_app_browser::InAppBrowserPolicy) -> Self {
        self.update(|s| s.in_app_browser = policy)
    }

    /// Keeps the raw authorization URL and callback query (with the `state`, `nonce` and the
    /// authorization `code`) in the authorization and callback records, instead of only their
    /// keyed hashes and parameter names (default `false`; see [`crate::login_log`]). Anyone who
    /// reads such a log in time could finish a login: the compliance report marks it "action
    /// needed" and the layer's strict mode refuses it. For short debugging sessions only.
    #[must_use]
    pub fn log_raw_login_values(self, raw: bool) -> Self {
        self.update(|s| s.raw_login_log_values = raw)
    }

    /// Whether token login accepts ID tokens without a nonce (default [`TokenNonce::Allow`]).
    #[must_use]
    pub fn token_nonce(self, policy: TokenNonce) -> Self {
        self.update(|s| s.token_nonce = policy)
    }

    /// Lets a session made by token login live as long as a web login's (the session layer's
    /// idle expiry) instead of ending when the ID token expires (default `false`: a session is
    /// no longer than its proof; LIFF ID tokens live an hour).
    #[must_use]
    pub fn token_sessions_outlive_tokens(self, outlive: bool) -> Self {
        self.update(|s| s.token_sessions_outlive_tokens = outlive)
    }

    /// Replaces the layer's one clock (for tests that travel in time, e.g.
    /// `move || simulator.now()`): it dates login attempts, checks ID tokens and decides when the
    /// API client's cached channel access token is renewed.
    #[must_use]
    pub fn clock(self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        let now = Arc::new(now);
        let (for_api, for_verifier) = (now.clone(), now.clone());
        let api = self
            .shared
            .api
            .clone()
            .with_channel_token_clock(move || for_api());
        let for_channels = now.clone();
        let verifier = IdTokenVerifier::builder(api.config(), api.clone())
            .remote_api(api.clone())
            .clock(move || for_verifier())
            .build();
        let channels = web_channels(&api, &verifier, Some(Arc::new(move || for_channels())));
        let clock: crate::context::Clock = Arc::new(move || time::OffsetDateTime::from(now()));
        self.update(|s| {
            s.clock = clock;
            s.verifier = verifier;
            s.api = api;
            s.channels = channels;
        })
    }

    /// Chooses each web login's channel ([`ConfigBuilder::channel`](crate::ConfigBuilder::channel))
    /// from the request, e.g. by a path, a cookie or the app's own country setting. Returning
    /// `None` keeps the default rule: the channel with a callback URL registered on the
    /// request's host (an allow-list: the `Host` header is only compared with it), else the
    /// default channel. A channel ID that is not configured is answered 500
    /// ([`LoginError::UnknownChannel`]). The attempt records the channel; the callback
    /// exchanges and verifies with that channel only.
    ///
    /// ```
    /// use line_login::{Channel, ChannelId, Config, LineLoginLayer};
    /// let config = Config::builder("1111111111", "jp-secret", "https://example.com/auth/line/callback")
    ///     .provider("example")
    ///     .channel(
    ///         Channel::builder("2222222222", "th-secret", "https://example.com/auth/line/callback")
    ///             .provider("example"),
    ///     )
    ///     .build()
    ///     .unwrap();
    /// let layer = LineLoginLayer::new(config).unwrap().channel_selector(|parts, _config| {
    ///     let thai = parts.uri.query().is_some_and(|q| q.contains("country=th"));
    ///     thai.then(|| ChannelId::parse("2222222222").unwrap())
    /// });
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn channel_selector(
        self,
        select: impl Fn(&axum::http::request::Parts, &Config) -> Option<crate::ChannelId>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.update(|s| s.channel_selector = Some(Arc::new(select)))
    }

    /// The API client the layer uses.
    pub fn api(&self) -> &LineApi {
        &self.shared.api
    }

    /// A compliance report builder filled in with what the layer knows: its configuration,
    /// whether its API log sink is persistent, and whether member links (with their unlink
    /// route) are enabled. Declare the rest (e.g. `consent_sweep(true)`) and `build()`.
    pub fn compliance(&self) -> crate::compliance::ComplianceReportBuilder {
        let links = self.shared.members.is_some();
        let mut report = crate::compliance::ComplianceReport::builder(&self.shared.config)
            .api(&self.shared.api)
            .member_links(links)
            .unlink_route(links)
            .raw_login_log_values(self.shared.raw_login_log_values);
        if let Some(members) = &self.shared.members {
            report = report.link_token_storage(members.token_storage());
        }
        if let Some(kind) = self.shared.session_store {
            report = report.session_store(kind);
        }
        report
    }

    /// Strict mode: the layer refuses to wrap a service while an item of LINE's guidelines needs
    /// action (e.g. a long-lived channel access token, tokens stored in plain text). The check
    /// runs when the layer is applied, so the order of the builder calls does not matter.
    ///
    /// # Panics
    ///
    /// [`Layer::layer`] panics with the list of findings (never a secret) when the report needs
    /// action, as tower-http's `CorsLayer` does for an unusable configuration: the app stops
    /// while it is being assembled, before it serves anything. To handle the findings yourself,
    /// call `self.compliance().build().check()` instead.
    #[must_use]
    pub fn require_compliance(self) -> Self {
        self.update(|s| s.require_compliance = true)
    }
}

/// The layer's web-login channels, the default first with the layer's own client and verifier;
/// the others with clients sharing `api`'s pool and log sink, and verifiers on `clock`.
fn web_channels(
    api: &LineApi,
    verifier: &IdTokenVerifier,
    clock: Option<Arc<dyn Fn() -> SystemTime + Send + Sync>>,
) -> Vec<WebChannel> {
    let config = api.config();
    let mut channels = vec![WebChannel {
        config: config.clone(),
        api: api.clone(),
        verifier: verifier.clone(),
    }];
    for other in config.channels().iter().skip(1) {
        let Some(channel_config) = config.for_channel(other.id()) else {
            continue;
        };
        let channel_api = api.for_channel(channel_config);
        let mut builder = IdTokenVerifier::builder(channel_api.config(), channel_api.clone())
            .remote_api(channel_api.clone());
        if let Some(now) = &clock {
            let now = now.clone();
            builder = builder.clock(move || now());
        }
        channels.push(WebChannel {
            config: channel_api.config().clone(),
            verifier: builder.build(),
            api: channel_api,
        });
    }
    channels
}

impl<S> Layer<S> for LineLoginLayer {
    type Service = LineLoginService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        if self.shared.require_compliance
            && let Err(findings) = self.compliance().build().check()
        {
            panic!("line-login refuses this configuration (require_compliance): {findings}");
        }
        LineLoginService {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service built by [`LineLoginLayer`].
#[derive(Clone)]
pub struct LineLoginService<S> {
    inner: S,
    shared: Arc<Shared>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<Request<Body>> for LineLoginService<S>
where
    S: Service<Request<Body>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<BoxFuture<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        if let Some(route) = self.shared.routes.route(request.uri().path()) {
            let shared = self.shared.clone();
            return Either::Left(Box::pin(async move {
                Ok(serve_route(shared, route, request).await)
            }));
        }
        request
            .extensions_mut()
            .insert(LoginContext(self.shared.clone()));
        Either::Right(self.inner.call(request))
    }
}

async fn serve_route(shared: Arc<Shared>, route: Route, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let result = match parts.extensions.get::<Session>().cloned() {
        None => Err(LoginError::NoSessionLayer),
        Some(session) => {
            let ctx = routes::RouteContext {
                shared: &shared,
                session: &session,
                parts: &parts,
            };
            match route {
                Route::Login => routes::login(&ctx).await,
                Route::Callback => routes::callback(&ctx).await,
                Route::Logout => routes::logout(&ctx).await,
                Route::TokenLogin => routes::token_login(&ctx, body).await,
                Route::TokenLoginNonce => routes::token_login_nonce(&ctx).await,
                Route::Link => routes::link(&ctx).await,
                Route::Unlink => routes::unlink(&ctx).await,
            }
        }
    };
    let mut response = match result {
        Ok(response) => response,
        Err(error) => render_error(&shared, &parts, route, error),
    };
    if route == Route::Callback {
        crate::attempt_cookies::clear_after_callback(&shared, &parts, &mut response);
    }
    no_referrer_no_store(&mut response);
    response
}
