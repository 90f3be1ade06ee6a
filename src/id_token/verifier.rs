//! [`IdTokenVerifier`]: the long-lived verifier a server keeps. It holds the channel's HMAC key,
//! the JWKS cache and the verified-token cache, and offers local verification (web login,
//! LIFF) and remote verification through LINE's verify endpoint.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_lc_rs::hmac;

use super::cache::TokenCache;
use super::claims::Parts;
use super::error::echo;
use super::jwks::{JWKS_REFETCH_COOLDOWN, JwksCache, JwksSource};
use super::jws::{Allowed, Jws, Scratch, check_size};
use super::{
    Amr, ClaimChecks, DEFAULT_CLOCK_SKEW, Es256Keys, IdTokenAlgorithm, IdTokenError,
    VerifiedIdToken, check_date, check_nonce, check_times, duration_secs, unix_secs, verify_claims,
};
use crate::api::{ApiError, LineApi};
use crate::config::Config;
use crate::secret::Nonce;
use crate::secret::RawIdToken;

/// Bounds of the verified-token cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenCacheLimits {
    /// Most tokens kept.
    pub max_entries: usize,
    /// Most bytes kept, counting each token's length plus a fixed overhead.
    pub max_bytes: usize,
}

impl Default for TokenCacheLimits {
    /// 10 000 tokens, 16 MiB.
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Builds an [`IdTokenVerifier`]; every setting has a default.
#[must_use]
pub struct IdTokenVerifierBuilder {
    issuer: Arc<str>,
    audience: Arc<str>,
    extra_audiences: Arc<[Arc<str>]>,
    hmac_key: Arc<hmac::Key>,
    source: Arc<dyn JwksSource>,
    clock_skew: Duration,
    refetch_cooldown: Duration,
    token_cache: Option<TokenCacheLimits>,
    clock: Clock,
    remote: Option<LineApi>,
}

impl IdTokenVerifierBuilder {
    /// Enables [`IdTokenVerifier::verify_remote`] through `api`.
    pub fn remote_api(mut self, api: LineApi) -> Self {
        self.remote = Some(api);
        self
    }

    /// Further channels whose ES256 tokens [`IdTokenVerifier::verify_liff`] accepts (LIFF and
    /// MINI App channels); default: the configuration's extra token audiences
    /// ([`ConfigBuilder::token_audiences`](crate::ConfigBuilder::token_audiences)). The web login
    /// ([`IdTokenVerifier::verify_web_login`]) and remote verification accept the channel only.
    pub fn extra_audiences<I, S>(mut self, channel_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.extra_audiences = channel_ids
            .into_iter()
            .map(|id| Arc::from(id.as_ref()))
            .collect();
        self
    }

    /// Clock skew tolerated on `exp`, `iat` and `auth_time` (default 60 s).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// Least time between two JWKS fetches caused by unknown `kid`s (default
    /// [`JWKS_REFETCH_COOLDOWN`], 30 s).
    pub fn jwks_refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.refetch_cooldown = cooldown;
        self
    }

    /// Bounds of the verified-token cache of [`IdTokenVerifier::verify_liff`]; `None` turns it
    /// off. On by default with [`TokenCacheLimits::default`].
    pub fn liff_token_cache(mut self, limits: Option<TokenCacheLimits>) -> Self {
        self.token_cache = limits;
        self
    }

    /// Reads the time from `clock` instead of the system clock (tests).
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Builds the verifier.
    pub fn build(self) -> IdTokenVerifier {
        let token_cache = self
            .token_cache
            .map(|l| Arc::new(TokenCache::new(l.max_entries, l.max_bytes)));
        let jwks = JwksCache::new(self.source, self.refetch_cooldown, token_cache.clone());
        IdTokenVerifier {
            inner: Arc::new(Inner {
                issuer: self.issuer,
                audience: self.audience,
                extra_audiences: self.extra_audiences,
                hmac_key: self.hmac_key,
                jwks,
                token_cache,
                skew_secs: duration_secs(self.clock_skew),
                clock: self.clock,
                remote: self.remote,
            }),
        }
    }
}

struct Inner {
    issuer: Arc<str>,
    audience: Arc<str>,
    extra_audiences: Arc<[Arc<str>]>,
    hmac_key: Arc<hmac::Key>,
    jwks: JwksCache,
    token_cache: Option<Arc<TokenCache>>,
    skew_secs: i64,
    clock: Clock,
    remote: Option<LineApi>,
}

/// The verifier a server keeps for its channel. Cheap to clone (an `Arc` inside).
///
/// Local or remote?
/// - **Local** ([`verify_web_login`](Self::verify_web_login),
///   [`verify_liff`](Self::verify_liff)) is fast (microseconds; a repeated LIFF token is served
///   from a cache) and needs LINE only to refresh the JWKS now and then. Use it for the login
///   callback and for LIFF tokens sent on every request.
/// - **Remote** ([`verify_remote`](Self::verify_remote), LINE's `POST /oauth2/v2.1/verify`) is
///   the simplest and always follows LINE's key changes, but costs a round trip per token and
///   counts against LINE's rate limits. Use it for occasional checks, as a cross-check, or when
///   a token's key cannot be fetched.
#[derive(Clone)]
pub struct IdTokenVerifier {
    inner: Arc<Inner>,
}

