//! The HTTP client for LINE Login's endpoints: token (code and refresh), verify (ID token and
//! access token), revoke, profile, friendship, userinfo, channel token, deauthorize, JWKS and
//! discovery. Typed answers, typed errors, one log record per call; no verification of ID tokens.
//!
//! ```no_run
//! use line_login::{Config, RefreshToken};
//! use line_login::api::LineApi;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::from_env()?;
//! let api = LineApi::new(&config)?;
//! let tokens = api.refresh(&RefreshToken::new("stored refresh token")).await?;
//! let profile = api.profile(&tokens.access_token).await?;
//! println!("hello {}", profile.user_id);
//! # Ok(())
//! # }
//! ```

mod channel_token;
mod discovery;
mod endpoint;
mod error;
mod log;
mod types;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, HeaderName};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use url::Url;

pub(crate) use self::channel_token::CHANNEL_TOKEN_RENEWAL_MARGIN_SECS;
pub use self::channel_token::ChannelTokenClock;
pub use self::error::{AccessTokenError, ApiError};
pub use self::log::{ApiCallRecord, ApiLogSink, ApiOutcome, TracingSink};
pub use self::types::{
    AccessTokenInfo, ChannelTokenResponse, Jwks, Profile, RemoteIdTokenClaims, TokenResponse,
    UserInfo,
};

use self::channel_token::ChannelTokenCache;
pub use self::endpoint::Endpoint;
use self::types::{AccessTokenInfoWire, FriendshipWire};
use crate::config::Config;
use crate::secret::PkceVerifier;
use crate::secret::{AccessToken, AuthorizationCode, ChannelAccessToken, RawIdToken, RefreshToken};

/// Largest answer body read from LINE; a larger one is an [`ApiError::UnexpectedBody`].
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The `User-Agent` sent to LINE.
pub(crate) const USER_AGENT: &str = concat!("line-login/", env!("CARGO_PKG_VERSION"));

const REQUEST_ID_HEADER: &str = "x-line-request-id";
const REQUEST_ID_MAX_CHARS: usize = 128;
const ERROR_CODE_MAX_CHARS: usize = 64;
const DESCRIPTION_MAX_CHARS: usize = 512;

/// The client for LINE's HTTP APIs, bound to one channel's [`Config`]. Cheap to clone (one
/// shared connection pool).
///
/// Every method makes exactly one HTTP call (discovery makes two: the document and its JWKS),
/// reports it to the log sink ([`TracingSink`] unless replaced with
/// [`LineApi::with_log_sink`]), and returns a typed answer or an [`ApiError`].
///
/// ```no_run
/// use line_login::{AuthorizationCode, Config};
/// use line_login::api::LineApi;
/// use line_login::PkceVerifier;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = Config::builder("1234567890", "channel-secret", "https://example.com/callback")
///     .build()?;
/// let api = LineApi::new(&config)?;
/// let code = AuthorizationCode::new("code from the callback");
/// let tokens = api
///     .exchange_code(&code, config.redirect_uri(), Some(&PkceVerifier::new("pkce verifier")))
///     .await?;
/// match api.friendship_status(&tokens.access_token).await {
///     Ok(friend) => println!("friend of the official account: {friend}"),
///     Err(e) if e.is_token_revoked_or_invalid() => println!("log in again"),
///     Err(e) => return Err(e.into()),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct LineApi {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    config: Config,
    client: reqwest::Client,
    sink: Arc<dyn ApiLogSink>,
    channel_tokens: Arc<ChannelTokenCache>,
}

impl fmt::Debug for LineApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineApi")
            .field("channel_id", self.inner.config.channel_id())
            .field("api_base", &self.inner.config.api_base().as_str())
            .finish_non_exhaustive()
    }
}

/// An HTTP answer read in full, before the endpoint-specific parsing.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    pub(crate) request_id: Option<String>,
}

