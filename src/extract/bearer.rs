//! The stateless bearer guard for APIs called by LIFF apps, LINE MINI Apps and native apps:
//! [`RequireBearer`] (a layer) and [`Bearer`] (an extractor) accept
//! `Authorization: Bearer <LINE ID token or access token>`, verify it through the same core as
//! `POST {prefix}/token-login` (accepted channels, the verified ID-token cache, LINE's verify for
//! access tokens), and hand handlers the same [`LineUser`]. No session is read or written.
//!
//! Failures follow RFC 6750: no credentials, 401 with a bare `WWW-Authenticate: Bearer`; a bad,
//! revoked or foreign token, 401 `invalid_token`; an expired one, 401 `token_expired` (still
//! `error="invalid_token"` in the challenge); a missing required scope, 403
//! `insufficient_scope`. Bodies are the layer's JSON errors.
//!
//! ```
//! use axum::{Router, routing::get};
//! use line_login::{LineUser, Scope, extract::RequireBearer};
//! let api: Router = Router::new()
//!     .route("/api/me", get(|user: LineUser| async move { user.user_id }))
//!     .route_layer(RequireBearer::new());
//! let profile_api: Router = Router::new()
//!     .route("/api/name", get(|user: LineUser| async move { user.display_name.unwrap_or_default() }))
//!     .route_layer(RequireBearer::new().scope(Scope::Profile));
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Request, header};
use axum::response::{IntoResponse, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::LoginRejection;
use crate::api::Profile;
use crate::config::Scope;
use crate::context::LoginContext;
use crate::error::LoginError;
use crate::secret::AccessToken;
use crate::token_door;
use crate::user::LineUser;

/// The credential in `Authorization: Bearer ...`, if the header has that form.
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then_some(token)
}

/// The answer to a refused bearer request: the layer's JSON error with its RFC 6750 challenge
/// (a bare `Bearer` challenge when no credentials came).
fn refuse(error: LoginError, parts: &Parts) -> LoginRejection {
    let mut response = crate::respond::render_request(&error, parts, true);
    let challenge = match &error {
        LoginError::NotLoggedIn => Some("Bearer"),
        other => other.www_authenticate(),
    };
    if let Some(challenge) = challenge {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    LoginRejection::with_response(error, response)
}

/// A request whose bearer token was verified: the user, and the access token when the
/// credential was one (for lazy profile fetches).
#[derive(Clone)]
pub struct Bearer {
    user: LineUser,
    access_token: Option<AccessToken>,
    ctx: LoginContext,
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bearer")
            .field("user_id", &self.user.user_id)
            .field("door", &self.user.door)
            .finish_non_exhaustive()
    }
}

impl Bearer {
    /// The verified user (no session behind it).
    pub fn user(&self) -> &LineUser {
        &self.user
    }

    /// The user's profile, fetched from LINE only now, when the app asks: an `openid`-only
    /// token (a MINI App with consent simplification) answers
    /// [`LoginError::InsufficientScope`] without calling LINE; an ID token with `profile` gives
    /// the name and picture of its claims. An access token LINE reports revoked (e.g. after a
    /// permission upgrade) is [`LoginError::InvalidToken`]: the client logs in again; nothing is
    /// unlinked or deauthorized.
    pub async fn profile(&self) -> Result<Profile, LoginError> {
        if !self.user.has_scope(Scope::Profile) {
            return Err(LoginError::InsufficientScope(Scope::Profile));
        }
        match &self.access_token {
            Some(token) => self.ctx.0.api.profile(token).await.map_err(|error| {
                if error.is_token_revoked_or_invalid() {
                    LoginError::InvalidToken
                } else {
                    LoginError::LineApi(error)
                }
            }),
            None => Ok(Profile::from_parts(
                self.user.user_id.clone(),
                self.user.display_name.clone().unwrap_or_default(),
                self.user.picture_url.clone(),
            )),
        }
    }

    /// Verifies the request's bearer credential, `scope` required when given.
    async fn verify(parts: &Parts, scope: Option<Scope>) -> Result<Self, LoginRejection> {
        let Some(ctx) = parts.extensions.get::<LoginContext>().cloned() else {
            return Err(LoginRejection::rendered(
                LoginError::NoSessionLayer,
                parts,
                true,
            ));
        };
        let Some(raw) = bearer_token(parts) else {
            return Err(refuse(LoginError::NotLoggedIn, parts));
        };
        let (proof, access_token) = token_door::verify_bearer(&ctx.0, raw)
            .await
            .map_err(|error| refuse(error, parts))?;
        let mut user = proof.user;
        if let Some(scope) = scope
            && !user.has_scope(scope)
        {
            return Err(refuse(LoginError::InsufficientScope(scope), parts));
        }
        if let Some(members) = &ctx.0.members {
            user.member_id = members
                .member_for(&user.user_id)
                .await
                .map_err(|error| refuse(error, parts))?;
        }
        Ok(Self {
            user,
            access_token,
            ctx,
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = LoginRejection;

    /// The request's verified bearer credential: the one [`RequireBearer`] verified, or the
    /// header verified now. Needs [`crate::LineLoginLayer`] in front (no session layer).
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(bearer) = parts.extensions.get::<Bearer>() {
            return Ok(bearer.clone());
        }
        let bearer = Self::verify(parts, None).await?;
        parts.extensions.insert(bearer.clone());
        Ok(bearer)
    }
}

/// The user [`RequireBearer`] verified on this request, for the [`LineUser`] extractor.
pub(crate) fn verified_user(parts: &Parts) -> Option<LineUser> {
    parts.extensions.get::<Bearer>().map(|b| b.user.clone())
}

/// A guard for API routes: every request needs a valid LINE bearer token (ID token or access
/// token of an accepted channel), optionally with a scope. Handlers behind it read the user with
/// the [`LineUser`] or [`Bearer`] extractors. Put [`crate::LineLoginLayer`] outside it.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequireBearer {
    scope: Option<Scope>,
}

impl RequireBearer {
    /// A guard accepting any valid token.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also require `scope` (e.g. [`Scope::Profile`]): tokens without it get 403
    /// `insufficient_scope`.
    #[must_use]
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope);
        self
    }
}

impl<S> Layer<S> for RequireBearer {
    type Service = RequireBearerService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequireBearerService {
            inner,
            scope: self.scope,
        }
    }
}

/// The service of [`RequireBearer`].
#[derive(Clone, Debug)]
pub struct RequireBearerService<S> {
    inner: S,
    scope: Option<Scope>,
}

impl<S> Service<Request<Body>> for RequireBearerService<S>
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
        let scope = self.scope;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match Bearer::verify(&parts, scope).await {
                Ok(bearer) => {
                    parts.extensions.insert(bearer);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(rejection) => Ok(rejection.into_response()),
            }
        })
    }
}
