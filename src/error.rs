//! Everything that can stop a login, link or logout served by the layer, each with the HTTP status
//! it deserves and a message in plain words. Rendered as HTML for browsers and JSON for API
//! clients, unless the app installs its own handler.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use html_escape::encode_quoted_attribute as html_escape;

use crate::api::ApiError;
pub use crate::callback::{AuthorizationErrorCode, CallbackError};
use crate::id_token::IdTokenError;
use crate::messages::{Language, Messages};

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
    /// Token login: the ID token expired (the LIFF SDK hands back cached, expired tokens). The
    /// app must get a fresh token (log in again); answered 401 `token_expired` with
    /// `WWW-Authenticate: Bearer error="invalid_token"`.
    #[error("the ID token expired")]
    TokenExpired,
    /// An access token expired (LINE's verify says so, or `expires_in` <= 0): like
    /// [`LoginError::TokenExpired`], code `token_expired`, answered 401 with
    /// `WWW-Authenticate: Bearer error="invalid_token"`.
    #[error("the access token expired")]
    AccessTokenExpired,
    /// A token door or the bearer guard refused the token: LINE does not know it, it was
    /// revoked (e.g. by a permission upgrade in a LINE MINI App: log in again, consent is not
    /// withdrawn), or it is not a LINE token. Answered 401 `invalid_token` with
    /// `WWW-Authenticate: Bearer error="invalid_token"`.
    #[error("the token is invalid or revoked")]
    InvalidToken,
    /// The bearer token lacks a scope the route requires: 403 `insufficient_scope` (RFC 6750).
    #[error("the token lacks the {} scope", .0.as_str())]
    InsufficientScope(crate::config::Scope),
    /// Token login: the token is valid but this door does not take it (replayed, or a nonce
    /// this server did not issue to this browser).
    #[error("the ID token is not accepted here: {0}")]
    TokenNotAccepted(TokenRefusal),
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
    LinkConflict(LinkConflict),
    /// The member-link store failed; nothing changed. The store's own error is the source.
    #[error("the member-link store failed: {0}")]
    LinkStore(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The route is not enabled in this configuration.
    #[error("not found")]
    NotFound,
    /// The app's channel selector named a channel the layer does not have, or a login came
    /// back for a channel no longer configured: a deployment mistake, answered 500.
    #[error("the login's channel is not one of the configured channels")]
    UnknownChannel,
}

/// Why token login refused a valid ID token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRefusal {
    /// The token carries a nonce this server did not issue to this browser, or issued and
    /// already spent: a token taken from another browser, or replayed.
    #[error("its nonce was not issued to this browser, or was spent")]
    NonceNotIssued,
    /// The token carries no nonce and the door requires one ([`crate::TokenNonce::Require`]).
    #[error("it carries no nonce and this door requires one")]
    NonceRequired,
    /// The token (without a nonce) has logged in before: each logs in once.
    #[error("it has been used to log in already")]
    AlreadyUsed,
    /// The access token was issued to a channel that is neither this channel nor an extra
    /// token audience ([`crate::ConfigBuilder::token_audiences`]).
    #[error("it was issued to a channel this server does not accept")]
    OtherChannel,
}

impl TokenRefusal {
    /// The stable code of the JSON answer.
    pub fn code(self) -> &'static str {
        match self {
            TokenRefusal::NonceNotIssued => "nonce_not_issued",
            TokenRefusal::NonceRequired => "nonce_required",
            TokenRefusal::AlreadyUsed => "token_already_used",
            TokenRefusal::OtherChannel => "token_for_another_channel",
        }
    }
}

/// Which side of a requested link is already taken. The messages name no IDs: they are shown to
/// the member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkConflict {
    /// The LINE user is linked to another member.
    #[error("this LINE account is already linked to another member")]
    LineUserLinkedElsewhere,
    /// The member is linked to another LINE user.
    #[error("this member is already linked to another LINE account")]
    MemberLinkedElsewhere,
    /// The conflicting link changed while this one was being made; try again.
    #[error("the link changed at the same time; try again")]
    Concurrent,
    /// The login came through a channel of another LINE provider than the member links'
    /// (the default channel's): LINE gives one person different user IDs under different
    /// providers, so its user ID cannot be linked with the others.
    #[error("this LINE login came through a channel of another provider and cannot be linked")]
    OtherProvider,
}