impl LineApi {
    /// Builds the client: rustls, TLS 1.2 or newer, no redirects followed, the configured
    /// timeout for each whole call, `User-Agent: line-login/<version>`.
    ///
    /// Fails with [`ApiError::ClientBuild`] only when the TLS backend cannot be set up.
    pub fn new(config: &Config) -> Result<Self, ApiError> {
        let client = reqwest::Client::builder()
            .tls_backend_rustls()
            .tls_version_min(reqwest::tls::Version::TLS_1_2)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.http_timeout())
            .user_agent(USER_AGENT)
            .build()
            .map_err(|source| ApiError::ClientBuild { source })?;
        Ok(Self {
            inner: Arc::new(Inner {
                config: config.clone(),
                client,
                sink: Arc::new(TracingSink),
                channel_tokens: Arc::new(ChannelTokenCache::new(Arc::new(SystemTime::now))),
            }),
        })
    }

    /// Sends the call records to `sink` instead of `tracing`. The channel-token cache is kept.
    #[must_use]
    pub fn with_log_sink(mut self, sink: Arc<dyn ApiLogSink>) -> Self {
        // Clones of this client keep theirs: the inner state is copied if it is shared.
        Arc::make_mut(&mut self.inner).sink = sink;
        self
    }

    /// Replaces the clock that decides when a cached channel access token must be renewed (for
    /// tests that move time, e.g. `move || simulator.now()`). Starts with an empty cache.
    #[must_use]
    pub fn with_channel_token_clock(
        mut self,
        now: impl Fn() -> SystemTime + Send + Sync + 'static,
    ) -> Self {
        Arc::make_mut(&mut self.inner).channel_tokens =
            Arc::new(ChannelTokenCache::new(Arc::new(now)));
        self
    }

    /// The log sink (API calls, and the layer's authorization and callback records).
    pub(crate) fn log_sink(&self) -> &dyn ApiLogSink {
        self.inner.sink.as_ref()
    }

    /// A client for another channel of the same configuration (`config` is usually
    /// [`Config::for_channel`]): the same connection pool and log sink, its own channel
    /// credentials and its own channel-access-token cache (on this client's clock).
    #[must_use]
    pub fn for_channel(&self, config: Config) -> Self {
        let mut inner = (*self.inner).clone();
        inner.channel_tokens = Arc::new(self.inner.channel_tokens.fresh());
        inner.config = config;
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Whether the log sink keeps records beyond `tracing` (see [`ApiLogSink::is_persistent`]).
    pub fn log_sink_is_persistent(&self) -> bool {
        self.inner.sink.is_persistent()
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Exchanges an authorization code for tokens (`POST oauth2/v2.1/token`,
    /// `grant_type=authorization_code`). `redirect_uri` must be exactly the one sent in the
    /// authorization request; `code_verifier` is the PKCE verifier when PKCE was used.
    ///
    /// A rejected code (expired, reused, wrong redirect URI or verifier) is an
    /// [`ApiError::Line`], usually 400 `invalid_grant`.
    pub async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        redirect_uri: &Url,
        code_verifier: Option<&PkceVerifier>,
    ) -> Result<TokenResponse, ApiError> {
        let config = &self.inner.config;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.expose_secret()),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_id", config.channel_id().as_str()),
            ("client_secret", config.channel_secret().expose_secret()),
        ];
        if let Some(verifier) = code_verifier {
            form.push(("code_verifier", verifier.expose_secret()));
        }
        let request = self
            .inner
            .client
            .post(config.api_endpoint("oauth2/v2.1/token"))
            .form(&form);
        self.call(Endpoint::Token, "POST", request, token_answer)
            .await
    }

    /// Gets a new access token with a refresh token (`POST oauth2/v2.1/token`,
    /// `grant_type=refresh_token`). LINE returns the same refresh token and no ID token.
    ///
    /// An expired refresh token is 400 `invalid_grant`:
    /// [`ApiError::is_token_revoked_or_invalid`] is then true.
    pub async fn refresh(&self, refresh_token: &RefreshToken) -> Result<TokenResponse, ApiError> {
        let config = &self.inner.config;
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
            ("client_id", config.channel_id().as_str()),
            ("client_secret", config.channel_secret().expose_secret()),
        ];
        let request = self
            .inner
            .client
            .post(config.api_endpoint("oauth2/v2.1/token"))
            .form(&form);
        self.call(Endpoint::Refresh, "POST", request, token_answer)
            .await
    }

    /// Asks LINE to verify an ID token (`POST oauth2/v2.1/verify`) for this channel, optionally
    /// with the expected `nonce` and user ID, and returns its claims.
    ///
    /// An invalid token (signature, issuer, audience, expiry, nonce, subject) is an
    /// [`ApiError::Line`] (`invalid_request`, LINE's reason in `description`).
    pub async fn verify_id_token_remote(
        &self,
        id_token: &RawIdToken,
        nonce: Option<&str>,
        user_id: Option<&str>,
    ) -> Result<RemoteIdTokenClaims, ApiError> {
        let config = &self.inner.config;
        let mut form = vec![
            ("id_token", id_token.expose_secret()),
            ("client_id", config.channel_id().as_str()),
        ];
        if let Some(nonce) = nonce {
            form.push(("nonce", nonce));
        }
        if let Some(user_id) = user_id {
            form.push(("user_id", user_id));
        }
        let request = self
            .inner
            .client
            .post(config.api_endpoint("oauth2/v2.1/verify"))
            .form(&form);
        self.call(Endpoint::VerifyIdToken, "POST", request, json_answer)
            .await
    }

    /// Verifies an access token (`GET oauth2/v2.1/verify?access_token=`) and checks what LINE's
    /// security checklist asks: it was issued to this channel
    /// ([`AccessTokenError::WrongChannel`] otherwise) and `expires_in` > 0
    /// ([`AccessTokenError::Expired`] otherwise). Expired, revoked or malformed tokens are
    /// usually refused by LINE itself: [`AccessTokenError::Api`] with a 400.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use line_login::LineApi;
    /// use line_login_simulator::{ConsentChoice, Simulator};
    ///
    /// // Against the built-in simulator; with real LINE only the configuration differs.
    /// let sim = Simulator::start().await.unwrap();
    /// let redirect_uri = "http://127.0.0.1:3000/callback";
    /// let config = sim.config_builder(redirect_uri).build().unwrap();
    /// let api = LineApi::new(&config).unwrap();
    /// let authorize = format!(
    ///     "{}oauth2/v2.1/authorize?response_type=code&client_id={}&redirect_uri={redirect_uri}\
    ///      &state=s1&scope=profile%20openid",
    ///     sim.base_url(),
    ///     sim.channel_id(),
    /// );
    /// let user = sim.users()[0].user_id.clone();
    /// let callback = sim.consent(&authorize, ConsentChoice::allow(user)).await.unwrap();
    /// let code = callback.query_pairs().find(|(k, _)| k == "code").unwrap().1;
    /// let tokens = api
    ///     .exchange_code(&line_login::AuthorizationCode::new(code), config.redirect_uri(), None)
    ///     .await
    ///     .unwrap();
    ///
    /// let info = api.verify_access_token(&tokens.access_token).await.unwrap();
    /// assert_eq!(info.client_id, "1234567890");
    /// assert!(info.expires_in > 0);
    /// # }
    /// ```
    pub async fn verify_access_token(
        &self,
        token: &AccessToken,
    ) -> Result<AccessTokenInfo, AccessTokenError> {
        let config = &self.inner.config;
        let request = self
            .inner
            .client
            .get(config.api_endpoint("oauth2/v2.1/verify"))
            .query(&[("access_token", token.expose_secret())]);
        let wire: AccessTokenInfoWire = self
            .call(Endpoint::VerifyAccessToken, "GET", request, json_answer)
            .await?;
        check_access_token_info(wire, |id| id == config.channel_id().as_str())
    }

    /// [`LineApi::verify_access_token`] for the token doors and the bearer guard: the token's
    /// `client_id` may be the channel or one of the extra token audiences
    /// ([`Config::token_audiences`]: LIFF and MINI App channels); `expires_in` must be > 0.
    pub async fn verify_access_token_accepted(
        &self,
        token: &AccessToken,
    ) -> Result<AccessTokenInfo, AccessTokenError> {
        let config = &self.inner.config;
        let request = self
            .inner
            .client
            .get(config.api_endpoint("oauth2/v2.1/verify"))
            .query(&[("access_token", token.expose_secret())]);
        let wire: AccessTokenInfoWire = self
            .call(Endpoint::VerifyAccessToken, "GET", request, json_answer)
            .await?;
        check_access_token_info(wire, |id| config.accepts_token_audience(id))
    }

    /// Revokes an access token (`POST oauth2/v2.1/revoke`); LINE answers 200 with an empty body.
    /// Call it at logout.
    pub async fn revoke(&self, token: &AccessToken) -> Result<(), ApiError> {
        let config = &self.inner.config;
        let form = [
            ("access_token", token.expose_secret()),
            ("client_id", config.channel_id().as_str()),
            ("client_secret", config.channel_secret().expose_secret()),
        ];
        let request = self
            .inner
            .client
            .post(config.api_endpoint("oauth2/v2.1/revoke"))
            .form(&form);
        self.call(Endpoint::Revoke, "POST", request, empty_answer)
            .await
    }

    /// The user's profile (`GET v2/profile`, needs the `profile` scope).
    pub async fn profile(&self, token: &AccessToken) -> Result<Profile, ApiError> {
        let request = self
            .inner
            .client
            .get(self.inner.config.api_endpoint("v2/profile"))
            .bearer_auth(token.expose_secret());
        self.call(Endpoint::Profile, "GET", request, json_answer)
            .await
    }

    /// Whether the user has added the channel's linked LINE Official Account as a friend and
    /// not blocked it (`GET friendship/v1/status`, `friendFlag`; needs `profile`).
    pub async fn friendship_status(&self, token: &AccessToken) -> Result<bool, ApiError> {
        let request = self
            .inner
            .client
            .get(self.inner.config.api_endpoint("friendship/v1/status"))
            .bearer_auth(token.expose_secret());
        let wire: FriendshipWire = self
            .call(Endpoint::Friendship, "GET", request, json_answer)
            .await?;
        Ok(wire.friend_flag)
    }

    /// The OIDC userinfo (`GET oauth2/v2.1/userinfo`, needs `openid`).
    pub async fn userinfo(&self, token: &AccessToken) -> Result<UserInfo, ApiError> {
        let request = self
            .inner
            .client
            .get(self.inner.config.api_endpoint("oauth2/v2.1/userinfo"))
            .bearer_auth(token.expose_secret());
        self.call(Endpoint::UserInfo, "GET", request, json_answer)
            .await
    }

    /// Issues a stateless channel access token, valid 15 minutes (`POST oauth2/v3/token`,
    /// `grant_type=client_credentials` with the channel ID and secret). Needed by
    /// [`LineApi::deauthorize`].
    pub async fn issue_stateless_channel_token(&self) -> Result<ChannelTokenResponse, ApiError> {
        let config = &self.inner.config;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", config.channel_id().as_str()),
            ("client_secret", config.channel_secret().expose_secret()),
        ];
        let request = self
            .inner
            .client
            .post(config.api_endpoint("oauth2/v3/token"))
            .form(&form);
        self.call(Endpoint::ChannelToken, "POST", request, json_answer)
            .await
    }

    /// A channel access token for [`LineApi::deauthorize`]: the long-lived token the
    /// configuration opted in to ([`ConfigBuilder::long_lived_channel_token`], logged as a
    /// warning on first use), or else a stateless token issued with
    /// [`LineApi::issue_stateless_channel_token`] when first needed and reused by every clone of
    /// this client until 60 seconds before it expires. Concurrent
    /// callers on an empty cache share one issuance. Fails with the issuance's [`ApiError`]
    /// (nothing is cached then).
    ///
    /// [`ConfigBuilder::long_lived_channel_token`]: crate::ConfigBuilder::long_lived_channel_token
    pub async fn channel_access_token(&self) -> Result<ChannelAccessToken, ApiError> {
        let cache = &self.inner.channel_tokens;
        if let Some(token) = self.inner.config.long_lived_channel_token() {
            cache.warn_long_lived_once();
            return Ok(token.clone());
        }
        cache
            .get(|| async {
                let issued = self.issue_stateless_channel_token().await?;
                Ok((issued.access_token, issued.expires_in))
            })
            .await
    }

    /// Drops `token` from the channel-token cache (when LINE refused it with 401), so the next
    /// [`LineApi::channel_access_token`] issues a new one. Another cached token is kept.
    pub async fn forget_channel_access_token(&self, token: &ChannelAccessToken) {
        self.inner.channel_tokens.forget(token).await;
    }

    /// [`LineApi::deauthorize`] with the channel token from [`LineApi::channel_access_token`];
    /// when LINE refuses that token (401) it is forgotten and the call is made once more with a
    /// fresh one. Fails with the [`ApiError`] of the issuance or of the (last) deauthorize call;
    /// an already deauthorized user is a 400 for which
    /// [`ApiError::is_token_revoked_or_invalid`] is true.
    pub async fn deauthorize_user(&self, user_token: &AccessToken) -> Result<(), ApiError> {
        let channel = self.channel_access_token().await?;
        match self.deauthorize(&channel, user_token).await {
            Err(error)
                if error.status() == Some(401)
                    && self.inner.config.long_lived_channel_token().is_none() =>
            {
                self.forget_channel_access_token(&channel).await;
                let channel = self.channel_access_token().await?;
                self.deauthorize(&channel, user_token).await
            }
            other => other,
        }
    }

    /// Ends the user's authorization of this app (`POST user/v1/deauthorize`, 204), as the
    /// development guidelines require when a user unregisters or unlinks. `channel_token`
    /// authenticates the channel (see [`LineApi::issue_stateless_channel_token`]); `user_token`
    /// is the user's access token. An already deauthorized user gives 400 (`invalid token`).
    pub async fn deauthorize(
        &self,
        channel_token: &ChannelAccessToken,
        user_token: &AccessToken,
    ) -> Result<(), ApiError> {
        let request = self
            .inner
            .client
            .post(self.inner.config.api_endpoint("user/v1/deauthorize"))
            .bearer_auth(channel_token.expose_secret())
            .json(&serde_json::json!({ "userAccessToken": user_token.expose_secret() }));
        self.call(Endpoint::Deauthorize, "POST", request, empty_answer)
            .await
    }

    /// LINE's ES256 signing keys (`GET oauth2/v2.1/certs`) and how long they may be cached
    /// (`Cache-Control: max-age`). Keys that cannot be parsed are skipped; a body that is not a
    /// JSON object with a `keys` array is an [`ApiError::UnexpectedBody`].
    pub async fn jwks(&self) -> Result<Jwks, ApiError> {
        let request = self
            .inner
            .client
            .get(self.inner.config.api_endpoint("oauth2/v2.1/certs"))
            .header(reqwest::header::ACCEPT, "application/json");
        self.call(Endpoint::Certs, "GET", request, |answer| {
            #[derive(serde::Deserialize)]
            struct Wire {
                keys: Vec<serde_json::Value>,
            }
            let wire: Wire = json_answer(answer)?;
            let keys = wire
                .keys
                .into_iter()
                .filter_map(|key| serde_json::from_value(key).ok())
                .collect();
            Ok(Jwks {
                keys: jsonwebtoken::jwk::JwkSet { keys },
                max_age: cache_max_age(&answer.headers),
            })
        })
        .await
    }

    /// LINE's OpenID Connect discovery document
    /// (`GET {access_base}/.well-known/openid-configuration`), through openidconnect's
    /// `CoreProviderMetadata::discover_async` running on this client; the result includes the
    /// JWKS it points to. openidconnect checks that the document's `issuer` equals
    /// [`Config::issuer`]; a mismatch or an unparsable document is an
    /// [`ApiError::UnexpectedBody`]. A `jwks_uri` that is not https (or http on loopback) is
    /// refused ([`ApiError::Refused`]).
    pub async fn discovery(&self) -> Result<openidconnect::core::CoreProviderMetadata, ApiError> {
        discovery::discover(self).await
    }

    /// Makes one call: sends, reads the body (bounded), classifies, parses and logs one record.
    async fn call<T>(
        &self,
        endpoint: Endpoint,
        method: &'static str,
        request: reqwest::RequestBuilder,
        parse: impl FnOnce(&Answer) -> Result<T, String>,
    ) -> Result<T, ApiError> {
        let at = OffsetDateTime::now_utc();
        let started = Instant::now();
        let (status, request_id, result) = self.perform(endpoint, request, parse).await;
        let outcome = match &result {
            Ok(_) => ApiOutcome::Ok,
            Err(ApiError::Line { error, status, .. }) => {
                ApiOutcome::LineError(error.clone().unwrap_or_else(|| format!("http_{status}")))
            }
            Err(ApiError::Timeout { .. }) => ApiOutcome::Timeout,
            Err(ApiError::UnexpectedBody { .. }) => ApiOutcome::UnexpectedBody,
            Err(_) => ApiOutcome::Transport,
        };
        self.inner.sink.record(&ApiCallRecord {
            at,
            endpoint,
            method,
            status,
            request_id,
            latency: started.elapsed(),
            outcome,
        });
        result
    }

    async fn perform<T>(
        &self,
        endpoint: Endpoint,
        request: reqwest::RequestBuilder,
        parse: impl FnOnce(&Answer) -> Result<T, String>,
    ) -> (Option<u16>, Option<String>, Result<T, ApiError>) {
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(e) => return (None, None, Err(ApiError::from_reqwest(endpoint, e))),
        };
        let status = response.status().as_u16();
        let request_id = request_id(response.headers());
        let body = match read_bounded(&mut response).await {
            Ok(Some(body)) => body,
            Ok(None) => {
                let error = ApiError::UnexpectedBody {
                    endpoint,
                    status,
                    request_id: request_id.clone(),
                    detail: format!("body larger than {MAX_BODY_BYTES} bytes"),
                };
                return (Some(status), request_id, Err(error));
            }
            Err(e) => {
                return (
                    Some(status),
                    request_id,
                    Err(ApiError::from_reqwest(endpoint, e)),
                );
            }
        };
        let answer = Answer {
            status,
            headers: response.headers().clone(),
            body,
            request_id: request_id.clone(),
        };
        let result = if response.status().is_success() {
            // The parser says what is wrong with the body; the call adds its context.
            parse(&answer).map_err(|detail| ApiError::UnexpectedBody {
                endpoint,
                status,
                request_id: request_id.clone(),
                detail,
            })
        } else {
            Err(line_error(endpoint, &answer))
        };
        (Some(status), request_id, result)
    }
}