impl fmt::Debug for IdTokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenVerifier")
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("liff_token_cache", &self.inner.token_cache.is_some())
            .finish_non_exhaustive()
    }
}

impl IdTokenVerifier {
    /// The usual verifier: `api`'s configuration, LINE's JWKS through `api`, remote
    /// verification through `api`, default caches.
    pub fn new(api: LineApi) -> Self {
        Self::builder(api.config(), api.clone())
            .remote_api(api)
            .build()
    }

    /// A verifier for `config`'s channel taking ES256 keys from `jwks` (remote verification
    /// off unless [`IdTokenVerifierBuilder::remote_api`] is set).
    pub fn builder(config: &Config, jwks: impl JwksSource) -> IdTokenVerifierBuilder {
        IdTokenVerifierBuilder {
            issuer: Arc::from(config.issuer()),
            audience: Arc::from(config.channel_id().as_str()),
            extra_audiences: config
                .token_audiences()
                .skip(1)
                .map(|id| Arc::from(id.as_str()))
                .collect(),
            hmac_key: Arc::new(hmac::Key::new(
                hmac::HMAC_SHA256,
                config.channel_secret().expose_secret().as_bytes(),
            )),
            source: Arc::new(jwks),
            clock_skew: DEFAULT_CLOCK_SKEW,
            refetch_cooldown: JWKS_REFETCH_COOLDOWN,
            token_cache: Some(TokenCacheLimits::default()),
            clock: Arc::new(SystemTime::now),
            remote: None,
        }
    }

    fn checks<'a>(&'a self, nonce: Option<&'a str>, max_age: Option<Duration>) -> ClaimChecks<'a> {
        ClaimChecks {
            issuer: &self.inner.issuer,
            audience: &self.inner.audience,
            extra_audiences: &[],
            nonce,
            max_age,
            skew_secs: self.inner.skew_secs,
            now_secs: unix_secs((self.inner.clock)()),
        }
    }

    /// Verifies the ID token of a web login (authorization-code flow): HS256 with the channel
    /// secret only, the `nonce` saved with the login attempt, and `auth_time` when `max_age`
    /// was sent. Errors as in [`verify_id_token`](super::verify_id_token). Never waits: the key
    /// is the channel secret, so there is nothing to fetch.
    pub fn verify_web_login(
        &self,
        raw: &RawIdToken,
        nonce: &Nonce,
        max_age: Option<Duration>,
    ) -> Result<VerifiedIdToken, IdTokenError> {
        let raw = raw.expose_secret();
        let allowed = Allowed {
            hs256: true,
            es256: false,
        };
        let mut scratch = Scratch::new();
        let jws = Jws::parse(raw, allowed, &mut scratch)?;
        jws.verify_hs256(&self.inner.hmac_key)?;
        verify_claims(&jws, &self.checks(Some(nonce.expose_secret()), max_age))
    }

    /// Verifies a LIFF or native-app ID token: ES256 only, with the key of LINE's JWKS whose
    /// `kid` matches (fetched and cached; refetched once per cooldown on an unknown `kid`).
    /// `nonce`, when given, must match the token's. `aud` must contain the channel or one of the
    /// extra audiences ([`IdTokenVerifierBuilder::extra_audiences`]); which one is
    /// [`VerifiedIdToken::audience`].
    ///
    /// A token seen before is served from the verified-token cache when it is still valid and
    /// its key is still in the JWKS: the cache only skips work for a byte-identical token that
    /// a full verification would accept, and the time and nonce checks run on every call.
    pub async fn verify_liff(
        &self,
        raw: &RawIdToken,
        nonce: Option<&Nonce>,
    ) -> Result<VerifiedIdToken, IdTokenError> {
        self.verify_liff_str(raw.expose_secret(), nonce.map(Nonce::expose_secret))
            .await
    }

    async fn verify_liff_str(
        &self,
        raw: &str,
        nonce: Option<&str>,
    ) -> Result<VerifiedIdToken, IdTokenError> {
        check_size(raw)?;
        let checks = ClaimChecks {
            extra_audiences: &self.inner.extra_audiences,
            ..self.checks(nonce, None)
        };
        if let Some(cache) = &self.inner.token_cache
            && let Some((token, kid)) = cache.get(raw, checks.now_secs, checks.skew_secs)
            && self.inner.jwks.is_fresh_kid(&kid)
        {
            check_times(token.exp_secs(), token.iat_secs(), &checks)?;
            check_nonce(token.nonce(), nonce)?;
            return Ok(VerifiedIdToken::clone(&token));
        }

        let allowed = Allowed {
            hs256: false,
            es256: true,
        };
        let mut scratch = Scratch::new();
        let jws = Jws::parse(raw, allowed, &mut scratch)?;
        let kid = jws
            .kid
            .as_deref()
            .ok_or(IdTokenError::UnknownKey { kid: None })?;
        let keys = self.inner.jwks.keys_for(kid).await?;
        let key = keys.find(kid).ok_or_else(|| IdTokenError::UnknownKey {
            kid: Some(echo(kid)),
        })?;
        jws.verify_es256(key)?;
        let token = verify_claims(&jws, &checks)?;
        debug_assert_eq!(token.algorithm(), IdTokenAlgorithm::Es256);
        // Tokens carrying a nonce are single-use login results; the cache is for the
        // nonce-less tokens a LIFF app sends again and again.
        if let Some(cache) = &self.inner.token_cache
            && token.nonce().is_none()
        {
            cache.insert(raw, Arc::new(token.clone()), Arc::from(kid));
        }
        Ok(token)
    }