impl LoginError {
    /// The `WWW-Authenticate` challenge this error answers with, if any (RFC 6750).
    pub fn www_authenticate(&self) -> Option<&'static str> {
        match self {
            LoginError::TokenExpired => {
                Some(r#"Bearer error="invalid_token", error_description="The ID token expired""#)
            }
            LoginError::AccessTokenExpired => Some(
                r#"Bearer error="invalid_token", error_description="The access token expired""#,
            ),
            LoginError::InvalidToken | LoginError::TokenNotAccepted(_) => {
                Some(r#"Bearer error="invalid_token""#)
            }
            LoginError::InsufficientScope(scope) => Some(match scope {
                crate::config::Scope::Profile => {
                    r#"Bearer error="insufficient_scope", scope="profile""#
                }
                crate::config::Scope::OpenId => {
                    r#"Bearer error="insufficient_scope", scope="openid""#
                }
                crate::config::Scope::Email => {
                    r#"Bearer error="insufficient_scope", scope="email""#
                }
                crate::config::Scope::RealName => {
                    r#"Bearer error="insufficient_scope", scope="real_name""#
                }
                crate::config::Scope::Gender => {
                    r#"Bearer error="insufficient_scope", scope="gender""#
                }
                crate::config::Scope::Birthdate => {
                    r#"Bearer error="insufficient_scope", scope="birthdate""#
                }
                crate::config::Scope::Phone => {
                    r#"Bearer error="insufficient_scope", scope="phone""#
                }
                crate::config::Scope::Address => {
                    r#"Bearer error="insufficient_scope", scope="address""#
                }
            }),
            _ => None,
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        use LoginError::*;
        match self {
            Callback(_) | BadRequest(_) | SessionCookieMisconfigured => StatusCode::BAD_REQUEST,
            NoSessionLayer | UnknownChannel => StatusCode::INTERNAL_SERVER_ERROR,
            Denied { .. } | CrossSite | NoMember | InsufficientScope(_) => StatusCode::FORBIDDEN,
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
            InvalidIdToken(_) | NotLoggedIn | TokenExpired | AccessTokenExpired | InvalidToken
            | TokenNotAccepted(_) => StatusCode::UNAUTHORIZED,
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
            TokenExpired | AccessTokenExpired => "token_expired",
            InvalidToken => "invalid_token",
            InsufficientScope(_) => "insufficient_scope",
            TokenNotAccepted(refusal) => refusal.code(),
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
            UnknownChannel => "unknown_channel",
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

    /// The id of this error's message in the catalogue (`locales/*/line_login.ftl`); its `.title`
    /// attribute heads the error page.
    pub fn message_id(&self) -> &'static str {
        use LoginError::*;
        match self {
            Callback(CallbackError::SessionGone | CallbackError::UnknownState) => {
                "error-session-gone"
            }
            Callback(CallbackError::ExpiredAttempt) => "error-expired-attempt",
            Callback(_) | BadRequest(_) => "error-malformed",
            SessionCookieMisconfigured => "error-session-cookie",
            Denied {
                code: AuthorizationErrorCode::AccessDenied,
                ..
            } => "error-cancelled",
            Denied { .. } => "error-line-refused",
            TokenExchange(err) if err.is_rate_limited() => "error-line-busy",
            TokenExchange(_) | MissingIdToken | LineApi(_) => "error-line-failed",
            InvalidIdToken(err) if err.is_transient() => "error-line-unreachable",
            InvalidIdToken(_) => "error-invalid-id-token",
            TokenExpired | AccessTokenExpired => "error-token-expired",
            TokenNotAccepted(_) | InvalidToken => "error-token-not-accepted",
            InsufficientScope(_) => "error-insufficient-scope",
            SessionStore(_) | AttemptStore(_) | LinkStore(_) => "error-unavailable",
            NoSessionLayer | UnknownChannel => "error-misconfigured",
            MethodNotAllowed => "error-method-not-allowed",
            NotLoggedIn => "error-not-logged-in",
            CrossSite => "error-cross-site",
            NoMember => "error-no-member",
            LinkConflict(_) => "error-link-conflict",
            NotFound => "error-not-found",
        }
    }

    /// The id of [`Self::message`]: [`Self::message_id`], made specific where the error knows
    /// more (which side of a link conflict).
    fn specific_message_id(&self) -> &'static str {
        match self {
            LoginError::LinkConflict(LinkConflict::LineUserLinkedElsewhere) => {
                "error-link-conflict-line-user"
            }
            LoginError::LinkConflict(LinkConflict::MemberLinkedElsewhere) => {
                "error-link-conflict-member"
            }
            LoginError::LinkConflict(LinkConflict::Concurrent) => "error-link-conflict-concurrent",
            LoginError::LinkConflict(LinkConflict::OtherProvider) => "error-link-conflict-provider",
            other => other.message_id(),
        }
    }

    /// A message in English for the person in front of the browser: what happened and what to
    /// do. [`Self::message_in`] gives it in another language.
    pub fn user_message(&self) -> &'static str {
        crate::messages::english_static(self.message_id())
    }

    /// [`Self::user_message`], made specific where the error knows more (which side of a link
    /// conflict; the text names no IDs).
    pub fn message(&self) -> std::borrow::Cow<'static, str> {
        crate::messages::english_static(self.specific_message_id()).into()
    }

