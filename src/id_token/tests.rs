//! Unit tests of the internals: the verified-token cache bounds and keying, the JWKS cache's
//! max-age, failure backoff and stale-if-error. Token-level behaviour is in `tests/id_token.rs`.

use std::sync::Arc;

use crate::secret::Nonce;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, JwkSet, KeyAlgorithm,
};
use serde_json::json;

use super::cache::TokenCache;
use super::*;
use crate::Config;
use crate::secret::RawIdToken;

fn verified(sub: &str, exp: i64) -> VerifiedIdToken {
    VerifiedIdToken::assemble(claims::Parts {
        algorithm: IdTokenAlgorithm::Es256,
        sub,
        audience: "1234567890",
        name: None,
        picture: None,
        email: None,
        nonce: None,
        amr: claims::AmrList::Empty,
        auth_time: None,
        iat: exp - 3600,
        exp,
        extra: serde_json::Map::new(),
    })
}

/// A 100-byte stand-in token.
fn tok(i: usize) -> String {
    format!("{i:0>100}")
}

#[test]
fn token_cache_keeps_at_most_max_entries_evicting_the_oldest() {
    let cache = TokenCache::new(3, usize::MAX);
    for i in 0..5 {
        cache.insert(
            &tok(i),
            Arc::new(verified(&format!("U{i}"), 2_000)),
            Arc::from("k"),
        );
    }
    assert_eq!(cache.len(), 3);
    assert!(cache.get(&tok(0), 1_000, 0).is_none());
    assert!(cache.get(&tok(1), 1_000, 0).is_none());
    for i in 2..5 {
        let (token, _) = cache.get(&tok(i), 1_000, 0).unwrap();
        assert_eq!(token.sub(), format!("U{i}"));
    }
}

#[test]
fn token_cache_keeps_at_most_max_bytes() {
    // Each entry counts 100 + 256 bytes: room for two.
    let cache = TokenCache::new(100, 2 * 356 + 10);
    for i in 0..4 {
        cache.insert(&tok(i), Arc::new(verified("U", 2_000)), Arc::from("k"));
        assert!(cache.bytes() <= 2 * 356 + 10);
    }
    assert_eq!(cache.len(), 2);
    // An entry bigger than the whole budget is not stored at all.
    let huge = "x".repeat(10_000);
    cache.insert(&huge, Arc::new(verified("U", 2_000)), Arc::from("k"));
    assert!(cache.get(&huge, 1_000, 0).is_none());
    assert_eq!(cache.len(), 2);
}

#[test]
fn token_cache_never_returns_an_expired_token() {
    let cache = TokenCache::new(10, usize::MAX);
    cache.insert(&tok(1), Arc::new(verified("U", 2_000)), Arc::from("k"));
    assert!(cache.get(&tok(1), 2_029, 30).is_some());
    assert!(cache.get(&tok(1), 2_030, 30).is_none());
    assert_eq!(cache.len(), 0, "the expired entry is dropped");
    assert_eq!(cache.bytes(), 0);
}

#[test]
fn token_cache_drops_tokens_whose_kid_left_the_jwks() {
    let cache = TokenCache::new(10, usize::MAX);
    cache.insert(&tok(1), Arc::new(verified("U1", 2_000)), Arc::from("old"));
    cache.insert(&tok(2), Arc::new(verified("U2", 2_000)), Arc::from("new"));
    let new_only = Es256Keys::from_jwk_set(&JwkSet {
        keys: vec![Signer::new("new").jwk()],
    });
    cache.retain_kids(&new_only);
    assert!(cache.get(&tok(1), 1_000, 0).is_none());
    assert!(cache.get(&tok(2), 1_000, 0).is_some());
    assert_eq!(cache.bytes(), 356);
}

#[test]
fn token_cache_queue_stays_bounded_under_churn() {
    let cache = TokenCache::new(4, usize::MAX);
    for i in 0..10_000 {
        cache.insert(&tok(i), Arc::new(verified("U", 2_000)), Arc::from("k"));
        // Expire half of them through `get`, leaving stale queue entries.
        if i % 2 == 0 {
            assert!(cache.get(&tok(i), 3_000, 0).is_none());
        }
    }
    assert!(cache.len() <= 4);
}

