//! Why an ID token was refused: one variant per check, each message saying what went wrong.
//! Messages never contain the token, the nonce or any secret.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use crate::api::ApiError;

/// Longest piece of attacker-controlled text (an `alg`, an `iss`) copied into an error message.
const ECHO_MAX_CHARS: usize = 64;

/// An ID token verification failure. Each check has its own variant.
///
/// Most variants mean the token itself is unacceptable (answer 401/400 and start a new login);
/// [`IdTokenError::is_transient`] tells the failures to reach LINE apart (answer 503).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenError {
    /// The token is longer than [`ID_TOKEN_MAX_BYTES`](crate::id_token::ID_TOKEN_MAX_BYTES);
    /// nothing else was looked at.
    #[error("the ID token is {len} bytes long, more than the {max} bytes allowed")]
    TooLarge {
        /// Length of the token received.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The token is not a compact JWS: the text says which part is wrong.
    #[error("the ID token is malformed: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not one the expectations allow (`none`, `RS256`, or HS256 where
    /// only ES256 keys are configured, or the reverse).
    #[error("the ID token's algorithm {0:?} is not allowed here")]
    AlgorithmNotAllowed(String),
    /// No key with the token's `kid` (or no `kid` at all on an ES256 token), even after
    /// refreshing the JWKS when that was allowed.
    #[error("no signing key matches the ID token's kid {}", kid_text(.kid))]
    UnknownKey {
        /// The header's `kid`, when present.
        kid: Option<String>,
    },
    /// LINE's JWKS could not be fetched and no cached key could be used.
    #[error(transparent)]
    KeyFetch(KeyFetchError),
    /// The signature does not match (wrong key, altered token, or a signature of the wrong size).
    #[error("the ID token's signature is invalid")]
    BadSignature,
    /// The payload is not a JSON object of well-typed claims.
    #[error("the ID token's claims are invalid: {0}")]
    InvalidClaims(String),
    /// A required claim (`iss`, `aud`, `exp`, `iat`) is absent.
    #[error("the ID token has no {0:?} claim")]
    MissingClaim(&'static str),
    /// `iss` is not the expected issuer.
    #[error("the ID token was issued by {found:?}, expected {expected:?}")]
    WrongIssuer {
        /// The issuer configured.
        expected: String,
        /// The `iss` found (truncated).
        found: String,
    },
    /// `aud` does not contain the channel ID.
    #[error("the ID token is for another audience: its aud does not contain channel {expected}")]
    WrongAudience {
        /// The channel ID expected.
        expected: String,
    },
    /// `aud` has more than one value and `azp` is not the channel ID, or `azp` is present and is
    /// not the channel ID (OpenID Connect Core 3.1.3.7: a token for several audiences is only
    /// accepted by the party it was issued to).
    #[error(
        "the ID token's authorized party (azp) is not channel {expected}: a token with several audiences needs azp equal to the channel"
    )]
    WrongAuthorizedParty {
        /// The channel ID expected.
        expected: String,
    },
    /// `exp` (plus the clock skew) is in the past.
    #[error("the ID token expired at {exp} (now {now}, unix seconds)")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The time of the check.
        now: i64,
    },
    /// `iat` is later than now plus the clock skew.
    #[error("the ID token was issued in the future: iat {iat}, now {now} (unix seconds)")]
    IssuedInFuture {
        /// The token's `iat`.
        iat: i64,
        /// The time of the check.
        now: i64,
    },
    /// A nonce was sent in the authorization request but the token has none.
    #[error("the ID token has no nonce but one was sent with the login request")]
    NonceMissing,
    /// The token's nonce differs from the one sent (a replayed or injected token).
    #[error("the ID token's nonce does not match the one sent with the login request")]
    NonceMismatch,
    /// `max_age` was requested but the token has no `auth_time`.
    #[error("max_age was requested but the ID token has no auth_time")]
    AuthTimeMissing,
    /// The user authenticated longer ago than `max_age` allows.
    #[error("the user authenticated at {auth_time}, longer ago than max_age ({max_age_secs} s)")]
    AuthTooOld {
        /// The token's `auth_time`.
        auth_time: i64,
        /// The `max_age` requested, in seconds.
        max_age_secs: u64,
    },
    /// `sub` is absent or empty.
    #[error("the ID token has no subject (sub): no user ID")]
    MissingSubject,
    /// LINE's verify endpoint could not be reached, or refused the token for a reason that is
    /// not one of the checks above (LINE's reasons for those map to their variants).
    #[error("LINE's ID token verify endpoint failed: {0}")]
    Remote(#[source] ApiError),
    /// [`IdTokenVerifier::verify_remote`](crate::id_token::IdTokenVerifier::verify_remote) was
    /// called on a verifier built without a [`LineApi`](crate::api::LineApi).
    #[error("remote ID token verification needs a verifier built with a LineApi")]
    RemoteNotConfigured,
}

impl IdTokenError {
    /// Whether the failure is about reaching LINE rather than about the token: retrying later
    /// may succeed (answer 503, not 401).
    pub fn is_transient(&self) -> bool {
        match self {
            IdTokenError::KeyFetch(_) => true,
            IdTokenError::Remote(error) => error.is_transient(),
            _ => false,
        }
    }
}

fn kid_text(kid: &Option<String>) -> String {
    match kid {
        Some(kid) => format!("{:?}", echo(kid)),
        None => "(the token has no kid)".to_owned(),
    }
}

/// Copies at most [`ECHO_MAX_CHARS`] characters of attacker-controlled text into a message.
pub(crate) fn echo(text: &str) -> String {
    match text.char_indices().nth(ECHO_MAX_CHARS) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

type BoxedError = Box<dyn StdError + Send + Sync + 'static>;

/// A failure to fetch the JWKS. Cheap to clone: every caller waiting on one shared fetch gets
/// the same error.
#[derive(Clone)]
pub struct KeyFetchError {
    source: Arc<dyn StdError + Send + Sync + 'static>,
}

impl KeyFetchError {
    /// Wraps the error of a [`JwksSource`](crate::id_token::JwksSource).
    pub fn new(source: impl Into<BoxedError>) -> Self {
        Self {
            source: Arc::from(source.into()),
        }
    }

    /// The underlying error.
    pub fn inner(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.source
    }

    /// The [`ApiError`] behind this failure, when the source is [`crate::LineApi`] (e.g. to
    /// see whether LINE rate-limited the JWKS fetch).
    pub fn api_error(&self) -> Option<&ApiError> {
        self.source.downcast_ref::<ApiError>()
    }
}

impl fmt::Debug for KeyFetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeyFetchError").field(&self.source).finish()
    }
}

impl fmt::Display for KeyFetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not fetch LINE's signing keys (JWKS): {}",
            self.source
        )
    }
}

impl StdError for KeyFetchError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_truncates_long_attacker_text() {
        let long = "x".repeat(500);
        let echoed = echo(&long);
        assert_eq!(echoed.len(), ECHO_MAX_CHARS + 3);
        assert_eq!(echo("HS256"), "HS256");
    }

    #[test]
    fn only_fetch_failures_are_transient() {
        assert!(IdTokenError::KeyFetch(KeyFetchError::new("down")).is_transient());
        assert!(!IdTokenError::BadSignature.is_transient());
        assert!(!IdTokenError::NonceMismatch.is_transient());
    }
}