/// LINE's security checklist: the token must be ours and not expired.
fn check_access_token_info(
    wire: AccessTokenInfoWire,
    accepted: impl Fn(&str) -> bool,
) -> Result<AccessTokenInfo, AccessTokenError> {
    if !accepted(&wire.client_id) {
        return Err(AccessTokenError::WrongChannel {
            got: wire.client_id,
        });
    }
    let expires_in = u64::try_from(wire.expires_in)
        .ok()
        .filter(|secs| *secs > 0)
        .ok_or(AccessTokenError::Expired)?;
    Ok(AccessTokenInfo {
        scope: wire.scope,
        client_id: wire.client_id,
        expires_in,
    })
}

/// Reads the whole body, or `Ok(None)` when it is larger than [`MAX_BODY_BYTES`].
async fn read_bounded(response: &mut reqwest::Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// Parses a 2xx JSON body. The error is the detail of an [`ApiError::UnexpectedBody`], which
/// [`LineApi::perform`] builds; it never quotes the body (it may hold tokens).
fn json_answer<T: DeserializeOwned>(answer: &Answer) -> Result<T, String> {
    serde_json::from_slice(&answer.body).map_err(|e| describe_json_error(&e, &answer.headers))
}

/// A token endpoint's answer (code exchange or refresh): the JSON body, whose `token_type` must
/// be `Bearer`, compared case-insensitively (RFC 6749 5.1 and 7.1): every later call sends the
/// token as a Bearer token, and another type means the answer is not what we asked for.
fn token_answer(answer: &Answer) -> Result<TokenResponse, String> {
    let tokens: TokenResponse = json_answer(answer)?;
    if !tokens.token_type.eq_ignore_ascii_case("bearer") {
        return Err(format!(
            "token_type is {:?}, not Bearer",
            sanitize(&tokens.token_type, 32)
        ));
    }
    Ok(tokens)
}

/// Accepts any 2xx body (revoke answers 200 empty, deauthorize 204).
fn empty_answer(_answer: &Answer) -> Result<(), String> {
    Ok(())
}

fn describe_json_error(error: &serde_json::Error, headers: &HeaderMap) -> String {
    use serde_json::error::Category;
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| sanitize(v, 64))
        .unwrap_or_else(|| "none".to_owned());
    let what = match error.classify() {
        Category::Eof => "truncated JSON".to_owned(),
        Category::Syntax => "not JSON".to_owned(),
        Category::Io => "unreadable".to_owned(),
        // serde's data messages name the field ("missing field `x`") but "invalid type" ones
        // quote the value, which may be a token: keep only messages without quotes.
        Category::Data => {
            let message = error.to_string();
            if message.contains('"') {
                "a field has the wrong type".to_owned()
            } else {
                sanitize(&message, 200)
            }
        }
    };
    format!(
        "{what} (line {}, column {}, content-type {content_type})",
        error.line(),
        error.column()
    )
}

