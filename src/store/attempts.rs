//! The attempt store: where the layer records which login attempts, token-login nonces and
//! tokens have been spent. A pending attempt itself travels sealed in the browser's cookies (see
//! the layer's `pending` module); at the callback the layer claims the attempt's digest here,
//! and of any number of concurrent [`AttemptStore::claim`]s of one key, across instances, exactly
//! one wins. Marks expire with what they mark, so nothing outlives its attempt.
//!
//! Implementations: [`MemoryAttempts`] (one process), Redis (`SET NX PX`, one command) and
//! PostgreSQL (`INSERT ... ON CONFLICT`, one statement, expired rows purged every minute), the
//! last two reached through [`crate::store::AnySessionStore::attempts`] so one URL configures
//! both stores.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lc_rs::digest::{SHA256, digest};
use time::OffsetDateTime;

pub use crate::authorize::PENDING_ATTEMPTS_MAX;

/// How many live marks the in-memory store keeps at most (about 40 bytes each). Past it, after a
/// sweep of expired ones, a new claim is refused rather than a live mark forgotten (a forgotten
/// mark would let its attempt be replayed): one instance can sustain about
/// `MEMORY_MARKS_MAX / 600` logins per second (a mark lives ten minutes).
pub const MEMORY_MARKS_MAX: usize = 1_000_000;

/// What a mark is put under: a namespace (what kind of thing is spent) and the thing's digest,
/// both one-way (no cookie, `state`, nonce or token can be recovered from them).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AttemptKey {
    browser: String,
    attempt: String,
}

impl AttemptKey {
    pub(crate) fn new(browser: String, attempt: String) -> Self {
        Self { browser, attempt }
    }

    /// The namespace of the mark (e.g. spent attempts, spent ID tokens).
    pub fn browser(&self) -> &str {
        &self.browser
    }

    /// The digest (hex) of what is spent.
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

/// A store of spent-marks. Implement the one method; it must be atomic per key across every
/// instance that shares the store.
///
/// ```
/// use line_login::store::attempts::{AttemptStore, MemoryAttempts};
/// let store = MemoryAttempts::default();
/// # let _: &dyn AttemptStore = &store;
/// ```
#[async_trait]
pub trait AttemptStore: Send + Sync + 'static {
    /// Marks `key` as spent until `expires_at`: `true` for the first call, `false` for every
    /// later one while the mark lasts (a mark past `expires_at` by `now`, the layer's clock, no
    /// longer counts). Of any number of concurrent calls with one key, across processes,
    /// exactly one gets `true`.
    async fn claim(
        &self,
        key: &AttemptKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, AttemptStoreError>;
}

#[async_trait]
impl<T: AttemptStore + ?Sized> AttemptStore for Arc<T> {
    async fn claim(
        &self,
        key: &AttemptKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, AttemptStoreError> {
        (**self).claim(key, expires_at, now).await
    }
}

/// How often (by the layer's clock) the in-memory store sweeps out expired marks.
const MEMORY_SWEEP_INTERVAL: time::Duration = time::Duration::minutes(1);

/// Marks in this process's memory: for one instance. Expired marks are swept by a
/// [`AttemptStore::claim`] at most once a minute (a sweep walks the whole map, so not on every
/// call), and at once when [`MEMORY_MARKS_MAX`] are kept. Clones share the same memory.
#[derive(Clone, Default)]
pub struct MemoryAttempts {
    /// The first 128 bits of a digest of each key, and its expiry (UNIX seconds).
    marks: Arc<Mutex<HashMap<u128, i64>>>,
    /// When the map was last swept (UNIX seconds of the caller's clock).
    swept: Arc<std::sync::atomic::AtomicI64>,
}

/// Whether a sweep last done at `swept` (UNIX seconds) is due again at `now`; if so, records
/// `now` as the last sweep.
fn sweep_due(swept: &std::sync::atomic::AtomicI64, now: i64) -> bool {
    let last = swept.load(std::sync::atomic::Ordering::Relaxed);
    if now - last < MEMORY_SWEEP_INTERVAL.whole_seconds() {
        return false;
    }
    swept.store(now, std::sync::atomic::Ordering::Relaxed);
    true
}

/// A key in 128 bits: its parts are digests already, but of any length; a SHA-256 over both
/// (length-prefixed) keeps collisions out of reach while a mark costs a few dozen bytes.
fn compact(key: &AttemptKey) -> u128 {
    let input = [
        &(key.browser.len() as u64).to_be_bytes()[..],
        key.browser.as_bytes(),
        key.attempt.as_bytes(),
    ]
    .concat();
    let hash = digest(&SHA256, &input);
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash.as_ref()[..16]);
    u128::from_be_bytes(first)
}

impl fmt::Debug for MemoryAttempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryAttempts")
            .field("marks", &self.len())
            .finish()
    }
}

