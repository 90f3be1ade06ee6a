//! The typed answers of LINE's endpoints, parsed tolerantly (unknown fields are ignored).
//! Tokens are secret newtypes; `Debug` of the types with personal data hides that data.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::secret::{AccessToken, ChannelAccessToken, RawIdToken, RefreshToken};

/// The answer of the token endpoint (code exchange or refresh).
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The user access token (valid 30 days).
    pub access_token: AccessToken,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The ID token: present after a code exchange with `openid`, absent after a refresh.
    #[serde(default)]
    pub id_token: Option<RawIdToken>,
    /// The refresh token (a refresh returns the same one it was given).
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    /// Granted scopes, space-separated (`email` is never listed, even when granted).
    #[serde(default)]
    pub scope: String,
    /// `Bearer`.
    #[serde(default)]
    pub token_type: String,
}

/// What the access-token verify endpoint says about a valid token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessTokenInfo {
    /// Granted scopes (never includes `email`).
    pub scope: String,
    /// The channel the token was issued to (already checked to be ours).
    pub client_id: String,
    /// Seconds left (already checked to be > 0).
    pub expires_in: u64,
}

/// The wire form of the access-token verify answer (`expires_in` may be <= 0).
#[derive(Deserialize)]
pub(crate) struct AccessTokenInfoWire {
    #[serde(default)]
    pub(crate) scope: String,
    pub(crate) client_id: String,
    pub(crate) expires_in: i64,
}

/// The claims LINE's ID-token verify endpoint returns for a valid ID token.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RemoteIdTokenClaims {
    /// `iss`: `https://access.line.me`.
    pub iss: String,
    /// `sub`: the user ID (`U` + 32 hex digits).
    pub sub: String,
    /// `aud`: the channel ID (a JSON string, or an array of exactly that one value: this answer
    /// has no `azp`, so an array of several audiences is refused, as OpenID Connect Core 3.1.3.7
    /// asks).
    #[serde(deserialize_with = "string_or_first")]
    pub aud: String,
    /// `exp` (UNIX seconds).
    pub exp: i64,
    /// `iat` (UNIX seconds).
    pub iat: i64,
    /// `auth_time` (UNIX seconds), only when `max_age` was sent.
    #[serde(default)]
    pub auth_time: Option<i64>,
    /// `nonce`, only when one was sent.
    #[serde(default)]
    pub nonce: Option<String>,
    /// `amr`: how the user authenticated (`pwd`, `lineautologin`, `lineqr`, `linesso`, `mfa`).
    #[serde(default)]
    pub amr: Vec<String>,
    /// `name` (with the `profile` scope).
    #[serde(default)]
    pub name: Option<String>,
    /// `picture` URL (with the `profile` scope).
    #[serde(default)]
    pub picture: Option<String>,
    /// `email` (with the `email` scope and the user's consent).
    #[serde(default)]
    pub email: Option<String>,
}

impl fmt::Debug for RemoteIdTokenClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteIdTokenClaims")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("exp", &self.exp)
            .field("iat", &self.iat)
            .field("auth_time", &self.auth_time)
            .field("nonce", &self.nonce.as_ref().map(|_| "[redacted]"))
            .field("amr", &self.amr)
            .field("name", &self.name.as_ref().map(|_| "[redacted]"))
            .field("picture", &self.picture.as_ref().map(|_| "[redacted]"))
            .field("email", &self.email.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

fn string_or_first<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => Ok(one),
        OneOrMany::Many(many) => match <[String; 1]>::try_from(many) {
            Ok([one]) => Ok(one),
            Err(_) => Err(serde::de::Error::custom(
                "aud must hold exactly one audience (there is no azp to check)",
            )),
        },
    }
}

/// A user's LINE profile (`GET /v2/profile`). Name, picture and status may change any time:
/// identify users by `user_id` only.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Profile {
    /// `userId`.
    pub user_id: String,
    /// `displayName`.
    #[serde(default)]
    pub display_name: String,
    /// `pictureUrl` (https), absent when the user set no image.
    #[serde(default)]
    pub picture_url: Option<String>,
    /// `statusMessage`, absent when the user has none.
    #[serde(default)]
    pub status_message: Option<String>,
}

