//! Reading the logged-in user in handlers: the [`LineUser`] and `Option<LineUser>` extractors,
//! [`Friendship`], the [`LineSession`] handle for live LINE calls, and [`RequireLogin`], a guard
//! layer for a whole router. They need [`crate::LineLoginLayer`] and a session layer outside the
//! handler.

// axum rejections are responses; boxing them would only add an allocation to every rejection.
#![allow(clippy::result_large_err)]

mod bearer;
mod linked_member;
mod rejection;

pub use crate::token_proof::{ACCESS_TOKEN_CACHE_MAX_ENTRIES, ACCESS_TOKEN_CACHE_SECS};
pub use bearer::{Bearer, RequireBearer, RequireBearerService};
pub use linked_member::LinkedMember;
pub use rejection::LoginRejection;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{Request, header};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;
use tower_layer::Layer;
use tower_service::Service;
use tower_sessions::Session;

use crate::api::{ApiError, Profile};
use crate::context::{FriendshipFetch, LoginContext, Unauthenticated};
use crate::error::LoginError;
use crate::session::{self, USER_KEY};
use crate::user::UserTokens;
use crate::user::{Friendship, LineUser};

fn context(parts: &Parts) -> Result<(LoginContext, Session), LoginRejection> {
    let ctx = parts.extensions.get::<LoginContext>().cloned();
    let session = parts.extensions.get::<Session>().cloned();
    match (ctx, session) {
        (Some(ctx), Some(session)) => Ok((ctx, session)),
        _ => Err(LoginRejection::rendered(
            LoginError::NoSessionLayer,
            parts,
            crate::error::wants_json(&parts.headers),
        )),
    }
}

fn store_failure(parts: &Parts, error: tower_sessions::session::Error) -> LoginRejection {
    let error = LoginError::SessionStore(error);
    tracing::warn!(error = %crate::log_safe::Escaped(&error), "session store failed while reading the LINE user");
    let json = crate::error::wants_json(&parts.headers);
    LoginRejection::rendered(error, parts, json)
}

/// The answer to an anonymous request for a protected resource.
/// The path the client asked for (behind `Router::nest` the request's own URI lost the prefix).
fn original_path(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(parts.uri.path(), |original| original.0.path())
}

/// Whether `path` is `prefix` or below it (`/api` covers `/api` and `/api/me`, not `/apiary`).
fn path_is_under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn unauthenticated(parts: &Parts, ctx: &LoginContext) -> LoginRejection {
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // An API client (it sent credentials of its own) or a route the app marked as API or LIFF
    // (a LIFF page must not be redirected before `liff.init()` resolves) always gets JSON.
    let api_request = parts.headers.contains_key(header::AUTHORIZATION)
        || ctx
            .0
            .api_paths
            .iter()
            .any(|prefix| path_is_under(original_path(parts), prefix));
    let redirect = !api_request
        && match ctx.0.unauthenticated {
            Unauthenticated::Json => false,
            Unauthenticated::Redirect => true,
            Unauthenticated::Auto => accept.contains("text/html"),
        };
    if redirect {
        // Behind `Router::nest` the request's URI has lost the nest's prefix; axum keeps the
        // URI the client asked for as `OriginalUri`, and that is where the user must come back.
        let uri = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or(&parts.uri, |original| &original.0);
        let here = uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
        let return_to = crate::return_to::sanitize_return_to(Some(here));
        let query =
            serde_urlencoded::to_string([("return_to", return_to.as_str())]).unwrap_or_default();
        let login = crate::respond::see_other(&format!("{}?{query}", ctx.0.routes.login));
        LoginRejection::with_response(LoginError::NotLoggedIn, login)
    } else {
        LoginRejection::rendered(LoginError::NotLoggedIn, parts, true)
    }
}

async fn load_user(parts: &Parts) -> Result<Option<LineUser>, LoginRejection> {
    let (_, session) = context(parts)?;
    session::user(&session)
        .await
        .map_err(|error| store_failure(parts, error))
}

