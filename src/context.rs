//! What the layer's routes, its response helpers and the extractors share: the layer's
//! configuration once built (`Shared`), the handle put on every request (`LoginContext`), the
//! routes under the prefix, and the small option types of the layer's builder. It knows nothing
//! of tower; [`crate::layer`] does the plumbing.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::response::Response;

use crate::api::LineApi;
use crate::config::Config;
use crate::error::LoginError;
use crate::id_token::IdTokenVerifier;
use crate::store::attempts::AttemptStore;
use crate::user::LineUser;

/// When the friendship status (`friendFlag`) is fetched from LINE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FriendshipFetch {
    /// Right after each login (default). A failure leaves it `Unknown`; the login succeeds.
    #[default]
    AtLogin,
    /// On the first use of the [`crate::Friendship`] extractor.
    Lazily,
    /// Never; `friendship_status_changed` from the callback is still kept.
    Never,
}

/// Whether `POST {prefix}/token-login` accepts an ID token that carries no `nonce`. A token that
/// carries one logs in only with a nonce this server issued to the same browser
/// (`POST {prefix}/token-login/nonce`), whatever the policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenNonce {
    /// Tokens without a nonce are accepted, once each (LIFF's `liff.getIDToken()` carries none
    /// unless the app asked for one). The default.
    #[default]
    Allow,
    /// Every token must carry a nonce this server issued (native apps set one in LINE's SDK).
    Require,
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

/// Chooses the web-login channel of a login from the request (see
/// [`crate::LineLoginLayer::channel_selector`]). `None` leaves the choice to the default rule:
/// the channel with a callback URL registered on the request's host, else the default channel.
pub type ChannelSelector = Arc<
    dyn Fn(&axum::http::request::Parts, &Config) -> Option<crate::config::ChannelId> + Send + Sync,
>;

/// One web-login channel as the layer runs it: its view of the configuration, its API client
/// (its credentials) and its ID-token verifier (its secret, its `aud`).
#[derive(Clone)]
pub(crate) struct WebChannel {
    pub(crate) config: Config,
    pub(crate) api: LineApi,
    pub(crate) verifier: IdTokenVerifier,
}

/// Everything the layer's routes and the extractors share.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) api: LineApi,
    pub(crate) verifier: IdTokenVerifier,
    /// Every web-login channel, the default first (its `api` and `verifier` are the above).
    pub(crate) channels: Vec<WebChannel>,
    pub(crate) channel_selector: Option<ChannelSelector>,
    pub(crate) routes: Routes,
    pub(crate) after_logout: String,
    pub(crate) cancel_redirect: Option<String>,
    pub(crate) error_handler: Option<ErrorHandler>,
    pub(crate) unauthenticated: Unauthenticated,
    pub(crate) api_paths: Vec<String>,
    pub(crate) token_nonce: TokenNonce,
    pub(crate) token_sessions_outlive_tokens: bool,
    /// Refuse to build the service while the compliance report needs action.
    pub(crate) require_compliance: bool,
    pub(crate) friendship_fetch: FriendshipFetch,
    pub(crate) on_login: Option<LoginHook>,
    pub(crate) members: Option<Arc<dyn crate::link::MemberAccess>>,
    pub(crate) attempts: Arc<dyn AttemptStore>,
    /// Seals pending attempts into the browser's cookies.
    pub(crate) attempt_sealer: crate::pending::AttemptSealer,
    pub(crate) access_cache: Arc<crate::token_proof::AccessTokenCache>,
    pub(crate) session_store: Option<crate::store::StoreKind>,
    pub(crate) clock: Clock,
    pub(crate) messages: crate::messages::Messages,
    pub(crate) in_app_browser: crate::in_app_browser::InAppBrowserPolicy,
    pub(crate) email_watch: Arc<crate::email_watch::EmailWatch>,
    pub(crate) log_hasher: crate::login_log::LogHasher,
    pub(crate) raw_login_log_values: bool,
}

impl Shared {
    /// The web-login channel with this ID.
    pub(crate) fn web_channel(&self, id: &crate::config::ChannelId) -> Option<&WebChannel> {
        self.channels.iter().find(|c| c.config.channel_id() == id)
    }

    /// The API client of the web-login channel `channel_id` (a [`LineUser::channel_id`]), so
    /// refresh, revoke and verify use the credentials of the channel that issued the tokens;
    /// the default channel's for any other (token-door channels, older sessions).
    pub(crate) fn api_for(&self, channel_id: Option<&str>) -> &LineApi {
        channel_id
            .and_then(|id| {
                self.channels
                    .iter()
                    .find(|c| c.config.channel_id().as_str() == id)
            })
            .map_or(&self.api, |c| &c.api)
    }
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
    pub(crate) fn new(prefix: &str) -> Self {
        let prefix = format!("/{}", prefix.trim_matches('/'));
        Self {
            login: format!("{prefix}/login"),
            prefix,
        }
    }

    pub(crate) fn route(&self, path: &str) -> Option<Route> {
        let rest = path.strip_prefix(self.prefix.as_str())?;
        Some(match rest {
            "/login" => Route::Login,
            "/callback" => Route::Callback,
            "/logout" => Route::Logout,
            "/token-login" => Route::TokenLogin,
            "/token-login/nonce" => Route::TokenLoginNonce,
            "/link" => Route::Link,
            "/unlink" => Route::Unlink,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Login,
    Callback,
    Logout,
    TokenLogin,
    TokenLoginNonce,
    Link,
    Unlink,
}