    /// Verifies an ID token through LINE's verify endpoint (`POST oauth2/v2.1/verify` with
    /// the channel ID and `nonce`), then re-checks the answer locally (`iss`, `aud`, `exp`,
    /// `iat`, `nonce`, `sub`). The token's form is checked first, so garbage costs no request.
    ///
    /// LINE's refusals map to the same variants as local checks (its "Invalid IdToken." to
    /// [`IdTokenError::BadSignature`]; for "IdToken expired." `exp` is reported as the time of
    /// the check); anything else is [`IdTokenError::Remote`]. Unknown claims are not returned
    /// by LINE, so [`VerifiedIdToken::extra_claims`] is empty.
    pub async fn verify_remote(
        &self,
        raw: &RawIdToken,
        nonce: Option<&Nonce>,
    ) -> Result<VerifiedIdToken, IdTokenError> {
        let nonce = nonce.map(Nonce::expose_secret);
        let api = self
            .inner
            .remote
            .as_ref()
            .ok_or(IdTokenError::RemoteNotConfigured)?;
        let allowed = Allowed {
            hs256: true,
            es256: true,
        };
        let algorithm = Jws::parse(raw.expose_secret(), allowed, &mut Scratch::new())?.alg;
        let claims = api
            .verify_id_token_remote(raw, nonce, None)
            .await
            .map_err(|e| self.remote_refusal(e))?;
        let checks = self.checks(nonce, None);
        if claims.iss != checks.issuer {
            return Err(IdTokenError::WrongIssuer {
                expected: checks.issuer.to_owned(),
                found: echo(&claims.iss),
            });
        }
        if claims.aud != checks.audience {
            return Err(IdTokenError::WrongAudience {
                expected: checks.audience.to_owned(),
            });
        }
        check_times(claims.exp, claims.iat, &checks)?;
        check_nonce(claims.nonce.as_deref(), nonce)?;
        if claims.sub.is_empty() {
            return Err(IdTokenError::MissingSubject);
        }
        Ok(VerifiedIdToken::assemble(Parts {
            algorithm,
            sub: &claims.sub,
            audience: checks.audience,
            name: claims.name.as_deref(),
            picture: claims.picture.as_deref(),
            email: claims.email.as_deref(),
            nonce: claims.nonce.as_deref(),
            amr: claims.amr.iter().map(|a| Amr::parse(a)).collect(),
            auth_time: claims.auth_time.map(check_date).transpose()?,
            iat: check_date(claims.iat)?,
            exp: check_date(claims.exp)?,
            extra: serde_json::Map::new(),
        }))
    }

    /// Maps LINE's documented refusals (`error_description`) to the local variants.
    fn remote_refusal(&self, error: ApiError) -> IdTokenError {
        let ApiError::Line {
            status: 400..=499,
            description: Some(description),
            ..
        } = &error
        else {
            return IdTokenError::Remote(error);
        };
        let now = unix_secs((self.inner.clock)());
        match description
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase()
            .as_str()
        {
            "invalid idtoken" => IdTokenError::BadSignature,
            "invalid idtoken issuer" => IdTokenError::WrongIssuer {
                expected: self.inner.issuer.to_string(),
                found: "(not disclosed by LINE)".to_owned(),
            },
            "idtoken expired" => IdTokenError::Expired { exp: now, now },
            "invalid idtoken audience" => IdTokenError::WrongAudience {
                expected: self.inner.audience.to_string(),
            },
            "invalid idtoken nonce" => IdTokenError::NonceMismatch,
            _ => IdTokenError::Remote(error),
        }
    }

    /// The ES256 keys currently cached, if any were fetched (e.g. to build
    /// [`IdTokenExpectations`](super::IdTokenExpectations) for [`verify_id_token`](super::verify_id_token)).
    pub fn cached_jwks(&self) -> Option<Es256Keys> {
        self.inner.jwks.snapshot().map(|s| s.keys.clone())
    }

    #[cfg(test)]
    pub(crate) fn token_cache_len(&self) -> usize {
        self.inner.token_cache.as_ref().map_or(0, |c| c.len())
    }

    #[cfg(test)]
    pub(crate) fn token_cache(&self) -> Option<Arc<TokenCache>> {
        self.inner.token_cache.clone()
    }
}