impl Profile {
    /// A profile from what a verified ID token says (no status message).
    pub(crate) fn from_parts(
        user_id: String,
        display_name: String,
        picture_url: Option<String>,
    ) -> Self {
        Self {
            user_id,
            display_name,
            picture_url,
            status_message: None,
        }
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("user_id", &self.user_id)
            .field("display_name", &"[redacted]")
            .field(
                "picture_url",
                &self.picture_url.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "status_message",
                &self.status_message.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The friendship status answer.
#[derive(Deserialize)]
pub(crate) struct FriendshipWire {
    #[serde(rename = "friendFlag")]
    pub(crate) friend_flag: bool,
}

/// The OIDC userinfo answer (`GET /oauth2/v2.1/userinfo`, needs `openid`).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UserInfo {
    /// `sub`: the user ID.
    pub sub: String,
    /// `name` (with `profile`).
    #[serde(default)]
    pub name: Option<String>,
    /// `picture` (with `profile`).
    #[serde(default)]
    pub picture: Option<String>,
    /// `email`, if LINE ever includes it.
    #[serde(default)]
    pub email: Option<String>,
}

impl fmt::Debug for UserInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserInfo")
            .field("sub", &self.sub)
            .field("name", &self.name.as_ref().map(|_| "[redacted]"))
            .field("picture", &self.picture.as_ref().map(|_| "[redacted]"))
            .field("email", &self.email.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// A stateless channel access token (`POST /oauth2/v3/token`, valid 15 minutes).
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct ChannelTokenResponse {
    /// The channel access token (for deauthorize).
    pub access_token: ChannelAccessToken,
    /// Seconds until it expires (900).
    pub expires_in: u64,
    /// `Bearer`.
    #[serde(default)]
    pub token_type: String,
}

/// LINE's signing keys for ES256 ID tokens (`GET /oauth2/v2.1/certs`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Jwks {
    /// The keys LINE publishes. Entries this crate cannot parse are skipped.
    pub keys: jsonwebtoken::jwk::JwkSet,
    /// How long the set may be cached (`Cache-Control: max-age=N`), if LINE said.
    pub max_age: Option<Duration>,
}

impl Jwks {
    /// Builds a key set (handy for tests and for callers that cache keys themselves).
    pub fn new(keys: jsonwebtoken::jwk::JwkSet, max_age: Option<Duration>) -> Self {
        Self { keys, max_age }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_response_ignores_unknown_fields_and_tolerates_missing_optionals() {
        let json = r#"{"token_type":"Bearer","scope":"profile","access_token":"at","expires_in":2591977,"refresh_token":"rt","new_field":{"x":1}}"#;
        let parsed: TokenResponse = serde_json::from_str(json).unwrap();
        assert_eq!(parsed.access_token.expose_secret(), "at");
        assert_eq!(parsed.refresh_token.unwrap().expose_secret(), "rt");
        assert!(parsed.id_token.is_none());
        assert_eq!(parsed.expires_in, 2_591_977);
    }

    #[test]
    fn aud_may_be_a_string_or_an_array() {
        let base = r#""iss":"https://access.line.me","sub":"U1","exp":2,"iat":1"#;
        let one: RemoteIdTokenClaims =
            serde_json::from_str(&format!(r#"{{{base},"aud":"123"}}"#)).unwrap();
        let many: RemoteIdTokenClaims =
            serde_json::from_str(&format!(r#"{{{base},"aud":["123"],"amr":["pwd"]}}"#)).unwrap();
        assert_eq!(one.aud, "123");
        assert_eq!(many.aud, "123");
        assert_eq!(many.amr, vec!["pwd".to_owned()]);
        // Several audiences: refused (OIDC Core 3.1.3.7 needs azp, which this answer lacks).
        for aud in [r#"["123","456"]"#, r#"["456","123"]"#, "[]"] {
            let several =
                serde_json::from_str::<RemoteIdTokenClaims>(&format!(r#"{{{base},"aud":{aud}}}"#));
            assert!(several.is_err(), "{aud}");
        }
    }

    #[test]
    fn debug_hides_personal_data_and_nonce() {
        let claims: RemoteIdTokenClaims = serde_json::from_str(
            r#"{"iss":"i","sub":"U1","aud":"1","exp":2,"iat":1,"nonce":"n0nce-value","name":"Brown","email":"b@example.com"}"#,
        )
        .unwrap();
        let shown = format!("{claims:?}");
        assert!(!shown.contains("n0nce-value"));
        assert!(!shown.contains("Brown"));
        assert!(!shown.contains("b@example.com"));
        let profile: Profile = serde_json::from_str(
            r#"{"userId":"U1","displayName":"Brown","statusMessage":"hi there"}"#,
        )
        .unwrap();
        let shown = format!("{profile:?}");
        assert!(!shown.contains("Brown") && !shown.contains("hi there"));
        assert_eq!(profile.picture_url, None);
    }
}