#[test]
fn text_claims_share_one_buffer_and_read_back() {
    let token = VerifiedIdToken::assemble(claims::Parts {
        algorithm: IdTokenAlgorithm::Hs256,
        sub: "U1",
        audience: "1234567890",
        name: Some("タロウ"),
        picture: None,
        email: Some(""),
        nonce: Some("n"),
        amr: [Amr::Pwd, Amr::Mfa].into_iter().collect(),
        auth_time: None,
        iat: 0,
        exp: 0,
        extra: serde_json::Map::new(),
    });
    assert_eq!(token.sub(), "U1");
    assert_eq!(token.name(), Some("タロウ"));
    assert_eq!(token.picture(), None);
    assert_eq!(token.email(), Some(""));
    assert_eq!(token.nonce(), Some("n"));
    assert_eq!(token.amr(), [Amr::Pwd, Amr::Mfa]);
    let clone = token.clone();
    assert_eq!(clone.name(), Some("タロウ"));
}

#[test]
fn date_bounds_are_those_of_offset_date_time() {
    use time::OffsetDateTime;
    for secs in [DATE_MIN_SECS, DATE_MAX_SECS, 0] {
        assert_eq!(check_date(secs).unwrap(), secs);
        assert!(OffsetDateTime::from_unix_timestamp(secs).is_ok());
    }
    for secs in [DATE_MIN_SECS - 1, DATE_MAX_SECS + 1] {
        assert!(check_date(secs).is_err());
        assert!(OffsetDateTime::from_unix_timestamp(secs).is_err());
    }
}

#[test]
fn tokens_sharing_length_and_tail_are_still_distinct_entries() {
    // Same length, same last bytes: same bucket, but the whole token is the key.
    let a = format!("a{}", "z".repeat(99));
    let b = format!("b{}", "z".repeat(99));
    let cache = TokenCache::new(10, usize::MAX);
    cache.insert(&a, Arc::new(verified("Ua", 2_000)), Arc::from("k"));
    assert!(
        cache.get(&b, 1_000, 0).is_none(),
        "a different token is a miss"
    );
    cache.insert(&b, Arc::new(verified("Ub", 2_000)), Arc::from("k"));
    assert_eq!(cache.get(&a, 1_000, 0).unwrap().0.sub(), "Ua");
    assert_eq!(cache.get(&b, 1_000, 0).unwrap().0.sub(), "Ub");
    assert!(
        cache.get(&a[..99], 1_000, 0).is_none(),
        "a prefix is a miss"
    );
}

/// An ES256 key with a kid, able to sign tokens.
struct Signer {
    kid: String,
    pair: EcdsaKeyPair,
}

impl Signer {
    fn new(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        Self {
            kid: kid.to_owned(),
            pair,
        }
    }

