//! What a token must satisfy ([`IdTokenExpectations`]) and the keys it may be signed with:
//! the channel secret as a prebuilt HMAC key, ES256 public keys parsed once from a JWKS.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use base64::Engine as _;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
};

use crate::config::Config;
use crate::secret::ChannelSecret;
use crate::secret::Nonce;

/// Clock skew tolerated on `exp`, `iat` and `auth_time` unless configured otherwise.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// Size of a P-256 coordinate in bytes.
const P256_COORDINATE_BYTES: usize = 32;

/// base64url that tolerates padding, for JWK coordinates.
const URL_SAFE_LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    base64::engine::GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// One ES256 verification key, parsed once.
pub(crate) struct Es256Key {
    pub(crate) kid: Box<str>,
    pub(crate) key: ParsedPublicKey,
}

/// A set of ES256 (P-256) public keys by `kid`, parsed once from a JWKS. Cheap to clone.
///
/// Keys that are not P-256 signature keys (RSA entries, other curves, `use: enc`) are skipped.
#[derive(Clone, Default)]
pub struct Es256Keys {
    keys: Arc<[Es256Key]>,
}

impl Es256Keys {
    /// Parses every usable ES256 key of `set`; unusable entries are skipped (logged at debug).
    pub fn from_jwk_set(set: &JwkSet) -> Self {
        let keys: Vec<Es256Key> = set
            .keys
            .iter()
            .filter_map(|jwk| match parse_es256_jwk(jwk) {
                Ok(key) => Some(key),
                Err(reason) => {
                    tracing::debug!(kid = ?jwk.common.key_id, reason, "JWKS entry skipped");
                    None
                }
            })
            .collect();
        Self { keys: keys.into() }
    }

    /// How many keys are usable.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is usable.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether a key with this `kid` is present.
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.find(kid).is_some()
    }

    /// The `kid`s of the usable keys.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| &*k.kid)
    }

    /// The key for `kid`. A linear scan: a JWKS holds a handful of keys, and comparing a few
    /// strings is faster than hashing one.
    pub(crate) fn find(&self, kid: &str) -> Option<&ParsedPublicKey> {
        self.keys.iter().find(|k| &*k.kid == kid).map(|k| &k.key)
    }
}

impl fmt::Debug for Es256Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.kids()).finish()
    }
}

fn parse_es256_jwk(jwk: &Jwk) -> Result<Es256Key, &'static str> {
    let kid = jwk.common.key_id.as_deref().ok_or("no kid")?;
    if !matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::ES256)) {
        return Err("alg is not ES256");
    }
    if !matches!(
        jwk.common.public_key_use,
        None | Some(PublicKeyUse::Signature)
    ) {
        return Err("use is not sig");
    }
    let AlgorithmParameters::EllipticCurve(ec) = &jwk.algorithm else {
        return Err("not an EC key");
    };
    if ec.curve != EllipticCurve::P256 {
        return Err("curve is not P-256");
    }
    // Uncompressed SEC1 point: 0x04 || x || y.
    let mut point = [0u8; 1 + 2 * P256_COORDINATE_BYTES];
    point[0] = 0x04;
    decode_coordinate(&ec.x, &mut point[1..=P256_COORDINATE_BYTES])?;
    decode_coordinate(&ec.y, &mut point[1 + P256_COORDINATE_BYTES..])?;
    let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
        .map_err(|_| "not a point on P-256")?;
    Ok(Es256Key {
        kid: kid.into(),
        key,
    })
}

fn decode_coordinate(b64: &str, out: &mut [u8]) -> Result<(), &'static str> {
    let mut buf = [0u8; P256_COORDINATE_BYTES + 3];
    match URL_SAFE_LENIENT.decode_slice(b64.as_bytes(), &mut buf) {
        Ok(n) if n == P256_COORDINATE_BYTES => {
            out.copy_from_slice(&buf[..n]);
            Ok(())
        }
        _ => Err("coordinate is not 32 bytes of base64url"),
    }
}

/// What an ID token must satisfy, and with which keys it may be signed.
///
/// The allowed algorithms come from here, never from the token or from discovery:
/// [`IdTokenExpectations::web_login`] allows HS256 with the channel secret only;
/// [`IdTokenExpectations::liff`] allows ES256 with the given JWKS keys only. An HS256 token is
/// only ever checked against the channel secret, so a public key can never be used as an HMAC
/// key. Cheap to clone.
#[derive(Clone)]
#[must_use]
pub struct IdTokenExpectations {
    pub(crate) issuer: Arc<str>,
    pub(crate) audience: Arc<str>,
    pub(crate) hs256: Option<Arc<hmac::Key>>,
    pub(crate) es256: Option<Es256Keys>,
    pub(crate) nonce: Option<String>,
    pub(crate) max_age: Option<Duration>,
    pub(crate) clock_skew: Duration,
    pub(crate) now: Option<SystemTime>,
}

