//! Pending attempts between the redirect to LINE and its callback: the browser cookie that binds
//! them to the browser that started them, and their sealing for the [attempt store](AttemptStore).
//!
//! A browser gets a random 256-bit key in a `SameSite=Lax` cookie. An attempt is stored under
//! digests of that key and its `state`, and encrypted (AES-256-GCM) with a key derived from both,
//! so only a callback that brings the same cookie *and* the attempt's state can find and open it,
//! and a copy of the store reveals no nonce, PKCE verifier or return path. Taking is the store's
//! atomic single-use take. No session is written before the callback succeeds.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce as AeadNonce, UnboundKey};
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use time::OffsetDateTime;

use crate::authorize::{ATTEMPT_TTL, LoginAttempt};
use crate::callback::CallbackError;
use crate::state::verify_state;
use crate::store::attempts::{AttemptKey, AttemptStore, AttemptStoreError};

pub(crate) use crate::session::ATTEMPT_COOKIE_NAME as ATTEMPT_COOKIE;
/// Random bytes in a browser key.
const BROWSER_KEY_BYTES: usize = 32;
/// Domain separation for the derivations below.
const HKDF_SALT: &[u8] = b"line-login pending attempt v1";

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

    /// The store key of the attempt with `state`, and the AEAD key that seals it.
    /// `None` only if the crypto library refuses its own parameters.
    fn derive(&self, state: &str) -> Option<(AttemptKey, LessSafeKey)> {
        let browser_digest = digest(
            &SHA256,
            [HKDF_SALT, b"/browser/", self.0.as_bytes()]
                .concat()
                .as_slice(),
        );
        let prk = Salt::new(HKDF_SHA256, HKDF_SALT).extract(
            [self.0.as_bytes(), b"\0", state.as_bytes()]
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
        Some((
            AttemptKey::new(hex(browser_digest.as_ref()), hex(&id)),
            sealing,
        ))
    }
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a callback's attempt could not be taken.
#[derive(Debug)]
pub(crate) enum TakeError {
    /// Refused as a callback: unknown state, expired attempt, no cookie.
    Callback(CallbackError),
    /// The store failed: 503, nothing changed.
    Store(AttemptStoreError),
}

/// Seals `plain` under the key `browser` and `secret` derive, and stores it until `expires_at`.
async fn seal_put(
    store: &dyn AttemptStore,
    browser: &BrowserKey,
    secret: &str,
    mut plain: Vec<u8>,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), AttemptStoreError> {
    let (key, sealing) = browser
        .derive(secret)
        .ok_or_else(|| codec_error(aws_lc_rs::error::Unspecified))?;
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    sealing
        .seal_in_place_append_tag(
            AeadNonce::assume_unique_for_key(nonce),
            Aad::from(key.attempt().as_bytes()),
            &mut plain,
        )
        .map_err(codec_error)?;
    let mut record = nonce.to_vec();
    record.append(&mut plain);
    store.put(&key, &record, expires_at, now).await
}

/// Takes, once, what [`seal_put`] stored for `browser` and `secret`, and opens it: `Ok(None)`
/// when there is nothing (or nothing this browser and secret can open).
async fn take_open(
    store: &dyn AttemptStore,
    browser: &BrowserKey,
    secret: &str,
) -> Result<Option<Vec<u8>>, AttemptStoreError> {
    let Some((key, sealing)) = browser.derive(secret) else {
        return Ok(None);
    };
    let Some(record) = store.take(&key).await? else {
        return Ok(None);
    };
    if record.len() < NONCE_LEN {
        return Ok(None);
    }
    let (nonce, sealed) = record.split_at(NONCE_LEN);
    let Ok(nonce) = AeadNonce::try_assume_unique_for_key(nonce) else {
        return Ok(None);
    };
    let mut sealed = sealed.to_vec();
    Ok(sealing
        .open_in_place(nonce, Aad::from(key.attempt().as_bytes()), &mut sealed)
        .ok()
        .map(|plain| plain.to_vec()))
}

/// Seals `attempt` and stores it for `browser`, expiring with the attempt.
pub(crate) async fn put(
    store: &dyn AttemptStore,
    browser: &BrowserKey,
    attempt: &LoginAttempt,
    now: OffsetDateTime,
) -> Result<(), AttemptStoreError> {
    let plain = serde_json::to_vec(attempt).map_err(codec_error)?;
    let expires_at = attempt.created_at + ATTEMPT_TTL;
    seal_put(
        store,
        browser,
        attempt.state().expose_secret(),
        plain,
        expires_at,
        now,
    )
    .await
}

/// Takes, once, the attempt of `browser` whose state is `state`, and opens it. Exactly one of any
/// number of concurrent callbacks with the same cookie and state gets it.
pub(crate) async fn take(
    store: &dyn AttemptStore,
    browser: &BrowserKey,
    state: &str,
    now: OffsetDateTime,
) -> Result<LoginAttempt, TakeError> {
    let unknown = || TakeError::Callback(CallbackError::UnknownState);
    let plain = take_open(store, browser, state)
        .await
        .map_err(TakeError::Store)?
        .ok_or_else(unknown)?;
    let attempt: LoginAttempt = serde_json::from_slice(&plain).map_err(|_| unknown())?;
    // The digest lookup already matched; the state check itself is the crate's one check.
    verify_state(attempt.state(), state).map_err(|_| unknown())?;
    if attempt.is_expired(now) {
        return Err(TakeError::Callback(CallbackError::ExpiredAttempt));
    }
    Ok(attempt)
}

/// The secret a token-login nonce is stored under; states never contain `:`, so a nonce and a
/// state can never name the same record.
fn nonce_secret(nonce: &str) -> String {
    format!("token-login-nonce:{nonce}")
}

/// Records that `nonce` was issued to `browser` for a token login, for [`ATTEMPT_TTL`].
pub(crate) async fn put_nonce(
    store: &dyn AttemptStore,
    browser: &BrowserKey,
    nonce: &str,
    now: OffsetDateTime,
) -> Result<(), AttemptStoreError> {
    let expires_at = now + ATTEMPT_TTL;
    let plain = b"token-login nonce".to_vec();
    seal_put(store, browser, &nonce_secret(nonce), plain, expires_at, now).await
}

/// Spends `nonce` if this server issued it to `browser` and it has not been spent: `true` once,
/// `false` for any other browser, an unknown nonce, or every later call.
pub(crate) async fn take_nonce(
    store: &dyn AttemptStore,
    browser: &BrowserKey,
    nonce: &str,
) -> Result<bool, AttemptStoreError> {
    Ok(take_open(store, browser, &nonce_secret(nonce))
        .await?
        .is_some_and(|plain| plain == b"token-login nonce"))
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
    use crate::config::Config;
    use crate::store::attempts::MemoryAttempts;

    fn attempt(now: OffsetDateTime) -> LoginAttempt {
        let config = Config::builder("1234567890", "secret", "https://example.com/cb")
            .build()
            .unwrap();
        LoginAttempt::new(&config, "/".to_owned(), AttemptPurpose::Login, now)
    }

    #[tokio::test]
    async fn only_the_same_browser_with_the_same_state_takes_an_attempt_once() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        let a = attempt(now);
        let state = a.state().expose_secret().to_owned();
        put(&store, &browser, &a, now).await.unwrap();
        let other = BrowserKey::random();
        assert!(matches!(
            take(&store, &other, &state, now).await,
            Err(TakeError::Callback(CallbackError::UnknownState))
        ));
        assert!(take(&store, &browser, "another-state", now).await.is_err());
        let taken = take(&store, &browser, &state, now).await.unwrap();
        assert_eq!(taken.return_to, "/");
        assert!(
            take(&store, &browser, &state, now).await.is_err(),
            "single use"
        );
    }

    #[tokio::test]
    async fn the_stored_record_reveals_no_secret_of_the_attempt() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        let a = attempt(now);
        put(&store, &browser, &a, now).await.unwrap();
        let (key, _) = browser.derive(a.state().expose_secret()).unwrap();
        let raw = store.take(&key).await.unwrap().unwrap();
        let text = String::from_utf8_lossy(&raw);
        for secret in [
            a.state().expose_secret(),
            a.nonce.expose_secret(),
            a.pkce_verifier.expose_secret(),
            browser.expose_secret(),
        ] {
            assert!(!text.contains(secret));
        }
        assert!(!key.browser().contains(browser.expose_secret()));
    }

    #[tokio::test]
    async fn a_pending_attempt_outlives_a_sweep_within_its_ten_minutes() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        let a = attempt(now);
        put(&store, &browser, &a, now).await.unwrap();
        // Two minutes later another browser's put sweeps expired records.
        let later = now + time::Duration::minutes(2);
        put(&store, &BrowserKey::random(), &attempt(later), later)
            .await
            .unwrap();
        assert!(
            take(&store, &browser, a.state().expose_secret(), later)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_record_shorter_than_a_nonce_is_nothing_and_no_panic() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        for length in [0, 1, NONCE_LEN - 1, NONCE_LEN] {
            let (key, _) = browser.derive("a-state").unwrap();
            store
                .put(&key, &vec![7; length], now + ATTEMPT_TTL, now)
                .await
                .unwrap();
            assert!(
                take_open(&store, &browser, "a-state")
                    .await
                    .unwrap()
                    .is_none(),
                "{length}"
            );
        }
    }

    #[tokio::test]
    async fn a_token_login_nonce_is_spent_once_by_the_browser_it_was_issued_to() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        put_nonce(&store, &browser, "nonce-1", now).await.unwrap();
        assert!(!take_nonce(&store, &browser, "nonce-2").await.unwrap());
        assert!(
            !take_nonce(&store, &BrowserKey::random(), "nonce-1")
                .await
                .unwrap()
        );
        assert!(take_nonce(&store, &browser, "nonce-1").await.unwrap());
        assert!(!take_nonce(&store, &browser, "nonce-1").await.unwrap());
    }

    #[tokio::test]
    async fn a_token_login_nonce_outlives_a_sweep_within_its_ten_minutes() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        put_nonce(&store, &browser, "nonce-1", now).await.unwrap();
        let later = now + time::Duration::minutes(2);
        put_nonce(&store, &BrowserKey::random(), "nonce-2", later)
            .await
            .unwrap();
        assert!(take_nonce(&store, &browser, "nonce-1").await.unwrap());
    }

    #[tokio::test]
    async fn a_state_cannot_open_a_token_login_nonce() {
        let store = MemoryAttempts::default();
        let now = OffsetDateTime::now_utc();
        let browser = BrowserKey::random();
        put_nonce(&store, &browser, "n", now).await.unwrap();
        assert!(take_open(&store, &browser, "n").await.unwrap().is_none());
        assert!(take_nonce(&store, &browser, "n").await.unwrap());
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
    fn debug_of_a_browser_key_is_redacted() {
        let key = BrowserKey::random();
        let rendered = format!("{key:?}");
        assert_eq!(rendered, "BrowserKey([redacted])");
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
