//! The core shared by the token doors (`POST {prefix}/token-login` with an ID token or an
//! access token) and the stateless bearer guard ([`crate::extract::RequireBearer`]): verify a
//! LIFF / MINI App / native-SDK token for one of the accepted channels and turn it into a
//! [`LineUser`] with the proof's end.
//!
//! - An ID token is verified locally (ES256, LINE's JWKS, the verified-token cache), `aud` being
//!   the channel or an extra token audience.
//! - An access token is verified with LINE (`GET oauth2/v2.1/verify`): `client_id` must be an
//!   accepted channel and `expires_in` > 0; only then is the user asked of LINE (`v2/profile`
//!   with `profile`, else `oauth2/v2.1/userinfo` with `openid`). Nothing the client says about
//!   the user is used. The bearer guard keeps verified access tokens in a small bounded cache for
//!   at most [`crate::token_proof::ACCESS_TOKEN_CACHE_SECS`], never past their expiry.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::Duration;

use crate::api::{AccessTokenError, ApiError};
use crate::context::Shared;
use crate::error::{LoginError, TokenRefusal};
use crate::id_token::{IdTokenError, VerifiedIdToken};
use crate::secret::{AccessToken, RawIdToken};
use crate::token_proof::Proof;
use crate::user::{LineUser, LoginDoor};

/// Longest bearer or access token taken (LINE's are far shorter).
pub(crate) const ACCESS_TOKEN_MAX_BYTES: usize = 4096;

/// What a bearer credential looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A JWS whose header says ES256: a LIFF / native ID token.
    IdToken,
    /// Anything else of the right shape: an access token for LINE to verify.
    AccessToken,
    /// Too long or not token68 (RFC 6750): refused without asking LINE.
    Garbage,
}

/// Tells an ES256 ID token from an access token by the JWS header, without verifying anything.
pub(crate) fn token_kind(raw: &str) -> TokenKind {
    let token68 = raw.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
    });
    if raw.is_empty() || raw.len() > crate::id_token::ID_TOKEN_MAX_BYTES || !token68 {
        return TokenKind::Garbage;
    }
    let header = raw.split('.').next().unwrap_or("");
    let es256 = header.len() <= 1024
        && URL_SAFE_NO_PAD
            .decode(header)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .is_some_and(|h| h.get("alg").and_then(|a| a.as_str()) == Some("ES256"));
    if es256 {
        TokenKind::IdToken
    } else if raw.len() > ACCESS_TOKEN_MAX_BYTES {
        TokenKind::Garbage
    } else {
        TokenKind::AccessToken
    }
}

/// Verifies a LIFF / native ID token for an accepted channel. An expired one is
/// [`LoginError::TokenExpired`].
pub(crate) async fn verify_id_token(
    shared: &Shared,
    raw: &RawIdToken,
    nonce: Option<&crate::secret::Nonce>,
) -> Result<VerifiedIdToken, LoginError> {
    match shared.verifier.verify_liff(raw, nonce).await {
        Ok(verified) => Ok(verified),
        Err(IdTokenError::Expired { .. }) => Err(LoginError::TokenExpired),
        Err(error) => Err(error.into()),
    }
}

/// The proof of a verified ID token.
pub(crate) fn id_token_proof(verified: &VerifiedIdToken) -> Proof {
    Proof {
        user: LineUser::from_id_token(verified, None),
        expires_at: verified.expires_at(),
        authenticated_at: verified.auth_time().unwrap_or_else(|| verified.issued_at()),
    }
}

/// Maps a refusal of LINE's access-token endpoints: expired, revoked or unknown tokens are the
/// client's to replace (log in again); anything else is LINE failing.
fn refused(error: ApiError) -> LoginError {
    if !error.is_token_revoked_or_invalid() {
        return LoginError::LineApi(error);
    }
    let expired = matches!(
        &error,
        ApiError::Line { description: Some(d), .. } if d.to_ascii_lowercase().contains("expired")
    );
    if expired {
        LoginError::AccessTokenExpired
    } else {
        LoginError::InvalidToken
    }
}

