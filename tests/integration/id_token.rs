//! ID token verification, as a specification: one row per refusal with its exact error, one
//! row per accepted form, then the verifier's JWKS cache (rotation, kid storms, single-flight),
//! its verified-token cache, LINE-backed verification against the simulator, and fuzzing.
//! Tokens are signed here with jsonwebtoken (HS256 with a secret, ES256 with a P-256 key made
//! by aws-lc-rs).

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, JwkSet, KeyAlgorithm,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use line_login::id_token::{
    Amr, Es256Keys, ID_TOKEN_MAX_BYTES, IdTokenAlgorithm, IdTokenError, IdTokenExpectations,
    IdTokenVerifier, JWKS_REFETCH_COOLDOWN, JwksSource, KeyFetchError, verify_id_token,
};
use line_login::{Config, LineApi, Nonce, RawIdToken};
use line_login_simulator::{Endpoint, Fault, Simulator};
use proptest::prelude::*;
use serde_json::{Value, json};

const CHANNEL_ID: &str = "1234567890";
const SECRET: &str = "test-channel-secret";
const ISSUER: &str = "https://access.line.me";
const SUB: &str = "U4af4980629c3c8b4f2a6c1e2d3b4a5f6";
const NONCE: &str = "n0nce-5e1f9a";
/// The fixed "now" of the table tests, in UNIX seconds.
const NOW: i64 = 1_750_000_000;

fn at(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs as u64)
}

fn config() -> Config {
    Config::builder(CHANNEL_ID, SECRET, "https://example.com/auth/line/callback")
        .build()
        .unwrap()
}

/// A LINE-shaped payload, valid at [`NOW`].
fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": SUB,
        "aud": CHANNEL_ID,
        "exp": NOW + 3600,
        "iat": NOW,
        "nonce": NONCE,
        "amr": ["linesso"],
        "name": "Taro",
        "picture": "https://profile.line-scdn.net/0h1a2b3c",
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn hs256_with(secret: &[u8], claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn hs256(claims: &Value) -> String {
    hs256_with(SECRET.as_bytes(), claims)
}

/// A token with any header and payload bytes, HMAC-signed with the channel secret.
fn hs256_raw(header: &str, payload: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes());
    let tag = hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// A P-256 key with a `kid`, as in LINE's JWKS.
struct EsKey {
    kid: String,
    pkcs8: Vec<u8>,
    point: Vec<u8>,
}

impl EsKey {
    fn generate(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        Self {
            kid: kid.to_owned(),
            pkcs8: pkcs8.as_ref().to_vec(),
            point: pair.public_key().as_ref().to_vec(),
        }
    }

    /// The JWK: the uncompressed point 0x04 || x || y split into x and y.
    fn jwk(&self) -> Jwk {
        Jwk {
            common: CommonParameters {
                key_id: Some(self.kid.clone()),
                key_algorithm: Some(KeyAlgorithm::ES256),
                ..Default::default()
            },
            algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                key_type: EllipticCurveKeyType::EC,
                curve: EllipticCurve::P256,
                x: URL_SAFE_NO_PAD.encode(&self.point[1..33]),
                y: URL_SAFE_NO_PAD.encode(&self.point[33..65]),
            }),
        }
    }

    fn keys(&self) -> Es256Keys {
        Es256Keys::from_jwk_set(&JwkSet {
            keys: vec![self.jwk()],
        })
    }

    fn sign(&self, claims: &Value) -> String {
        self.sign_as(&self.kid, claims)
    }

    fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.to_owned());
        encode(&header, claims, &EncodingKey::from_ec_der(&self.pkcs8)).unwrap()
    }
}

fn web() -> IdTokenExpectations {
    IdTokenExpectations::web_login(&config())
        .nonce(&Nonce::new(NONCE))
        .now(at(NOW))
}

fn liff(key: &EsKey) -> IdTokenExpectations {
    IdTokenExpectations::liff(&config(), key.keys()).now(at(NOW))
}

fn b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

type Check = fn(&IdTokenError) -> bool;