    /// [`Self::message`] in `language` from the built-in catalogue (English if it has no such
    /// language).
    pub fn message_in(&self, language: &Language) -> String {
        self.localized_message(&Messages::builtin(), language)
    }

    /// [`Self::message`] in `language` from `messages` (a catalogue with the app's overrides).
    pub fn localized_message(&self, messages: &Messages, language: &Language) -> String {
        messages.get(language, self.specific_message_id())
    }

    /// The error page's heading in `language` from `messages`.
    pub fn localized_title(&self, messages: &Messages, language: &Language) -> String {
        messages.attribute(language, self.specific_message_id(), "title")
    }

    /// Renders the default answer in English: JSON when the client asked for JSON, HTML
    /// otherwise. `retry_url` is offered on retryable errors.
    pub fn render(&self, wants_json: bool, retry_url: Option<&str>) -> Response {
        self.render_in(
            &Messages::builtin(),
            &Language::english(),
            wants_json,
            retry_url,
        )
    }

    /// Renders the default answer for one request: JSON when it asked for JSON, HTML otherwise,
    /// in the request's language (see [`Messages::language_for`]).
    pub fn render_for(
        &self,
        messages: &Messages,
        parts: &axum::http::request::Parts,
        retry_url: Option<&str>,
    ) -> Response {
        let language = messages.language_for(parts);
        self.render_in(messages, &language, wants_json(&parts.headers), retry_url)
    }

