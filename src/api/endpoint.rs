//! [`Endpoint`]: LINE's endpoints by name, one enum for the API client, its call log, its errors
//! and the simulator's fault injection.

use serde::{Deserialize, Serialize};

/// One of LINE's endpoints. [`Endpoint::as_str`] is the short name in [`super::ApiCallRecord`],
/// in [`super::ApiError`] messages and in stored API-log rows; serde uses the same names.
///
/// ```
/// use line_login::api::Endpoint;
///
/// assert_eq!(Endpoint::VerifyAccessToken.as_str(), "verify_access_token");
/// assert_eq!(Endpoint::UserInfo.to_string(), "userinfo");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `GET oauth2/v2.1/authorize`: the consent page, opened by the browser (never called by
    /// this crate; the simulator counts it).
    Authorize,
    /// `POST oauth2/v2.1/token`, `grant_type=authorization_code`.
    Token,
    /// `POST oauth2/v2.1/token`, `grant_type=refresh_token`.
    Refresh,
    /// `POST oauth2/v2.1/verify` (ID token).
    VerifyIdToken,
    /// `GET oauth2/v2.1/verify` (access token).
    VerifyAccessToken,
    /// `POST oauth2/v2.1/revoke`.
    Revoke,
    /// `GET v2/profile`.
    Profile,
    /// `GET friendship/v1/status`.
    Friendship,
    /// `GET|POST oauth2/v2.1/userinfo`.
    #[serde(rename = "userinfo", alias = "user_info")]
    UserInfo,
    /// `GET oauth2/v2.1/certs` (also the JWKS fetch made by discovery).
    Certs,
    /// `GET {access_base}/.well-known/openid-configuration`.
    Discovery,
    /// `POST oauth2/v3/token` (stateless channel access token).
    ChannelToken,
    /// `POST user/v1/deauthorize`.
    Deauthorize,
}

impl Endpoint {
    /// Every endpoint, in a stable order.
    pub const ALL: [Endpoint; 13] = [
        Endpoint::Authorize,
        Endpoint::Token,
        Endpoint::Refresh,
        Endpoint::VerifyIdToken,
        Endpoint::VerifyAccessToken,
        Endpoint::Revoke,
        Endpoint::Profile,
        Endpoint::Friendship,
        Endpoint::UserInfo,
        Endpoint::Certs,
        Endpoint::Discovery,
        Endpoint::ChannelToken,
        Endpoint::Deauthorize,
    ];

    /// The short name (`"token"`, `"verify_id_token"`, `"userinfo"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Authorize => "authorize",
            Endpoint::Token => "token",
            Endpoint::Refresh => "refresh",
            Endpoint::VerifyIdToken => "verify_id_token",
            Endpoint::VerifyAccessToken => "verify_access_token",
            Endpoint::Revoke => "revoke",
            Endpoint::Profile => "profile",
            Endpoint::Friendship => "friendship",
            Endpoint::UserInfo => "userinfo",
            Endpoint::Certs => "certs",
            Endpoint::Discovery => "discovery",
            Endpoint::ChannelToken => "channel_token",
            Endpoint::Deauthorize => "deauthorize",
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_are_the_short_names() {
        for endpoint in Endpoint::ALL {
            let text = serde_json::to_string(&endpoint).unwrap();
            assert_eq!(text, format!("\"{}\"", endpoint.as_str()));
            assert_eq!(serde_json::from_str::<Endpoint>(&text).unwrap(), endpoint);
        }
        assert_eq!(
            serde_json::from_str::<Endpoint>("\"user_info\"").unwrap(),
            Endpoint::UserInfo
        );
    }
}
