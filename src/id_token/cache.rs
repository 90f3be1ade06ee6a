//! The verified-token cache: repeated identical LIFF tokens skip the ECDSA verification.
//! Keyed by the whole token (every byte is compared), bounded in entries and bytes, never
//! serving a token past `exp` (plus skew), emptied of tokens whose `kid` left the JWKS.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use super::{Es256Keys, VerifiedIdToken};

/// Bytes counted per entry on top of the token's length (the map slot, the claims).
const ENTRY_OVERHEAD_BYTES: usize = 256;
/// Bytes from the end of the token that feed the bucket hash.
const HASHED_TAIL_BYTES: usize = 16;

/// Bucket hash of a token: its length and its last bytes, which lie in the signature and are
/// random. The map still compares whole tokens, so two tokens that share a tail only share a
/// bucket. Only verified tokens are inserted, so nobody can fill one bucket on purpose.
#[derive(Default)]
pub(crate) struct TailHasher(u64);

const MIX: u64 = 0x517c_c1b7_2722_0a95;

impl Hasher for TailHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let tail = &bytes[bytes.len().saturating_sub(HASHED_TAIL_BYTES)..];
        let mut h = self.0 ^ (bytes.len() as u64);
        for chunk in tail.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(MIX);
        }
        self.0 = h;
    }
    fn write_u8(&mut self, byte: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(MIX);
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
    map: HashMap<Arc<str>, Entry, BuildHasherDefault<TailHasher>>,
    /// Insertion order for eviction: (token, seq); stale pairs are skipped.
    order: VecDeque<(Arc<str>, u64)>,
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

    /// The cached token for exactly `raw` if it is still valid at `now_secs` with
    /// `skew_secs`; an expired entry is removed.
    pub(crate) fn get(
        &self,
        raw: &str,
        now_secs: i64,
        skew_secs: i64,
    ) -> Option<(Arc<VerifiedIdToken>, Arc<str>)> {
        let mut inner = self.lock();
        let entry = inner.map.get(raw)?;
        if now_secs >= entry.exp_secs.saturating_add(skew_secs) {
            if let Some(entry) = inner.map.remove(raw) {
                inner.bytes -= entry.bytes;
            }
            return None;
        }
        Some((entry.token.clone(), entry.kid.clone()))
    }

    /// Inserts a verified token, evicting the oldest entries to stay within the bounds.
    pub(crate) fn insert(&self, raw: &str, token: Arc<VerifiedIdToken>, kid: Arc<str>) {
        let bytes = raw.len() + ENTRY_OVERHEAD_BYTES;
        if self.max_entries == 0 || bytes > self.max_bytes {
            return;
        }
        let exp_secs = token.exp_secs();
        let key: Arc<str> = Arc::from(raw);
        let mut inner = self.lock();
        let inner = &mut *inner;
        if let Some(old) = inner.map.remove(raw) {
            inner.bytes -= old.bytes;
        }
        while inner.map.len() >= self.max_entries || inner.bytes + bytes > self.max_bytes {
            let Some((old_key, seq)) = inner.order.pop_front() else {
                break;
            };
            if inner.map.get(&*old_key).is_some_and(|e| e.seq == seq)
                && let Some(old) = inner.map.remove(&*old_key)
            {
                inner.bytes -= old.bytes;
            }
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.order.push_back((key.clone(), seq));
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
                .retain(|(k, s)| map.get(&**k).is_some_and(|e| e.seq == *s));
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
