//! Newtypes for every secret the crate handles: the channel secret, authorization codes and
//! tokens. Their `Debug` is redacted and they have no `Display`, so a secret cannot reach a log
//! line by accident; reading one takes an explicit `expose_secret()`.

/// Declares a secret newtype over `String`: redacted `Debug`, no `Display`, explicit access.
macro_rules! secret_string {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret itself. Never log it.
            pub fn expose_secret(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}
pub(crate) use secret_string;

secret_string!(
    /// The LINE Login channel secret: the client secret and the HS256 key of web-login ID tokens.
    ///
    /// ```
    /// let secret = line_login::ChannelSecret::new("s3cr3t");
    /// assert_eq!(format!("{secret:?}"), "ChannelSecret([redacted])");
    /// ```
    ChannelSecret
);
secret_string!(
    /// An authorization code from LINE's callback: valid for 10 minutes, usable once.
    AuthorizationCode
);
secret_string!(
    /// A user access token (valid 30 days).
    AccessToken
);
secret_string!(
    /// A refresh token (usable until 90 days after its access token was issued).
    RefreshToken
);
secret_string!(
    /// An ID token as received, before verification.
    RawIdToken
);
secret_string!(
    /// A channel access token (stateless, 15 minutes), needed by the deauthorize API.
    ChannelAccessToken
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let rendered = format!("{:?}", AccessToken::new("very-secret-token"));
        assert!(!rendered.contains("very-secret"));
        assert_eq!(rendered, "AccessToken([redacted])");
    }

    /// The audit of issue 15 item 1: every public type that holds the channel secret, a token, a
    /// code, a state, a nonce or a PKCE verifier prints none of them in `Debug` (plain or `#`).
    #[test]
    fn debug_of_every_public_type_holding_a_secret_shows_none() {
        use crate::authorize::{AttemptPurpose, LoginAttempt};
        use crate::link::{Deauthorization, Link, LinkTokens, Unlinked};
        use crate::session::StoredTokens;

        let now = time::OffsetDateTime::now_utc();
        let builder = crate::Config::builder("1", "channel-secret-value", "https://e.com/cb")
            .long_lived_channel_token("channel-token-value");
        let config = builder.clone().build().unwrap();
        let attempt = LoginAttempt::new(&config, "/".into(), AttemptPurpose::Login, now);
        let state = attempt.state.expose_secret().to_owned();
        let nonce = attempt.nonce.expose_secret().to_owned();
        let verifier = attempt.pkce_verifier.expose_secret().to_owned();
        let callback = crate::callback::parse_callback(Some(&format!(
            "code=code-value&state={state}&friendship_status_changed=true"
        )))
        .unwrap();
        let stored = StoredTokens {
            access_token: AccessToken::new("access-token-value"),
            expires_at: now,
            refresh_token: Some(RefreshToken::new("refresh-token-value")),
            scope: "profile openid".into(),
        };
        let link = Link {
            member: "member-1".to_owned(),
            line_user_id: "U1".into(),
            linked_at: now,
            tokens: Some(LinkTokens {
                access_token: AccessToken::new("access-token-value"),
                expires_at: now,
                refresh_token: Some(RefreshToken::new("refresh-token-value")),
                refresh_expires_at: None,
            }),
        };
        let unlinked = Unlinked {
            link: link.clone(),
            deauthorization: Deauthorization::Deauthorized,
        };
        let response: crate::api::TokenResponse = serde_json::from_value(serde_json::json!({
            "access_token": "access-token-value",
            "expires_in": 10,
            "id_token": "id-token-value",
            "refresh_token": "refresh-token-value",
            "scope": "profile",
            "token_type": "Bearer",
        }))
        .unwrap();
        #[cfg(feature = "simulator")]
        let deauthorized = {
            let record = crate::simulator::DeauthorizeRecord {
                user_id: "U1".into(),
                user_access_token: "access-token-value".into(),
                channel_access_token: "channel-token-value".into(),
                at: std::time::SystemTime::now(),
            };
            format!("{record:?}{record:#?}")
        };
        #[cfg(not(feature = "simulator"))]
        let deauthorized = String::new();
        let rendered = format!(
            "{builder:?}{builder:#?}{config:?}{attempt:?}{attempt:#?}{callback:?}{callback:#?}\
             {stored:?}{stored:#?}{link:?}{unlinked:#?}{response:?}{response:#?}\
             {deauthorized}"
        );
        for secret in [
            "channel-secret-value",
            "channel-token-value",
            "code-value",
            "access-token-value",
            "refresh-token-value",
            "id-token-value",
            state.as_str(),
            nonce.as_str(),
            verifier.as_str(),
        ] {
            assert!(!rendered.contains(secret), "{secret} in {rendered}");
        }
    }
}
