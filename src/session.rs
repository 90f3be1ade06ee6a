//! What a session holds for LINE Login - the logged-in user and the user's tokens - under which
//! keys, and a correctly configured tower-sessions layer. tower-sessions does the storing (through
//! a store of [`crate::store`], whose deleted sessions stay deleted); tokens never leave the
//! server. Pending login attempts are not in the session: see [`crate::store::attempts`].

use crate::user::UserTokens;
use serde::{Deserialize, Serialize};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer, SessionStore};

use crate::config::Config;
use crate::token_crypto::{SealedToken, TokenBinding, TokenKeyRing};
use crate::user::LineUser;

pub(crate) const USER_KEY: &str = "line_login.user";
pub(crate) const TOKENS_KEY: &str = "line_login.tokens";

/// The name of the session cookie set by [`session_layer`] when the redirect URI is plain http
/// (local development).
pub const SESSION_COOKIE_NAME: &str = "line_login_session";
/// The cookie that binds pending login attempts to the browser that started them, with a plain
/// http redirect URI (local development): `SameSite=Lax`, `HttpOnly`, on the layer's routes only,
/// for as long as an attempt lives. The layer sets it. Each attempt rides, sealed, in a cookie of
/// its own named after it, `line_login_attempt_<16 hex digits>`, with the same attributes.
pub const ATTEMPT_COOKIE_NAME: &str = "line_login_attempt";
/// The name of the attempt cookie with an https redirect URI: a `__Host-` cookie (`Secure`,
/// `Path=/`, no `Domain`), so a sibling subdomain cannot plant its own browser key in a visitor's
/// browser to finish a login it started (login CSRF by cookie tossing). The sealed attempt
/// cookies need no prefix: each opens only with the browser key it was sealed for.
pub const HOST_ATTEMPT_COOKIE_NAME: &str = "__Host-line_login_attempt";

/// The attempt cookie's name for `config`: [`HOST_ATTEMPT_COOKIE_NAME`] with an https redirect
/// URI, [`ATTEMPT_COOKIE_NAME`] otherwise.
pub fn attempt_cookie_name(config: &Config) -> &'static str {
    if config.is_https() {
        HOST_ATTEMPT_COOKIE_NAME
    } else {
        ATTEMPT_COOKIE_NAME
    }
}
/// The name of the session cookie set by [`session_layer`] when the redirect URI is https:
/// browsers accept a `__Host-` cookie only with `Secure`, `Path=/` and no `Domain`, so no
/// subdomain and no plain-http page can plant or overwrite it (session fixation).
pub const HOST_SESSION_COOKIE_NAME: &str = "__Host-line_login_session";

/// The session cookie's name [`session_layer`] uses for `config`: [`HOST_SESSION_COOKIE_NAME`]
/// with an https redirect URI, [`SESSION_COOKIE_NAME`] otherwise.
pub fn session_cookie_name(config: &Config) -> &'static str {
    if config.is_https() {
        HOST_SESSION_COOKIE_NAME
    } else {
        SESSION_COOKIE_NAME
    }
}
/// How long an idle logged-in session lives.
pub const SESSION_IDLE_TTL: time::Duration = time::Duration::days(7);

/// Builds a [`SessionManagerLayer`] configured for LINE Login: cookie `HttpOnly`,
/// `SameSite=Lax` (tower-sessions' `Strict` default drops the cookie on LINE's redirect back, and
/// every login would then fail), `Path=/`, `Secure` whenever the redirect URI is https, and an
/// idle expiry of [`SESSION_IDLE_TTL`].
///
/// With an https redirect URI the cookie is named [`HOST_SESSION_COOKIE_NAME`]
/// (`__Host-line_login_session`, see [`session_cookie_name`]). The `__Host-` prefix requires
/// `Path=/` and no `Domain`: an app that sets another path or a domain on the returned layer
/// must opt out with `.with_name(SESSION_COOKIE_NAME)` (browsers would drop the cookie
/// otherwise).
///
/// ```
/// use line_login::{Config, session::{session_cookie_name, session_layer}};
/// use tower_sessions::MemoryStore;
/// let config = Config::builder("1234567890", "secret", "https://example.com/auth/line/callback")
///     .build()
///     .unwrap();
/// assert_eq!(session_cookie_name(&config), "__Host-line_login_session");
/// let layer = session_layer(MemoryStore::default(), &config);
/// // To keep the old name (e.g. with a path other than `/`):
/// let layer = layer.with_name(line_login::session::SESSION_COOKIE_NAME);
/// # let _ = layer;
/// ```
pub fn session_layer<S: SessionStore + Clone>(store: S, config: &Config) -> SessionManagerLayer<S> {
    SessionManagerLayer::new(store)
        .with_name(session_cookie_name(config))
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_secure(config.is_https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE_TTL))
}

/// The logged-in user, if any.
pub(crate) async fn user(
    session: &Session,
) -> Result<Option<LineUser>, tower_sessions::session::Error> {
    session.get::<LineUser>(USER_KEY).await
}

/// What the session keeps under [`TOKENS_KEY`]: the tokens sealed for the session's LINE user, or
/// in plain text when no key is configured (and in records written before a key was).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum TokensRecord {
    Sealed { sealed_tokens: SealedToken },
    Plain(UserTokens),
}

