//! LINE's signing keys (JWKS) for ES256 tokens: where they come from ([`JwksSource`]) and the
//! cache that keeps them parsed, honours their max-age, refetches on an unknown `kid` at most
//! once per cooldown, and lets concurrent callers share one fetch.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::cache::TokenCache;
use super::error::echo;
use super::{Es256Keys, IdTokenError, KeyFetchError};
use crate::api::LineApi;

/// How long a JWKS is used when its response says nothing (no `Cache-Control: max-age`).
pub const JWKS_DEFAULT_MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// Shortest max-age honoured: a smaller one (or `no-cache`) is raised to this.
pub const JWKS_MIN_MAX_AGE: Duration = Duration::from_secs(60);
/// Longest max-age honoured: keys are refreshed at least daily.
pub const JWKS_MAX_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// Least time between two fetches caused by unknown `kid`s, so forged `kid`s cannot make us
/// hammer LINE.
pub const JWKS_REFETCH_COOLDOWN: Duration = Duration::from_secs(30);
/// How long after a failed fetch callers get the same error instead of a new attempt.
const JWKS_FAILURE_BACKOFF: Duration = Duration::from_secs(5);
/// How long past its max-age an old JWKS still serves when LINE cannot be reached.
const JWKS_STALE_IF_ERROR: Duration = Duration::from_secs(60 * 60);

/// Where the JWKS comes from. [`crate::api::LineApi`] implements it (GET
/// `{api}/oauth2/v2.1/certs`); tests implement it with a fixed or counting key set.
///
/// ```
/// use std::time::Duration;
/// use jsonwebtoken::jwk::JwkSet;
/// use line_login::id_token::{JwksSource, KeyFetchError};
///
/// struct Fixed(JwkSet);
///
/// #[async_trait::async_trait]
/// impl JwksSource for Fixed {
///     async fn fetch(&self) -> Result<(JwkSet, Option<Duration>), KeyFetchError> {
///         Ok((self.0.clone(), Some(Duration::from_secs(600))))
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait JwksSource: Send + Sync + 'static {
    /// Fetches the key set and, when the response said, how long it may be cached.
    async fn fetch(&self) -> Result<(JwkSet, Option<Duration>), KeyFetchError>;
}

#[async_trait::async_trait]
impl JwksSource for LineApi {
    async fn fetch(&self) -> Result<(JwkSet, Option<Duration>), KeyFetchError> {
        let jwks = self.jwks().await.map_err(KeyFetchError::new)?;
        Ok((jwks.keys, jwks.max_age))
    }
}

/// One fetched key set.
pub(crate) struct Snapshot {
    pub(crate) keys: Es256Keys,
    pub(crate) fresh_until: Instant,
    generation: u64,
}

/// Bookkeeping of fetches, guarded by the single-flight lock.
#[derive(Default)]
struct FetchState {
    last_attempt: Option<Instant>,
    last_error: Option<KeyFetchError>,
}

/// The JWKS cache of one verifier.
pub(crate) struct JwksCache {
    source: Arc<dyn JwksSource>,
    current: RwLock<Option<Arc<Snapshot>>>,
    fetch: Mutex<FetchState>,
    refetch_cooldown: Duration,
    /// Told about every new key set, to drop verified tokens whose key is gone.
    token_cache: Option<Arc<TokenCache>>,
}

impl JwksCache {
    pub(crate) fn new(
        source: Arc<dyn JwksSource>,
        refetch_cooldown: Duration,
        token_cache: Option<Arc<TokenCache>>,
    ) -> Self {
        Self {
            source,
            current: RwLock::new(None),
            fetch: Mutex::new(FetchState::default()),
            refetch_cooldown,
            token_cache,
        }
    }

    /// The current key set, fresh or not.
    pub(crate) fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether `kid` is in the current, fresh key set (used by the verified-token cache).
    pub(crate) fn is_fresh_kid(&self, kid: &str) -> bool {
        self.snapshot()
            .is_some_and(|s| Instant::now() < s.fresh_until && s.keys.contains_kid(kid))
    }

    /// The key set containing `kid`, fetching when the cache is empty or expired, or when `kid`
    /// is unknown and the last fetch is older than the cooldown. Concurrent callers share one
    /// fetch.
    pub(crate) async fn keys_for(&self, kid: &str) -> Result<Es256Keys, IdTokenError> {
        let observed = self.snapshot();
        if let Some(s) = &observed
            && Instant::now() < s.fresh_until
            && s.keys.contains_kid(kid)
        {
            return Ok(s.keys.clone());
        }
        let observed_generation = observed.as_ref().map_or(0, |s| s.generation);

        let mut state = self.fetch.lock().await;
        let now = Instant::now();
        let current = self.snapshot();
        let fresh = current.as_ref().is_some_and(|s| now < s.fresh_until);
        if let Some(s) = &current {
            if fresh && s.keys.contains_kid(kid) {
                return Ok(s.keys.clone());
            }
            if fresh && s.generation != observed_generation {
                // Another caller fetched while we waited and the kid is still unknown.
                return Err(unknown(kid));
            }
        }
        let since_last = state.last_attempt.map(|t| now.saturating_duration_since(t));
        if fresh && since_last.is_some_and(|d| d < self.refetch_cooldown) {
            return Err(unknown(kid));
        }
        if let (Some(error), Some(d)) = (&state.last_error, since_last)
            && d < JWKS_FAILURE_BACKOFF
        {
            return stale_or(current.as_deref(), kid, now, error.clone());
        }

        state.last_attempt = Some(now);
        match self.source.fetch().await {
            Ok((set, max_age)) => {
                state.last_error = None;
                let keys = Es256Keys::from_jwk_set(&set);
                let max_age = max_age
                    .unwrap_or(JWKS_DEFAULT_MAX_AGE)
                    .clamp(JWKS_MIN_MAX_AGE, JWKS_MAX_MAX_AGE);
                let snapshot = Arc::new(Snapshot {
                    keys: keys.clone(),
                    fresh_until: Instant::now() + max_age,
                    generation: current.as_ref().map_or(0, |s| s.generation) + 1,
                });
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(snapshot);
                if let Some(cache) = &self.token_cache {
                    cache.retain_kids(&keys);
                }
                tracing::debug!(
                    keys = keys.len(),
                    max_age_secs = max_age.as_secs(),
                    "JWKS fetched"
                );
                if keys.contains_kid(kid) {
                    Ok(keys)
                } else {
                    Err(unknown(kid))
                }
            }
            Err(error) => {
                tracing::warn!(error = %crate::log_safe::Escaped(&error), "JWKS fetch failed");
                state.last_error = Some(error.clone());
                stale_or(current.as_deref(), kid, now, error)
            }
        }
    }
}

/// After a failed fetch: an expired key set still serves for a while when it has the kid.
fn stale_or(
    current: Option<&Snapshot>,
    kid: &str,
    now: Instant,
    error: KeyFetchError,
) -> Result<Es256Keys, IdTokenError> {
    match current {
        Some(s) if now < s.fresh_until + JWKS_STALE_IF_ERROR && s.keys.contains_kid(kid) => {
            Ok(s.keys.clone())
        }
        _ => Err(IdTokenError::KeyFetch(error)),
    }
}

fn unknown(kid: &str) -> IdTokenError {
    IdTokenError::UnknownKey {
        kid: Some(echo(kid)),
    }
}
