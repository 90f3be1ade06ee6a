//! The simulator's memory: pending authorize requests, codes, tokens, friendships, faults,
//! request counters and the injectable clock. Every collection is bounded; nothing here does I/O.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use url::Url;

use super::faults::{Endpoint, Fault};
use super::keys::EsKey;
use super::{DeauthorizeRecord, TestUser};

/// An authorization code is valid for 10 minutes.
pub(crate) const CODE_TTL_SECS: u64 = 600;
/// A user access token is valid for 30 days.
pub(crate) const ACCESS_TOKEN_TTL_SECS: u64 = 2_592_000;
/// A refresh token is usable until 90 days after its first access token was issued.
pub(crate) const REFRESH_TOKEN_TTL_SECS: u64 = 90 * 86_400;
/// ID tokens live one hour (observed on LINE).
pub(crate) const ID_TOKEN_TTL_SECS: u64 = 3_600;
/// A stateless channel access token lives 15 minutes.
pub(crate) const CHANNEL_TOKEN_TTL_SECS: u64 = 900;
/// A consent page left open longer than this is refused.
pub(crate) const PENDING_TTL_SECS: u64 = 1_800;
/// Consent pages remembered at once; the oldest is forgotten first.
pub(crate) const PENDING_MAX: usize = 5_000;
/// Unused authorization codes remembered at once.
pub(crate) const CODES_MAX: usize = 10_000;
/// Access tokens remembered at once; a forgotten token verifies as expired.
pub(crate) const ACCESS_TOKENS_MAX: usize = 20_000;
/// Refresh tokens remembered at once.
pub(crate) const REFRESH_TOKENS_MAX: usize = 20_000;
/// Deauthorize calls remembered for tests.
pub(crate) const DEAUTHORIZE_RECORDS_MAX: usize = 100;
/// Faults queued per endpoint; the oldest is dropped beyond this.
pub(crate) const FAULTS_PER_ENDPOINT_MAX: usize = 32;
/// Longest clock jump accepted at once (10 years).
pub(crate) const CLOCK_ADVANCE_MAX_SECS: u64 = 10 * 365 * 86_400;
/// Furthest the clock may be moved in total (1000 years), so time arithmetic cannot overflow.
pub(crate) const CLOCK_OFFSET_MAX_SECS: u64 = 1_000 * 365 * 86_400;

/// The scopes of one authorization.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ScopeSet {
    pub profile: bool,
    pub openid: bool,
    pub email: bool,
    /// LINE Profile+ scopes (only on a Profile+ channel, see `email_permission`'s sibling
    /// `profile_plus`).
    pub real_name: bool,
    pub gender: bool,
    pub birthdate: bool,
    pub phone: bool,
    pub address: bool,
}

impl ScopeSet {
    /// The `scope` value of token and verify responses: space-separated, never `email`.
    pub fn response_string(self) -> String {
        let mut words = Vec::with_capacity(2);
        if self.profile {
            words.push("profile");
        }
        if self.openid {
            words.push("openid");
        }
        words.join(" ")
    }
}

/// `response_mode` of an authorize request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResponseMode {
    Query,
    FormPost,
    QueryJwt,
    FormPostJwt,
}

/// An authorize request waiting on its consent page.
#[derive(Clone, Debug)]
pub(crate) struct PendingAuthorize {
    /// The web-login channel of the request (`client_id`).
    pub channel_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub scopes: ScopeSet,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub max_age: Option<u64>,
    pub bot_prompt: bool,
    /// The first well-formed tag of `ui_locales`: the consent page's `lang`.
    pub ui_locale: Option<line_login::Language>,
    pub response_mode: ResponseMode,
    pub created_at: u64,
}

/// An authorization code not yet exchanged.
#[derive(Clone, Debug)]
pub(crate) struct CodeEntry {
    /// The web-login channel the code was issued to.
    pub channel_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: ScopeSet,
    pub email_granted: bool,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub max_age_sent: bool,
    pub auth_time: u64,
    pub expires_at: u64,
}

/// A user access token.
#[derive(Clone, Debug)]
pub(crate) struct AccessEntry {
    pub user_id: String,
    /// The channel the token was issued to (`client_id` of the verify answer).
    pub client_id: String,
    pub scopes: ScopeSet,
    pub expires_at: u64,
    pub revoked: bool,
}

/// A refresh token.
#[derive(Clone, Debug)]
pub(crate) struct RefreshEntry {
    /// The web-login channel the refresh token was issued to: only it may refresh.
    pub channel_id: String,
    pub user_id: String,
    pub scopes: ScopeSet,
    pub expires_at: u64,
    pub revoked: bool,
}

/// Why an access token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    NotJws,
    Expired,
    Revoked,
}

/// A fault waiting for requests to one endpoint.
#[derive(Clone, Debug)]
pub(crate) struct FaultEntry {
    pub fault: Fault,
    pub remaining: Option<usize>,
}

/// A map that forgets its oldest entries beyond `cap`.
#[derive(Debug)]
pub(crate) struct BoundedMap<V> {
    map: HashMap<String, V>,
    order: VecDeque<String>,
    cap: usize,
}

