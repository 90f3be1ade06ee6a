//! Pending attempts between the redirect to LINE and its callback. An attempt travels in the
//! browser, sealed into a cookie of its own; the [attempt store](AttemptStore) only records, when
//! the callback comes, that it was spent.
//!
//! A browser gets a random 256-bit key in a `SameSite=Lax` cookie ([`ATTEMPT_COOKIE`]). Each
//! attempt is encrypted and authenticated (AES-256-GCM) under a key derived (HKDF-SHA256) from a
//! server key, that browser key and the attempt's `state`, and set as a cookie named after a
//! digest of the same three. So only a callback that brings the same browser's cookies *and* the
//! attempt's state can find and open it; the browser itself cannot read or alter what it carries
//! (its nonce, PKCE verifier, return path, or the member a link attempt is for), because the
//! server key is derived from the channel secret, which every instance of one configuration
//! shares and no browser has.
//!
//! Single use is the store's atomic [`AttemptStore::claim`] of the attempt's digest, made after
//! the cookie opened and before LINE is asked anything: of any number of concurrent callbacks
//! with one attempt, on any instance, exactly one proceeds. A login start writes nothing to any
//! store; the callback writes one small mark that expires with the attempt.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce as AeadNonce, UnboundKey};
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use time::OffsetDateTime;

use crate::authorize::{ATTEMPT_TTL, LoginAttempt, PENDING_ATTEMPTS_MAX};
use crate::callback::CallbackError;
use crate::config::Config;
use crate::state::verify_state;
use crate::store::attempts::{AttemptKey, AttemptStore, AttemptStoreError};

pub(crate) use crate::session::ATTEMPT_COOKIE_NAME as ATTEMPT_COOKIE;
/// Random bytes in a browser key.
const BROWSER_KEY_BYTES: usize = 32;
/// Domain separation for the derivations below.
const HKDF_SALT: &[u8] = b"line-login pending attempt v1";
/// The label the server key is derived from the channel secret with.
const SERVER_KEY_LABEL: &[u8] = b"line-login attempt seal v1";
/// Hex digits of the attempt digest in its cookie's name (64 bits: enough to tell apart the few
/// attempts one browser has pending).
const COOKIE_ID_HEX: usize = 16;
/// How far in the future an attempt's creation time may lie (clock skew between instances).
const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);
/// The namespace of spent-attempt marks in the store.
const SPENT_ATTEMPTS: &str = "spent-attempts";

/// A browser's attempt-cookie value. Secret: with a `state` it opens that browser's attempts.
#[derive(Clone)]
pub(crate) struct BrowserKey(String);

impl std::fmt::Debug for BrowserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BrowserKey([redacted])")
    }
}

impl BrowserKey {
    pub(crate) fn random() -> Self {
        let mut bytes = [0u8; BROWSER_KEY_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The key in a cookie value, if it has the shape of one of ours.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let decoded = URL_SAFE_NO_PAD.decode(value).ok()?;
        (decoded.len() == BROWSER_KEY_BYTES).then(|| Self(value.to_owned()))
    }

    pub(crate) fn expose_secret(&self) -> &str {
        &self.0
    }
}

/// The server key attempts are sealed with: derived from the default channel's secret, so every
/// instance of one configuration has the same and no browser has it. Rotating the channel secret
/// voids the attempts pending at that moment (at most [`ATTEMPT_TTL`] of them).
#[derive(Clone)]
pub(crate) struct AttemptSealer {
    key: [u8; 32],
}

impl std::fmt::Debug for AttemptSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AttemptSealer([redacted])")
    }
}

/// One attempt cookie, as the browser sends it back or as it is to be set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AttemptCookie {
    pub(crate) name: String,
    pub(crate) value: String,
}

impl AttemptCookie {
    /// When the attempt in it was created (UNIX milliseconds), read from the cookie's clear
    /// prefix: bound to the sealed part, so it cannot be changed without the cookie failing to
    /// open.
    fn created_millis(&self) -> Option<i64> {
        self.value.split_once('.')?.0.parse().ok()
    }
}

