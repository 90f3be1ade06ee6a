//! ID token verification, the one core every door uses: HS256 with the channel secret (web
//! login), ES256 with keys from LINE's JWKS (LIFF, native apps), then `iss`, `aud`, `exp`,
//! `iat`, `nonce`, `auth_time`/`max_age` and `sub`. Only this module builds a [`VerifiedIdToken`].
//!
//! Two ways in:
//! - [`verify_id_token`]: synchronous, with every key given in [`IdTokenExpectations`];
//! - [`IdTokenVerifier`]: keeps the JWKS cached (refetched on an unknown `kid`, single-flight)
//!   and a cache of verified LIFF tokens, and can ask LINE's verify endpoint instead.
//!
//! The state comparison is [`crate::verify_state`]; HTTP calls to LINE in [`crate::api`].

mod b64;
mod cache;
mod claims;
mod error;
mod expectations;
mod fast_json;
mod jwks;
mod jws;
mod verifier;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use claims::{Amr, VerifiedIdToken};
pub use error::{IdTokenError, KeyFetchError};
pub use expectations::{DEFAULT_CLOCK_SKEW, Es256Keys, IdTokenExpectations};
pub use jwks::{
    JWKS_DEFAULT_MAX_AGE, JWKS_MAX_MAX_AGE, JWKS_MIN_MAX_AGE, JWKS_REFETCH_COOLDOWN, JwksSource,
};
pub use jws::{ID_TOKEN_MAX_BYTES, IdTokenAlgorithm};
pub use verifier::{IdTokenVerifier, IdTokenVerifierBuilder, TokenCacheLimits};

use claims::{Audience, Parts, RawClaims, parse_claims};
use jws::{Allowed, Jws, Scratch};
use serde_json::Value;