/// Builds [`ApiError::Line`] from a non-2xx answer, picking LINE's error fields when the body is
/// a JSON object (any other body is fine: the status decides).
fn line_error(endpoint: Endpoint, answer: &Answer) -> ApiError {
    let object = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|value| match value {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        });
    let text = |key: &str| {
        object
            .as_ref()
            .and_then(|map| map.get(key))
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let error = text("error").map(|code| {
        code.chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .take(ERROR_CODE_MAX_CHARS)
            .collect::<String>()
    });
    let description = text("error_description")
        .or_else(|| text("message"))
        .map(|d| sanitize(d, DESCRIPTION_MAX_CHARS));
    let retry_after = answer
        .headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    ApiError::Line {
        endpoint,
        status: answer.status,
        error: error.filter(|e| !e.is_empty()),
        description,
        request_id: answer.request_id.clone(),
        retry_after,
    }
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(HeaderName::from_static(REQUEST_ID_HEADER))
        .and_then(|v| v.to_str().ok())
        .map(|v| sanitize(v, REQUEST_ID_MAX_CHARS))
        .filter(|v| !v.is_empty())
}

/// Keeps printable characters only (no control characters: no log injection), bounded.
fn sanitize(value: &str, max_chars: usize) -> String {
    value
        .chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// `max-age=N` from `Cache-Control` (`no-store`/`no-cache` mean zero).
fn cache_max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut max_age = None;
    for value in headers.get_all(reqwest::header::CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim();
            let lower = directive.to_ascii_lowercase();
            if lower == "no-store" || lower == "no-cache" {
                return Some(Duration::ZERO);
            }
            if let Some(secs) = lower.strip_prefix("max-age=")
                && let Ok(secs) = secs.trim_matches('"').parse::<u64>()
            {
                max_age = Some(Duration::from_secs(secs));
            }
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn answer(status: u16, headers: &[(&'static str, &str)], body: &str) -> Answer {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        Answer {
            status,
            request_id: request_id(&map),
            headers: map,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn line_error_reads_error_description_and_request_id() {
        let a = answer(
            400,
            &[
                ("x-line-request-id", "req-1"),
                ("content-type", "application/json"),
            ],
            r#"{"error":"invalid_grant","error_description":"invalid refresh token"}"#,
        );
        let ApiError::Line {
            status,
            error,
            description,
            request_id,
            retry_after,
            ..
        } = line_error(Endpoint::Refresh, &a)
        else {
            panic!("not a Line error");
        };
        assert_eq!(status, 400);
        assert_eq!(error.as_deref(), Some("invalid_grant"));
        assert_eq!(description.as_deref(), Some("invalid refresh token"));
        assert_eq!(request_id.as_deref(), Some("req-1"));
        assert_eq!(retry_after, None);
    }

    #[test]
    fn line_error_takes_message_and_retry_after_and_ignores_html() {
        let a = answer(
            429,
            &[("retry-after", "30")],
            r#"{"message":"Too many requests"}"#,
        );
        let err = line_error(Endpoint::Profile, &a);
        assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
        assert!(err.to_string().contains("Too many requests"));
        let html = answer(502, &[], "<html><body>Bad gateway</body></html>");
        let err = line_error(Endpoint::Profile, &html);
        assert_eq!(err.status(), Some(502));
        assert_eq!(err.error_code(), None);
        assert!(!err.to_string().contains("html"));
    }

    #[test]
    fn json_errors_never_quote_the_body() {
        let a = answer(
            200,
            &[],
            r#"{"access_token":"SECRET-TOKEN","expires_in":"SECRET-TOKEN"}"#,
        );
        let err = json_answer::<TokenResponse>(&a).unwrap_err();
        assert!(!err.to_string().contains("SECRET-TOKEN"), "{err}");
        let truncated = answer(200, &[], r#"{"access_token":"SECRET-TO"#);
        let err = json_answer::<TokenResponse>(&truncated).unwrap_err();
        assert!(err.to_string().contains("truncated JSON"), "{err}");
        assert!(!err.to_string().contains("SECRET"), "{err}");
        let missing = answer(200, &[], r#"{"expires_in":1}"#);
        let err = json_answer::<TokenResponse>(&missing).unwrap_err();
        assert!(
            err.to_string().contains("missing field `access_token`"),
            "{err}"
        );
    }

    #[test]
    fn access_token_info_must_be_ours_and_alive() {
        let wire = |client_id: &str, expires_in: i64| AccessTokenInfoWire {
            scope: "profile openid".into(),
            client_id: client_id.into(),
            expires_in,
        };
        let info = check_access_token_info(wire("123", 60), |id| id == "123").unwrap();
        assert_eq!((info.client_id.as_str(), info.expires_in), ("123", 60));
        assert!(matches!(
            check_access_token_info(wire("999", 60), |id| id == "123"),
            Err(AccessTokenError::WrongChannel { got }) if got == "999"
        ));
        assert!(matches!(
            check_access_token_info(wire("123", 0), |id| id == "123"),
            Err(AccessTokenError::Expired)
        ));
        assert!(matches!(
            check_access_token_info(wire("123", -5), |id| id == "123"),
            Err(AccessTokenError::Expired)
        ));
    }

    #[test]
    fn cache_control_max_age_is_parsed() {
        let a = answer(200, &[("cache-control", "public, max-age=86400")], "");
        assert_eq!(cache_max_age(&a.headers), Some(Duration::from_secs(86_400)));
        let a = answer(200, &[("cache-control", "no-store")], "");
        assert_eq!(cache_max_age(&a.headers), Some(Duration::ZERO));
        let a = answer(200, &[], "");
        assert_eq!(cache_max_age(&a.headers), None);
    }

    #[test]
    fn request_ids_are_sanitized_and_bounded() {
        let long = "a".repeat(500);
        let a = answer(200, &[("x-line-request-id", &long)], "");
        assert_eq!(a.request_id.map(|r| r.len()), Some(REQUEST_ID_MAX_CHARS));
    }

    /// Issue 15 item 5: a token response is accepted only with `token_type` `Bearer`, in any
    /// case; another type, an empty one or none at all is an unexpected body.
    #[test]
    fn token_responses_must_be_bearer() {
        let body = |token_type: Option<&str>| {
            let mut json = serde_json::json!({
                "access_token": "a", "expires_in": 10, "refresh_token": "r", "scope": "profile",
            });
            if let Some(token_type) = token_type {
                json["token_type"] = token_type.into();
            }
            json.to_string()
        };
        for good in ["Bearer", "bearer", "BEARER"] {
            let tokens = token_answer(&answer(200, &[], &body(Some(good)))).unwrap();
            assert_eq!(tokens.access_token.expose_secret(), "a");
        }
        for bad in [Some("mac"), Some("DPoP"), Some(""), Some("Bearer "), None] {
            let err = token_answer(&answer(200, &[], &body(bad))).unwrap_err();
            assert!(err.contains("token_type"), "{bad:?}: {err:?}");
        }
    }

    /// Serves one raw HTTP answer on loopback and returns its base URL.
    async fn one_answer(head: String, body_len: usize) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let _ = socket.write_all(head.as_bytes()).await;
            let chunk = vec![b' '; 64 * 1024];
            let mut left = body_len;
            while left > 0 {
                let n = left.min(chunk.len());
                if socket.write_all(&chunk[..n]).await.is_err() {
                    break;
                }
                left -= n;
            }
            let _ = socket.shutdown().await;
        });
        base
    }

    async fn api_on(base: &str) -> LineApi {
        let config = Config::builder("1", "s", "https://e.com/cb")
            .api_base(base)
            .build()
            .unwrap();
        LineApi::new(&config).unwrap()
    }

    #[tokio::test]
    async fn bodies_larger_than_one_mebibyte_are_refused() {
        let too_big = MAX_BODY_BYTES + 1;
        // Announced by Content-Length: refused before reading.
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {too_big}\r\nx-line-request-id: big1\r\n\r\n"
        );
        let api = api_on(&one_answer(head, too_big).await).await;
        let err = api.jwks().await.unwrap_err();
        assert!(
            matches!(&err, ApiError::UnexpectedBody { detail, request_id: Some(r), .. } if detail.contains("larger") && r == "big1"),
            "{err:?}"
        );
        // Streamed without a length: refused while reading.
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
            .to_owned();
        let api = api_on(&one_answer(head, too_big).await).await;
        let err = api.jwks().await.unwrap_err();
        assert!(
            matches!(&err, ApiError::UnexpectedBody { detail, .. } if detail.contains("larger")),
            "{err:?}"
        );
        // Exactly the limit is read (and then fails as JSON, not as size).
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
            .to_owned();
        let api = api_on(&one_answer(head, MAX_BODY_BYTES).await).await;
        let err = api.jwks().await.unwrap_err();
        assert!(
            matches!(&err, ApiError::UnexpectedBody { detail, .. } if detail.contains("truncated")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let head = "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:9/elsewhere\r\ncontent-length: 0\r\n\r\n"
            .to_owned();
        let api = api_on(&one_answer(head, 0).await).await;
        let err = api.profile(&AccessToken::new("t")).await.unwrap_err();
        assert_eq!(err.status(), Some(302), "{err:?}");
    }

    #[test]
    fn futures_are_send() {
        fn assert_send<T: Send>(_: T) {}
        let config = Config::builder("1", "s", "https://e.com/cb")
            .build()
            .unwrap();
        let api = LineApi::new(&config).unwrap();
        let token = AccessToken::new("t");
        assert_send(api.profile(&token));
        assert_send(api.verify_access_token(&token));
        assert_send(api.discovery());
        assert_send(api.jwks());
    }
}
