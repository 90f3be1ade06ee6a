//! The attempt store: where pending login and link attempts wait for LINE's callback, apart from
//! sessions. It holds opaque sealed records (sealed by the layer) under a key derived from the
//! browser's attempt cookie and the attempt's `state`, expires them with the attempt, keeps at
//! most [`PENDING_ATTEMPTS_MAX`] per browser, and hands each one out once: of any number of
//! concurrent [`AttemptStore::take`]s of one key, exactly one gets the record.
//!
//! Implementations: [`MemoryAttempts`] (one process), Redis (one Lua script per operation) and
//! PostgreSQL (`DELETE ... RETURNING`), the last two reached through
//! [`crate::store::AnySessionStore::attempts`] so one URL configures both stores.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use time::OffsetDateTime;

pub use crate::authorize::PENDING_ATTEMPTS_MAX;

/// How many browsers the in-memory store tracks at most; past it, the browser whose newest
/// attempt is oldest is dropped (after expired ones), so a flood cannot grow memory without bound.
pub const MEMORY_ATTEMPT_BROWSERS_MAX: usize = 100_000;

/// Where one sealed attempt lives: the browser it belongs to and the attempt itself, both
/// one-way digests (neither the cookie nor the `state` can be recovered from them).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AttemptKey {
    browser: String,
    attempt: String,
}

impl AttemptKey {
    pub(crate) fn new(browser: String, attempt: String) -> Self {
        Self { browser, attempt }
    }

    /// The browser's digest (hex): every attempt of one browser shares it.
    pub fn browser(&self) -> &str {
        &self.browser
    }

    /// The attempt's digest (hex), unique per browser and `state`.
    pub fn attempt(&self) -> &str {
        &self.attempt
    }
}

impl fmt::Debug for AttemptKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Digests, but still a handle on a pending login: show only a prefix.
        write!(
            f,
            "AttemptKey({}…)",
            &self.attempt[..8.min(self.attempt.len())]
        )
    }
}

/// Why the attempt store failed. The layer answers 503 and changes nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttemptStoreError {
    /// The backend refused or failed the operation.
    #[error("the {kind} attempt store failed")]
    Backend {
        /// `memory`, `redis` or `postgres`.
        kind: &'static str,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The backend did not answer in time.
    #[error("the {kind} attempt store did not answer within {millis} ms")]
    Timeout {
        /// `memory`, `redis` or `postgres`.
        kind: &'static str,
        /// The command timeout.
        millis: u128,
    },
}

/// A store of pending attempts. Implement the two methods; both must be atomic per key.
///
/// ```
/// use line_login::store::attempts::{AttemptStore, MemoryAttempts};
/// let store = MemoryAttempts::default();
/// # let _: &dyn AttemptStore = &store;
/// ```
#[async_trait]
pub trait AttemptStore: Send + Sync + 'static {
    /// Stores `sealed` under `key` until `expires_at`, then keeps only the
    /// [`PENDING_ATTEMPTS_MAX`] newest attempts of `key`'s browser. `now` is the layer's clock.
    async fn put(
        &self,
        key: &AttemptKey,
        sealed: &[u8],
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), AttemptStoreError>;

    /// Removes and returns the record under `key`. Atomic: of any number of concurrent calls
    /// with one key, across processes, at most one gets `Some`. A record past its expiry may be
    /// returned or not (Redis drops it by itself); the caller checks the attempt's own expiry.
    async fn take(&self, key: &AttemptKey) -> Result<Option<Vec<u8>>, AttemptStoreError>;

    /// Marks `key` as used until `expires_at`: `true` for the first call, `false` for every
    /// later one while the mark lasts. Atomic across processes, like [`AttemptStore::take`];
    /// used to let an ID token log in once.
    async fn claim(
        &self,
        key: &AttemptKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, AttemptStoreError>;
}

