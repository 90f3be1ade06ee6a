//! Signing for the simulator: the ES256 key of the JWKS (generated with aws-lc-rs), HS256 ID
//! tokens keyed with the channel secret, and the ID-token claims LINE puts in each case.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, KeyAlgorithm, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};

use super::faults::Fault;
use super::state::{ID_TOKEN_TTL_SECS, random_hex};

/// Length of an uncompressed P-256 point: `0x04 || x (32) || y (32)`.
const P256_UNCOMPRESSED_POINT_LEN: usize = 65;
/// Any issuer that is not the simulator's, for the `WrongIssuer` fault.
const FOREIGN_ISSUER: &str = "https://issuer.invalid";
/// Any audience that is not the channel, for the `WrongAudience` fault.
const FOREIGN_AUDIENCE: &str = "1000000000";
/// How far `Expired` / `IssuedInFuture` move a token, well past any clock skew.
const FAULT_TIME_SHIFT_SECS: u64 = 2 * 3_600;

/// One ES256 signing key and its public JWK.
#[derive(Clone)]
pub(crate) struct EsKey {
    pub kid: String,
    pub x: String,
    pub y: String,
    encoding: EncodingKey,
}

impl EsKey {
    /// A fresh P-256 key with a random 64-hex-digit `kid` (the shape LINE's kids have).
    pub fn generate() -> Result<Self, String> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| "could not generate a P-256 key".to_owned())?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .map_err(|e| format!("generated P-256 key rejected: {e}"))?;
        let point = pair.public_key().as_ref();
        if point.len() != P256_UNCOMPRESSED_POINT_LEN || point[0] != 0x04 {
            return Err("unexpected P-256 public key encoding".to_owned());
        }
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        Ok(Self {
            kid: random_hex(32),
            x: b64.encode(&point[1..33]),
            y: b64.encode(&point[33..65]),
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
        })
    }

    /// The public key as LINE publishes it in `/oauth2/v2.1/certs`.
    pub fn jwk(&self) -> Jwk {
        Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::ES256),
                key_id: Some(self.kid.clone()),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                key_type: EllipticCurveKeyType::EC,
                curve: EllipticCurve::P256,
                x: self.x.clone(),
                y: self.y.clone(),
            }),
        }
    }

    /// Signs `claims` as `{"typ":"JWT","alg":"ES256","kid":...}`.
    pub fn sign(&self, claims: &Map<String, Value>) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }
}

/// Signs `claims` with HS256 and `key`, header `{"typ":"JWT","alg":"HS256"}` (no `kid`).
pub(crate) fn sign_hs256(
    claims: &Map<String, Value>,
    key: &[u8],
) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key),
    )
}

/// What goes into one ID token.
pub(crate) struct IdTokenInput<'a> {
    pub issuer: &'a str,
    pub channel_id: &'a str,
    pub user_id: &'a str,
    pub now: u64,
    pub nonce: Option<&'a str>,
    pub auth_time: Option<u64>,
    pub amr: &'a str,
    pub name: Option<&'a str>,
    pub picture: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// The claims of an ID token, LINE's way: `nonce` only when sent, `auth_time` only with
/// `max_age`, `name`/`picture`/`email` only when their scope (and grant) allows.
pub(crate) fn id_token_claims(input: &IdTokenInput<'_>) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(input.issuer));
    claims.insert("sub".into(), json!(input.user_id));
    claims.insert("aud".into(), json!(input.channel_id));
    claims.insert(
        "exp".into(),
        json!(input.now.saturating_add(ID_TOKEN_TTL_SECS)),
    );
    claims.insert("iat".into(), json!(input.now));
    if let Some(auth_time) = input.auth_time {
        claims.insert("auth_time".into(), json!(auth_time));
    }
    if let Some(nonce) = input.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    claims.insert("amr".into(), json!([input.amr]));
    if let Some(name) = input.name {
        claims.insert("name".into(), json!(name));
    }
    if let Some(picture) = input.picture {
        claims.insert("picture".into(), json!(picture));
    }
    if let Some(email) = input.email {
        claims.insert("email".into(), json!(email));
    }
    claims
}

/// Applies the claim faults (`WrongNonce`, `WrongAudience`, `WrongIssuer`, `Expired`,
/// `IssuedInFuture`) to `claims`. Returns whether `BadSignature` was asked for.
pub(crate) fn apply_claim_faults(
    claims: &mut Map<String, Value>,
    faults: &[Fault],
    now: u64,
) -> bool {
    let mut bad_signature = false;
    for fault in faults {
        match fault {
            Fault::WrongNonce => {
                claims.insert("nonce".into(), json!(format!("wrong-{}", random_hex(8))));
            }
            Fault::WrongAudience => {
                claims.insert("aud".into(), json!(FOREIGN_AUDIENCE));
            }
            Fault::WrongIssuer => {
                claims.insert("iss".into(), json!(FOREIGN_ISSUER));
            }
            Fault::Expired => {
                let iat = now.saturating_sub(FAULT_TIME_SHIFT_SECS + ID_TOKEN_TTL_SECS);
                claims.insert("iat".into(), json!(iat));
                claims.insert("exp".into(), json!(iat.saturating_add(ID_TOKEN_TTL_SECS)));
            }
            Fault::IssuedInFuture => {
                let iat = now.saturating_add(FAULT_TIME_SHIFT_SECS);
                claims.insert("iat".into(), json!(iat));
                claims.insert("exp".into(), json!(iat.saturating_add(ID_TOKEN_TTL_SECS)));
            }
            Fault::BadSignature => bad_signature = true,
            _ => {}
        }
    }
    bad_signature
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn es256_tokens_verify_with_the_published_jwk() {
        let key = EsKey::generate().unwrap();
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("U0"));
        let token = key.sign(&claims).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
        let decoding = DecodingKey::from_jwk(&key.jwk()).unwrap();
        let mut validation = Validation::new(Algorithm::ES256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(&token, &decoding, &validation).unwrap();
        assert_eq!(data.claims["sub"], "U0");
        assert_eq!(key.kid.len(), 64);
    }

    #[test]
    fn optional_claims_appear_only_when_given() {
        let claims = id_token_claims(&IdTokenInput {
            issuer: "http://127.0.0.1:1",
            channel_id: "1",
            user_id: "U1",
            now: 100,
            nonce: None,
            auth_time: None,
            amr: "linesso",
            name: None,
            picture: None,
            email: None,
        });
        for absent in ["nonce", "auth_time", "name", "picture", "email"] {
            assert!(!claims.contains_key(absent), "{absent}");
        }
        assert_eq!(claims["exp"], 3_700);
    }
}
