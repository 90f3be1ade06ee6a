//! The verified-token cache: repeated identical LIFF tokens skip the ECDSA verification.
//! Keyed by the SHA-256 of the whole token, bounded in entries and bytes, never serving a
//! token past `exp` (plus skew), emptied of tokens whose `kid` left the JWKS.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::digest;

use super::{Es256Keys, VerifiedIdToken};

/// Bytes counted per entry on top of the token's length (the map slot, the claims' headers).
const ENTRY_OVERHEAD_BYTES: usize = 256;

/// The cache key: SHA-256 of every byte of the token.
pub(crate) type TokenDigest = [u8; 32];

/// Digest of the whole token.
#[inline]
pub(crate) fn token_digest(raw: &str) -> TokenDigest {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, raw.as_bytes()).as_ref());
    out
}

/// The key is already a uniform SHA-256 digest, so its first eight bytes are a good hash; only
/// verified tokens are ever inserted, so nobody can pick colliding keys.
#[derive(Default)]
pub(crate) struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }
}

struct Entry {
    token: Arc<VerifiedIdToken>,
    kid: Arc<str>,
    exp_secs: i64,
    bytes: usize,
    seq: u64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<TokenDigest, Entry, BuildHasherDefault<DigestHasher>>,
    /// Insertion order for eviction: (key, seq); stale pairs are skipped.
    order: VecDeque<(TokenDigest, u64)>,
    bytes: usize,
    next_seq: u64,
}

/// A bounded cache of verified tokens.
pub(crate) struct TokenCache {
    inner: Mutex<Inner>,
    max_entries: usize,
    max_bytes: usize,
}

impl TokenCache {
    pub(crate) fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            max_entries,
            max_bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached token for `key` if it is still valid at `now_secs` with `skew_secs`; an
    /// expired entry is removed.
    pub(crate) fn get(
        &self,
        key: &TokenDigest,
        now_secs: i64,
        skew_secs: i64,
    ) -> Option<(Arc<VerifiedIdToken>, Arc<str>)> {
        let mut inner = self.lock();
        let entry = inner.map.get(key)?;
        if now_secs >= entry.exp_secs.saturating_add(skew_secs) {
            if let Some(entry) = inner.map.remove(key) {
                inner.bytes -= entry.bytes;
            }
            return None;
        }
        Some((entry.token.clone(), entry.kid.clone()))
    }

    /// Inserts a verified token, evicting the oldest entries to stay within the bounds.
    pub(crate) fn insert(
        &self,
        key: TokenDigest,
        token: Arc<VerifiedIdToken>,
        kid: Arc<str>,
        token_len: usize,
    ) {
        let bytes = token_len + ENTRY_OVERHEAD_BYTES;
        if self.max_entries == 0 || bytes > self.max_bytes {
            return;
        }
        let exp_secs = token.expires_at().unix_timestamp();
        let mut inner = self.lock();
        let inner = &mut *inner;
        if let Some(old) = inner.map.remove(&key) {
            inner.bytes -= old.bytes;
        }
        while inner.map.len() >= self.max_entries || inner.bytes + bytes > self.max_bytes {
            let Some((old_key, seq)) = inner.order.pop_front() else {
                break;
            };
            if inner.map.get(&old_key).is_some_and(|e| e.seq == seq)
                && let Some(old) = inner.map.remove(&old_key)
            {
                inner.bytes -= old.bytes;
            }
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.order.push_back((key, seq));
        inner.bytes += bytes;
        inner.map.insert(
            key,
            Entry {
                token,
                kid,
                exp_secs,
                bytes,
                seq,
            },
        );
        // Entries removed by `get` or `retain_kids` leave stale pairs behind; keep the queue
        // proportional to the map.
        if inner.order.len() > 2 * self.max_entries.max(16) {
            let map = &inner.map;
            inner
                .order
                .retain(|(k, s)| map.get(k).is_some_and(|e| e.seq == *s));
        }
    }

    /// Drops every token whose `kid` is not in `keys` (the key left LINE's JWKS).
    pub(crate) fn retain_kids(&self, keys: &Es256Keys) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let mut freed = 0;
        inner.map.retain(|_, e| {
            let keep = keys.contains_kid(&e.kid);
            if !keep {
                freed += e.bytes;
            }
            keep
        });
        inner.bytes -= freed;
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().map.len()
    }

    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.lock().bytes
    }
}