    /// Renders the default answer in `language`: JSON (the stable `error` code, the localized
    /// `message`, `retry_url`) when `wants_json`, otherwise an HTML page with `lang` set.
    /// `retry_url` is offered on retryable errors.
    pub fn render_in(
        &self,
        messages: &Messages,
        language: &Language,
        wants_json: bool,
        retry_url: Option<&str>,
    ) -> Response {
        let status = self.status();
        let retry_url = retry_url.filter(|_| self.is_retryable());
        let text = |id: &str| html_escape(&messages.get(language, id)).into_owned();
        let message = self.localized_message(messages, language);
        let mut response = if wants_json {
            let body = serde_json::json!({
                "error": self.code(),
                "message": message,
                "retry_url": retry_url,
            });
            (status, axum::Json(body)).into_response()
        } else {
            let retry = retry_url
                .map(|url| {
                    format!(
                        r#"<p><a class="button" href="{url}">{try_again}</a></p>
<p class="help"><a href="{help_url}">{help}</a></p>"#,
                        url = html_escape(url),
                        try_again = text("page-try-again"),
                        help_url = text("page-auto-login-help-url"),
                        help = text("page-auto-login-help"),
                    )
                })
                .unwrap_or_default();
            let title = self.localized_title(messages, language);
            let html = format!(
                r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{page_title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}}h1{{font-size:1.4rem}}.button{{display:inline-block;background:#06C755;color:#fff;padding:.6rem 1.2rem;border-radius:.4rem;text-decoration:none}}.help{{color:#666;font-size:.9rem}}</style></head>
<body><h1 id="error-title">{title}</h1><p id="error-message">{message}</p>{retry}<p><a href="/">{home}</a></p><!-- {code} --></body></html>"#,
                lang = html_escape(&language.html_lang()),
                page_title = html_escape(&messages.get_with(
                    language,
                    "page-title",
                    &[("title", title.as_str())]
                )),
                title = html_escape(&title),
                message = html_escape(&message),
                home = text("page-home"),
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

/// The default JSON answer in English with the error's RFC 6750 challenge, for handlers that
/// return a [`LoginError`] (e.g. from [`crate::extract::Bearer::profile`]).
impl IntoResponse for LoginError {
    fn into_response(self) -> Response {
        let mut response = self.render(true, None);
        if let Some(challenge) = self.www_authenticate() {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{BUILTIN_CATALOGUES, message_ids};

    /// One error of every variant (and of every branch that picks another message).
    fn every_error() -> Vec<LoginError> {
        use super::LinkConflict as Side;
        let line = |status| ApiError::Line {
            endpoint: crate::api::Endpoint::Token,
            status,
            error: None,
            description: None,
            request_id: None,
            retry_after: None,
        };
        let store = || {
            tower_sessions::session::Error::Store(tower_sessions::session_store::Error::Backend(
                "down".into(),
            ))
        };
        vec![
            LoginError::Callback(CallbackError::SessionGone),
            LoginError::Callback(CallbackError::UnknownState),
            LoginError::Callback(CallbackError::ExpiredAttempt),
            LoginError::Callback(CallbackError::MissingCode),
            LoginError::SessionCookieMisconfigured,
            LoginError::Denied {
                code: AuthorizationErrorCode::AccessDenied,
                description: None,
            },
            LoginError::Denied {
                code: AuthorizationErrorCode::ServerError,
                description: None,
            },
            LoginError::TokenExchange(line(429)),
            LoginError::TokenExchange(line(500)),
            LoginError::LineApi(line(500)),
            LoginError::MissingIdToken,
            LoginError::InvalidIdToken(IdTokenError::TooLarge { len: 2, max: 1 }),
            LoginError::TokenExpired,
            LoginError::TokenNotAccepted(TokenRefusal::NonceNotIssued),
            LoginError::TokenNotAccepted(TokenRefusal::NonceRequired),
            LoginError::TokenNotAccepted(TokenRefusal::AlreadyUsed),
            LoginError::TokenNotAccepted(TokenRefusal::OtherChannel),
            LoginError::AccessTokenExpired,
            LoginError::InvalidToken,
            LoginError::InsufficientScope(crate::config::Scope::Profile),
            LoginError::InvalidIdToken(IdTokenError::KeyFetch(
                crate::id_token::KeyFetchError::new("certs down"),
            )),
            LoginError::SessionStore(store()),
            LoginError::AttemptStore(crate::store::attempts::AttemptStoreError::Timeout {
                kind: "redis",
                millis: 1,
            }),
            LoginError::NoSessionLayer,
            LoginError::MethodNotAllowed,
            LoginError::NotLoggedIn,
            LoginError::CrossSite,
            LoginError::BadRequest("bad"),
            LoginError::NoMember,
            LoginError::LinkConflict(Side::LineUserLinkedElsewhere),
            LoginError::LinkConflict(Side::MemberLinkedElsewhere),
            LoginError::LinkConflict(Side::Concurrent),
            LoginError::LinkStore("down".into()),
            LoginError::NotFound,
        ]
    }

    #[test]
    fn every_error_has_a_message_and_a_title_in_every_language() {
        for (tag, source) in BUILTIN_CATALOGUES {
            let ids = message_ids(source);
            for error in every_error() {
                for id in [error.message_id(), error.specific_message_id()] {
                    assert!(ids.iter().any(|i| i == id), "{tag} lacks {id} ({error:?})");
                    let title = format!("{id}.title");
                    assert!(ids.contains(&title), "{tag} lacks {title}");
                }
                let language = crate::messages::Language::parse(tag).unwrap();
                let text = error.message_in(&language);
                assert!(
                    !text.is_empty() && !text.starts_with("error-"),
                    "{tag}: {text}"
                );
            }
        }
    }

    #[test]
    fn english_messages_are_unchanged_for_apps() {
        assert_eq!(
            LoginError::Denied {
                code: AuthorizationErrorCode::AccessDenied,
                description: None
            }
            .user_message(),
            "You cancelled the login on LINE. Nothing was shared and you are not logged in."
        );
        assert_eq!(
            LoginError::LinkConflict(LinkConflict::MemberLinkedElsewhere).message(),
            "This member is already linked to another LINE account. Nothing was changed."
        );
        assert_eq!(
            LoginError::NotLoggedIn.message_in(&crate::messages::Language::japanese()),
            "まずLINEでログインしてください。"
        );
    }

    #[test]
    fn json_errors_keep_their_code_and_gain_a_localized_message() {
        let messages = Messages::builtin();
        let response = LoginError::NotLoggedIn.render_in(
            &messages,
            &crate::messages::Language::thai(),
            true,
            None,
        );
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body = futures_util::FutureExt::now_or_never(axum::body::to_bytes(
            response.into_body(),
            usize::MAX,
        ))
        .unwrap()
        .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "not_logged_in");
        assert_eq!(json["message"], "โปรดเข้าสู่ระบบด้วย LINE ก่อน");
    }
}