/// Whether `name` is the name of an attempt cookie (not the browser-key cookie).
pub(crate) fn is_attempt_cookie(name: &str) -> bool {
    name.strip_prefix(ATTEMPT_COOKIE)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|id| id.len() == COOKIE_ID_HEX && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

struct Len32;

impl KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

fn codec_error(error: impl std::error::Error + Send + Sync + 'static) -> AttemptStoreError {
    AttemptStoreError::Backend {
        kind: "codec",
        source: Box::new(error),
    }
}

/// `at` in whole UNIX milliseconds.
fn unix_millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What one browser key and one secret (a state, or an issued nonce) derive.
struct Derived {
    /// The attempt's digest (hex): its mark in the store, and (a prefix) its cookie's name.
    id: String,
    sealing: LessSafeKey,
}

impl Derived {
    fn cookie_name(&self) -> String {
        format!("{ATTEMPT_COOKIE}_{}", &self.id[..COOKIE_ID_HEX])
    }

    fn aad(&self, created_millis: i64) -> String {
        format!("{}.{created_millis}", self.id)
    }
}

impl AttemptSealer {
    /// The sealer of `config`'s channel.
    pub(crate) fn new(config: &Config) -> Self {
        let secret = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            config.channel_secret().expose_secret().as_bytes(),
        );
        let tag = aws_lc_rs::hmac::sign(&secret, SERVER_KEY_LABEL);
        let mut key = [0u8; 32];
        key.copy_from_slice(&tag.as_ref()[..32]);
        Self { key }
    }

    /// The digest and the AEAD key of the attempt `browser` and `secret` name.
    /// `None` only if the crypto library refuses its own parameters.
    fn derive(&self, browser: &BrowserKey, secret: &str) -> Option<Derived> {
        let prk = Salt::new(HKDF_SHA256, &[HKDF_SALT, &self.key].concat()).extract(
            [browser.0.as_bytes(), b"\0", secret.as_bytes()]
                .concat()
                .as_slice(),
        );
        let mut id = [0u8; 32];
        let mut key = [0u8; 32];
        prk.expand(&[b"attempt id"], Len32)
            .ok()?
            .fill(&mut id)
            .ok()?;
        prk.expand(&[b"attempt key"], Len32)
            .ok()?
            .fill(&mut key)
            .ok()?;
        let sealing = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).ok()?);
        Some(Derived {
            id: hex(&id),
            sealing,
        })
    }

    /// Seals `plain` into the cookie of `browser` and `secret`, dated `created_at`.
    fn seal(
        &self,
        browser: &BrowserKey,
        secret: &str,
        mut plain: Vec<u8>,
        created_at: OffsetDateTime,
    ) -> Result<AttemptCookie, AttemptStoreError> {
        let derived = self
            .derive(browser, secret)
            .ok_or_else(|| codec_error(aws_lc_rs::error::Unspecified))?;
        let created = unix_millis(created_at);
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        derived
            .sealing
            .seal_in_place_append_tag(
                AeadNonce::assume_unique_for_key(nonce),
                Aad::from(derived.aad(created).as_bytes()),
                &mut plain,
            )
            .map_err(codec_error)?;
        let mut record = nonce.to_vec();
        record.append(&mut plain);
        Ok(AttemptCookie {
            name: derived.cookie_name(),
            value: format!("{created}.{}", URL_SAFE_NO_PAD.encode(record)),
        })
    }

    /// Finds the cookie of `browser` and `secret` among `cookies` and opens it: its digest, its
    /// creation time and its content; `None` when it is missing or does not open intact.
    fn open(
        &self,
        browser: &BrowserKey,
        secret: &str,
        cookies: &[AttemptCookie],
    ) -> Option<(Derived, OffsetDateTime, Vec<u8>)> {
        let derived = self.derive(browser, secret)?;
        let name = derived.cookie_name();
        let cookie = cookies.iter().find(|c| c.name == name)?;
        let (created, sealed) = cookie.value.split_once('.')?;
        let created: i64 = created.parse().ok()?;
        let record = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if record.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = record.split_at(NONCE_LEN);
        let nonce = AeadNonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = derived
            .sealing
            .open_in_place(
                nonce,
                Aad::from(derived.aad(created).as_bytes()),
                &mut sealed,
            )
            .ok()?
            .to_vec();
        let created =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(created) * 1_000_000).ok()?;
        Some((derived, created, plain))
    }

    /// The name of the cookie `browser` and `state` name, to clear it once spent.
    pub(crate) fn cookie_name(&self, browser: &BrowserKey, state: &str) -> Option<String> {
        self.derive(browser, state).map(|d| d.cookie_name())
    }
}

