//! Newtypes for every secret the crate handles: the channel secret, authorization codes, tokens,
//! and the `state`, `nonce` and PKCE verifier of a login attempt. Their `Debug` is redacted and
//! they have no `Display`, so a secret cannot reach a log line by accident; reading one takes an
//! explicit `expose_secret()`. The checks take these types, so a state cannot be passed where a
//! nonce is expected.

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

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;

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

/// Random bytes in a `state` or `nonce` (256 bits; LINE's own starter uses 32 bytes too).
const RANDOM_TOKEN_BYTES: usize = 32;

fn random_token() -> String {
    let mut bytes = [0u8; RANDOM_TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

secret_string!(
    /// The anti-CSRF `state` of one authorization request: 256 bits from the OS CSPRNG, base64url
    /// (no character LINE would need URL-encoded).
    State
);
secret_string!(
    /// The anti-replay `nonce` of one authorization request, echoed in the ID token.
    Nonce
);
secret_string!(
    /// The PKCE `code_verifier` (43 characters of base64url), sent only in the token request.
    PkceVerifier
);

impl State {
    /// A fresh random state.
    pub fn random() -> Self {
        Self::new(random_token())
    }
}

impl Nonce {
    /// A fresh random nonce.
    pub fn random() -> Self {
        Self::new(random_token())
    }
}

impl PkceVerifier {
    /// A fresh random verifier.
    pub fn random() -> Self {
        Self::new(random_token())
    }

    /// `BASE64URL(SHA-256(verifier))`, the S256 `code_challenge`.
    pub fn challenge(&self) -> String {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.0.as_bytes());
        URL_SAFE_NO_PAD.encode(digest.as_ref())
    }
}

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
        use crate::link::{Deauthorization, Link, Unlinked};
        use crate::user::UserTokens;

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
        let stored = UserTokens {
            access_token: AccessToken::new("access-token-value"),
            expires_at: now,
            refresh_token: Some(RefreshToken::new("refresh-token-value")),
            scope: "profile openid".into(),
            refresh_expires_at: None,
        };
        let link = Link {
            member: "member-1".to_owned(),
            line_user_id: "U1".into(),
            linked_at: now,
            tokens: Some(UserTokens {
                access_token: AccessToken::new("access-token-value"),
                expires_at: now,
                refresh_token: Some(RefreshToken::new("refresh-token-value")),
                refresh_expires_at: None,
                scope: String::new(),
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
        let rendered = format!(
            "{builder:?}{builder:#?}{config:?}{attempt:?}{attempt:#?}{callback:?}{callback:#?}\
             {stored:?}{stored:#?}{link:?}{unlinked:#?}{response:?}{response:#?}"
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
