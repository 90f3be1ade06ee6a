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
}
