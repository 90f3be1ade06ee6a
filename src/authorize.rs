//! One login attempt: a fresh `state`, `nonce` and PKCE verifier, the exact `redirect_uri` and the
//! return-to path, kept (sealed) until LINE calls back; and the authorization URL that starts
//! it. Matching the callback to its attempt lives in [`crate::callback`].

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;

use crate::config::Config;
use crate::messages::Language;
use crate::secret::{Nonce, PkceVerifier, State};

/// How long an attempt may wait for LINE's callback (LINE's codes live as long).
pub const ATTEMPT_TTL: Duration = Duration::from_secs(10 * 60);
/// Attempts kept pending for one browser (several tabs); the oldest is evicted past this.
pub const PENDING_ATTEMPTS_MAX: usize = 5;
/// What a login attempt is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttemptPurpose {
    /// Sign the browser in as the LINE user.
    Login,
    /// Link the LINE user to this company member, who was signed in when the attempt started.
    Link {
        /// The member's ID in the company's records.
        member_id: String,
    },
}

/// One pending authorization request, sealed into a cookie of the browser that started it until
/// LINE calls back (only the server can open or make one).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginAttempt {
    pub(crate) state: State,
    pub(crate) nonce: Nonce,
    pub(crate) pkce_verifier: PkceVerifier,
    /// The exact redirect_uri of the authorize request; the token request repeats it.
    pub(crate) redirect_uri: Url,
    /// The web-login channel the attempt was started on; the callback exchanges and verifies
    /// with it only. Attempts stored before channels existed have none: the default channel.
    #[serde(default)]
    pub(crate) channel: Option<crate::config::ChannelId>,
    pub(crate) return_to: String,
    #[serde(with = "time::serde::timestamp")]
    pub(crate) created_at: OffsetDateTime,
    pub(crate) purpose: AttemptPurpose,
    /// Whether the browser had a session cookie when the attempt started: if it then does not
    /// come back on the callback, the cookie is misconfigured (e.g. `SameSite=Strict`).
    #[serde(default)]
    pub(crate) session_bound: bool,
}