#[test]
fn each_refusal_has_its_own_error() {
    let es = EsKey::generate("kid-1");
    let other_es = EsKey::generate("kid-1");
    let valid = hs256(&claims());
    let payload_b64 = valid.split('.').nth(1).unwrap().to_owned();
    let half = valid[..valid.len() / 2].to_owned();
    let huge = hs256(&with(
        claims(),
        "pad",
        json!("x".repeat(ID_TOKEN_MAX_BYTES)),
    ));

    let rows: Vec<(&str, String, IdTokenExpectations, Check)> = vec![
        (
            "HS256 signed with another secret",
            hs256_with(b"another-secret", &claims()),
            web(),
            |e| matches!(e, IdTokenError::BadSignature),
        ),
        (
            "ES256 signed by another key under the same kid",
            other_es.sign(&without(claims(), "nonce")),
            liff(&es),
            |e| matches!(e, IdTokenError::BadSignature),
        ),
        (
            "alg none",
            format!("{}.{payload_b64}.", b64(r#"{"alg":"none","typ":"JWT"}"#)),
            web(),
            |e| matches!(e, IdTokenError::AlgorithmNotAllowed(a) if a == "none"),
        ),
        (
            "alg None (case variant)",
            format!("{}.{payload_b64}.", b64(r#"{"alg":"None"}"#)),
            web().es256_keys(es.keys()),
            |e| matches!(e, IdTokenError::AlgorithmNotAllowed(a) if a == "None"),
        ),
        (
            "HS256 token where only ES256 is expected",
            hs256(&claims()),
            liff(&es),
            |e| matches!(e, IdTokenError::AlgorithmNotAllowed(a) if a == "HS256"),
        ),
        (
            "HS256 keyed with the ES256 public key where only ES256 is expected",
            hs256_with(&es.point, &claims()),
            liff(&es),
            |e| matches!(e, IdTokenError::AlgorithmNotAllowed(a) if a == "HS256"),
        ),
        (
            "HS256 keyed with the public key where both are allowed: only the secret is tried",
            hs256_with(&es.point, &claims()),
            web().es256_keys(es.keys()),
            |e| matches!(e, IdTokenError::BadSignature),
        ),
        (
            "ES256 token where only HS256 is expected",
            es.sign(&claims()),
            web(),
            |e| matches!(e, IdTokenError::AlgorithmNotAllowed(a) if a == "ES256"),
        ),
        (
            "RS256 header",
            format!(
                "{}.{payload_b64}.{}",
                b64(r#"{"alg":"RS256"}"#),
                "A".repeat(342)
            ),
            web(),
            |e| matches!(e, IdTokenError::AlgorithmNotAllowed(a) if a == "RS256"),
        ),
        (
            "ES256 kid not in the key set",
            es.sign_as("kid-unknown", &claims()),
            liff(&es),
            |e| matches!(e, IdTokenError::UnknownKey { kid: Some(k) } if k == "kid-unknown"),
        ),
        (
            "wrong iss",
            hs256(&with(claims(), "iss", json!("https://evil.example"))),
            web(),
            |e| matches!(e, IdTokenError::WrongIssuer { found, .. } if found == "https://evil.example"),
        ),
        (
            "wrong aud",
            hs256(&with(claims(), "aud", json!("9999999999"))),
            web(),
            |e| matches!(e, IdTokenError::WrongAudience { expected } if expected == CHANNEL_ID),
        ),
        (
            "aud array without the channel",
            hs256(&with(claims(), "aud", json!(["111", "222"]))),
            web(),
            |e| matches!(e, IdTokenError::WrongAudience { .. }),
        ),
        (
            "aud with several values containing the channel but no azp (OIDC 3.1.3.7)",
            hs256(&with(claims(), "aud", json!(["111", CHANNEL_ID]))),
            web(),
            |e| matches!(e, IdTokenError::WrongAuthorizedParty { expected } if expected == CHANNEL_ID),
        ),
        (
            "aud with several values containing the channel, azp another party",
            hs256(&with(
                with(claims(), "aud", json!([CHANNEL_ID, "111"])),
                "azp",
                json!("111"),
            )),
            web(),
            |e| matches!(e, IdTokenError::WrongAuthorizedParty { .. }),
        ),
        (
            "azp of another party with a single aud",
            hs256(&with(claims(), "azp", json!("111"))),
            web(),
            |e| matches!(e, IdTokenError::WrongAuthorizedParty { .. }),
        ),
        (
            "azp not a string",
            hs256(&with(claims(), "azp", json!(1234567890))),
            web(),
            |e| matches!(e, IdTokenError::WrongAuthorizedParty { .. }),
        ),
        (
            "ES256 aud with several values and no azp",
            es.sign(&with(claims(), "aud", json!([CHANNEL_ID, "111"]))),
            liff(&es),
            |e| matches!(e, IdTokenError::WrongAuthorizedParty { .. }),
        ),
        (
            "expired beyond the 60 s skew",
            hs256(&with(claims(), "exp", json!(NOW - 61))),
            web(),
            |e| matches!(e, IdTokenError::Expired { exp, now } if *exp == NOW - 61 && *now == NOW),
        ),
        (
            "expired with the skew set to zero",
            hs256(&with(claims(), "exp", json!(NOW - 30))),
            web().clock_skew(Duration::ZERO),
            |e| matches!(e, IdTokenError::Expired { .. }),
        ),
        (
            "iat in the future beyond the skew",
            hs256(&with(claims(), "iat", json!(NOW + 61))),
            web(),
            |e| matches!(e, IdTokenError::IssuedInFuture { iat, .. } if *iat == NOW + 61),
        ),
        (
            "wrong nonce",
            hs256(&with(claims(), "nonce", json!("another-nonce"))),
            web(),
            |e| matches!(e, IdTokenError::NonceMismatch),
        ),
        (
            "missing nonce when one was sent",
            hs256(&without(claims(), "nonce")),
            web(),
            |e| matches!(e, IdTokenError::NonceMissing),
        ),
        (
            "auth_time older than max_age",
            hs256(&with(claims(), "auth_time", json!(NOW - 700))),
            web().max_age(Duration::from_secs(600)),
            |e| matches!(e, IdTokenError::AuthTooOld { auth_time, max_age_secs: 600 } if *auth_time == NOW - 700),
        ),
        (
            "max_age requested but no auth_time",
            hs256(&claims()),
            web().max_age(Duration::from_secs(600)),
            |e| matches!(e, IdTokenError::AuthTimeMissing),
        ),
        (
            "missing sub",
            hs256(&without(claims(), "sub")),
            web(),
            |e| matches!(e, IdTokenError::MissingSubject),
        ),
        (
            "empty sub",
            hs256(&with(claims(), "sub", json!(""))),
            web(),
            |e| matches!(e, IdTokenError::MissingSubject),
        ),
        (
            "missing exp",
            hs256(&without(claims(), "exp")),
            web(),
            |e| matches!(e, IdTokenError::MissingClaim("exp")),
        ),
        (
            "missing iss",
            hs256(&without(claims(), "iss")),
            web(),
            |e| matches!(e, IdTokenError::MissingClaim("iss")),
        ),
        (
            "exp of the wrong type",
            hs256(&with(claims(), "exp", json!("tomorrow"))),
            web(),
            |e| matches!(e, IdTokenError::InvalidClaims(_)),
        ),
        (
            "signed payload that is not JSON",
            hs256_raw(r#"{"alg":"HS256"}"#, b"not json"),
            web(),
            |e| matches!(e, IdTokenError::InvalidClaims(_)),
        ),
        (
            "signed payload with two iss claims",
            hs256_raw(
                r#"{"alg":"HS256"}"#,
                format!(
                    r#"{{"iss":"{ISSUER}","iss":"https://evil.example","sub":"{SUB}","aud":"{CHANNEL_ID}","exp":{},"iat":{NOW},"nonce":"{NONCE}"}}"#,
                    NOW + 3600
                )
                .as_bytes(),
            ),
            web(),
            |e| matches!(e, IdTokenError::InvalidClaims(m) if m.contains("duplicate claim iss")),
        ),
        (
            "critical header extension",
            hs256_raw(r#"{"alg":"HS256","crit":["x"]}"#, b"{}"),
            web(),
            |e| matches!(e, IdTokenError::Malformed(_)),
        ),
        (
            "truncated to half",
            half,
            web(),
            |e| matches!(e, IdTokenError::Malformed(_)),
        ),
        (
            "signature cut short",
            valid[..valid.len() - 4].to_owned(),
            web(),
            |e| matches!(e, IdTokenError::BadSignature),
        ),
        (
            "garbage",
            "this is not a token".to_owned(),
            web(),
            |e| matches!(e, IdTokenError::Malformed(_)),
        ),
        (
            "header not base64url",
            format!("%%%.{payload_b64}.{}", "A".repeat(43)),
            web(),
            |e| matches!(e, IdTokenError::Malformed(_)),
        ),
        (
            "four parts",
            format!("{valid}.extra"),
            web(),
            |e| matches!(e, IdTokenError::Malformed(_)),
        ),
        (
            "more than 16 KB",
            huge,
            web(),
            |e| matches!(e, IdTokenError::TooLarge { max: ID_TOKEN_MAX_BYTES, .. }),
        ),
    ];

    for (name, token, expectations, check) in rows {
        match verify_id_token(&token, &expectations) {
            Ok(v) => panic!("{name}: accepted (sub {})", v.sub()),
            Err(e) => {
                assert!(check(&e), "{name}: wrong error {e:?}");
                // Messages never leak the nonce or the token.
                let text = e.to_string();
                assert!(
                    !text.contains(NONCE) && !text.contains(&token),
                    "{name}: {text}"
                );
            }
        }
    }
}

#[test]
fn each_accepted_form_gives_typed_claims() {
    let es = EsKey::generate("kid-1");
    type Expect = fn(&line_login::VerifiedIdToken);
    let rows: Vec<(&str, String, IdTokenExpectations, Expect)> = vec![
        ("HS256 web login", hs256(&claims()), web(), |v| {
            assert_eq!(v.sub(), SUB);
            assert_eq!(v.algorithm(), IdTokenAlgorithm::Hs256);
            assert_eq!(v.name(), Some("Taro"));
            assert_eq!(v.picture(), Some("https://profile.line-scdn.net/0h1a2b3c"));
            assert_eq!(v.email(), None, "email not granted");
            assert_eq!(v.amr(), [Amr::LineSso]);
            assert_eq!(v.nonce(), Some(NONCE));
            assert_eq!(v.issued_at().unix_timestamp(), NOW);
            assert_eq!(v.expires_at().unix_timestamp(), NOW + 3600);
            assert_eq!(v.auth_time(), None);
            assert!(v.extra_claims().is_empty());
        }),
        (
            "ES256 LIFF without nonce",
            es.sign(&without(claims(), "nonce")),
            liff(&es),
            |v| {
                assert_eq!(v.algorithm(), IdTokenAlgorithm::Es256);
                assert_eq!(v.sub(), SUB);
                assert_eq!(v.nonce(), None);
            },
        ),
        (
            "aud as an array of the channel alone",
            hs256(&with(claims(), "aud", json!([CHANNEL_ID]))),
            web(),
            |v| assert_eq!(v.sub(), SUB),
        ),
        (
            "aud with several values containing the channel, azp the channel (OIDC 3.1.3.7)",
            hs256(&with(
                with(claims(), "aud", json!(["111", CHANNEL_ID])),
                "azp",
                json!(CHANNEL_ID),
            )),
            web(),
            |v| assert_eq!(v.extra_claims()["azp"], CHANNEL_ID),
        ),
        (
            "azp the channel with a single aud",
            hs256(&with(claims(), "azp", json!(CHANNEL_ID))),
            web(),
            |v| assert_eq!(v.sub(), SUB),
        ),
        (
            "no nonce expected, token without nonce",
            hs256(&without(claims(), "nonce")),
            IdTokenExpectations::web_login(&config()).now(at(NOW)),
            |v| assert_eq!(v.nonce(), None),
        ),
        (
            "no nonce expected, token with one",
            hs256(&claims()),
            IdTokenExpectations::web_login(&config()).now(at(NOW)),
            |v| assert_eq!(v.nonce(), Some(NONCE)),
        ),
        (
            "unknown claims are kept",
            hs256(&with(
                claims(),
                "https://example.com/tier",
                json!({"level": 3}),
            )),
            web(),
            |v| assert_eq!(v.extra_claims()["https://example.com/tier"]["level"], 3),
        ),
        (
            "unknown amr is kept",
            hs256(&with(claims(), "amr", json!(["lineqr", "webauthn", "mfa"]))),
            web(),
            |v| {
                assert_eq!(
                    v.amr(),
                    [Amr::LineQr, Amr::Other("webauthn".to_owned()), Amr::Mfa]
                )
            },
        ),
        (
            "email granted",
            hs256(&with(claims(), "email", json!("taro@example.com"))),
            web(),
            |v| assert_eq!(v.email(), Some("taro@example.com")),
        ),
        (
            "expired but within the skew",
            hs256(&with(claims(), "exp", json!(NOW - 59))),
            web(),
            |v| assert_eq!(v.expires_at().unix_timestamp(), NOW - 59),
        ),
        (
            "auth_time within max_age",
            hs256(&with(claims(), "auth_time", json!(NOW - 100))),
            web().max_age(Duration::from_secs(600)),
            |v| assert_eq!(v.auth_time().unwrap().unix_timestamp(), NOW - 100),
        ),
        (
            "escaped strings are decoded",
            hs256(&with(claims(), "name", json!("タロウ \"T\""))),
            web(),
            |v| assert_eq!(v.name(), Some("タロウ \"T\"")),
        ),
        (
            "header without typ",
            hs256_raw(
                r#"{"alg":"HS256","kid":"ignored"}"#,
                claims().to_string().as_bytes(),
            ),
            web(),
            |v| assert_eq!(v.sub(), SUB),
        ),
    ];
    for (name, token, expectations, expect) in rows {
        match verify_id_token(&token, &expectations) {
            Ok(v) => expect(&v),
            Err(e) => panic!("{name}: refused: {e}"),
        }
    }
}

#[test]
fn verified_token_serializes_as_claims_without_the_nonce() {
    let token = hs256(&with(claims(), "plan", json!("gold")));
    let verified = verify_id_token(&token, &web()).unwrap();
    let value = serde_json::to_value(&verified).unwrap();
    assert_eq!(value["sub"], SUB);
    assert_eq!(value["amr"], json!(["linesso"]));
    assert_eq!(value["iat"], NOW);
    assert_eq!(value["exp"], NOW + 3600);
    assert_eq!(value["plan"], "gold");
    assert!(value.get("nonce").is_none());
    let debug = format!("{verified:?}");
    assert!(!debug.contains(NONCE) && !debug.contains("Taro"), "{debug}");
}

/// A JWKS source whose keys can change, counting fetches, optionally slow.
struct Source {
    keys: Mutex<Vec<Jwk>>,
    fetches: AtomicUsize,
    delay: Duration,
}

impl Source {
    fn new(keys: Vec<Jwk>, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            keys: Mutex::new(keys),
            fetches: AtomicUsize::new(0),
            delay,
        })
    }
    fn set(&self, keys: Vec<Jwk>) {
        *self.keys.lock().unwrap() = keys;
    }
    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

struct Shared(Arc<Source>);

#[async_trait::async_trait]
impl JwksSource for Shared {
    async fn fetch(&self) -> Result<(JwkSet, Option<Duration>), KeyFetchError> {
        self.0.fetches.fetch_add(1, Ordering::SeqCst);
        if !self.0.delay.is_zero() {
            tokio::time::sleep(self.0.delay).await;
        }
        let keys = self.0.keys.lock().unwrap().clone();
        Ok((JwkSet { keys }, None))
    }
}

fn liff_claims() -> Value {
    without(claims(), "nonce")
}

fn raw(token: &str) -> RawIdToken {
    RawIdToken::new(token)
}

/// A verifier on a clock the test moves.
fn verifier(source: &Arc<Source>, clock: &Arc<AtomicI64>) -> IdTokenVerifier {
    let clock = clock.clone();
    IdTokenVerifier::builder(&config(), Shared(source.clone()))
        .clock(move || at(clock.load(Ordering::SeqCst)))
        .build()
}

#[tokio::test(start_paused = true)]
async fn a_new_kid_is_accepted_after_one_refetch() {
    let old = EsKey::generate("kid-old");
    let new = EsKey::generate("kid-new");
    let source = Source::new(vec![old.jwk()], Duration::ZERO);
    let verifier = verifier(&source, &Arc::new(AtomicI64::new(NOW)));

    verifier
        .verify_liff(&raw(&old.sign(&liff_claims())), None)
        .await
        .unwrap();
    assert_eq!(source.fetches(), 1);

    // LINE rotates; right after a fetch an unknown kid does not refetch (cooldown).
    source.set(vec![new.jwk()]);
    let new_token = raw(&new.sign(&liff_claims()));
    let err = verifier.verify_liff(&new_token, None).await.unwrap_err();
    assert!(matches!(err, IdTokenError::UnknownKey { .. }), "{err}");
    assert_eq!(source.fetches(), 1);

    tokio::time::advance(JWKS_REFETCH_COOLDOWN + Duration::from_secs(1)).await;
    let verified = verifier.verify_liff(&new_token, None).await.unwrap();
    assert_eq!(verified.sub(), SUB);
    assert_eq!(source.fetches(), 2, "one refetch");
    verifier.verify_liff(&new_token, None).await.unwrap();
    assert_eq!(source.fetches(), 2, "the new key is cached");
    assert!(verifier.cached_jwks().unwrap().contains_kid("kid-new"));
}

/// Tokens with forged kids; their signature is never looked at.
fn forged_kid_tokens(count: usize) -> Vec<RawIdToken> {
    let payload = URL_SAFE_NO_PAD.encode(liff_claims().to_string());
    (0..count)
        .map(|i| {
            let header = b64(&format!(r#"{{"alg":"ES256","kid":"forged-{i}"}}"#));
            raw(&format!("{header}.{payload}.{}", "A".repeat(86)))
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_storm_of_unknown_kids_causes_a_bounded_number_of_fetches() {
    let key = EsKey::generate("kid-1");
    let source = Source::new(vec![key.jwk()], Duration::from_millis(20));
    let verifier = verifier(&source, &Arc::new(AtomicI64::new(NOW)));
    let tokens = forged_kid_tokens(1000);

    // On a cold cache: 1000 concurrent callers, one fetch.
    let results =
        futures_util::future::join_all(tokens.iter().map(|t| verifier.verify_liff(t, None))).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(IdTokenError::UnknownKey { .. })))
    );
    assert!(source.fetches() <= 2, "{} fetches", source.fetches());

    // After the cooldown, another storm: at most one more fetch.
    tokio::time::advance(JWKS_REFETCH_COOLDOWN + Duration::from_secs(1)).await;
    let before = source.fetches();
    let results =
        futures_util::future::join_all(tokens.iter().map(|t| verifier.verify_liff(t, None))).await;
    assert!(results.iter().all(Result::is_err));
    assert!(
        source.fetches() - before <= 1,
        "{} fetches",
        source.fetches()
    );
    assert!(source.fetches() <= 2, "{} fetches", source.fetches());

    // Valid tokens still pass.
    verifier
        .verify_liff(&raw(&key.sign(&liff_claims())), None)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_on_a_cold_cache_share_one_fetch() {
    let key = EsKey::generate("kid-1");
    let source = Source::new(vec![key.jwk()], Duration::from_millis(100));
    let verifier = IdTokenVerifier::builder(&config(), Shared(source.clone()))
        .liff_token_cache(None)
        .build();
    let mut claims = liff_claims();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    claims["iat"] = json!(now);
    claims["exp"] = json!(now + 3600);
    let token = raw(&key.sign(&claims));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let verifier = verifier.clone();
            let token = token.clone();
            tokio::spawn(async move { verifier.verify_liff(&token, None).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().sub(), SUB);
    }
    assert_eq!(source.fetches(), 1);
}

#[tokio::test]
async fn cached_liff_token_returns_the_same_claims() {
    let key = EsKey::generate("kid-1");
    let source = Source::new(vec![key.jwk()], Duration::ZERO);
    let verifier = verifier(&source, &Arc::new(AtomicI64::new(NOW)));
    let token = raw(&key.sign(&with(liff_claims(), "extra", json!([1, 2]))));
    let first = verifier.verify_liff(&token, None).await.unwrap();
    let second = verifier.verify_liff(&token, None).await.unwrap();
    assert_eq!(
        serde_json::to_value(&first).unwrap(),
        serde_json::to_value(&second).unwrap()
    );
    assert_eq!(second.extra_claims()["extra"], json!([1, 2]));
    // A nonce the token does not carry is still refused on a hit.
    let err = verifier
        .verify_liff(&token, Some(&Nonce::new("n")))
        .await
        .unwrap_err();
    assert!(matches!(err, IdTokenError::NonceMissing), "{err}");
}

#[tokio::test]
async fn a_token_one_character_different_is_verified_in_full() {
    let key = EsKey::generate("kid-1");
    let source = Source::new(vec![key.jwk()], Duration::ZERO);
    let verifier = verifier(&source, &Arc::new(AtomicI64::new(NOW)));
    let token = key.sign(&liff_claims());
    verifier.verify_liff(&raw(&token), None).await.unwrap();

    // Change one character in the middle of the signature, then of the payload.
    for index in [token.len() - 20, token.find('.').unwrap() + 10] {
        let mut bytes = token.clone().into_bytes();
        bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes).unwrap();
        let err = verifier
            .verify_liff(&raw(&altered), None)
            .await
            .unwrap_err();
        // The signature is checked before the payload is even decoded.
        assert!(matches!(err, IdTokenError::BadSignature), "{err}");
    }
}

#[tokio::test]
async fn an_expired_token_is_not_served_from_the_cache() {
    let key = EsKey::generate("kid-1");
    let source = Source::new(vec![key.jwk()], Duration::ZERO);
    let clock = Arc::new(AtomicI64::new(NOW));
    let verifier = verifier(&source, &clock);
    let token = raw(&key.sign(&liff_claims()));
    verifier.verify_liff(&token, None).await.unwrap();

    clock.store(NOW + 3600 + 60, Ordering::SeqCst);
    let err = verifier.verify_liff(&token, None).await.unwrap_err();
    assert!(matches!(err, IdTokenError::Expired { .. }), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_kid_removed_from_the_jwks_invalidates_cached_tokens() {
    let old = EsKey::generate("kid-old");
    let new = EsKey::generate("kid-new");
    let source = Source::new(vec![old.jwk()], Duration::ZERO);
    let verifier = verifier(&source, &Arc::new(AtomicI64::new(NOW)));
    let old_token = raw(&old.sign(&liff_claims()));
    verifier.verify_liff(&old_token, None).await.unwrap();
    verifier.verify_liff(&old_token, None).await.unwrap();

    // The old key leaves LINE's JWKS; a token with the new kid makes us refetch.
    source.set(vec![new.jwk()]);
    tokio::time::advance(JWKS_REFETCH_COOLDOWN + Duration::from_secs(1)).await;
    verifier
        .verify_liff(&raw(&new.sign(&liff_claims())), None)
        .await
        .unwrap();
    assert_eq!(source.fetches(), 2);

    let err = verifier.verify_liff(&old_token, None).await.unwrap_err();
    assert!(
        matches!(err, IdTokenError::UnknownKey { kid: Some(ref k) } if k == "kid-old"),
        "{err}"
    );
}

#[tokio::test]
async fn web_login_through_the_verifier_uses_the_channel_secret_only() {
    let es = EsKey::generate("kid-1");
    let source = Source::new(vec![es.jwk()], Duration::ZERO);
    let verifier = verifier(&source, &Arc::new(AtomicI64::new(NOW)));
    let verified = verifier
        .verify_web_login(&raw(&hs256(&claims())), &Nonce::new(NONCE), None)
        .unwrap();
    assert_eq!(verified.sub(), SUB);
    let err = verifier
        .verify_web_login(&raw(&es.sign(&claims())), &Nonce::new(NONCE), None)
        .unwrap_err();
    assert!(matches!(err, IdTokenError::AlgorithmNotAllowed(_)), "{err}");
    let err = verifier
        .verify_web_login(
            &raw(&hs256(&claims())),
            &Nonce::new(NONCE),
            Some(Duration::from_secs(60)),
        )
        .unwrap_err();
    assert!(matches!(err, IdTokenError::AuthTimeMissing), "{err}");
    // LIFF verification refuses HS256 tokens.
    let err = verifier
        .verify_liff(&raw(&hs256(&claims())), None)
        .await
        .unwrap_err();
    assert!(matches!(err, IdTokenError::AlgorithmNotAllowed(_)), "{err}");
    assert_eq!(source.fetches(), 0, "web login never fetches the JWKS");
}

#[tokio::test]
async fn remote_verification_needs_a_line_api() {
    let source = Source::new(Vec::new(), Duration::ZERO);
    let verifier = IdTokenVerifier::builder(&config(), Shared(source)).build();
    let err = verifier
        .verify_remote(&raw(&hs256(&claims())), Some(&Nonce::new(NONCE)))
        .await
        .unwrap_err();
    assert!(matches!(err, IdTokenError::RemoteNotConfigured), "{err}");
}

#[tokio::test]
async fn line_api_verifier_checks_simulator_tokens_locally_and_remotely() {
    let sim = Simulator::start().await.unwrap();
    let config = sim
        .config_builder("http://127.0.0.1:3000/auth/line/callback")
        .build()
        .unwrap();
    let verifier = IdTokenVerifier::new(LineApi::new(&config).unwrap());
    let user = sim.users()[0].user_id.clone();
    let token = raw(&sim.issue_es256_id_token(&user, Some("sim-nonce")));

    let local = verifier
        .verify_liff(&token, Some(&Nonce::new("sim-nonce")))
        .await
        .unwrap();
    assert_eq!(local.sub(), user);
    assert_eq!(sim.requests(Endpoint::Certs), 1);

    let remote = verifier
        .verify_remote(&token, Some(&Nonce::new("sim-nonce")))
        .await
        .unwrap();
    assert_eq!(remote.sub(), user);
    assert_eq!(remote.amr(), local.amr());
    assert_eq!(sim.requests(Endpoint::VerifyIdToken), 1);

    let err = verifier
        .verify_remote(&token, Some(&Nonce::new("other-nonce")))
        .await
        .unwrap_err();
    assert!(matches!(err, IdTokenError::NonceMismatch), "{err}");

    // Garbage is refused before any request.
    let err = verifier
        .verify_remote(&raw("garbage"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, IdTokenError::Malformed(_)), "{err}");
    assert_eq!(sim.requests(Endpoint::VerifyIdToken), 2);

    // LINE rotates its key: the remote path follows at once, while locally the new kid waits
    // for the refetch cooldown (the JWKS was fetched moments ago).
    sim.rotate_jwks_key();
    let rotated = raw(&sim.issue_es256_id_token(&user, None));
    assert_eq!(
        verifier.verify_remote(&rotated, None).await.unwrap().sub(),
        user
    );
    let err = verifier.verify_liff(&rotated, None).await.unwrap_err();
    assert!(matches!(err, IdTokenError::UnknownKey { .. }), "{err}");
    assert_eq!(sim.requests(Endpoint::Certs), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_never_panic(input in ".{0,600}") {
        let expect = web().es256_keys(EsKey::generate("k").keys());
        prop_assert!(verify_id_token(&input, &expect).is_err());
    }

    #[test]
    fn arbitrary_three_part_base64_never_panics(
        header in proptest::collection::vec(any::<u8>(), 0..80),
        payload in proptest::collection::vec(any::<u8>(), 0..400),
        signature in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let token = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(&header),
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(&signature),
        );
        prop_assert!(verify_id_token(&token, &web()).is_err());
    }

    #[test]
    fn signed_arbitrary_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..400)) {
        // Past the signature check, the claims parser sees arbitrary bytes.
        let token = hs256_raw(r#"{"alg":"HS256"}"#, &payload);
        prop_assert!(verify_id_token(&token, &web()).is_err());
    }
}

#[tokio::test]
async fn liff_tokens_for_an_extra_audience_are_accepted_and_name_it() {
    let key = EsKey::generate("kid-1");
    let source = Source::new(vec![key.jwk()], Duration::ZERO);
    let liff_channel = "2000000001";
    let token = raw(&key.sign(&with(liff_claims(), "aud", json!(liff_channel))));
    // The configuration has no extra token audience: the LIFF channel is another channel.
    let err = verifier(&source, &Arc::new(AtomicI64::new(NOW)))
        .verify_liff(&token, None)
        .await
        .unwrap_err();
    assert!(matches!(err, IdTokenError::WrongAudience { .. }), "{err}");

    let verifier = IdTokenVerifier::builder(&config(), Shared(source.clone()))
        .extra_audiences([liff_channel])
        .clock(|| at(NOW))
        .build();
    let verified = verifier.verify_liff(&token, None).await.unwrap();
    assert_eq!(verified.audience(), liff_channel);
    // The channel itself is still accepted, and named.
    let own = raw(&key.sign(&liff_claims()));
    assert_eq!(
        verifier.verify_liff(&own, None).await.unwrap().audience(),
        CHANNEL_ID
    );
}

#[tokio::test]
async fn line_refusals_of_an_id_token_map_to_the_local_errors() {
    let sim = Simulator::start().await.unwrap();
    let config = sim
        .config_builder("http://127.0.0.1:3000/auth/line/callback")
        .build()
        .unwrap();
    let verifier = IdTokenVerifier::new(LineApi::new(&config).unwrap());
    let now = sim.now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let valid = json!({
        "iss": sim.issuer(),
        "sub": SUB,
        "aud": sim.channel_id(),
        "exp": now + 3600,
        "iat": now,
    });
    let secret = sim.channel_secret().as_bytes().to_vec();
    let remote = |claims: &Value| {
        let token = raw(&hs256_with(&secret, claims));
        let verifier = verifier.clone();
        async move { verifier.verify_remote(&token, None).await }
    };
    assert_eq!(remote(&valid).await.unwrap().sub(), SUB);

    // "Invalid IdToken.": a signature LINE does not accept.
    let forged = raw(&hs256_with(b"another-secret", &valid));
    let err = verifier.verify_remote(&forged, None).await.unwrap_err();
    assert!(matches!(err, IdTokenError::BadSignature), "{err}");
    // "Invalid IdToken Issuer.": LINE does not say which issuer it found.
    let err = remote(&with(valid.clone(), "iss", json!("https://evil.example")))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, IdTokenError::WrongIssuer { found, .. } if found == "(not disclosed by LINE)"),
        "{err}"
    );
    // "IdToken expired.".
    let err = remote(&with(valid.clone(), "exp", json!(now - 10)))
        .await
        .unwrap_err();
    assert!(matches!(err, IdTokenError::Expired { .. }), "{err}");
    // "Invalid IdToken Audience.".
    let err = remote(&with(valid.clone(), "aud", json!("9999999999")))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, IdTokenError::WrongAudience { expected } if expected == sim.channel_id()),
        "{err}"
    );
    // Anything else LINE answers stays a remote failure.
    sim.inject(Endpoint::VerifyIdToken, Fault::Status(500), Some(1));
    let err = remote(&valid).await.unwrap_err();
    assert!(matches!(err, IdTokenError::Remote(_)), "{err}");
}