impl<V> BoundedMap<V> {
    pub fn new(cap: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    pub fn insert(&mut self, key: String, value: V) {
        if !self.map.contains_key(&key) {
            while self.map.len() >= self.cap {
                match self.order.pop_front() {
                    Some(old) => {
                        self.map.remove(&old);
                    }
                    None => break,
                }
            }
            self.order.push_back(key.clone());
        }
        self.map.insert(key, value);
        if self.order.len() > self.cap.saturating_mul(2) {
            let map = &self.map;
            self.order.retain(|k| map.contains_key(k));
        }
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key)
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        self.map.remove(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.map.keys()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.map.values_mut()
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.map.get_mut(key)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

/// Everything that changes while the simulator runs.
pub(crate) struct Inner {
    pub clock_offset: Duration,
    pub pending: BoundedMap<PendingAuthorize>,
    pub codes: BoundedMap<CodeEntry>,
    pub access: BoundedMap<AccessEntry>,
    pub refresh: BoundedMap<RefreshEntry>,
    pub friends: HashSet<String>,
    pub faults: HashMap<Endpoint, Vec<FaultEntry>>,
    pub requests: HashMap<Endpoint, usize>,
    pub es_key: EsKey,
    pub deauthorizations: VecDeque<DeauthorizeRecord>,
    /// Whether the channel has LINE's email permission (default `true`): without it, the
    /// consent page offers no email and ID tokens never carry one.
    pub email_permission: bool,
    /// Whether the channel has LINE Profile+ (default `false`): without it, the Profile+ scopes
    /// are `INVALID_SCOPE`.
    pub profile_plus: bool,
}

/// One web-login channel the simulator serves.
#[derive(Clone, Debug)]
pub(crate) struct WebChannel {
    pub id: String,
    pub secret: String,
    pub redirect_uris: Vec<Url>,
}

/// State shared by the handlers and the [`Simulator`](super::Simulator) handle.
pub(crate) struct SimState {
    pub channel_id: String,
    pub channel_secret: String,
    /// The second channel: a LIFF / LINE MINI App channel of the same provider.
    pub liff_channel_id: String,
    /// Every web-login channel, the first being `channel_id`'s (with the registered callback
    /// URLs of [`SimulatorOptions::redirect_uris`](crate::SimulatorOptions::redirect_uris)).
    pub web_channels: Vec<WebChannel>,
    pub base_url: Url,
    pub issuer: String,
    pub users: Vec<TestUser>,
    /// HMAC key of stateless channel access tokens (never leaves the simulator).
    pub channel_token_key: Vec<u8>,
    inner: Mutex<Inner>,
}

impl SimState {
    pub fn new(
        channel_id: String,
        channel_secret: String,
        liff_channel_id: String,
        redirect_uris: Vec<Url>,
        more_channels: Vec<WebChannel>,
        base_url: Url,
        es_key: EsKey,
    ) -> Self {
        let mut web_channels = vec![WebChannel {
            id: channel_id.clone(),
            secret: channel_secret.clone(),
            redirect_uris,
        }];
        web_channels.extend(more_channels);
        let issuer = base_url.as_str().trim_end_matches('/').to_owned();
        let users = super::test_users(&base_url);
        Self {
            channel_id,
            channel_secret,
            liff_channel_id,
            web_channels,
            base_url,
            issuer,
            users,
            channel_token_key: random_bytes(32),
            inner: Mutex::new(Inner {
                clock_offset: Duration::ZERO,
                pending: BoundedMap::new(PENDING_MAX),
                codes: BoundedMap::new(CODES_MAX),
                access: BoundedMap::new(ACCESS_TOKENS_MAX),
                refresh: BoundedMap::new(REFRESH_TOKENS_MAX),
                friends: HashSet::new(),
                faults: HashMap::new(),
                requests: HashMap::new(),
                es_key,
                deauthorizations: VecDeque::new(),
                email_permission: true,
                profile_plus: false,
            }),
        }
    }

    /// Locks the mutable state; a panic elsewhere never poisons the simulator.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The simulator's clock: real time plus every `advance_clock`.
    pub fn now(&self) -> SystemTime {
        let offset = self.lock().clock_offset;
        let now = SystemTime::now();
        now.checked_add(offset).unwrap_or(now)
    }

    /// The simulator's clock in UNIX seconds.
    pub fn now_secs(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    /// Moves the clock forward (bounded to [`CLOCK_ADVANCE_MAX_SECS`] per call).
    pub fn advance_clock(&self, by: Duration) {
        let by = by.min(Duration::from_secs(CLOCK_ADVANCE_MAX_SECS));
        let mut inner = self.lock();
        inner.clock_offset = inner
            .clock_offset
            .saturating_add(by)
            .min(Duration::from_secs(CLOCK_OFFSET_MAX_SECS));
    }

    /// The web-login channel with this ID (`client_id`).
    pub fn web_channel(&self, id: &str) -> Option<&WebChannel> {
        self.web_channels.iter().find(|c| c.id == id)
    }

    /// The test user with this ID.
    pub fn user(&self, user_id: &str) -> Option<&TestUser> {
        self.users.iter().find(|u| u.user_id == user_id)
    }

    /// Counts one request and takes the faults that apply to it (consuming `times`).
    pub fn take_faults(&self, endpoint: Endpoint) -> Vec<Fault> {
        let mut inner = self.lock();
        let count = inner.requests.entry(endpoint).or_insert(0);
        *count = count.saturating_add(1);
        let Some(entries) = inner.faults.get_mut(&endpoint) else {
            return Vec::new();
        };
        let mut taken = Vec::with_capacity(entries.len());
        for entry in entries.iter_mut() {
            match &mut entry.remaining {
                Some(0) => {}
                Some(n) => {
                    *n -= 1;
                    taken.push(entry.fault.clone());
                }
                None => taken.push(entry.fault.clone()),
            }
        }
        entries.retain(|e| e.remaining != Some(0));
        taken
    }

    /// Queues a fault for an endpoint.
    pub fn inject(&self, endpoint: Endpoint, fault: Fault, times: Option<usize>) {
        if times == Some(0) {
            return;
        }
        let mut inner = self.lock();
        let entries = inner.faults.entry(endpoint).or_default();
        if entries.len() >= FAULTS_PER_ENDPOINT_MAX {
            entries.remove(0);
        }
        entries.push(FaultEntry {
            fault,
            remaining: times,
        });
    }

    /// Checks an access token and returns its entry.
    pub fn check_access_token(&self, token: &str) -> Result<AccessEntry, TokenProblem> {
        if !looks_like_jws(token) {
            return Err(TokenProblem::NotJws);
        }
        let now = self.now_secs();
        let inner = self.lock();
        match inner.access.get(token) {
            None => Err(TokenProblem::Expired),
            Some(entry) if entry.revoked => Err(TokenProblem::Revoked),
            Some(entry) if entry.expires_at <= now => Err(TokenProblem::Expired),
            Some(entry) => Ok(entry.clone()),
        }
    }

    /// Kills every access and refresh token of a user.
    pub fn revoke_user(&self, user_id: &str) {
        let mut inner = self.lock();
        for entry in inner.access.values_mut() {
            if entry.user_id == user_id {
                entry.revoked = true;
            }
        }
        for entry in inner.refresh.values_mut() {
            if entry.user_id == user_id {
                entry.revoked = true;
            }
        }
    }

    /// Issues an access token of `client_id`'s channel expiring at `expires_at` (and stores it).
    pub fn issue_access_token_for(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: ScopeSet,
        expires_at: u64,
    ) -> String {
        let token = new_access_token();
        self.lock().access.insert(
            token.clone(),
            AccessEntry {
                user_id: user_id.to_owned(),
                client_id: client_id.to_owned(),
                scopes,
                expires_at,
                revoked: false,
            },
        );
        token
    }

    /// Whether the user has added the simulated Official Account as a friend.
    pub fn is_friend(&self, user_id: &str) -> bool {
        self.lock().friends.contains(user_id)
    }

    /// Sets the friendship of a known test user; unknown users are ignored (returns false).
    pub fn set_friend(&self, user_id: &str, friend: bool) -> bool {
        if self.user(user_id).is_none() {
            return false;
        }
        let mut inner = self.lock();
        if friend {
            inner.friends.insert(user_id.to_owned());
        } else {
            inner.friends.remove(user_id);
        }
        true
    }
}

/// Whether a string has the shape of a JWS compact serialization.
pub(crate) fn looks_like_jws(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && token.len() <= 4096
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// `n` random bytes from a CSPRNG.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    rand::thread_rng().fill(buf.as_mut_slice());
    buf
}

/// `bytes` random bytes as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    hex(&random_bytes(bytes))
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// `len` random characters from `[A-Za-z0-9]`.
pub(crate) fn random_alphanumeric(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(rng.sample(rand::distributions::Alphanumeric)))
        .collect()
}

/// A new access token: a JWS-shaped opaque string, as LINE's are.
pub(crate) fn new_access_token() -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        b64.encode(br#"{"alg":"HS256"}"#),
        b64.encode(random_bytes(48)),
        b64.encode(random_bytes(32))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_map_forgets_the_oldest_entry_beyond_its_cap() {
        let mut map = BoundedMap::new(3);
        for i in 0..5 {
            map.insert(format!("k{i}"), i);
        }
        assert_eq!(map.len(), 3);
        assert!(map.get("k0").is_none());
        assert!(map.get("k1").is_none());
        assert_eq!(map.get("k4"), Some(&4));
    }

    #[test]
    fn bounded_map_order_queue_stays_bounded_under_insert_remove_churn() {
        let mut map = BoundedMap::new(4);
        for i in 0..1000 {
            let key = format!("k{i}");
            map.insert(key.clone(), i);
            map.remove(&key);
        }
        assert!(map.order.len() <= 8);
    }

    #[test]
    fn access_tokens_look_like_jws_and_garbage_does_not() {
        assert!(looks_like_jws(&new_access_token()));
        assert!(!looks_like_jws("not-a-token"));
        assert!(!looks_like_jws("a..b"));
        assert!(!looks_like_jws("a.b.c d"));
    }
}