impl LoginAttempt {
    /// A new attempt for `config`, returning to the (already sanitized) `return_to` path.
    pub fn new(
        config: &Config,
        return_to: String,
        purpose: AttemptPurpose,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            state: State::random(),
            nonce: Nonce::random(),
            pkce_verifier: PkceVerifier::random(),
            redirect_uri: config.redirect_uri().clone(),
            channel: Some(config.channel_id().clone()),
            return_to,
            created_at: now,
            purpose,
            session_bound: false,
        }
    }

    /// The `state` LINE echoes back.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Whether the attempt is older than [`ATTEMPT_TTL`] at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now - self.created_at > ATTEMPT_TTL || now < self.created_at - time::Duration::minutes(5)
    }

    /// LINE's authorize URL for this attempt with every configured option, plus
    /// `disable_auto_login=true` when `disable_auto_login` is set (LINE's advice after an auto-login
    /// failure), for a visitor whose language is `visitor`: with
    /// [`crate::ConfigBuilder::ui_locales_from_visitor`] and no static `ui_locales`, LINE's
    /// consent screen is asked for that language (`ui_locales`, see [`Language::ui_locale`]).
    pub fn authorization_url_for(
        &self,
        config: &Config,
        disable_auto_login: bool,
        visitor: Option<&Language>,
    ) -> Url {
        let mut url = config.authorize_endpoint();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", config.channel_id().as_str())
                .append_pair("redirect_uri", self.redirect_uri.as_str())
                .append_pair("state", self.state.expose_secret())
                .append_pair("scope", &config.scopes().to_string())
                .append_pair("nonce", self.nonce.expose_secret())
                .append_pair("code_challenge", &self.pkce_verifier.challenge())
                .append_pair("code_challenge_method", "S256");
            let mut options = config.authorize_options().clone();
            options.disable_auto_login |= disable_auto_login;
            if options.ui_locales.is_none() && options.ui_locales_from_visitor {
                options.ui_locales = visitor.map(Language::ui_locale);
            }
            for (name, value) in options.query_pairs() {
                query.append_pair(name, &value);
            }
        }
        // LINE expects scopes separated by %20, not `+`.
        if let Some(q) = url.query() {
            let fixed = q.replace('+', "%20");
            url.set_query(Some(&fixed));
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::builder(
            "1234567890",
            "secret",
            "https://example.com/auth/line/callback?x=1",
        )
        .bot_prompt(crate::BotPrompt::Aggressive)
        .build()
        .unwrap()
    }

    #[test]
    fn each_attempt_has_fresh_high_entropy_values() {
        let config = config();
        let a = LoginAttempt::new(
            &config,
            "/".into(),
            AttemptPurpose::Login,
            OffsetDateTime::now_utc(),
        );
        let b = LoginAttempt::new(
            &config,
            "/".into(),
            AttemptPurpose::Login,
            OffsetDateTime::now_utc(),
        );
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.pkce_verifier, b.pkce_verifier);
        // 32 bytes base64url = 43 characters = 256 bits.
        assert_eq!(a.state.expose_secret().len(), 43);
        assert!(
            a.state
                .expose_secret()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn pkce_challenge_matches_rfc7636_example() {
        let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            verifier.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn authorization_url_carries_every_parameter() {
        let config = config();
        let attempt = LoginAttempt::new(
            &config,
            "/".into(),
            AttemptPurpose::Login,
            OffsetDateTime::now_utc(),
        );
        let url = attempt.authorization_url_for(&config, true, None);
        assert!(url.as_str().contains("scope=profile%20openid"));
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["client_id"], "1234567890");
        assert_eq!(
            pairs["redirect_uri"],
            "https://example.com/auth/line/callback?x=1"
        );
        assert_eq!(pairs["state"], attempt.state.expose_secret());
        assert_eq!(pairs["nonce"], attempt.nonce.expose_secret());
        assert_eq!(pairs["code_challenge"], attempt.pkce_verifier.challenge());
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert_eq!(pairs["bot_prompt"], "aggressive");
        assert_eq!(pairs["disable_auto_login"], "true");
        assert!(!url.as_str().contains(attempt.pkce_verifier.expose_secret()));
    }

    fn ui_locales_of(config: &Config, visitor: Option<&Language>) -> Option<String> {
        let attempt = LoginAttempt::new(
            config,
            "/".into(),
            AttemptPurpose::Login,
            OffsetDateTime::now_utc(),
        );
        attempt
            .authorization_url_for(config, false, visitor)
            .query_pairs()
            .find(|(name, _)| name == "ui_locales")
            .map(|(_, value)| value.into_owned())
    }

    fn builder() -> crate::ConfigBuilder {
        Config::builder("1234567890", "secret", "https://example.com/cb")
    }

    #[test]
    fn ui_locales_follow_the_visitor_only_when_the_app_opts_in() {
        let japanese = Language::japanese();
        let off = builder().build().unwrap();
        assert_eq!(ui_locales_of(&off, Some(&japanese)), None);
        let on = builder().ui_locales_from_visitor(true).build().unwrap();
        assert_eq!(ui_locales_of(&on, Some(&japanese)).as_deref(), Some("ja"));
        assert_eq!(
            ui_locales_of(&on, Some(&Language::traditional_chinese())).as_deref(),
            Some("zh-TW")
        );
        assert_eq!(ui_locales_of(&on, None), None);
    }

    #[test]
    fn static_ui_locales_win_over_the_visitor() {
        let config = builder()
            .ui_locales("th-TH")
            .ui_locales_from_visitor(true)
            .build()
            .unwrap();
        assert_eq!(
            ui_locales_of(&config, Some(&Language::japanese())).as_deref(),
            Some("th-TH")
        );
    }

    #[test]
    fn attempts_expire_after_ten_minutes() {
        let config = config();
        let attempt = LoginAttempt::new(
            &config,
            "/".into(),
            AttemptPurpose::Login,
            OffsetDateTime::now_utc(),
        );
        let now = attempt.created_at;
        assert!(!attempt.is_expired(now + time::Duration::minutes(9)));
        assert!(attempt.is_expired(now + time::Duration::minutes(11)));
    }
}
