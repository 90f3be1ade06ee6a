//! What a verified LIFF / MINI App / native token proves ([`Proof`]), and the bearer guard's
//! bounded cache of verified access tokens. Apart from [`crate::token_door`] so the layer's
//! shared state can hold the cache without depending on the verification core.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use aws_lc_rs::digest::{SHA256, digest};
use time::{Duration, OffsetDateTime};

use crate::secret::AccessToken;
use crate::user::LineUser;

/// How long the bearer guard trusts a verified access token without asking LINE again (never
/// past the token's expiry): a token revoked at LINE is refused within this time.
pub const ACCESS_TOKEN_CACHE_SECS: i64 = 60;
/// Most access tokens the bearer guard's cache keeps.
pub const ACCESS_TOKEN_CACHE_MAX_ENTRIES: usize = 10_000;

/// A verified token: who, through which channel, until when.
#[derive(Clone, Debug)]
pub(crate) struct Proof {
    pub(crate) user: LineUser,
    /// The token's end: the ID token's `exp`, or now plus the access token's `expires_in`.
    pub(crate) expires_at: OffsetDateTime,
    /// When the user authenticated as far as the token shows: `auth_time`, else the ID token's
    /// `iat`; for an access token, the time of the check (LINE does not say more).
    pub(crate) authenticated_at: OffsetDateTime,
}

/// The bearer guard's cache of verified access tokens, keyed by a digest of the token.
#[derive(Default)]
pub(crate) struct AccessTokenCache {
    entries: Mutex<HashMap<[u8; 32], (Proof, OffsetDateTime)>>,
}

fn cache_key(token: &AccessToken) -> [u8; 32] {
    let mut key = [0u8; 32];
    key.copy_from_slice(digest(&SHA256, token.expose_secret().as_bytes()).as_ref());
    key
}

impl AccessTokenCache {
    /// The cached proof of `token`, if it is still trusted at `now`.
    pub(crate) fn get(&self, token: &AccessToken, now: OffsetDateTime) -> Option<Proof> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&cache_key(token))
            .filter(|(proof, until)| now < *until && now < proof.expires_at)
            .map(|(proof, _)| proof.clone())
    }

    /// Keeps `proof` for at most [`ACCESS_TOKEN_CACHE_SECS`], never past its expiry. When full,
    /// expired entries go first; if none did, nothing is added.
    pub(crate) fn insert(&self, token: &AccessToken, proof: &Proof, now: OffsetDateTime) {
        let until = now
            .saturating_add(Duration::seconds(ACCESS_TOKEN_CACHE_SECS))
            .min(proof.expires_at);
        if until <= now {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= ACCESS_TOKEN_CACHE_MAX_ENTRIES {
            entries.retain(|_, (p, until)| now < *until && now < p.expires_at);
            if entries.len() >= ACCESS_TOKEN_CACHE_MAX_ENTRIES {
                return;
            }
        }
        entries.insert(cache_key(token), (proof.clone(), until));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl std::fmt::Debug for AccessTokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessTokenCache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::LoginDoor;

    fn proof(expires_at: OffsetDateTime) -> Proof {
        let mut user: LineUser = serde_json::from_value(serde_json::json!({
            "user_id": "U1", "display_name": null, "picture_url": null, "email": null,
            "amr": [], "auth_time": null, "logged_in_at": 0,
            "friendship": {"friend_flag": "unknown", "changed_at_login": null, "fetched_at": null},
            "member_id": null
        }))
        .unwrap();
        user.door = LoginDoor::AccessToken;
        Proof {
            user,
            expires_at,
            authenticated_at: expires_at,
        }
    }

    #[test]
    fn the_bearer_cache_never_serves_a_token_past_its_expiry_or_a_minute() {
        let cache = AccessTokenCache::default();
        let now = OffsetDateTime::now_utc();
        let token = AccessToken::new("a.b.c");
        cache.insert(&token, &proof(now + Duration::seconds(30)), now);
        assert!(cache.get(&token, now).is_some());
        assert!(
            cache.get(&token, now + Duration::seconds(31)).is_none(),
            "past exp"
        );
        let long = AccessToken::new("d.e.f");
        cache.insert(&long, &proof(now + Duration::hours(12)), now);
        assert!(cache.get(&long, now + Duration::seconds(59)).is_some());
        assert!(
            cache.get(&long, now + Duration::seconds(61)).is_none(),
            "a minute at most"
        );
        let expired = AccessToken::new("g.h.i");
        cache.insert(&expired, &proof(now - Duration::seconds(1)), now);
        assert!(cache.get(&expired, now).is_none());
        assert_eq!(cache.len(), 2);
    }
}