impl MemoryAttempts {
    /// How many marks are kept, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no mark is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u128, i64>> {
        // A panic while holding the lock leaves a consistent map: every change is one call.
        self.marks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl AttemptStore for MemoryAttempts {
    async fn claim(
        &self,
        key: &AttemptKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, AttemptStoreError> {
        let (now, until) = (now.unix_timestamp(), expires_at.unix_timestamp());
        // Hashed before the lock is taken, so concurrent claims do not wait on each other's hash.
        let key = compact(key);
        let mut marks = self.lock();
        // Full: sweep now whatever the interval, so only live marks ever count against the cap.
        if marks.len() >= MEMORY_MARKS_MAX || sweep_due(&self.swept, now) {
            marks.retain(|_, until| *until > now);
        }
        if marks.len() >= MEMORY_MARKS_MAX && !marks.contains_key(&key) {
            // Full of live marks: refuse rather than forget one (a forgotten mark is a replay).
            return Err(AttemptStoreError::Backend {
                kind: "memory",
                source: "too many spent attempts and tokens remembered".into(),
            });
        }
        Ok(match marks.entry(key) {
            // A mark past its expiry (not swept yet) no longer counts.
            std::collections::hash_map::Entry::Occupied(mut mark) if *mark.get() <= now => {
                mark.insert(until);
                true
            }
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(until);
                true
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(namespace: &str, digest: &str) -> AttemptKey {
        AttemptKey::new(namespace.to_owned(), digest.to_owned())
    }

    fn at(minutes: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000) + time::Duration::minutes(minutes)
    }

    fn seconds(s: i64) -> OffsetDateTime {
        at(0) + time::Duration::seconds(s)
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
    async fn marks_of_two_namespaces_with_one_digest_are_apart() {
        let store = MemoryAttempts::default();
        assert!(store.claim(&key("t", "a"), at(60), at(0)).await.unwrap());
        assert!(store.claim(&key("u", "a"), at(60), at(0)).await.unwrap());
        // The namespace's length is part of the digest: "t"+"ab" is not "ta"+"b".
        assert!(store.claim(&key("t", "ab"), at(60), at(0)).await.unwrap());
        assert!(store.claim(&key("ta", "b"), at(60), at(0)).await.unwrap());
        assert_eq!(store.len(), 4);
    }

    #[tokio::test]
    async fn concurrent_claims_of_one_key_have_exactly_one_winner() {
        let store = MemoryAttempts::default();
        for round in 0..50 {
            let key = key("t", &round.to_string());
            let claims = (0..16).map(|_| {
                let (store, key) = (store.clone(), key.clone());
                tokio::spawn(async move { store.claim(&key, at(60), at(0)).await.unwrap() })
            });
            let won = futures_util::future::join_all(claims)
                .await
                .into_iter()
                .filter(|won| *won.as_ref().unwrap())
                .count();
            assert_eq!(won, 1, "round {round}");
        }
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
    fn an_attempt_key_gives_back_its_parts() {
        let key = key("the-namespace", "the-digest");
        assert_eq!(key.browser(), "the-namespace");
        assert_eq!(key.attempt(), "the-digest");
    }

    #[tokio::test]
    async fn debug_and_len_of_the_memory_store_count_marks() {
        let store = MemoryAttempts::default();
        assert!(store.is_empty());
        store.claim(&key("t", "a"), at(10), at(0)).await.unwrap();
        assert!(!store.is_empty());
        assert_eq!(store.len(), 1);
        assert_eq!(format!("{store:?}"), "MemoryAttempts { marks: 1 }");
    }

    #[tokio::test]
    async fn a_shared_store_behind_an_arc_is_the_same_store() {
        let store = Arc::new(MemoryAttempts::default());
        let shared: Arc<dyn AttemptStore> = store.clone();
        let shared = Arc::new(shared);
        assert!(shared.claim(&key("t", "a"), at(60), at(0)).await.unwrap());
        assert!(!shared.claim(&key("t", "a"), at(60), at(0)).await.unwrap());
        assert_eq!(store.len(), 1);
    }

    #[tokio::test]
    async fn the_memory_store_sweeps_exactly_once_a_minute() {
        let store = MemoryAttempts::default();
        // The first claim sweeps (at 0 s); its mark expires at 30 s.
        store
            .claim(&key("t", "a"), seconds(30), seconds(0))
            .await
            .unwrap();
        // At 59 s no sweep is due: the expired mark stays.
        store
            .claim(&key("t", "b"), at(10), seconds(59))
            .await
            .unwrap();
        assert_eq!(store.len(), 2);
        // At 60 s one is: it goes.
        store
            .claim(&key("t", "c"), at(10), seconds(60))
            .await
            .unwrap();
        assert_eq!(store.len(), 2);
    }

    #[tokio::test]
    async fn a_mark_expiring_at_the_sweep_is_swept() {
        let store = MemoryAttempts::default();
        store
            .claim(&key("t", "a"), seconds(60), seconds(0))
            .await
            .unwrap();
        store
            .claim(&key("t", "b"), at(10), seconds(60))
            .await
            .unwrap();
        assert_eq!(store.len(), 1);
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
        // 10 s: no sweep due, the mark (until 10 s) has just expired.
        assert!(
            store
                .claim(&key("t", "a"), seconds(90), seconds(10))
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
    async fn a_full_memory_store_sweeps_expired_marks_at_once() {
        let store = MemoryAttempts::default();
        store
            .lock()
            .extend((0..MEMORY_MARKS_MAX as u128).map(|i| (i, seconds(10).unix_timestamp())));
        store.swept.store(
            seconds(0).unix_timestamp(),
            std::sync::atomic::Ordering::Relaxed,
        );
        // 30 s: no sweep due by the clock, but the map is full of expired marks.
        assert!(
            store
                .claim(&key("t", "new"), seconds(90), seconds(30))
                .await
                .unwrap()
        );
        assert_eq!(store.len(), 1);
        // Full again 20 s after that sweep: it sweeps again, whatever the interval.
        store
            .lock()
            .extend((1..MEMORY_MARKS_MAX as u128).map(|i| (i, seconds(40).unix_timestamp())));
        assert!(
            store
                .claim(&key("u", "new"), seconds(120), seconds(50))
                .await
                .unwrap()
        );
        assert_eq!(store.len(), 2);
    }

    #[tokio::test]
    async fn a_memory_store_full_of_live_marks_refuses_rather_than_forgets() {
        let store = MemoryAttempts::default();
        assert!(store.claim(&key("t", "old"), at(60), at(0)).await.unwrap());
        store
            .lock()
            .extend((0..MEMORY_MARKS_MAX as u128 - 1).map(|i| (i, at(60).unix_timestamp())));
        assert!(store.claim(&key("t", "new"), at(60), at(0)).await.is_err());
        // A mark it keeps is still answered.
        assert!(!store.claim(&key("t", "old"), at(60), at(0)).await.unwrap());
    }
}