/// The logged-in user with the layer's context and the session, or the answer to an anonymous
/// request (see [`Unauthenticated`]) or to a store failure.
async fn require_user(parts: &Parts) -> Result<LineSession, LoginRejection> {
    let (ctx, session) = context(parts)?;
    match session::user(&session).await {
        Ok(Some(user)) => Ok(LineSession { user, ctx, session }),
        Ok(None) => Err(unauthenticated(parts, &ctx)),
        Err(error) => Err(store_failure(parts, error)),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LineUser {
    type Rejection = LoginRejection;

    /// The logged-in user. Anonymous: a redirect to the login for browsers, 401 JSON otherwise
    /// (see [`Unauthenticated`]). Session store down: 503. Behind [`RequireBearer`], the user
    /// of the verified bearer token (no session read).
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = bearer::verified_user(parts) {
            return Ok(user);
        }
        Ok(require_user(parts).await?.user)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for LineUser {
    type Rejection = LoginRejection;

    /// The logged-in user, or `None`. Session store down: 503 (never a silent `None`). Behind
    /// [`RequireBearer`], the user of the verified bearer token.
    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if let Some(user) = bearer::verified_user(parts) {
            return Ok(Some(user));
        }
        load_user(parts).await
    }
}

/// The logged-in user's friendship with the company's LINE Official Account. With
/// [`FriendshipFetch::Lazily`], the first use fetches it from LINE and caches it in the session.
impl<S: Send + Sync> FromRequestParts<S> for Friendship {
    type Rejection = LoginRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let line_session =
            <LineSession as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        let user = line_session.user.clone();
        if user.friendship.fetched_at.is_none()
            && line_session.ctx.0.friendship_fetch == FriendshipFetch::Lazily
        {
            return line_session.refresh_friendship().await.map_err(|e| {
                let json = crate::error::wants_json(&parts.headers);
                LoginRejection::rendered(e.into_login_error(), parts, json)
            });
        }
        Ok(user.friendship)
    }
}

/// Refresh the access token when it has less than this left.
pub(crate) const TOKEN_REFRESH_MARGIN: time::Duration = time::Duration::minutes(5);

/// The logged-in user with access to LINE on their behalf: refresh the friendship status, fetch
/// the live profile. A token LINE reports as revoked (consent withdrawn in the LINE app) logs the
/// session out.
pub struct LineSession {
    user: LineUser,
    ctx: LoginContext,
    session: Session,
}

impl<S: Send + Sync> FromRequestParts<S> for LineSession {
    type Rejection = LoginRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        require_user(parts).await
    }
}

/// Why a live LINE call for the session failed.
#[derive(Debug, thiserror::Error)]
pub enum LineSessionError {
    /// The user's token is revoked or invalid (consent withdrawn); the session was logged out.
    #[error("the LINE session ended: consent was withdrawn or the token is invalid")]
    ConsentWithdrawn,
    /// The session has no LINE access token (an ID-token login has none).
    #[error("this session has no LINE access token")]
    NoAccessToken,
    /// The access token of a token-door session (LIFF, MINI App, native) was revoked or expired:
    /// e.g. the user granted more permissions in a MINI App and LINE revoked the old token, or
    /// closed the LIFF app. The session was logged out; the app logs in again with a fresh
    /// token. Consent is not withdrawn: nothing is unlinked or deauthorized.
    #[error("the LINE token of this session was revoked or expired: log in again")]
    LoginAgain,
    /// The login did not grant the `profile` scope (e.g. a LINE MINI App with consent
    /// simplification grants `openid` only).
    #[error("the login did not grant the profile scope")]
    NoProfileScope,
    /// LINE's API failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The session store failed.
    #[error(transparent)]
    Store(#[from] tower_sessions::session::Error),
}

impl LineSessionError {
    fn into_login_error(self) -> LoginError {
        match self {
            LineSessionError::ConsentWithdrawn | LineSessionError::NoAccessToken => {
                LoginError::NotLoggedIn
            }
            LineSessionError::LoginAgain => LoginError::InvalidToken,
            LineSessionError::NoProfileScope => {
                LoginError::InsufficientScope(crate::Scope::Profile)
            }
            LineSessionError::Api(error) => LoginError::LineApi(error),
            LineSessionError::Store(error) => LoginError::SessionStore(error),
        }
    }
}

impl IntoResponse for LineSessionError {
    fn into_response(self) -> Response {
        self.into_login_error().render(true, None)
    }
}

impl LineSession {
    /// The logged-in user as stored.
    pub fn user(&self) -> &LineUser {
        &self.user
    }

    /// The access token, refreshed first when it expires within [`TOKEN_REFRESH_MARGIN`].
    async fn access_token(&self) -> Result<crate::secret::AccessToken, LineSessionError> {
        let tokens = session::tokens(&self.session, self.ctx.0.config.token_keys())
            .await?
            .ok_or(LineSessionError::NoAccessToken)?;
        // A token-door session has no refresh token: its access token serves until it ends.
        if tokens.expires_at - TOKEN_REFRESH_MARGIN > OffsetDateTime::now_utc()
            || tokens.refresh_token.is_none()
        {
            return Ok(tokens.access_token);
        }
        self.refresh_tokens().await
    }