impl IdTokenExpectations {
    /// Expects `iss` == `issuer` and `aud` containing `audience`, with no algorithm allowed
    /// yet: add [`Self::hs256_secret`] and/or [`Self::es256_keys`].
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: Arc::from(issuer.into()),
            audience: Arc::from(audience.into()),
            hs256: None,
            es256: None,
            nonce: None,
            max_age: None,
            clock_skew: DEFAULT_CLOCK_SKEW,
            now: None,
        }
    }

    /// Web login (the authorization-code flow): HS256 with the channel secret only,
    /// `iss` = `config.issuer()`, `aud` = the channel ID.
    pub fn web_login(config: &Config) -> Self {
        Self::new(config.issuer(), config.channel_id().as_str())
            .hs256_secret(config.channel_secret())
    }

    /// LIFF and native apps: ES256 with `keys` only, `iss` = `config.issuer()`, `aud` = the
    /// channel ID.
    pub fn liff(config: &Config, keys: Es256Keys) -> Self {
        Self::new(config.issuer(), config.channel_id().as_str()).es256_keys(keys)
    }

    /// Allows HS256 keyed with `secret` (the HMAC key is built here, once).
    pub fn hs256_secret(mut self, secret: &ChannelSecret) -> Self {
        self.hs256 = Some(Arc::new(hmac::Key::new(
            hmac::HMAC_SHA256,
            secret.expose_secret().as_bytes(),
        )));
        self
    }

    /// Allows ES256 with these keys (in addition to HS256 if it was allowed).
    pub fn es256_keys(mut self, keys: Es256Keys) -> Self {
        self.es256 = Some(keys);
        self
    }

    /// The nonce sent in the authorization request: the token must carry the same one.
    pub fn nonce(mut self, nonce: &Nonce) -> Self {
        self.nonce = Some(nonce.expose_secret().to_owned());
        self
    }

    /// The `max_age` sent in the authorization request: the token must carry an `auth_time`
    /// no older than this.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Clock skew tolerated on `exp`, `iat` and `auth_time` (default
    /// [`DEFAULT_CLOCK_SKEW`], 60 s).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// Checks times against `now` instead of the system clock (tests, replays).
    pub fn now(mut self, now: SystemTime) -> Self {
        self.now = Some(now);
        self
    }
}

impl fmt::Debug for IdTokenExpectations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenExpectations")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("hs256", &self.hs256.is_some())
            .field("es256", &self.es256)
            .field("nonce", &self.nonce.as_ref().map(|_| "[redacted]"))
            .field("max_age", &self.max_age)
            .field("clock_skew", &self.clock_skew)
            .field("now", &self.now)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::{CommonParameters, EllipticCurveKeyParameters, EllipticCurveKeyType};

    fn ec_jwk(kid: &str, x: &str, y: &str) -> Jwk {
        Jwk {
            common: CommonParameters {
                key_id: Some(kid.to_owned()),
                key_algorithm: Some(KeyAlgorithm::ES256),
                ..Default::default()
            },
            algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                key_type: EllipticCurveKeyType::EC,
                curve: EllipticCurve::P256,
                x: x.to_owned(),
                y: y.to_owned(),
            }),
        }
    }

    #[test]
    fn invalid_points_and_foreign_keys_are_skipped() {
        // The P-256 generator point, a valid public key.
        let gx = "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY";
        let gy = "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU";
        let mut rsa = ec_jwk("rsa", gx, gy);
        rsa.common.key_algorithm = Some(KeyAlgorithm::RS256);
        let set = JwkSet {
            keys: vec![
                ec_jwk("good", gx, gy),
                ec_jwk("not-on-curve", gx, gx),
                ec_jwk("short", "AAAA", gy),
                rsa,
            ],
        };
        let keys = Es256Keys::from_jwk_set(&set);
        assert_eq!(keys.kids().collect::<Vec<_>>(), ["good"]);
        assert!(keys.contains_kid("good"));
        assert!(!keys.contains_kid("short"));
    }

    #[test]
    fn debug_never_shows_the_nonce() {
        let e = IdTokenExpectations::new("iss", "1").nonce(&Nonce::new("n-o-n-c-e"));
        assert!(!format!("{e:?}").contains("n-o-n-c-e"));
    }
}
