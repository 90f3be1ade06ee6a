//! The channel access token for LINE's deauthorize API: a stateless 15-minute token issued when
//! first needed and reused until shortly before it expires (one issuance shared by concurrent
//! callers), or the long-lived token the configuration opted in to. No token is ever logged.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use subtle::ConstantTimeEq as _;

use crate::secret::ChannelAccessToken;

/// A cached stateless channel access token is renewed this many seconds before LINE's expiry,
/// so a token is never sent in its last minute.
pub(crate) const CHANNEL_TOKEN_RENEWAL_MARGIN_SECS: u64 = 60;

/// The source of the current time for the channel-token cache (replaceable in tests, e.g. with
/// the simulator's clock).
pub type ChannelTokenClock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// One cached token and the moment it must no longer be handed out.
struct Cached {
    token: ChannelAccessToken,
    renew_at: SystemTime,
}

/// The cache behind [`LineApi::channel_access_token`](super::LineApi::channel_access_token).
/// The async mutex makes issuance single-flight: callers arriving while a token is being issued
/// wait for it instead of issuing their own.
pub(crate) struct ChannelTokenCache {
    slot: tokio::sync::Mutex<Option<Cached>>,
    clock: ChannelTokenClock,
    warned_long_lived: AtomicBool,
}

impl ChannelTokenCache {
    pub(crate) fn new(clock: ChannelTokenClock) -> Self {
        Self {
            slot: tokio::sync::Mutex::new(None),
            clock,
            warned_long_lived: AtomicBool::new(false),
        }
    }

    /// An empty cache on the same clock (for another channel's client).
    pub(crate) fn fresh(&self) -> Self {
        Self::new(self.clock.clone())
    }

    /// The cached token if it is still fresh, else one from `issue` (kept when its life allows).
    pub(crate) async fn get<F, Fut, E>(&self, issue: F) -> Result<ChannelAccessToken, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(ChannelAccessToken, u64), E>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref()
            && (self.clock)() < cached.renew_at
        {
            return Ok(cached.token.clone());
        }
        *slot = None;
        let (token, expires_in_secs) = issue().await?;
        let usable = expires_in_secs.saturating_sub(CHANNEL_TOKEN_RENEWAL_MARGIN_SECS);
        if usable > 0 {
            *slot = Some(Cached {
                token: token.clone(),
                renew_at: (self.clock)() + Duration::from_secs(usable),
            });
        }
        Ok(token)
    }

    /// Drops the cached token if it is `token` (LINE refused it), so the next call issues anew.
    pub(crate) async fn forget(&self, token: &ChannelAccessToken) {
        let mut slot = self.slot.lock().await;
        let same = slot.as_ref().is_some_and(|cached| {
            bool::from(
                cached
                    .token
                    .expose_secret()
                    .as_bytes()
                    .ct_eq(token.expose_secret().as_bytes()),
            )
        });
        if same {
            *slot = None;
        }
    }

    /// Logs, once per client, that the configured long-lived token is in use.
    pub(crate) fn warn_long_lived_once(&self) {
        if !self.warned_long_lived.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "using the long-lived channel access token from the configuration; LINE's \
                 guidelines ask for stateless or short-lived tokens issued when needed"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;

    struct TestClock(Mutex<SystemTime>);

    fn cache_with_clock() -> (ChannelTokenCache, Arc<TestClock>) {
        let clock = Arc::new(TestClock(Mutex::new(SystemTime::UNIX_EPOCH)));
        let read = clock.clone();
        let cache = ChannelTokenCache::new(Arc::new(move || *read.0.lock().unwrap()));
        (cache, clock)
    }

    fn issuer(
        count: &AtomicUsize,
        expires_in: u64,
    ) -> impl Future<Output = Result<(ChannelAccessToken, u64), ()>> + '_ {
        let n = count.fetch_add(1, Ordering::SeqCst);
        async move { Ok((ChannelAccessToken::new(format!("token-{n}")), expires_in)) }
    }

    #[tokio::test]
    async fn a_token_is_reused_until_the_renewal_margin_then_replaced() {
        let (cache, clock) = cache_with_clock();
        let count = AtomicUsize::new(0);
        let first = cache.get(|| issuer(&count, 900)).await.unwrap();
        let again = cache.get(|| issuer(&count, 900)).await.unwrap();
        assert_eq!(first, again);
        assert_eq!(count.load(Ordering::SeqCst), 1);
        // One second before the margin: still reused.
        *clock.0.lock().unwrap() +=
            Duration::from_secs(900 - CHANNEL_TOKEN_RENEWAL_MARGIN_SECS - 1);
        assert_eq!(cache.get(|| issuer(&count, 900)).await.unwrap(), first);
        // At the margin: renewed.
        *clock.0.lock().unwrap() += Duration::from_secs(1);
        let second = cache.get(|| issuer(&count, 900)).await.unwrap();
        assert_ne!(second, first);
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_token_too_short_lived_for_the_margin_is_not_cached() {
        let (cache, _clock) = cache_with_clock();
        let count = AtomicUsize::new(0);
        let first = cache
            .get(|| issuer(&count, CHANNEL_TOKEN_RENEWAL_MARGIN_SECS))
            .await
            .unwrap();
        let second = cache
            .get(|| issuer(&count, CHANNEL_TOKEN_RENEWAL_MARGIN_SECS))
            .await
            .unwrap();
        assert_ne!(first, second);
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn forgetting_drops_only_the_named_token_and_errors_cache_nothing() {
        let (cache, _clock) = cache_with_clock();
        let count = AtomicUsize::new(0);
        let first = cache.get(|| issuer(&count, 900)).await.unwrap();
        cache.forget(&ChannelAccessToken::new("another")).await;
        assert_eq!(cache.get(|| issuer(&count, 900)).await.unwrap(), first);
        cache.forget(&first).await;
        let failed = cache
            .get(|| async { Err::<(ChannelAccessToken, u64), _>("line down") })
            .await;
        assert_eq!(failed, Err("line down"));
        let second = cache.get(|| issuer(&count, 900)).await.unwrap();
        assert_ne!(second, first);
    }
}