    fn jwk(&self) -> Jwk {
        let point = self.pair.public_key().as_ref();
        Jwk {
            common: CommonParameters {
                key_id: Some(self.kid.clone()),
                key_algorithm: Some(KeyAlgorithm::ES256),
                ..Default::default()
            },
            algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                key_type: EllipticCurveKeyType::EC,
                curve: EllipticCurve::P256,
                x: URL_SAFE_NO_PAD.encode(&point[1..33]),
                y: URL_SAFE_NO_PAD.encode(&point[33..65]),
            }),
        }
    }

    fn sign(&self, claims: &serde_json::Value) -> String {
        let header = json!({"typ": "JWT", "alg": "ES256", "kid": self.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }
}

fn now_secs() -> i64 {
    unix_secs(SystemTime::now())
}

fn claims(nonce: Option<&str>) -> serde_json::Value {
    let mut c = json!({
        "iss": "https://access.line.me",
        "sub": "U0123456789abcdef0123456789abcdef",
        "aud": "1234567890",
        "exp": now_secs() + 3600,
        "iat": now_secs(),
    });
    if let Some(nonce) = nonce {
        c["nonce"] = json!(nonce);
    }
    c
}

fn config() -> Config {
    Config::builder("1234567890", "secret", "https://example.com/cb")
        .build()
        .unwrap()
}

/// A JWKS source with a switchable answer and a fetch counter.
struct Source {
    set: std::sync::Mutex<Result<JwkSet, String>>,
    max_age: Option<Duration>,
    fetches: AtomicUsize,
}

struct Shared(Arc<Source>);

#[async_trait::async_trait]
impl JwksSource for Shared {
    async fn fetch(&self) -> Result<(JwkSet, Option<Duration>), KeyFetchError> {
        self.0.fetches.fetch_add(1, Ordering::SeqCst);
        let answer = self.0.set.lock().unwrap().clone();
        answer
            .map(|set| (set, self.0.max_age))
            .map_err(KeyFetchError::new)
    }
}

fn source(keys: Vec<Jwk>, max_age: Option<Duration>) -> Arc<Source> {
    Arc::new(Source {
        set: std::sync::Mutex::new(Ok(JwkSet { keys })),
        max_age,
        fetches: AtomicUsize::new(0),
    })
}

#[tokio::test]
async fn a_cached_entry_is_served_only_for_the_identical_token() {
    let signer = Signer::new("k1");
    let src = source(vec![signer.jwk()], None);
    let verifier = IdTokenVerifier::builder(&config(), Shared(src.clone())).build();
    let token = signer.sign(&claims(None));
    verifier
        .verify_liff(&RawIdToken::new(token.clone()), None)
        .await
        .unwrap();
    assert_eq!(verifier.token_cache_len(), 1);

    // Plant a different answer under the token: a hit returns it, which proves the
    // second call is served from the cache and skips the ECDSA check.
    let planted = verified("Uplanted", now_secs() + 600);
    let cache = verifier.token_cache().unwrap();
    cache.insert(&token, Arc::new(planted), Arc::from("k1"));
    let hit = verifier
        .verify_liff(&RawIdToken::new(token.clone()), None)
        .await
        .unwrap();
    assert_eq!(hit.sub(), "Uplanted");
    // The hit still applies the per-call checks.
    let err = verifier
        .verify_liff(&RawIdToken::new(token), Some(&Nonce::new("n")))
        .await
        .unwrap_err();
    assert!(matches!(err, IdTokenError::NonceMissing), "{err}");
}

#[tokio::test]
async fn tokens_with_a_nonce_are_not_cached_and_web_login_never_is() {
    let signer = Signer::new("k1");
    let verifier =
        IdTokenVerifier::builder(&config(), Shared(source(vec![signer.jwk()], None))).build();
    let with_nonce = signer.sign(&claims(Some("n1")));
    verifier
        .verify_liff(&RawIdToken::new(with_nonce), Some(&Nonce::new("n1")))
        .await
        .unwrap();
    assert_eq!(verifier.token_cache_len(), 0);

    let off = IdTokenVerifier::builder(&config(), Shared(source(vec![signer.jwk()], None)))
        .liff_token_cache(None)
        .build();
    off.verify_liff(&RawIdToken::new(signer.sign(&claims(None))), None)
        .await
        .unwrap();
    assert_eq!(off.token_cache_len(), 0);
}

#[tokio::test(start_paused = true)]
async fn jwks_max_age_is_honoured_within_bounds() {
    let signer = Signer::new("k1");
    // LINE says 1 s: raised to the 60 s minimum.
    let src = source(vec![signer.jwk()], Some(Duration::from_secs(1)));
    let verifier = IdTokenVerifier::builder(&config(), Shared(src.clone()))
        .liff_token_cache(None)
        .build();
    let token = RawIdToken::new(signer.sign(&claims(None)));
    verifier.verify_liff(&token, None).await.unwrap();
    tokio::time::advance(Duration::from_secs(30)).await;
    verifier.verify_liff(&token, None).await.unwrap();
    assert_eq!(src.fetches.load(Ordering::SeqCst), 1);
    tokio::time::advance(JWKS_MIN_MAX_AGE).await;
    verifier.verify_liff(&token, None).await.unwrap();
    assert_eq!(
        src.fetches.load(Ordering::SeqCst),
        2,
        "expired set is refetched"
    );
}

#[tokio::test(start_paused = true)]
async fn default_max_age_applies_when_line_says_nothing() {
    let signer = Signer::new("k1");
    let src = source(vec![signer.jwk()], None);
    let verifier = IdTokenVerifier::builder(&config(), Shared(src.clone()))
        .liff_token_cache(None)
        .build();
    let token = RawIdToken::new(signer.sign(&claims(None)));
    verifier.verify_liff(&token, None).await.unwrap();
    tokio::time::advance(JWKS_DEFAULT_MAX_AGE - Duration::from_secs(1)).await;
    verifier.verify_liff(&token, None).await.unwrap();
    assert_eq!(src.fetches.load(Ordering::SeqCst), 1);
    tokio::time::advance(Duration::from_secs(2)).await;
    verifier.verify_liff(&token, None).await.unwrap();
    assert_eq!(src.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn failed_fetch_backs_off_and_stale_keys_serve_meanwhile() {
    let signer = Signer::new("k1");
    let src = source(vec![signer.jwk()], Some(Duration::from_secs(60)));
    let verifier = IdTokenVerifier::builder(&config(), Shared(src.clone()))
        .liff_token_cache(None)
        .build();
    let token = RawIdToken::new(signer.sign(&claims(None)));

    // Cold cache and LINE down: the error says so and is transient.
    *src.set.lock().unwrap() = Err("connection refused".to_owned());
    let err = verifier.verify_liff(&token, None).await.unwrap_err();
    assert!(
        matches!(err, IdTokenError::KeyFetch(_)) && err.is_transient(),
        "{err}"
    );
    // Within the backoff the same error comes back without a new request.
    let err = verifier.verify_liff(&token, None).await.unwrap_err();
    assert!(matches!(err, IdTokenError::KeyFetch(_)));
    assert_eq!(src.fetches.load(Ordering::SeqCst), 1);

    // LINE is back; after the backoff the keys are fetched.
    *src.set.lock().unwrap() = Ok(JwkSet {
        keys: vec![signer.jwk()],
    });
    tokio::time::advance(Duration::from_secs(6)).await;
    verifier.verify_liff(&token, None).await.unwrap();
    assert_eq!(src.fetches.load(Ordering::SeqCst), 2);

    // The set expires while LINE is down again: the stale keys keep serving.
    *src.set.lock().unwrap() = Err("503".to_owned());
    tokio::time::advance(Duration::from_secs(61)).await;
    verifier.verify_liff(&token, None).await.unwrap();
    assert_eq!(src.fetches.load(Ordering::SeqCst), 3);
}

#[test]
fn verify_id_token_rejects_es256_without_kid() {
    let signer = Signer::new("k1");
    let keys = Es256Keys::from_jwk_set(&JwkSet {
        keys: vec![signer.jwk()],
    });
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(None).to_string());
    let raw = format!("{header}.{payload}.{}", "A".repeat(86));
    let err = verify_id_token(&raw, &IdTokenExpectations::liff(&config(), keys)).unwrap_err();
    assert!(
        matches!(err, IdTokenError::UnknownKey { kid: None }),
        "{err}"
    );
}

#[test]
fn the_verifiers_debug_names_the_channel_and_never_the_secret() {
    let verifier = IdTokenVerifier::builder(&config(), Shared(source(Vec::new(), None))).build();
    let debug = format!("{verifier:?}");
    assert!(debug.starts_with("IdTokenVerifier {"), "{debug}");
    assert!(debug.contains(r#"audience: "1234567890""#), "{debug}");
    assert!(debug.contains("liff_token_cache: true"), "{debug}");
    assert!(!debug.contains("secret"), "{debug}");
}
