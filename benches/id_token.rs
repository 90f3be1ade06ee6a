//! ID token verification cost against its floors, on one LINE-shaped token (~445 bytes as
//! HS256): the bare aws-lc-rs primitive (HMAC-SHA256 verify / P-256 verify, key prebuilt),
//! jsonwebtoken 11 decode + validate, and ours; then a repeated LIFF token through the
//! verified-token cache vs a full verification. Run: `cargo bench --bench id_token`.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    ParsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, JwkSet, KeyAlgorithm,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use line_login::id_token::{
    Es256Keys, IdTokenExpectations, IdTokenVerifier, JwksSource, KeyFetchError, TokenCacheLimits,
    verify_id_token,
};
use line_login::{Config, Nonce, RawIdToken};
use serde_json::json;

const CHANNEL_ID: &str = "1653789012";
const SECRET: &str = "8f0e5b7c1d2a4e6f9b3c5d7e1f2a4b6c";
const ISSUER: &str = "https://access.line.me";
const NONCE: &str = "0a9Kq3Zx7WmP2rT5vY8bN1cE";
const KID: &str = "a2a459aec5b65fa4e8b7d3c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1";

fn config() -> Config {
    Config::builder(CHANNEL_ID, SECRET, "https://example.com/auth/line/callback")
        .build()
        .expect("valid config")
}

fn line_claims() -> serde_json::Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    json!({
        "iss": ISSUER,
        "sub": "U4af4980629c3c8b4f2a6c1e2d3b4a5f6",
        "aud": CHANNEL_ID,
        "exp": now + 86_400,
        "iat": now,
        "nonce": NONCE,
        "amr": ["linesso"],
        "name": "Taro Yamada",
        "picture": "https://profile.line-scdn.net/0hJ8nR5Xq2FmVZFQ9m0m1pMmVAFGx3Zn",
    })
}

/// jsonwebtoken's typed claims, as an application using it would declare them.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct JwtClaims {
    sub: String,
    nonce: Option<String>,
    amr: Option<Vec<String>>,
    name: Option<String>,
    picture: Option<String>,
    email: Option<String>,
    auth_time: Option<i64>,
}

fn split(token: &str) -> (&[u8], Vec<u8>) {
    let dot = token.rfind('.').expect("three parts");
    let signature = URL_SAFE_NO_PAD
        .decode(&token[dot + 1..])
        .expect("base64url signature");
    (&token.as_bytes()[..dot], signature)
}

struct Fixed(JwkSet);

#[async_trait::async_trait]
impl JwksSource for Fixed {
    async fn fetch(&self) -> Result<(JwkSet, Option<Duration>), KeyFetchError> {
        Ok((self.0.clone(), Some(Duration::from_secs(86_400))))
    }
}