/// Verifies an ID token against `expectations` and returns its claims.
///
/// Checks, in order, each failure with its own [`IdTokenError`] variant:
/// 1. size ≤ [`ID_TOKEN_MAX_BYTES`] ([`TooLarge`](IdTokenError::TooLarge)), exactly three
///    base64url parts and a JSON header ([`Malformed`](IdTokenError::Malformed));
/// 2. `alg` allowed by the expectations, never by the token
///    ([`AlgorithmNotAllowed`](IdTokenError::AlgorithmNotAllowed)): `none` never is;
/// 3. the signature, before any claim is parsed ([`BadSignature`](IdTokenError::BadSignature),
///    [`UnknownKey`](IdTokenError::UnknownKey) for an ES256 `kid` not among the keys);
/// 4. the claims: `iss` ([`WrongIssuer`](IdTokenError::WrongIssuer)), `aud` as a string or an
///    array ([`WrongAudience`](IdTokenError::WrongAudience)); with more than one audience,
///    `azp` equal to the channel, and any `azp` equal to it
///    ([`WrongAuthorizedParty`](IdTokenError::WrongAuthorizedParty)); `exp`
///    ([`Expired`](IdTokenError::Expired)) and `iat`
///    ([`IssuedInFuture`](IdTokenError::IssuedInFuture)) with the clock skew, `nonce`
///    ([`NonceMissing`](IdTokenError::NonceMissing),
///    [`NonceMismatch`](IdTokenError::NonceMismatch)), `auth_time` when `max_age` was requested
///    ([`AuthTimeMissing`](IdTokenError::AuthTimeMissing),
///    [`AuthTooOld`](IdTokenError::AuthTooOld)), `sub`
///    ([`MissingSubject`](IdTokenError::MissingSubject)). An absent `iss`, `aud`, `exp` or `iat`
///    gives [`MissingClaim`](IdTokenError::MissingClaim); ill-typed claims
///    [`InvalidClaims`](IdTokenError::InvalidClaims).
///
/// Unknown claims are kept in [`VerifiedIdToken::extra_claims`].
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use line_login::{Config, Nonce};
/// use line_login::id_token::{verify_id_token, IdTokenError, IdTokenExpectations};
///
/// let config = Config::builder("1234567890", "channel-secret", "https://example.com/callback")
///     .build()?;
/// // A web-login token as LINE issues it: HS256 with the channel secret.
/// let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
///     eyJpc3MiOiJodHRwczovL2FjY2Vzcy5saW5lLm1lIiwic3ViIjoiVTEyMzQ1Njc4OTBhYmNkZWYxMjM0NTY3ODkwYWJjZGVmIiwiYXVkIjoiMTIzNDU2Nzg5MCIsImV4cCI6MTcwMDAwMzYwMCwiaWF0IjoxNzAwMDAwMDAwLCJub25jZSI6Im4tMC1TNl9XekEyTWoiLCJhbXIiOlsibGluZXNzbyJdLCJuYW1lIjoiVGFybyJ9.\
///     u5kfMdkLyl3nRIXzVy1IitDJf7la0Xsp4HxOsa1bDIY";
/// let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_100);
///
/// let expect = IdTokenExpectations::web_login(&config).nonce(&Nonce::new("n-0-S6_WzA2Mj")).now(at);
/// let verified = verify_id_token(token, &expect)?;
/// assert_eq!(verified.sub(), "U1234567890abcdef1234567890abcdef");
/// assert_eq!(verified.name(), Some("Taro"));
///
/// // The same token with another nonce is refused.
/// let replay = IdTokenExpectations::web_login(&config).nonce(&Nonce::new("other")).now(at);
/// assert!(matches!(verify_id_token(token, &replay), Err(IdTokenError::NonceMismatch)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_id_token(
    raw: &str,
    expectations: &IdTokenExpectations,
) -> Result<VerifiedIdToken, IdTokenError> {
    let allowed = Allowed {
        hs256: expectations.hs256.is_some(),
        es256: expectations.es256.is_some(),
    };
    let mut scratch = Scratch::new();
    let jws = Jws::parse(raw, allowed, &mut scratch)?;
    match (jws.alg, &expectations.hs256, &expectations.es256) {
        (IdTokenAlgorithm::Hs256, Some(key), _) => jws.verify_hs256(key)?,
        (IdTokenAlgorithm::Es256, _, Some(keys)) => {
            let kid = jws
                .kid
                .as_deref()
                .ok_or(IdTokenError::UnknownKey { kid: None })?;
            let key = keys.find(kid).ok_or_else(|| IdTokenError::UnknownKey {
                kid: Some(error::echo(kid)),
            })?;
            jws.verify_es256(key)?;
        }
        // `Jws::parse` only returns an allowed algorithm, and an algorithm is allowed only
        // when its key is present.
        (alg, _, _) => return Err(IdTokenError::AlgorithmNotAllowed(format!("{alg:?}"))),
    }
    let checks = ClaimChecks {
        issuer: &expectations.issuer,
        audience: &expectations.audience,
        extra_audiences: &[],
        nonce: expectations.nonce.as_deref(),
        max_age: expectations.max_age,
        skew_secs: duration_secs(expectations.clock_skew),
        now_secs: unix_secs(expectations.now.unwrap_or_else(SystemTime::now)),
    };
    verify_claims(&jws, &checks)
}

/// The claim checks of one verification.
pub(crate) struct ClaimChecks<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) audience: &'a str,
    /// Further accepted channels (LIFF / MINI App channels); empty for a web login.
    pub(crate) extra_audiences: &'a [Arc<str>],
    pub(crate) nonce: Option<&'a str>,
    pub(crate) max_age: Option<Duration>,
    pub(crate) skew_secs: i64,
    pub(crate) now_secs: i64,
}

/// Parses the payload of a token whose signature was verified, checks the claims and builds
/// the [`VerifiedIdToken`].
pub(crate) fn verify_claims(
    jws: &Jws<'_>,
    checks: &ClaimChecks<'_>,
) -> Result<VerifiedIdToken, IdTokenError> {
    let mut fast = RawClaims::default();
    let mut slow;
    let claims = if fast_json::parse_into(jws.payload, &mut fast).is_some() {
        &mut fast
    } else {
        slow = parse_claims(jws.payload).map_err(IdTokenError::InvalidClaims)?;
        &mut slow
    };
    check_claims(jws.alg, claims, checks)
}