/// Verifies an access token with LINE (accepted channel, `expires_in` > 0), then asks LINE who
/// the user is. A refused verify makes no further call.
pub(crate) async fn verify_access_token(
    shared: &Shared,
    token: &AccessToken,
) -> Result<Proof, LoginError> {
    if token_kind(token.expose_secret()) == TokenKind::Garbage {
        return Err(LoginError::InvalidToken);
    }
    let info = match shared.api.verify_access_token_accepted(token).await {
        Ok(info) => info,
        Err(AccessTokenError::WrongChannel { .. }) => {
            return Err(LoginError::TokenNotAccepted(TokenRefusal::OtherChannel));
        }
        Err(AccessTokenError::Expired) => return Err(LoginError::AccessTokenExpired),
        Err(AccessTokenError::Api(error)) => return Err(refused(error)),
    };
    let now = (shared.clock)();
    let granted = |scope: &str| info.scope.split_whitespace().any(|s| s == scope);
    let (user_id, display_name, picture_url) = if granted("profile") {
        let profile = shared.api.profile(token).await.map_err(refused)?;
        (
            profile.user_id,
            Some(profile.display_name),
            profile.picture_url,
        )
    } else if granted("openid") {
        let info = shared.api.userinfo(token).await.map_err(refused)?;
        (info.sub, info.name, info.picture)
    } else {
        // Neither scope: LINE has no way to say who the user is.
        return Err(LoginError::InsufficientScope(crate::config::Scope::OpenId));
    };
    if user_id.is_empty() {
        return Err(LoginError::InvalidToken);
    }
    let expires_in = i64::try_from(info.expires_in).unwrap_or(i64::MAX);
    let mut user = LineUser {
        user_id,
        display_name: display_name.filter(|n| !n.is_empty()),
        picture_url,
        email: None,
        amr: Vec::new(),
        auth_time: None,
        logged_in_at: now,
        friendship: crate::user::Friendship::at_login(None),
        member_id: None,
        became_friend: false,
        channel_id: Some(info.client_id),
        scopes: Vec::new(),
        door: LoginDoor::AccessToken,
        email_not_granted: false,
        profile_plus: None,
    };
    user.set_scopes(&info.scope);
    Ok(Proof {
        user,
        expires_at: now.saturating_add(Duration::seconds(expires_in)),
        authenticated_at: now,
    })
}

/// Verifies a bearer credential: an ES256 ID token locally (its cache included), an access
/// token with LINE (through the bearer cache). Every refusal of the token itself is
/// [`LoginError::InvalidToken`] or an expiry; LINE or the JWKS being unreachable stays a 503.
pub(crate) async fn verify_bearer(
    shared: &Shared,
    raw: &str,
) -> Result<(Proof, Option<AccessToken>), LoginError> {
    match token_kind(raw) {
        TokenKind::Garbage => Err(LoginError::InvalidToken),
        TokenKind::IdToken => {
            let verified = verify_id_token(shared, &RawIdToken::new(raw), None)
                .await
                .map_err(|error| match error {
                    LoginError::InvalidIdToken(e) if !e.is_transient() => LoginError::InvalidToken,
                    other => other,
                })?;
            Ok((id_token_proof(&verified), None))
        }
        TokenKind::AccessToken => {
            let token = AccessToken::new(raw);
            let now = (shared.clock)();
            if let Some(proof) = shared.access_cache.get(&token, now) {
                return Ok((proof, Some(token)));
            }
            let proof = verify_access_token(shared, &token)
                .await
                .map_err(|error| match error {
                    LoginError::TokenNotAccepted(_) => LoginError::InvalidToken,
                    other => other,
                })?;
            shared.access_cache.insert(&token, &proof, now);
            Ok((proof, Some(token)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_told_apart_by_their_header() {
        let es = format!(
            "{}.e30.sig",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","kid":"k"}"#)
        );
        assert_eq!(token_kind(&es), TokenKind::IdToken);
        let hs = format!("{}.e30.sig", URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#));
        assert_eq!(token_kind(&hs), TokenKind::AccessToken);
        assert_eq!(token_kind("opaque-token"), TokenKind::AccessToken);
        for garbage in ["", "a b", "tok\n", "<script>", &"x".repeat(5000)] {
            assert_eq!(token_kind(garbage), TokenKind::Garbage, "{garbage:?}");
        }
    }

    fn es256_token(total: usize) -> String {
        let head = format!(
            "{}.e30.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","kid":"k"}"#)
        );
        format!("{head}{}", "s".repeat(total - head.len()))
    }

    #[test]
    fn an_id_token_may_be_exactly_id_token_max_bytes_long() {
        let max = crate::id_token::ID_TOKEN_MAX_BYTES;
        assert_eq!(token_kind(&es256_token(max)), TokenKind::IdToken);
        assert_eq!(token_kind(&es256_token(max + 1)), TokenKind::Garbage);
    }

    #[test]
    fn an_access_token_may_be_exactly_access_token_max_bytes_long() {
        let max = ACCESS_TOKEN_MAX_BYTES;
        assert_eq!(token_kind(&"a".repeat(max)), TokenKind::AccessToken);
        assert_eq!(token_kind(&"a".repeat(max + 1)), TokenKind::Garbage);
    }

    #[test]
    fn every_token68_character_is_allowed_and_nothing_else() {
        assert_eq!(token_kind("aZ09-._~+/="), TokenKind::AccessToken);
        for bad in ["a\"b", "a,b", "a%b", "é"] {
            assert_eq!(token_kind(bad), TokenKind::Garbage, "{bad:?}");
        }
    }

    #[test]
    fn an_es256_header_longer_than_1024_bytes_is_not_an_id_token() {
        let padding = "p".repeat(1024);
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"ES256","x":"{padding}"}}"#));
        assert!(header.len() > 1024);
        assert_eq!(
            token_kind(&format!("{header}.e30.sig")),
            TokenKind::AccessToken
        );
    }
}