fn bench(c: &mut Criterion) {
    let claims = line_claims();

    // ---- HS256 (web login) ----
    let hs_token = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("sign HS256");
    eprintln!("HS256 token: {} bytes", hs_token.len());
    let (hs_input, hs_sig) = split(&hs_token);
    let hmac_key = hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes());
    let mut jwt_hs = Validation::new(Algorithm::HS256);
    jwt_hs.set_issuer(&[ISSUER]);
    jwt_hs.set_audience(&[CHANNEL_ID]);
    jwt_hs.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    jwt_hs.leeway = 60;
    let jwt_hs_key = DecodingKey::from_secret(SECRET.as_bytes());
    let ours_hs = IdTokenExpectations::web_login(&config()).nonce(&Nonce::new(NONCE));
    verify_id_token(&hs_token, &ours_hs).expect("our HS256 check passes");

    let mut group = c.benchmark_group("hs256");
    group.bench_function("floor_aws_lc_hmac_verify", |b| {
        b.iter(|| hmac::verify(&hmac_key, black_box(hs_input), black_box(&hs_sig)).is_ok())
    });
    group.bench_function("jsonwebtoken_decode_validate", |b| {
        b.iter(|| {
            let data = decode::<JwtClaims>(black_box(&hs_token), &jwt_hs_key, &jwt_hs)
                .expect("jsonwebtoken accepts");
            assert_eq!(data.claims.nonce.as_deref(), Some(NONCE));
            data
        })
    });
    group.bench_function("ours_verify_id_token", |b| {
        b.iter(|| verify_id_token(black_box(&hs_token), &ours_hs).expect("ours accepts"))
    });
    group.finish();

    // ---- ES256 (LIFF, native) ----
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("keygen");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .expect("key pair");
    let point = pair.public_key().as_ref().to_vec();
    let jwk = Jwk {
        common: CommonParameters {
            key_id: Some(KID.to_owned()),
            key_algorithm: Some(KeyAlgorithm::ES256),
            ..Default::default()
        },
        algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
            key_type: EllipticCurveKeyType::EC,
            curve: EllipticCurve::P256,
            x: URL_SAFE_NO_PAD.encode(&point[1..33]),
            y: URL_SAFE_NO_PAD.encode(&point[33..65]),
        }),
    };
    let jwks = JwkSet {
        keys: vec![jwk.clone()],
    };
    let mut es_header = Header::new(Algorithm::ES256);
    es_header.kid = Some(KID.to_owned());
    let es_token = encode(
        &es_header,
        &claims,
        &EncodingKey::from_ec_der(pkcs8.as_ref()),
    )
    .expect("sign ES256");
    eprintln!("ES256 token: {} bytes", es_token.len());
    let (es_input, es_sig) = split(&es_token);
    let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point).expect("parsed key");
    let mut jwt_es = Validation::new(Algorithm::ES256);
    jwt_es.set_issuer(&[ISSUER]);
    jwt_es.set_audience(&[CHANNEL_ID]);
    jwt_es.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    jwt_es.leeway = 60;
    let jwt_es_key = DecodingKey::from_jwk(&jwk).expect("decoding key");
    let ours_es = IdTokenExpectations::liff(&config(), Es256Keys::from_jwk_set(&jwks))
        .nonce(&Nonce::new(NONCE));
    verify_id_token(&es_token, &ours_es).expect("our ES256 check passes");

    let mut group = c.benchmark_group("es256");
    group.bench_function("floor_aws_lc_p256_verify", |b| {
        b.iter(|| {
            parsed
                .verify_sig(black_box(es_input), black_box(&es_sig))
                .is_ok()
        })
    });
    group.bench_function("jsonwebtoken_decode_validate", |b| {
        b.iter(|| {
            let data = decode::<JwtClaims>(black_box(&es_token), &jwt_es_key, &jwt_es)
                .expect("jsonwebtoken accepts");
            assert_eq!(data.claims.nonce.as_deref(), Some(NONCE));
            data
        })
    });
    group.bench_function("ours_verify_id_token", |b| {
        b.iter(|| verify_id_token(black_box(&es_token), &ours_es).expect("ours accepts"))
    });
    group.finish();

    // ---- Repeated identical LIFF token (no nonce) ----
    let liff_claims = {
        let mut c = claims.clone();
        c.as_object_mut().expect("object").remove("nonce");
        c
    };
    let liff_token = RawIdToken::new(
        encode(
            &es_header,
            &liff_claims,
            &EncodingKey::from_ec_der(pkcs8.as_ref()),
        )
        .expect("sign LIFF token"),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cached = IdTokenVerifier::builder(&config(), Fixed(jwks.clone()))
        .liff_token_cache(Some(TokenCacheLimits::default()))
        .build();
    let uncached = IdTokenVerifier::builder(&config(), Fixed(jwks.clone()))
        .liff_token_cache(None)
        .build();
    runtime.block_on(async {
        cached
            .verify_liff(&liff_token, None)
            .await
            .expect("cached ok");
        uncached
            .verify_liff(&liff_token, None)
            .await
            .expect("uncached ok");
    });

    let mut group = c.benchmark_group("liff_repeat");
    group.bench_function("full_verification", |b| {
        b.iter(|| {
            runtime
                .block_on(uncached.verify_liff(black_box(&liff_token), None))
                .expect("ok")
        })
    });
    group.bench_function("verified_token_cache_hit", |b| {
        b.iter(|| {
            runtime
                .block_on(cached.verify_liff(black_box(&liff_token), None))
                .expect("ok")
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .without_plots();
    targets = bench
}
criterion_main!(benches);