    /// Refreshes the access token with the stored refresh token and stores the new one. A refresh
    /// LINE refuses (consent withdrawn in the LINE app, or the refresh token's 90 days are over)
    /// logs the session out.
    pub async fn refresh_tokens(&self) -> Result<crate::secret::AccessToken, LineSessionError> {
        let mut tokens = session::tokens(&self.session, self.ctx.0.config.token_keys())
            .await?
            .ok_or(LineSessionError::NoAccessToken)?;
        let refresh = tokens
            .refresh_token
            .clone()
            .ok_or(LineSessionError::NoAccessToken)?;
        let fresh = match self
            .ctx
            .0
            .api_for(self.user.channel_id.as_deref())
            .refresh(&refresh)
            .await
        {
            Ok(fresh) => fresh,
            Err(error) => return Err(self.on_api_error(error).await),
        };
        tokens.expires_at = UserTokens::expiry(fresh.expires_in);
        tokens.access_token = fresh.access_token;
        if let Some(refresh) = fresh.refresh_token {
            tokens.refresh_token = Some(refresh);
        }
        let keys = self.ctx.0.config.token_keys();
        session::store_tokens(&self.session, keys, &self.user.user_id, &tokens).await?;
        Ok(tokens.access_token)
    }

    async fn on_api_error(&self, error: ApiError) -> LineSessionError {
        if error.is_token_revoked_or_invalid() {
            tracing::info!("LINE reports the user's token invalid; logging the session out");
            if let Err(store) = self.session.flush().await {
                return LineSessionError::Store(store);
            }
            // A LIFF / MINI App token dies on its own (app closed, permissions upgraded): the
            // user logs in again; it says nothing about their consent.
            if self.user.door != crate::user::LoginDoor::Web {
                return LineSessionError::LoginAgain;
            }
            return LineSessionError::ConsentWithdrawn;
        }
        LineSessionError::Api(error)
    }

    /// Fetches `friendFlag` from LINE now and stores it in the session.
    pub async fn refresh_friendship(&self) -> Result<Friendship, LineSessionError> {
        let token = self.access_token().await?;
        let friend = match self
            .ctx
            .0
            .api_for(self.user.channel_id.as_deref())
            .friendship_status(&token)
            .await
        {
            Ok(friend) => friend,
            Err(error) => return Err(self.on_api_error(error).await),
        };
        let mut user = self.user.clone();
        user.friendship.friend_flag = friend.into();
        user.friendship.fetched_at = Some(OffsetDateTime::now_utc());
        self.session.insert(USER_KEY, &user).await?;
        Ok(user.friendship)
    }

    /// The live profile (display name, picture, status message) from LINE's profile API,
    /// fetched when the app asks (an `openid`-only login has no name or picture until then).
    /// A login without the `profile` scope answers [`LineSessionError::NoProfileScope`] without
    /// calling LINE.
    pub async fn profile(&self) -> Result<Profile, LineSessionError> {
        if !self.user.scopes.is_empty() && !self.user.has_scope(crate::Scope::Profile) {
            return Err(LineSessionError::NoProfileScope);
        }
        let token = self.access_token().await?;
        match self
            .ctx
            .0
            .api_for(self.user.channel_id.as_deref())
            .profile(&token)
            .await
        {
            Ok(profile) => Ok(profile),
            Err(error) => Err(self.on_api_error(error).await),
        }
    }

    /// Checks the access token with LINE; a revoked one logs the session out
    /// ([`LineSessionError::LoginAgain`] for a token-door session).
    pub async fn check_consent(&self) -> Result<(), LineSessionError> {
        let token = self.access_token().await?;
        // A token-door session may hold a LIFF / MINI App channel's token: any accepted channel.
        match self
            .ctx
            .0
            .api_for(self.user.channel_id.as_deref())
            .verify_access_token_accepted(&token)
            .await
        {
            Ok(_) => Ok(()),
            Err(crate::api::AccessTokenError::Api(error)) => Err(self.on_api_error(error).await),
            Err(_) => {
                self.session.flush().await?;
                if self.user.door != crate::user::LoginDoor::Web {
                    return Err(LineSessionError::LoginAgain);
                }
                Err(LineSessionError::ConsentWithdrawn)
            }
        }
    }
}

/// A guard for a whole router: anonymous requests get the [`Unauthenticated`] answer.
///
/// ```
/// use axum::{Router, routing::get};
/// use line_login::extract::RequireLogin;
/// let protected: Router = Router::new()
///     .route("/orders", get(|| async { "your orders" }))
///     .route_layer(RequireLogin);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RequireLogin;

impl<S> Layer<S> for RequireLogin {
    type Service = RequireLoginService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequireLoginService { inner }
    }
}

/// The service of [`RequireLogin`].
#[derive(Clone, Debug)]
pub struct RequireLoginService<S> {
    inner: S,
}

impl<S> Service<Request<Body>> for RequireLoginService<S>
where
    S: Service<Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            match require_user(&parts).await {
                Ok(_) => inner.call(Request::from_parts(parts, body)).await,
                Err(rejection) => Ok(rejection.into_response()),
            }
        })
    }
}
