//! Everything that can stop a login, link or logout served by the layer, each with the HTTP status
//! it deserves and a message in plain words. Rendered as HTML for browsers and JSON for API
//! clients, unless the app installs its own handler.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::ApiError;
use crate::callback::{AuthorizationErrorCode, CallbackError};
use crate::id_token::IdTokenError;

/// Why the layer could not complete a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The callback was rejected before any token request (forged, replayed, expired, ...).
    #[error("the login callback was rejected: {0}")]
    Callback(#[from] CallbackError),
    /// The browser had a session cookie when the login started, and LINE's redirect back
    /// brought this attempt's `SameSite=Lax` attempt cookie but not the session cookie: the
    /// session cookie is most likely misconfigured (`SameSite=Strict`, a wrong path or domain,
    /// or `Secure` over http). The user is offered a retry.
    #[error(
        "the session cookie was not sent back on LINE's redirect although the login's attempt cookie was: configure it SameSite=Lax (line_login::session::session_layer does)"
    )]
    SessionCookieMisconfigured,
    /// LINE redirected back with an error (the user cancelled, or LINE refused the request).
    #[error("LINE refused the login: {}", code.as_str())]
    Denied {
        /// LINE's error code.
        code: AuthorizationErrorCode,
        /// LINE's description, if any.
        description: Option<String>,
    },
    /// The token request failed.
    #[error("the token request to LINE failed: {0}")]
    TokenExchange(#[source] ApiError),
    /// A LINE API call on the user's behalf failed.
    #[error("a LINE API call failed: {0}")]
    LineApi(#[source] ApiError),
    /// LINE answered the token request without an ID token.
    #[error("LINE's token response has no ID token")]
    MissingIdToken,
    /// The ID token failed verification.
    #[error("the ID token is invalid: {0}")]
    InvalidIdToken(#[from] IdTokenError),
    /// The session store failed; nobody is logged in.
    #[error("the session store is unavailable: {0}")]
    SessionStore(#[from] tower_sessions::session::Error),
    /// The attempt store failed; nothing changed and LINE was not called.
    #[error("the login attempt store is unavailable: {0}")]
    AttemptStore(#[from] crate::store::attempts::AttemptStoreError),
    /// The layer needs tower-sessions' `SessionManagerLayer` outside it.
    #[error("no session on the request: add a SessionManagerLayer outside LineLoginLayer")]
    NoSessionLayer,
    /// The route exists but not for this method (logout is POST only).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Nobody is logged in.
    #[error("not logged in")]
    NotLoggedIn,
    /// A cross-site request to a state-changing route.
    #[error("cross-site request refused")]
    CrossSite,
    /// The request body is not what the route takes.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// No company member is signed in (linking needs one).
    #[error("no company member is signed in")]
    NoMember,
    /// The LINE user or the member is already linked elsewhere; nothing changed.
    #[error("link conflict: {0}")]
    LinkConflict(String),
    /// The member-link store failed; nothing changed.
    #[error("the member-link store failed: {0}")]
    LinkStore(String),
    /// The route is not enabled in this configuration.
    #[error("not found")]
    NotFound,
}

impl LoginError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        use LoginError::*;
        match self {
            Callback(_) | BadRequest(_) | SessionCookieMisconfigured => StatusCode::BAD_REQUEST,
            NoSessionLayer => StatusCode::INTERNAL_SERVER_ERROR,
            Denied { .. } | CrossSite | NoMember => StatusCode::FORBIDDEN,
            TokenExchange(err) => match err.status() {
                Some(429) => StatusCode::SERVICE_UNAVAILABLE,
                Some(400..=499) => StatusCode::BAD_REQUEST,
                _ if matches!(err, ApiError::Timeout { .. }) => StatusCode::GATEWAY_TIMEOUT,
                _ => StatusCode::BAD_GATEWAY,
            },
            MissingIdToken => StatusCode::BAD_GATEWAY,
            LineApi(err) if err.is_rate_limited() => StatusCode::SERVICE_UNAVAILABLE,
            LineApi(_) => StatusCode::BAD_GATEWAY,
            // LINE's keys (or its verify endpoint) could not be reached: nothing is wrong with
            // the token, and trying again later may work.
            InvalidIdToken(err) if err.is_transient() => StatusCode::SERVICE_UNAVAILABLE,
            InvalidIdToken(_) | NotLoggedIn => StatusCode::UNAUTHORIZED,
            SessionStore(_) | AttemptStore(_) | LinkStore(_) => StatusCode::SERVICE_UNAVAILABLE,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            LinkConflict(_) => StatusCode::CONFLICT,
            NotFound => StatusCode::NOT_FOUND,
        }
    }

    /// A short machine-readable code for JSON answers and logs.
    pub fn code(&self) -> &'static str {
        use LoginError::*;
        match self {
            Callback(CallbackError::SessionGone) => "session_gone",
            Callback(CallbackError::UnknownState) => "unknown_state",
            Callback(CallbackError::ExpiredAttempt) => "expired_attempt",
            Callback(_) => "invalid_callback",
            SessionCookieMisconfigured => "session_cookie_misconfigured",
            Denied {
                code: AuthorizationErrorCode::AccessDenied,
                ..
            } => "access_denied",
            Denied { .. } => "line_refused",
            TokenExchange(_) => "token_exchange_failed",
            MissingIdToken => "missing_id_token",
            LineApi(_) => "line_api_failed",
            InvalidIdToken(err) if err.is_transient() => "line_unavailable",
            InvalidIdToken(_) => "invalid_id_token",
            SessionStore(_) => "session_store_unavailable",
            AttemptStore(_) => "attempt_store_unavailable",
            NoSessionLayer => "no_session_layer",
            MethodNotAllowed => "method_not_allowed",
            NotLoggedIn => "not_logged_in",
            CrossSite => "cross_site",
            BadRequest(_) => "bad_request",
            NoMember => "no_member",
            LinkConflict(_) => "link_conflict",
            LinkStore(_) => "link_store_unavailable",
            NotFound => "not_found",
        }
    }

    /// Whether trying the login again may help (the page then offers a "try again" button).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            LoginError::Callback(
                CallbackError::SessionGone
                    | CallbackError::UnknownState
                    | CallbackError::ExpiredAttempt
            ) | LoginError::SessionCookieMisconfigured
                | LoginError::Denied { .. }
                | LoginError::TokenExchange(_)
                | LoginError::MissingIdToken
                | LoginError::InvalidIdToken(_)
                | LoginError::SessionStore(_)
                | LoginError::AttemptStore(_)
        )
    }

    /// A message for the person in front of the browser: what happened and what to do.
    pub fn user_message(&self) -> &'static str {
        use LoginError::*;
        match self {
            Callback(CallbackError::SessionGone | CallbackError::UnknownState) => {
                "We could not match LINE's answer to a login started in this browser. This happens \
                 when the browser changed on the way (for example switching between the LINE app \
                 and your browser) or when automatic login failed. Please try again."
            }
            Callback(CallbackError::ExpiredAttempt) => {
                "This login took too long and expired. Please try again."
            }
            Callback(_) | BadRequest(_) => "The login request was malformed.",
            SessionCookieMisconfigured => {
                "Your browser did not send this site's session cookie back from LINE. Please try \
                 again; if this keeps happening, the site's session cookie is misconfigured (it must \
                 be SameSite=Lax) and its operators have been told."
            }
            Denied {
                code: AuthorizationErrorCode::AccessDenied,
                ..
            } => "You cancelled the login on LINE. Nothing was shared and you are not logged in.",
            Denied { .. } => "LINE could not complete the login. Please try again later.",
            TokenExchange(err) if err.is_rate_limited() => {
                "LINE is busy right now. Please try again in a moment."
            }
            TokenExchange(_) | MissingIdToken | LineApi(_) => {
                "LINE did not complete the login. Please try again."
            }
            InvalidIdToken(err) if err.is_transient() => {
                "LINE could not be reached to check this login. Please try again in a moment."
            }
            InvalidIdToken(_) => "LINE's answer could not be verified. Please try again.",
            SessionStore(_) | AttemptStore(_) | LinkStore(_) => {
                "The service is temporarily unavailable. Nobody was logged in; please try again shortly."
            }
            NoSessionLayer => "This site is misconfigured.",
            MethodNotAllowed => "This action needs a form submission.",
            NotLoggedIn => "Please log in with LINE first.",
            CrossSite => "This request came from another site and was refused.",
            NoMember => "Please sign in to your member account first.",
            LinkConflict(_) => {
                "This LINE account or your member account is already linked elsewhere. Nothing was changed."
            }
            NotFound => "Not found.",
        }
    }

    /// [`Self::user_message`], made specific where the error knows more (which side of a link
    /// conflict; the text names no IDs).
    pub fn message(&self) -> std::borrow::Cow<'static, str> {
        match self {
            LoginError::LinkConflict(why) => {
                let mut chars = why.chars();
                let capitalized: String = chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default();
                format!("{capitalized}. Nothing was changed.").into()
            }
            other => other.user_message().into(),
        }
    }

    /// Renders the default answer: JSON when the client asked for JSON, HTML otherwise.
    /// `retry_url` is offered on retryable errors.
    pub fn render(&self, wants_json: bool, retry_url: Option<&str>) -> Response {
        let status = self.status();
        let retry_url = retry_url.filter(|_| self.is_retryable());
        let mut response = if wants_json {
            let body = serde_json::json!({
                "error": self.code(),
                "message": self.message(),
                "retry_url": retry_url,
            });
            (status, axum::Json(body)).into_response()
        } else {
            let retry = retry_url
                .map(|url| {
                    format!(
                        r#"<p><a class="button" href="{}">Try again</a></p>
<p class="help">Still failing? See <a href="https://help.line.me/line/ios/sp?lang=en&amp;contentId=20020693">LINE's help on automatic login</a>.</p>"#,
                        html_escape(url)
                    )
                })
                .unwrap_or_default();
            let html = format!(
                r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Login: {title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}}h1{{font-size:1.4rem}}.button{{display:inline-block;background:#06C755;color:#fff;padding:.6rem 1.2rem;border-radius:.4rem;text-decoration:none}}.help{{color:#666;font-size:.9rem}}</style></head>
<body><h1 id="error-title">{title}</h1><p id="error-message">{message}</p>{retry}<p><a href="/">Back to the home page</a></p><!-- {code} --></body></html>"#,
                title = status.canonical_reason().unwrap_or("Error"),
                message = html_escape(&self.message()),
                code = self.code(),
            );
            (status, axum::response::Html(html)).into_response()
        };
        if let Some(after) = self.retry_after()
            && let Ok(value) = HeaderValue::from_str(&after.as_secs().to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }

    /// How long LINE asked us to wait, when the failure came with a `Retry-After`.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            LoginError::TokenExchange(err) | LoginError::LineApi(err) => err.retry_after(),
            LoginError::InvalidIdToken(IdTokenError::KeyFetch(err)) => {
                err.api_error().and_then(ApiError::retry_after)
            }
            LoginError::InvalidIdToken(IdTokenError::Remote(err)) => err.retry_after(),
            _ => None,
        }
    }
}

/// Whether the client prefers JSON: an `Accept` naming `application/json` and not `text/html`.
pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}

pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