#[async_trait]
impl<T: AttemptStore + ?Sized> AttemptStore for Arc<T> {
    async fn put(
        &self,
        key: &AttemptKey,
        sealed: &[u8],
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), AttemptStoreError> {
        (**self).put(key, sealed, expires_at, now).await
    }

    async fn take(&self, key: &AttemptKey) -> Result<Option<Vec<u8>>, AttemptStoreError> {
        (**self).take(key).await
    }

    async fn claim(
        &self,
        key: &AttemptKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, AttemptStoreError> {
        (**self).claim(key, expires_at, now).await
    }
}

/// How often (by the layer's clock) the in-memory store sweeps out expired attempts and marks.
const MEMORY_SWEEP_INTERVAL: time::Duration = time::Duration::minutes(1);

/// Attempts in this process's memory: for one instance. Expired attempts and marks are swept by
/// a [`AttemptStore::put`] or [`AttemptStore::claim`] at most once a minute (a sweep walks the
/// whole map, so not on every call), and at most [`MEMORY_ATTEMPT_BROWSERS_MAX`] browsers are
/// tracked. Clones share the same memory.
#[derive(Clone, Default)]
pub struct MemoryAttempts {
    browsers: Arc<Mutex<HashMap<String, Vec<MemoryAttempt>>>>,
    claims: Arc<Mutex<HashMap<AttemptKey, OffsetDateTime>>>,
    /// When each map was last swept (UNIX seconds of the caller's clock).
    browsers_swept: Arc<std::sync::atomic::AtomicI64>,
    claims_swept: Arc<std::sync::atomic::AtomicI64>,
}

/// Whether a sweep last done at `swept` (UNIX seconds) is due again at `now`; if so, records
/// `now` as the last sweep.
fn sweep_due(swept: &std::sync::atomic::AtomicI64, now: OffsetDateTime) -> bool {
    let now = now.unix_timestamp();
    let last = swept.load(std::sync::atomic::Ordering::Relaxed);
    if now - last < MEMORY_SWEEP_INTERVAL.whole_seconds() {
        return false;
    }
    swept.store(now, std::sync::atomic::Ordering::Relaxed);
    true
}

struct MemoryAttempt {
    attempt: String,
    sealed: Vec<u8>,
    expires_at: OffsetDateTime,
}

impl fmt::Debug for MemoryAttempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryAttempts")
            .field("pending", &self.len())
            .finish()
    }
}

