//! What a session holds for LINE Login - the logged-in user and the user's tokens - under which
//! keys, and a correctly configured tower-sessions layer. tower-sessions does the storing (through
//! a store of [`crate::store`], whose deleted sessions stay deleted); tokens never leave the
//! server. Pending login attempts are not in the session: see [`crate::store::attempts`].

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer, SessionStore};

use crate::config::Config;
use crate::secret::{AccessToken, RefreshToken};
use crate::user::LineUser;

pub(crate) const USER_KEY: &str = "line_login.user";
pub(crate) const TOKENS_KEY: &str = "line_login.tokens";

/// The name of the session cookie set by [`session_layer`] when the redirect URI is plain http
/// (local development).
pub const SESSION_COOKIE_NAME: &str = "line_login_session";
/// The cookie that binds pending login attempts to the browser that started them: `SameSite=Lax`,
/// `HttpOnly`, on the layer's routes only, for as long as an attempt lives. The layer sets it.
pub const ATTEMPT_COOKIE_NAME: &str = "line_login_attempt";
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

/// The user's LINE tokens, kept server-side only.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredTokens {
    /// The access token.
    pub access_token: AccessToken,
    /// When it expires.
    #[serde(with = "time::serde::timestamp")]
    pub expires_at: OffsetDateTime,
    /// The refresh token, when LINE gave one.
    pub refresh_token: Option<RefreshToken>,
    /// Granted scopes as LINE listed them.
    pub scope: String,
}

/// Longest access-token life believed from LINE's `expires_in` (its tokens live 30 days).
const ACCESS_TOKEN_LIFE_MAX_SECS: u64 = 90 * 86_400;

impl StoredTokens {
    /// When a token with LINE's `expires_in` (seconds) expires, counted from now and bounded.
    pub(crate) fn expiry(expires_in: u64) -> OffsetDateTime {
        let secs = expires_in.min(ACCESS_TOKEN_LIFE_MAX_SECS);
        OffsetDateTime::now_utc() + time::Duration::seconds(secs as i64)
    }
}

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

/// The logged-in user's tokens, if any.
pub(crate) async fn tokens(
    session: &Session,
) -> Result<Option<StoredTokens>, tower_sessions::session::Error> {
    session.get::<StoredTokens>(TOKENS_KEY).await
}