/// Stores the tokens of the session's LINE user `line_user_id`: sealed when `keys` is set.
pub(crate) async fn store_tokens(
    session: &Session,
    keys: Option<&TokenKeyRing>,
    line_user_id: &str,
    tokens: &UserTokens,
) -> Result<(), tower_sessions::session::Error> {
    let record = match keys {
        None => TokensRecord::Plain(tokens.clone()),
        Some(ring) => {
            let plain = serde_json::to_vec(tokens)?;
            let sealed = ring
                .seal(TokenBinding::Session { line_user_id }, &plain)
                .map_err(|e| {
                    tower_sessions::session::Error::Store(
                        tower_sessions::session_store::Error::Encode(e.to_string()),
                    )
                })?;
            TokensRecord::Sealed {
                sealed_tokens: sealed,
            }
        }
    };
    session.insert(TOKENS_KEY, record).await
}

/// The logged-in user's tokens, if any. Tokens sealed with a key that is not configured, or that
/// do not open for the session's user, count as none (the user logs in again).
pub(crate) async fn tokens(
    session: &Session,
    keys: Option<&TokenKeyRing>,
) -> Result<Option<UserTokens>, tower_sessions::session::Error> {
    let Some(record) = session.get::<TokensRecord>(TOKENS_KEY).await? else {
        return Ok(None);
    };
    let sealed = match record {
        TokensRecord::Plain(tokens) => return Ok(Some(tokens)),
        TokensRecord::Sealed { sealed_tokens } => sealed_tokens,
    };
    // Only the user ID is needed: the binding of the sealed tokens.
    #[derive(Deserialize)]
    struct UserId {
        user_id: String,
    }
    let Some(user) = session.get::<UserId>(USER_KEY).await? else {
        return Ok(None);
    };
    let Some(ring) = keys else {
        tracing::warn!("the session's LINE tokens are encrypted but no token key is configured");
        return Ok(None);
    };
    let binding = TokenBinding::Session {
        line_user_id: &user.user_id,
    };
    let opened = ring
        .open(&sealed, binding)
        .map_err(|e| e.to_string())
        .and_then(|plain| serde_json::from_slice(&plain).map_err(|e| e.to_string()));
    match opened {
        Ok(tokens) => Ok(Some(tokens)),
        Err(error) => {
            tracing::warn!(%error, "the session's LINE tokens are unusable; treated as none");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tower_sessions::MemoryStore;

    use crate::secret::{AccessToken, RefreshToken};
    use crate::token_crypto::TokenKey;
    use time::OffsetDateTime;

    fn tokens() -> UserTokens {
        UserTokens {
            access_token: AccessToken::new("access-secret"),
            expires_at: OffsetDateTime::UNIX_EPOCH,
            refresh_token: Some(RefreshToken::new("refresh-secret")),
            scope: "profile openid".into(),
            refresh_expires_at: None,
        }
    }

    async fn session_of(user_id: &str) -> Session {
        let session = Session::new(None, Arc::new(MemoryStore::default()), None);
        session
            .insert(USER_KEY, serde_json::json!({ "user_id": user_id }))
            .await
            .unwrap();
        session
    }

    #[tokio::test]
    async fn session_tokens_are_sealed_when_a_key_is_configured() {
        let ring = TokenKeyRing::new(TokenKey::generate().unwrap());
        let session = session_of("U1").await;
        store_tokens(&session, Some(&ring), "U1", &tokens())
            .await
            .unwrap();
        let raw = session
            .get::<serde_json::Value>(TOKENS_KEY)
            .await
            .unwrap()
            .unwrap()
            .to_string();
        assert!(
            !raw.contains("access-secret") && !raw.contains("refresh-secret"),
            "{raw}"
        );
        assert!(raw.contains(ring.current_id()));
        let read = super::tokens(&session, Some(&ring)).await.unwrap().unwrap();
        assert_eq!(read.access_token.expose_secret(), "access-secret");
        assert_eq!(
            read.refresh_token.unwrap().expose_secret(),
            "refresh-secret"
        );
    }

    #[tokio::test]
    async fn sealed_session_tokens_under_a_wrong_key_or_user_count_as_none() {
        let ring = TokenKeyRing::new(TokenKey::generate().unwrap());
        let session = session_of("U1").await;
        store_tokens(&session, Some(&ring), "U1", &tokens())
            .await
            .unwrap();
        let other = TokenKeyRing::new(TokenKey::generate().unwrap());
        assert!(
            super::tokens(&session, Some(&other))
                .await
                .unwrap()
                .is_none()
        );
        assert!(super::tokens(&session, None).await.unwrap().is_none());
        // The record moved into another user's session does not open.
        let record = session.get::<serde_json::Value>(TOKENS_KEY).await.unwrap();
        let theirs = session_of("U2").await;
        theirs.insert(TOKENS_KEY, record).await.unwrap();
        assert!(super::tokens(&theirs, Some(&ring)).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn plain_session_tokens_are_read_with_or_without_a_key() {
        let session = session_of("U1").await;
        store_tokens(&session, None, "U1", &tokens()).await.unwrap();
        let ring = TokenKeyRing::new(TokenKey::generate().unwrap());
        for keys in [None, Some(&ring)] {
            let read = super::tokens(&session, keys).await.unwrap().unwrap();
            assert_eq!(read.access_token.expose_secret(), "access-secret");
        }
    }
}