impl MemoryAttempts {
    /// How many attempts are stored, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    /// Whether no attempt is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<MemoryAttempt>>> {
        // A panic while holding the lock leaves a consistent map: every change is one call.
        self.browsers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl AttemptStore for MemoryAttempts {
    async fn put(
        &self,
        key: &AttemptKey,
        sealed: &[u8],
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), AttemptStoreError> {
        let mut browsers = self.lock();
        // Full: sweep now whatever the interval, so only live browsers are ever evicted.
        let full = browsers.len() >= MEMORY_ATTEMPT_BROWSERS_MAX;
        if full || sweep_due(&self.browsers_swept, now) {
            browsers.retain(|_, attempts| {
                attempts.retain(|a| a.expires_at > now);
                !attempts.is_empty()
            });
        }
        if browsers.len() >= MEMORY_ATTEMPT_BROWSERS_MAX && !browsers.contains_key(&key.browser) {
            let oldest = browsers
                .iter()
                .min_by_key(|(_, attempts)| attempts.iter().map(|a| a.expires_at).max())
                .map(|(browser, _)| browser.clone());
            if let Some(oldest) = oldest {
                browsers.remove(&oldest);
            }
        }
        let attempts = browsers.entry(key.browser.clone()).or_default();
        attempts.retain(|a| a.attempt != key.attempt && a.expires_at > now);
        attempts.push(MemoryAttempt {
            attempt: key.attempt.clone(),
            sealed: sealed.to_vec(),
            expires_at,
        });
        if attempts.len() > PENDING_ATTEMPTS_MAX {
            let excess = attempts.len() - PENDING_ATTEMPTS_MAX;
            attempts.drain(..excess);
        }
        Ok(())
    }

    async fn take(&self, key: &AttemptKey) -> Result<Option<Vec<u8>>, AttemptStoreError> {
        let mut browsers = self.lock();
        let Some(attempts) = browsers.get_mut(&key.browser) else {
            return Ok(None);
        };
        let taken = attempts
            .iter()
            .position(|a| a.attempt == key.attempt)
            .map(|index| attempts.remove(index));
        if attempts.is_empty() {
            browsers.remove(&key.browser);
        }
        Ok(taken.map(|a| a.sealed))
    }

    async fn claim(
        &self,
        key: &AttemptKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, AttemptStoreError> {
        let mut claims = self
            .claims
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if claims.len() >= MEMORY_ATTEMPT_BROWSERS_MAX || sweep_due(&self.claims_swept, now) {
            claims.retain(|_, until| *until > now);
        }
        if claims.len() >= MEMORY_ATTEMPT_BROWSERS_MAX {
            // Full of live marks: refuse rather than forget one (a forgotten mark is a replay).
            return Err(AttemptStoreError::Backend {
                kind: "memory",
                source: "too many used ID tokens remembered".into(),
            });
        }
        Ok(match claims.entry(key.clone()) {
            // A mark past its expiry (not swept yet) no longer counts.
            std::collections::hash_map::Entry::Occupied(mut mark) if *mark.get() <= now => {
                mark.insert(expires_at);
                true
            }
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(expires_at);
                true
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(browser: &str, attempt: &str) -> AttemptKey {
        AttemptKey::new(browser.to_owned(), attempt.to_owned())
    }

    fn at(minutes: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000) + time::Duration::minutes(minutes)
    }

    #[tokio::test]
    async fn an_attempt_is_taken_once() {
        let store = MemoryAttempts::default();
        store
            .put(&key("b", "a"), b"x", at(10), at(0))
            .await
            .unwrap();
        assert_eq!(
            store.take(&key("b", "a")).await.unwrap(),
            Some(b"x".to_vec())
        );
        assert_eq!(store.take(&key("b", "a")).await.unwrap(), None);
        assert!(store.is_empty());
    }

    #[tokio::test]
    async fn another_browser_cannot_take_it() {
        let store = MemoryAttempts::default();
        store
            .put(&key("b", "a"), b"x", at(10), at(0))
            .await
            .unwrap();
        assert_eq!(store.take(&key("c", "a")).await.unwrap(), None);
        assert_eq!(store.len(), 1);
    }

    #[tokio::test]
    async fn an_expired_attempt_is_swept_by_the_next_put() {
        let store = MemoryAttempts::default();
        store
            .put(&key("b", "c"), b"x", at(10), at(0))
            .await
            .unwrap();
        store
            .put(&key("d", "e"), b"x", at(21), at(11))
            .await
            .unwrap();
        assert_eq!(store.len(), 1, "the expired attempt was swept");
    }

    #[tokio::test]
    async fn a_claim_is_won_once_until_it_expires() {
        let store = MemoryAttempts::default();
        assert!(store.claim(&key("t", "a"), at(60), at(0)).await.unwrap());
        assert!(!store.claim(&key("t", "a"), at(60), at(1)).await.unwrap());
        assert!(store.claim(&key("t", "b"), at(60), at(1)).await.unwrap());
        assert!(store.claim(&key("t", "a"), at(120), at(61)).await.unwrap());
    }

    #[tokio::test]
    async fn a_browser_keeps_only_its_newest_attempts() {
        let store = MemoryAttempts::default();
        for i in 0..=PENDING_ATTEMPTS_MAX {
            store
                .put(&key("b", &i.to_string()), b"x", at(10), at(0))
                .await
                .unwrap();
        }
        assert_eq!(store.len(), PENDING_ATTEMPTS_MAX);
        assert_eq!(store.take(&key("b", "0")).await.unwrap(), None);
        assert!(store.take(&key("b", "1")).await.unwrap().is_some());
    }

    fn seconds(s: i64) -> OffsetDateTime {
        at(0) + time::Duration::seconds(s)
    }

    #[test]
    fn debug_of_an_attempt_key_shows_only_a_prefix_of_the_digest() {
        assert_eq!(
            format!("{:?}", key("browser", "0123456789abcdef")),
            "AttemptKey(01234567…)"
        );
        assert_eq!(format!("{:?}", key("browser", "abc")), "AttemptKey(abc…)");
    }

    #[test]
    fn an_attempt_key_gives_back_its_digests() {
        let key = key("the-browser", "the-attempt");
        assert_eq!(key.browser(), "the-browser");
        assert_eq!(key.attempt(), "the-attempt");
    }

    #[tokio::test]
    async fn debug_and_len_of_the_memory_store_count_pending_attempts() {
        let store = MemoryAttempts::default();
        assert!(store.is_empty());
        store
            .put(&key("b", "a"), b"x", at(10), at(0))
            .await
            .unwrap();
        assert!(!store.is_empty());
        assert_eq!(store.len(), 1);
        assert_eq!(format!("{store:?}"), "MemoryAttempts { pending: 1 }");
    }

    #[tokio::test]
    async fn a_shared_store_behind_an_arc_is_the_same_store() {
        let store = Arc::new(MemoryAttempts::default());
        let shared: Arc<dyn AttemptStore> = store.clone();
        let shared = Arc::new(shared);
        shared
            .put(&key("b", "a"), b"x", at(10), at(0))
            .await
            .unwrap();
        assert_eq!(store.len(), 1);
        assert_eq!(
            shared.take(&key("b", "a")).await.unwrap(),
            Some(b"x".to_vec())
        );
        assert!(shared.claim(&key("t", "a"), at(60), at(0)).await.unwrap());
        assert!(!shared.claim(&key("t", "a"), at(60), at(0)).await.unwrap());
    }

    #[tokio::test]
    async fn putting_an_attempt_again_replaces_it() {
        let store = MemoryAttempts::default();
        store
            .put(&key("b", "a"), b"old", at(10), at(0))
            .await
            .unwrap();
        store
            .put(&key("b", "a"), b"new", at(10), at(0))
            .await
            .unwrap();
        assert_eq!(
            store.take(&key("b", "a")).await.unwrap(),
            Some(b"new".to_vec())
        );
        assert_eq!(store.take(&key("b", "a")).await.unwrap(), None);
    }

    #[tokio::test]
    async fn live_attempts_of_every_browser_survive_a_sweep() {
        let store = MemoryAttempts::default();
        store
            .put(&key("b", "a"), b"x", at(10), at(0))
            .await
            .unwrap();
        store
            .put(&key("c", "a"), b"y", at(12), at(2))
            .await
            .unwrap();
        assert_eq!(
            store.take(&key("b", "a")).await.unwrap(),
            Some(b"x".to_vec())
        );
        assert_eq!(
            store.take(&key("c", "a")).await.unwrap(),
            Some(b"y".to_vec())
        );
    }

    #[tokio::test]
    async fn the_memory_store_sweeps_exactly_once_a_minute() {
        let store = MemoryAttempts::default();
        // The first put sweeps (at 0 s); its attempt expires at 30 s.
        store
            .put(&key("b", "a"), b"x", seconds(30), seconds(0))
            .await
            .unwrap();
        // At 59 s no sweep is due: the expired attempt of another browser stays.
        store
            .put(&key("c", "a"), b"x", at(10), seconds(59))
            .await
            .unwrap();
        assert_eq!(store.len(), 2);
        // At 60 s one is: it goes.
        store
            .put(&key("d", "a"), b"x", at(10), seconds(60))
            .await
            .unwrap();
        assert_eq!(store.len(), 2);
        assert_eq!(store.take(&key("b", "a")).await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_attempt_expiring_at_the_sweep_is_swept() {
        let store = MemoryAttempts::default();
        store
            .put(&key("b", "a"), b"x", seconds(60), seconds(0))
            .await
            .unwrap();
        store
            .put(&key("c", "a"), b"x", at(10), seconds(60))
            .await
            .unwrap();
        assert_eq!(store.take(&key("b", "a")).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_browser_s_expired_attempts_go_when_it_starts_another() {
        let store = MemoryAttempts::default();
        store
            .put(&key("b", "a1"), b"x", seconds(30), seconds(1))
            .await
            .unwrap();
        // 30 s: no sweep due, but this browser's attempt expiring now is dropped.
        store
            .put(&key("b", "a2"), b"x", at(10), seconds(30))
            .await
            .unwrap();
        assert_eq!(store.len(), 1);
        assert_eq!(store.take(&key("b", "a1")).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_full_memory_store_evicts_the_browser_whose_newest_attempt_is_oldest() {
        let store = MemoryAttempts::default();
        for i in 0..MEMORY_ATTEMPT_BROWSERS_MAX {
            let expires = at(10) + time::Duration::seconds(i as i64);
            store
                .put(&key(&format!("b{i}"), "a"), b"x", expires, at(0))
                .await
                .unwrap();
        }
        store
            .put(&key("new", "a"), b"x", at(20), at(0))
            .await
            .unwrap();
        assert_eq!(store.len(), MEMORY_ATTEMPT_BROWSERS_MAX);
        assert_eq!(store.take(&key("b0", "a")).await.unwrap(), None);
        assert!(store.take(&key("b1", "a")).await.unwrap().is_some());
        assert!(store.take(&key("new", "a")).await.unwrap().is_some());
        // A browser already tracked adds an attempt without evicting anyone.
        store
            .put(&key("b2", "second"), b"x", at(20), at(0))
            .await
            .unwrap();
        assert!(store.take(&key("b3", "a")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_mark_past_its_expiry_no_longer_counts_before_any_sweep() {
        let store = MemoryAttempts::default();
        assert!(
            store
                .claim(&key("t", "a"), seconds(10), seconds(0))
                .await
                .unwrap()
        );
        // 20 s: no sweep due, the mark (until 10 s) has expired.
        assert!(
            store
                .claim(&key("t", "a"), seconds(90), seconds(20))
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim(&key("t", "a"), seconds(90), seconds(21))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_full_claim_memory_sweeps_expired_marks_at_once() {
        let store = MemoryAttempts::default();
        for i in 0..MEMORY_ATTEMPT_BROWSERS_MAX {
            store
                .claim(&key("t", &i.to_string()), seconds(10), seconds(0))
                .await
                .unwrap();
        }
        // 30 s: no sweep due by the clock, but the map is full of expired marks.
        assert!(
            store
                .claim(&key("t", "new"), seconds(90), seconds(30))
                .await
                .unwrap()
        );
        // Full again 20 s after that sweep: it sweeps again, whatever the interval.
        for i in 1..MEMORY_ATTEMPT_BROWSERS_MAX {
            store
                .claim(&key("u", &i.to_string()), seconds(40), seconds(31))
                .await
                .unwrap();
        }
        assert!(
            store
                .claim(&key("u", "new"), seconds(120), seconds(50))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_claim_memory_full_of_live_marks_refuses_rather_than_forgets() {
        let store = MemoryAttempts::default();
        for i in 0..MEMORY_ATTEMPT_BROWSERS_MAX {
            store
                .claim(&key("t", &i.to_string()), at(60), at(0))
                .await
                .unwrap();
        }
        assert!(store.claim(&key("t", "new"), at(60), at(0)).await.is_err());
    }
}