fn check_claims(
    algorithm: IdTokenAlgorithm,
    c: &mut RawClaims<'_>,
    checks: &ClaimChecks<'_>,
) -> Result<VerifiedIdToken, IdTokenError> {
    let iss = c.iss.as_deref().ok_or(IdTokenError::MissingClaim("iss"))?;
    if iss != checks.issuer {
        return Err(IdTokenError::WrongIssuer {
            expected: checks.issuer.to_owned(),
            found: error::echo(iss),
        });
    }
    let aud = c.aud.as_ref().ok_or(IdTokenError::MissingClaim("aud"))?;
    let audience = std::iter::once(checks.audience)
        .chain(checks.extra_audiences.iter().map(|a| &**a))
        .find(|accepted| aud.contains(accepted))
        .ok_or_else(|| IdTokenError::WrongAudience {
            expected: checks.audience.to_owned(),
        })?;
    // OpenID Connect Core 3.1.3.7: several audiences need `azp`, and an `azp` must be us.
    let several = matches!(aud, Audience::Many(all) if all.len() > 1);
    match c.extra.get("azp") {
        Some(Value::String(azp)) if azp == audience => {}
        None if !several => {}
        _ => {
            return Err(IdTokenError::WrongAuthorizedParty {
                expected: audience.to_owned(),
            });
        }
    }
    let exp = c.exp.ok_or(IdTokenError::MissingClaim("exp"))?;
    let iat = c.iat.ok_or(IdTokenError::MissingClaim("iat"))?;
    check_times(exp, iat, checks)?;
    check_nonce(c.nonce.as_deref(), checks.nonce)?;
    if let Some(max_age) = checks.max_age {
        let auth_time = c.auth_time.ok_or(IdTokenError::AuthTimeMissing)?;
        let oldest = checks
            .now_secs
            .saturating_sub(duration_secs(max_age))
            .saturating_sub(checks.skew_secs);
        if auth_time < oldest {
            return Err(IdTokenError::AuthTooOld {
                auth_time,
                max_age_secs: max_age.as_secs(),
            });
        }
    }
    let sub = match c.sub.as_deref() {
        Some(sub) if !sub.is_empty() => sub,
        _ => return Err(IdTokenError::MissingSubject),
    };
    Ok(VerifiedIdToken::assemble(Parts {
        algorithm,
        sub,
        audience,
        name: c.name.as_deref(),
        picture: c.picture.as_deref(),
        email: c.email.as_deref(),
        nonce: c.nonce.as_deref(),
        amr: c.amr.take().unwrap_or_default(),
        auth_time: c.auth_time.map(check_date).transpose()?,
        iat: check_date(iat)?,
        exp: check_date(exp)?,
        extra: std::mem::take(&mut c.extra),
    }))
}

/// `exp` must be after now (minus the skew), `iat` not after now (plus the skew).
#[inline]
pub(crate) fn check_times(
    exp: i64,
    iat: i64,
    checks: &ClaimChecks<'_>,
) -> Result<(), IdTokenError> {
    if checks.now_secs >= exp.saturating_add(checks.skew_secs) {
        return Err(IdTokenError::Expired {
            exp,
            now: checks.now_secs,
        });
    }
    if iat > checks.now_secs.saturating_add(checks.skew_secs) {
        return Err(IdTokenError::IssuedInFuture {
            iat,
            now: checks.now_secs,
        });
    }
    Ok(())
}

/// When a nonce was sent the token must carry the same one (compared in constant time); when
/// none was sent, whatever the token carries is accepted.
#[inline]
pub(crate) fn check_nonce(found: Option<&str>, expected: Option<&str>) -> Result<(), IdTokenError> {
    match (expected, found) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(IdTokenError::NonceMissing),
        (Some(expected), Some(found)) => {
            // Constant time for equal lengths (aws-lc's CRYPTO_memcmp); the length of our own
            // nonce is no secret.
            aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), found.as_bytes())
                .map_err(|_| IdTokenError::NonceMismatch)
        }
    }
}

/// Earliest and latest UNIX seconds `OffsetDateTime` represents (years -9999 and 9999).
const DATE_MIN_SECS: i64 = -377_705_116_800;
const DATE_MAX_SECS: i64 = 253_402_300_799;

/// Refuses a date `OffsetDateTime` cannot represent.
pub(crate) fn check_date(secs: i64) -> Result<i64, IdTokenError> {
    if (DATE_MIN_SECS..=DATE_MAX_SECS).contains(&secs) {
        Ok(secs)
    } else {
        Err(IdTokenError::InvalidClaims(
            "a date claim is out of range".to_owned(),
        ))
    }
}

/// Seconds since 1970 (0 for a clock before 1970).
pub(crate) fn unix_secs(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(duration_secs)
        .unwrap_or(0)
}

pub(crate) fn duration_secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