/// Spends the attempt `derived` names, once, across instances: `true` for the first call.
/// The mark outlives the attempt by the clock skew allowed, so no instance can accept the cookie
/// again after its mark is gone.
async fn spend(
    store: &dyn AttemptStore,
    derived: &Derived,
    created_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<bool, AttemptStoreError> {
    let key = AttemptKey::new(SPENT_ATTEMPTS.to_owned(), derived.id.clone());
    let until = created_at + ATTEMPT_TTL + CLOCK_SKEW;
    store.claim(&key, until, now).await
}

/// Why a callback's attempt could not be taken.
#[derive(Debug)]
pub(crate) enum TakeError {
    /// Refused as a callback: unknown state, expired attempt, no cookie.
    Callback(CallbackError),
    /// The store failed: 503, nothing changed.
    Store(AttemptStoreError),
}

/// Seals `attempt` into its cookie for `browser`.
pub(crate) fn seal(
    sealer: &AttemptSealer,
    browser: &BrowserKey,
    attempt: &LoginAttempt,
) -> Result<AttemptCookie, AttemptStoreError> {
    let plain = serde_json::to_vec(attempt).map_err(codec_error)?;
    sealer.seal(
        browser,
        attempt.state().expose_secret(),
        plain,
        attempt.created_at,
    )
}

/// Takes, once, the attempt of `browser` whose state is `state` from the request's `cookies`.
/// Exactly one of any number of concurrent callbacks with the same cookies and state gets it; a
/// missing, altered or expired cookie is refused before the store is asked anything.
pub(crate) async fn take(
    store: &dyn AttemptStore,
    sealer: &AttemptSealer,
    browser: &BrowserKey,
    cookies: &[AttemptCookie],
    state: &str,
    now: OffsetDateTime,
) -> Result<LoginAttempt, TakeError> {
    let unknown = || TakeError::Callback(CallbackError::UnknownState);
    let (derived, _, plain) = sealer.open(browser, state, cookies).ok_or_else(unknown)?;
    let attempt: LoginAttempt = serde_json::from_slice(&plain).map_err(|_| unknown())?;
    // The digest lookup already matched; the state check itself is the crate's one check.
    verify_state(attempt.state(), state).map_err(|_| unknown())?;
    if attempt.is_expired(now) {
        return Err(TakeError::Callback(CallbackError::ExpiredAttempt));
    }
    if !spend(store, &derived, attempt.created_at, now)
        .await
        .map_err(TakeError::Store)?
    {
        return Err(unknown());
    }
    Ok(attempt)
}

/// The secret a token-login nonce's cookie is derived from; states never contain `:`, so a
/// nonce and a state can never name the same cookie or mark.
fn nonce_secret(nonce: &str) -> String {
    format!("token-login-nonce:{nonce}")
}

/// What a token-login nonce's cookie holds.
const NONCE_MARKER: &[u8] = b"token-login nonce";

/// Seals the record that `nonce` was issued to `browser` at `now` for a token login, into its
/// cookie; it is good for [`ATTEMPT_TTL`].
pub(crate) fn seal_nonce(
    sealer: &AttemptSealer,
    browser: &BrowserKey,
    nonce: &str,
    now: OffsetDateTime,
) -> Result<AttemptCookie, AttemptStoreError> {
    sealer.seal(browser, &nonce_secret(nonce), NONCE_MARKER.to_vec(), now)
}

/// Spends `nonce` if this server issued it to `browser` (its cookie is among `cookies`), it has
/// not expired and has not been spent: `true` once, `false` for any other browser, an unknown or
/// expired nonce, or every later call.
pub(crate) async fn take_nonce(
    store: &dyn AttemptStore,
    sealer: &AttemptSealer,
    browser: &BrowserKey,
    cookies: &[AttemptCookie],
    nonce: &str,
    now: OffsetDateTime,
) -> Result<bool, AttemptStoreError> {
    let Some((derived, created_at, plain)) = sealer.open(browser, &nonce_secret(nonce), cookies)
    else {
        return Ok(false);
    };
    if plain != NONCE_MARKER || now - created_at > ATTEMPT_TTL || created_at - now > CLOCK_SKEW {
        return Ok(false);
    }
    spend(store, &derived, created_at, now).await
}

/// The attempt cookies a browser should drop before a new one is added at `now`: the expired
/// ones, and the oldest past [`PENDING_ATTEMPTS_MAX`]` - 1`, so it keeps at most that many
/// attempts pending (several tabs) with the new one.
pub(crate) fn cookies_to_drop(cookies: &[AttemptCookie], now: OffsetDateTime) -> Vec<String> {
    let now = unix_millis(now);
    let ttl = ATTEMPT_TTL.as_millis() as i64;
    let mut live: Vec<(i64, &str)> = Vec::new();
    let mut drop = Vec::new();
    for cookie in cookies {
        match cookie.created_millis() {
            Some(created) if now - created <= ttl => live.push((created, &cookie.name)),
            _ => drop.push(cookie.name.clone()),
        }
    }
    live.sort_unstable();
    let excess = (live.len() + 1).saturating_sub(PENDING_ATTEMPTS_MAX);
    drop.extend(live.iter().take(excess).map(|(_, name)| (*name).to_owned()));
    drop
}

/// What kind of token [`claim_token`] marks (each has its own digests).
#[derive(Clone, Copy, Debug)]
pub(crate) enum SpentToken {
    IdToken,
    AccessToken,
}

/// Marks the token `raw` as used for a login until `expires_at`: `true` for its first use,
/// `false` for every later one, across instances. Only a digest of the token is stored.
pub(crate) async fn claim_token(
    store: &dyn AttemptStore,
    kind: SpentToken,
    raw: &str,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<bool, AttemptStoreError> {
    let domain: &[u8] = match kind {
        SpentToken::IdToken => b"/spent id token/",
        SpentToken::AccessToken => b"/spent access token/",
    };
    let digest = digest(
        &SHA256,
        [HKDF_SALT, domain, raw.as_bytes()].concat().as_slice(),
    );
    let key = AttemptKey::new("spent-id-tokens".to_owned(), hex(digest.as_ref()));
    store.claim(&key, expires_at, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorize::AttemptPurpose;
    use crate::store::attempts::MemoryAttempts;

    fn config(secret: &str) -> Config {
        Config::builder("1234567890", secret, "https://example.com/cb")
            .build()
            .unwrap()
    }

    fn sealer() -> AttemptSealer {
        AttemptSealer::new(&config("secret"))
    }

    fn attempt(now: OffsetDateTime) -> LoginAttempt {
        LoginAttempt::new(
            &config("secret"),
            "/".to_owned(),
            AttemptPurpose::Login,
            now,
        )
    }

    /// Starts an attempt for `browser`: the attempt, its state and its cookie.
    fn start(browser: &BrowserKey, now: OffsetDateTime) -> (LoginAttempt, String, AttemptCookie) {
        let a = attempt(now);
        let state = a.state().expose_secret().to_owned();
        let cookie = seal(&sealer(), browser, &a).unwrap();
        (a, state, cookie)
    }

    async fn take_with(
        store: &MemoryAttempts,
        browser: &BrowserKey,
        cookies: &[AttemptCookie],
        state: &str,
        now: OffsetDateTime,
    ) -> Result<LoginAttempt, TakeError> {
        take(store, &sealer(), browser, cookies, state, now).await
    }

    fn is_unknown(result: &Result<LoginAttempt, TakeError>) -> bool {
        matches!(
            result,
            Err(TakeError::Callback(CallbackError::UnknownState))
        )
    }

    #[tokio::test]
    async fn only_the_same_browser_with_the_same_state_takes_an_attempt_once() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        let (_, state, cookie) = start(&browser, now);
        let cookies = [cookie];
        let other = BrowserKey::random();
        assert!(is_unknown(
            &take_with(&store, &other, &cookies, &state, now).await
        ));
        assert!(is_unknown(
            &take_with(&store, &browser, &cookies, "another-state", now).await
        ));
        assert!(store.is_empty(), "a refused callback spends nothing");
        let taken = take_with(&store, &browser, &cookies, &state, now)
            .await
            .unwrap();
        assert_eq!(taken.return_to, "/");
        assert_eq!(store.len(), 1, "one mark");
        assert!(
            is_unknown(&take_with(&store, &browser, &cookies, &state, now).await),
            "single use"
        );
    }

    #[tokio::test]
    async fn an_attempt_needs_its_own_cookie() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        let (_, state, _) = start(&browser, now);
        assert!(is_unknown(
            &take_with(&store, &browser, &[], &state, now).await
        ));
        // Another attempt's cookie does not open this one.
        let (_, _, other) = start(&browser, now);
        assert!(is_unknown(
            &take_with(&store, &browser, &[other], &state, now).await
        ));
    }

    #[tokio::test]
    async fn the_attempt_cookie_reveals_no_secret_of_the_attempt() {
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        let mut a = attempt(now);
        a.return_to = "/private/return-path".to_owned();
        let cookie = seal(&sealer(), &browser, &a).unwrap();
        let text = format!("{}={}", cookie.name, cookie.value);
        for secret in [
            a.state().expose_secret(),
            a.nonce.expose_secret(),
            a.pkce_verifier.expose_secret(),
            browser.expose_secret(),
            "private",
        ] {
            assert!(!text.contains(secret), "{secret}");
        }
        assert!(is_attempt_cookie(&cookie.name));
    }

    #[tokio::test]
    async fn an_altered_attempt_cookie_opens_nothing_and_spends_nothing() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        let (_, state, cookie) = start(&browser, now);
        let (created, sealed) = cookie.value.split_once('.').unwrap();
        let mut flipped = sealed.as_bytes().to_vec();
        let middle = flipped.len() / 2;
        flipped[middle] = if flipped[middle] == b'A' { b'B' } else { b'A' };
        let later: i64 = created.parse::<i64>().unwrap() + 1;
        for value in [
            format!("{created}.{}", String::from_utf8(flipped).unwrap()),
            format!("{later}.{sealed}"),
            format!("{created}.{}", &sealed[..10]),
            format!("{created}.!!"),
            sealed.to_owned(),
            format!("x.{sealed}"),
            String::new(),
        ] {
            let altered = AttemptCookie {
                name: cookie.name.clone(),
                value,
            };
            assert!(
                is_unknown(&take_with(&store, &browser, &[altered], &state, now).await),
                "{:?}",
                cookie.value
            );
        }
        assert!(store.is_empty());
        assert!(
            take_with(&store, &browser, &[cookie], &state, now)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_sealed_part_shorter_than_an_aead_nonce_is_nothing_and_no_panic() {
        // The length check before the split: without it a short record would panic. (Checking
        // `<=` instead of `<` changes nothing: a record of exactly a nonce has no tag to open.)
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        let (_, state, cookie) = start(&browser, now);
        let created = cookie.value.split_once('.').unwrap().0;
        for length in 0..=NONCE_LEN + 16 {
            let short = AttemptCookie {
                name: cookie.name.clone(),
                value: format!("{created}.{}", URL_SAFE_NO_PAD.encode(vec![7u8; length])),
            };
            assert!(
                is_unknown(&take_with(&store, &browser, &[short], &state, now).await),
                "{length}"
            );
        }
        assert!(store.is_empty());
    }

    #[test]
    fn the_cookie_a_callback_removes_is_the_one_its_attempt_was_sealed_into() {
        let sealer = sealer();
        let browser = BrowserKey::random();
        let (_, state, cookie) = start(&browser, OffsetDateTime::now_utc());
        assert_eq!(sealer.cookie_name(&browser, &state), Some(cookie.name));
        let other = sealer.cookie_name(&browser, "another-state").unwrap();
        assert!(is_attempt_cookie(&other));
        assert_ne!(Some(other), sealer.cookie_name(&browser, &state));
    }

    #[tokio::test]
    async fn only_the_server_that_sealed_an_attempt_opens_it() {
        // The key comes from the channel secret: a browser, or a server of another channel,
        // cannot seal an attempt (say, a link for another member) that this server opens.
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        let a = attempt(now);
        let state = a.state().expose_secret().to_owned();
        let forged = seal(&AttemptSealer::new(&config("other secret")), &browser, &a).unwrap();
        assert!(is_unknown(
            &take_with(&store, &browser, &[forged], &state, now).await
        ));
    }

    #[tokio::test]
    async fn an_expired_attempt_is_refused_and_not_spent() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        let (_, state, cookie) = start(&browser, now);
        let late = now + ATTEMPT_TTL + time::Duration::seconds(1);
        assert!(matches!(
            take_with(&store, &browser, &[cookie], &state, late).await,
            Err(TakeError::Callback(CallbackError::ExpiredAttempt))
        ));
        assert!(store.is_empty());
    }

    #[tokio::test]
    async fn a_spent_attempt_stays_spent_for_as_long_as_it_could_be_accepted() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        let (a, state, cookie) = start(&browser, now);
        let cookies = [cookie];
        assert!(
            take_with(&store, &browser, &cookies, &state, now)
                .await
                .is_ok()
        );
        // The last second the attempt is not expired (its time is kept in whole seconds): the
        // mark still holds.
        let created = OffsetDateTime::from_unix_timestamp(a.created_at.unix_timestamp()).unwrap();
        let last = created + ATTEMPT_TTL;
        assert!(!a.is_expired(last));
        assert!(is_unknown(
            &take_with(&store, &browser, &cookies, &state, last).await
        ));
    }

    #[tokio::test]
    async fn a_token_login_nonce_is_spent_once_by_the_browser_it_was_issued_to() {
        let store = MemoryAttempts::default();
        // Whole seconds: the cookie keeps the time it was issued in seconds.
        let now = OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp())
            .unwrap();
        let browser = BrowserKey::random();
        let sealer = sealer();
        let cookies = [seal_nonce(&sealer, &browser, "nonce-1", now).unwrap()];
        let spend = |browser: BrowserKey, nonce: &'static str, at| {
            let (store, sealer, cookies) = (&store, &sealer, &cookies);
            async move {
                take_nonce(store, sealer, &browser, cookies, nonce, at)
                    .await
                    .unwrap()
            }
        };
        assert!(!spend(browser.clone(), "nonce-2", now).await);
        assert!(!spend(BrowserKey::random(), "nonce-1", now).await);
        assert!(
            !spend(
                browser.clone(),
                "nonce-1",
                now + ATTEMPT_TTL + time::Duration::seconds(1)
            )
            .await,
            "expired"
        );
        assert!(
            !spend(browser.clone(), "nonce-1", now - time::Duration::minutes(6)).await,
            "issued in the future"
        );
        assert!(store.is_empty());
        assert!(spend(browser.clone(), "nonce-1", now + ATTEMPT_TTL).await);
        assert!(!spend(browser.clone(), "nonce-1", now).await);
        // Issued by an instance whose clock runs ahead by exactly the skew allowed: accepted.
        let ahead = [seal_nonce(&sealer, &browser, "nonce-3", now).unwrap()];
        let earlier = now - CLOCK_SKEW;
        assert!(
            take_nonce(&store, &sealer, &browser, &ahead, "nonce-3", earlier)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_state_cannot_open_a_token_login_nonce_nor_a_nonce_an_attempt() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        let sealer = sealer();
        // A nonce cookie under a name a state could give is still not an attempt.
        let nonce_cookie = seal_nonce(&sealer, &browser, "n", now).unwrap();
        assert!(is_unknown(
            &take_with(
                &store,
                &browser,
                std::slice::from_ref(&nonce_cookie),
                "n",
                now
            )
            .await
        ));
        // An attempt's cookie is not a nonce, whatever its state.
        let (_, state, cookie) = start(&browser, now);
        assert!(
            !take_nonce(&store, &sealer, &browser, &[cookie], &state, now)
                .await
                .unwrap()
        );
        assert!(
            take_nonce(&store, &sealer, &browser, &[nonce_cookie], "n", now)
                .await
                .unwrap()
        );
    }

    #[test]
    fn a_browser_keeps_its_newest_attempts_and_drops_expired_and_malformed_ones() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let ms = unix_millis(now);
        let ttl = ATTEMPT_TTL.as_millis() as i64;
        let cookie = |name: &str, value: String| AttemptCookie {
            name: name.to_owned(),
            value,
        };
        let mut cookies: Vec<AttemptCookie> = (0..PENDING_ATTEMPTS_MAX as i64)
            .map(|i| cookie(&format!("c{i}"), format!("{}.x", ms - 100 + i)))
            .collect();
        cookies.push(cookie("expired", format!("{}.x", ms - ttl - 1)));
        cookies.push(cookie("edge", format!("{}.x", ms - ttl)));
        cookies.push(cookie("malformed", "x".to_owned()));
        let mut dropped = cookies_to_drop(&cookies, now);
        dropped.sort();
        // Six live ones (five plus the one at the edge of its ten minutes): the new attempt
        // makes seven, so the two oldest go, the edge one first.
        assert_eq!(dropped, ["c0", "edge", "expired", "malformed"]);
        assert!(cookies_to_drop(&cookies[..PENDING_ATTEMPTS_MAX - 1], now).is_empty());
        // An expired cookie goes even when there is room.
        let expired = cookie("expired", format!("{}.x", ms - ttl - 1));
        assert_eq!(cookies_to_drop(&[expired], now), ["expired"]);
        assert_eq!(
            cookies_to_drop(&cookies[..PENDING_ATTEMPTS_MAX], now),
            ["c0"]
        );
    }

    #[test]
    fn attempt_cookies_are_told_from_the_browser_key_cookie_by_name() {
        let cookie = seal(
            &sealer(),
            &BrowserKey::random(),
            &attempt(OffsetDateTime::now_utc()),
        )
        .unwrap();
        assert!(is_attempt_cookie(&cookie.name));
        assert!(!is_attempt_cookie(ATTEMPT_COOKIE));
        assert!(!is_attempt_cookie(&format!("{ATTEMPT_COOKIE}_0123")));
        assert!(!is_attempt_cookie(&format!(
            "{ATTEMPT_COOKIE}_0123456789abcdeg"
        )));
        assert!(!is_attempt_cookie(&format!(
            "{ATTEMPT_COOKIE}x0123456789abcdef"
        )));
        assert!(is_attempt_cookie(&format!(
            "{ATTEMPT_COOKIE}_0123456789abcdef"
        )));
    }

    #[tokio::test]
    async fn a_token_logs_in_once_and_an_id_token_and_access_token_are_apart() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let until = now + time::Duration::hours(1);
        let claim = |kind, raw| claim_token(&store, kind, raw, until, now);
        assert!(claim(SpentToken::IdToken, "token-1").await.unwrap());
        assert!(!claim(SpentToken::IdToken, "token-1").await.unwrap());
        assert!(claim(SpentToken::IdToken, "token-2").await.unwrap());
        assert!(claim(SpentToken::AccessToken, "token-1").await.unwrap());
        assert!(!claim(SpentToken::AccessToken, "token-1").await.unwrap());
    }

    #[test]
    fn debug_of_the_keys_is_redacted() {
        assert_eq!(
            format!("{:?}", BrowserKey::random()),
            "BrowserKey([redacted])"
        );
        assert_eq!(format!("{:?}", sealer()), "AttemptSealer([redacted])");
    }

    #[test]
    fn a_browser_key_must_have_the_right_shape() {
        let key = BrowserKey::random();
        assert!(BrowserKey::parse(key.expose_secret()).is_some());
        assert!(BrowserKey::parse("short").is_none());
        assert!(BrowserKey::parse(&"a".repeat(200)).is_none());
        assert!(BrowserKey::parse("").is_none());
    }
}
