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

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::Either;
use tower_layer::Layer;
use tower_service::Service;
use tower_sessions::Session;

use crate::api::{ApiError, LineApi};
use crate::config::Config;
use crate::error::LoginError;
use crate::flow;
use crate::id_token::IdTokenVerifier;
use crate::user::LineUser;

/// When the friendship status (`friendFlag`) is fetched from LINE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FriendshipFetch {
    /// Right after each login (default). A failure leaves it `Unknown`; the login succeeds.
    #[default]
    AtLogin,
    /// On the first use of the [`crate::extract::Friendship`] extractor.
    Lazily,
    /// Never; `friendship_status_changed` from the callback is still kept.
    Never,
}

/// What an unauthenticated request to a protected handler gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unauthenticated {
    /// Browsers (an `Accept` with `text/html`) are redirected to the login with `return_to`;
    /// everything else gets a 401 JSON answer. The default.
    #[default]
    Auto,
    /// Always a 401 JSON answer.
    Json,
    /// Always a redirect to the login.
    Redirect,
}

/// A custom error page: return `Some(response)` to replace the default one.
pub type ErrorHandler =
    Arc<dyn Fn(&LoginError, &axum::http::request::Parts) -> Option<Response> + Send + Sync>;

/// Called after every successful login with the new user (friendship included), before the
/// redirect; the app may greet a new friend or record the login. Errors are logged, not fatal.
pub type LoginHook =
    Arc<dyn Fn(&LineUser) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Everything the layer's routes and the extractors share.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) api: LineApi,
    pub(crate) verifier: IdTokenVerifier,
    pub(crate) routes: Routes,
    pub(crate) after_logout: String,
    pub(crate) cancel_redirect: Option<String>,
    pub(crate) error_handler: Option<ErrorHandler>,
    pub(crate) unauthenticated: Unauthenticated,
    pub(crate) friendship_fetch: FriendshipFetch,
    pub(crate) on_login: Option<LoginHook>,
    pub(crate) members: Option<Arc<dyn crate::link::MemberAccess>>,
    pub(crate) clock: Clock,
    pub(crate) messages: crate::messages::Messages,
}

/// The layer's source of the current time (replaceable in tests).
pub(crate) type Clock = Arc<dyn Fn() -> time::OffsetDateTime + Send + Sync>;

/// The handle the layer puts on every request; extractors read it.
#[derive(Clone)]
pub(crate) struct LoginContext(pub(crate) Arc<Shared>);

#[derive(Clone)]
pub(crate) struct Routes {
    pub(crate) prefix: String,
    pub(crate) login: String,
}

impl Routes {
    fn new(prefix: &str) -> Self {
        let prefix = format!("/{}", prefix.trim_matches('/'));
        Self {
            login: format!("{prefix}/login"),
            prefix,
        }
    }

    fn route(&self, path: &str) -> Option<Route> {
        let rest = path.strip_prefix(self.prefix.as_str())?;
        Some(match rest {
            "/login" => Route::Login,
            "/callback" => Route::Callback,
            "/logout" => Route::Logout,
            "/token-login" => Route::TokenLogin,
            "/link" => Route::Link,
            "/unlink" => Route::Unlink,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Route {
    Login,
    Callback,
    Logout,
    TokenLogin,
    Link,
    Unlink,
}

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
        let layer = Self {
            shared: Arc::new(Shared {
                config,
                api,
                verifier,
                routes: Routes::new("/auth/line"),
                after_logout: "/".to_owned(),
                cancel_redirect: None,
                error_handler: None,
                unauthenticated: Unauthenticated::default(),
                friendship_fetch: FriendshipFetch::default(),
                on_login: None,
                members: None,
                clock: Arc::new(time::OffsetDateTime::now_utc),
                messages: crate::messages::Messages::builtin(),
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
        let access: Arc<dyn crate::link::MemberAccess> = Arc::new(crate::link::LinkAccess::new(
            links,
            signed_in_member,
            self.shared.api.clone(),
        ));
        self.update(|s| s.members = Some(access))
    }

    /// The catalogue (and language policy) of the layer's pages and JSON messages; default
    /// [`crate::messages::Messages::builtin`], negotiated per request from `Accept-Language`.
    #[must_use]
    pub fn messages(self, messages: crate::messages::Messages) -> Self {
        self.update(|s| s.messages = messages)
    }

    /// Replaces the clock that dates login attempts (for tests that need to travel in time).
    #[must_use]
    pub fn clock(self, now: impl Fn() -> time::OffsetDateTime + Send + Sync + 'static) -> Self {
        self.update(|s| s.clock = Arc::new(now))
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
        crate::compliance::ComplianceReport::builder(&self.shared.config)
            .api(&self.shared.api)
            .member_links(links)
            .unlink_route(links)
    }

    /// Strict mode: with `strict`, refuses (with the list of findings) a layer for which an item
    /// of LINE's guidelines needs action, e.g. a long-lived channel access token. Call it last,
    /// after the other builder methods.
    pub fn strict_compliance(
        self,
        strict: bool,
    ) -> Result<Self, crate::compliance::ComplianceError> {
        if strict {
            self.compliance().build().check()?;
        }
        Ok(self)
    }
}

impl<S> Layer<S> for LineLoginLayer {
    type Service = LineLoginService<S>;

    fn layer(&self, inner: S) -> Self::Service {
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
            let ctx = flow::RouteContext {
                shared: &shared,
                session: &session,
                parts: &parts,
            };
            match route {
                Route::Login => flow::login(&ctx).await,
                Route::Callback => flow::callback(&ctx).await,
                Route::Logout => flow::logout(&ctx).await,
                Route::TokenLogin => flow::token_login(&ctx, body).await,
                Route::Link => flow::link(&ctx).await,
                Route::Unlink => flow::unlink(&ctx).await,
            }
        }
    };
    match result {
        Ok(response) => response,
        Err(error) => render_error(&shared, &parts, route, error),
    }
}

pub(crate) fn render_error(
    shared: &Shared,
    parts: &axum::http::request::Parts,
    route: Route,
    error: LoginError,
) -> Response {
    // One warn line per failure, without secrets: errors never carry codes, tokens or state.
    tracing::warn!(
        route = ?route,
        error = %error,
        code = error.code(),
        status = error.status().as_u16(),
        "LINE login request failed"
    );
    if let Some(handler) = &shared.error_handler
        && let Some(response) = handler(&error, parts)
    {
        return response;
    }
    let retry = format!("{}?disable_auto_login=true", shared.routes.login);
    let mut response = error.render_for(&shared.messages, parts, Some(&retry));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// 303 See Other to `location`, never cached.
pub(crate) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = header::HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

pub(crate) fn method_is(
    parts: &axum::http::request::Parts,
    method: &Method,
) -> Result<(), LoginError> {
    if parts.method == *method || (*method == Method::GET && parts.method == Method::HEAD) {
        Ok(())
    } else {
        Err(LoginError::MethodNotAllowed)
    }
}
