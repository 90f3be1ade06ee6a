//! The configuration: the web-login channels (identity, callback URLs, scopes, authorize
//! options, label, provider; one by default, more with [`ConfigBuilder::channel`]), the extra
//! token audiences and the endpoints. Built with [`Config::builder`] or [`Config::from_env`] and
//! validated once, at start-up, so a mistake is reported as one clear [`ConfigError`] instead of
//! a failed login later.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

use crate::secret::{ChannelAccessToken, ChannelSecret};
use crate::token_crypto::{TokenKey, TokenKeyError, TokenKeyRing, TokenProtection};

/// LINE's authorization server (the authorize endpoint and the ID-token issuer).
pub const DEFAULT_ACCESS_BASE: &str = "https://access.line.me";
/// Most callback URLs one LINE Login channel can register.
pub const REDIRECT_URIS_MAX: usize = 400;
/// LINE's API server (token, verify, revoke, profile, friendship, deauthorize).
pub const DEFAULT_API_BASE: &str = "https://api.line.me";
/// The `iss` of every ID token LINE issues.
pub const DEFAULT_ISSUER: &str = "https://access.line.me";
/// Time allowed for one back-channel call to LINE.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// A LINE Login channel ID: a non-empty string of ASCII digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChannelId(String);

impl ChannelId {
    /// Parses a channel ID.
    ///
    /// ```
    /// use line_login::ChannelId;
    /// assert!(ChannelId::parse("1234567890").is_ok());
    /// assert!(ChannelId::parse("12ab").is_err());
    /// ```
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(ConfigError::ChannelIdEmpty);
        }
        if !value.bytes().all(|b| b.is_ascii_digit()) || value.len() > 32 {
            return Err(ConfigError::ChannelIdNotNumeric(value.to_owned()));
        }
        Ok(Self(value.to_owned()))
    }

    /// The channel ID as sent to LINE (`client_id`) and found in ID tokens (`aud`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChannelId {
    type Error = ConfigError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ChannelId> for String {
    fn from(value: ChannelId) -> Self {
        value.0
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One OAuth scope LINE Login knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `profile`: display name and picture, profile and friendship APIs.
    Profile,
    /// `openid`: an ID token. Required by this crate.
    OpenId,
    /// `email`: the email address in the ID token (needs the channel's email permission).
    Email,
    /// `real_name` (LINE Profile+): `given_name`, `middle_name`, `family_name` and their
    /// pronunciations in the ID token.
    RealName,
    /// `gender` (LINE Profile+): `gender` in the ID token.
    Gender,
    /// `birthdate` (LINE Profile+): `birthdate` in the ID token.
    Birthdate,
    /// `phone` (LINE Profile+): `phone_number` in the ID token.
    Phone,
    /// `address` (LINE Profile+): `address` in the ID token.
    Address,
}

impl Scope {
    /// Every scope this crate knows, in LINE's order.
    pub const ALL: [Scope; 8] = [
        Scope::Profile,
        Scope::OpenId,
        Scope::Email,
        Scope::RealName,
        Scope::Gender,
        Scope::Birthdate,
        Scope::Phone,
        Scope::Address,
    ];

    /// The scope as LINE spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Profile => "profile",
            Scope::OpenId => "openid",
            Scope::Email => "email",
            Scope::RealName => "real_name",
            Scope::Gender => "gender",
            Scope::Birthdate => "birthdate",
            Scope::Phone => "phone",
            Scope::Address => "address",
        }
    }

    /// Whether it is a LINE Profile+ scope (corporate customers who applied).
    pub fn is_profile_plus(self) -> bool {
        matches!(
            self,
            Scope::RealName | Scope::Gender | Scope::Birthdate | Scope::Phone | Scope::Address
        )
    }

    fn parse(word: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == word)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Longest scope word accepted (unknown future scopes included).
const SCOPE_WORD_MAX_CHARS: usize = 64;

/// The set of scopes requested at authorization. Always contains `openid`. Scopes this crate
/// does not know yet (a future LINE scope) are kept and sent as written, with a warning at
/// start-up ([`Scopes::unknown`]), instead of being refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scopes {
    known: u16,
    unknown: Vec<String>,
}

impl Default for Scopes {
    /// `profile openid`.
    fn default() -> Self {
        Self {
            known: Scope::Profile.bit() | Scope::OpenId.bit(),
            unknown: Vec::new(),
        }
    }
}

impl Scopes {
    /// Parses a space- or comma-separated scope list such as `profile openid email`. A word
    /// this crate does not know is kept (see [`Scopes::unknown`]) if it is a well-formed OAuth
    /// scope token (printable ASCII without `"` or `\`, at most 64 characters).
    ///
    /// ```
    /// use line_login::config::Scopes;
    /// let scopes: Scopes = "profile openid email".parse().unwrap();
    /// assert_eq!(scopes.to_string(), "profile openid email");
    /// assert!("profile".parse::<Scopes>().is_err()); // no openid
    /// let plus: Scopes = "openid real_name phone future_scope".parse().unwrap();
    /// assert_eq!(plus.to_string(), "openid real_name phone future_scope");
    /// assert_eq!(plus.unknown(), ["future_scope"]);
    /// ```
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let mut scopes = Self {
            known: 0,
            unknown: Vec::new(),
        };
        for word in value.split([' ', ',', '+']).filter(|w| !w.is_empty()) {
            match Scope::parse(word) {
                Some(scope) => scopes.known |= scope.bit(),
                None => {
                    let well_formed = word.len() <= SCOPE_WORD_MAX_CHARS
                        && word
                            .bytes()
                            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
                    if !well_formed {
                        let shown: String = word
                            .chars()
                            .filter(|c| c.is_ascii_graphic())
                            .take(SCOPE_WORD_MAX_CHARS)
                            .collect();
                        return Err(ConfigError::UnknownScope(shown));
                    }
                    if !scopes.unknown.iter().any(|w| w == word) {
                        scopes.unknown.push(word.to_owned());
                    }
                }
            }
        }
        if !scopes.contains(Scope::OpenId) {
            return Err(ConfigError::ScopesWithoutOpenid);
        }
        Ok(scopes)
    }

    /// Whether `scope` is requested.
    pub fn contains(&self, scope: Scope) -> bool {
        self.known & scope.bit() != 0
    }

    /// Adds `email` (the channel needs LINE's email permission).
    pub fn with_email(self) -> Self {
        self.with(Scope::Email)
    }

    /// Adds `scope`.
    pub fn with(mut self, scope: Scope) -> Self {
        self.known |= scope.bit();
        self
    }

    /// The requested scopes this crate does not know (sent as written; their claims, if any,
    /// are in [`VerifiedIdToken::extra_claims`](crate::VerifiedIdToken::extra_claims)).
    pub fn unknown(&self) -> &[String] {
        &self.unknown
    }

    /// Whether any LINE Profile+ scope is requested.
    pub fn has_profile_plus(&self) -> bool {
        Scope::ALL
            .into_iter()
            .any(|scope| scope.is_profile_plus() && self.contains(scope))
    }
}

impl FromStr for Scopes {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Scopes {
    /// Space-separated, in LINE's order (`profile openid email`, then the Profile+ scopes),
    /// then the unknown scopes as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words: Vec<&str> = Scope::ALL
            .into_iter()
            .filter(|scope| self.contains(*scope))
            .map(Scope::as_str)
            .collect();
        words.extend(self.unknown.iter().map(String::as_str));
        f.write_str(&words.join(" "))
    }
}

/// How the add-friend option is shown during login (`bot_prompt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BotPrompt {
    /// Inside the consent screen.
    Normal,
    /// On a separate screen after the consent screen.
    Aggressive,
}

impl BotPrompt {
    /// The value as sent to LINE.
    pub fn as_str(self) -> &'static str {
        match self {
            BotPrompt::Normal => "normal",
            BotPrompt::Aggressive => "aggressive",
        }
    }
}

impl FromStr for BotPrompt {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "normal" => Ok(BotPrompt::Normal),
            "aggressive" => Ok(BotPrompt::Aggressive),
            _ => Err(ConfigError::UnknownBotPrompt(s.to_owned())),
        }
    }
}

/// The `prompt` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// Always show the consent screen.
    Consent,
    /// Force authentication (also disables auto login).
    Login,
    /// Never show UI; LINE answers `LOGIN_REQUIRED`/`INTERACTION_REQUIRED` when it would have to.
    None,
}

impl Prompt {
    /// The value as sent to LINE.
    pub fn as_str(self) -> &'static str {
        match self {
            Prompt::Consent => "consent",
            Prompt::Login => "login",
            Prompt::None => "none",
        }
    }
}

/// Every optional parameter of LINE's authorize endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizeOptions {
    /// `prompt`.
    pub prompt: Option<Prompt>,
    /// `max_age`: the ID token then carries `auth_time`, which verification checks.
    pub max_age: Option<Duration>,
    /// `ui_locales`: space-separated BCP 47 tags in order of preference.
    pub ui_locales: Option<String>,
    /// When `ui_locales` is not set, send the visitor's negotiated language as `ui_locales` so
    /// LINE's consent screen speaks it (see [`crate::messages`]). Off by default.
    pub ui_locales_from_visitor: bool,
    /// `bot_prompt`: offer to add the channel's LINE Official Account as a friend.
    pub bot_prompt: Option<BotPrompt>,
    /// `initial_amr_display=lineqr`: show QR-code login first.
    pub initial_amr_display_qr: bool,
    /// `switch_amr=false` hides the buttons that switch login method.
    pub switch_amr: Option<bool>,
    /// `disable_auto_login=true`.
    pub disable_auto_login: bool,
    /// `disable_ios_auto_login=true`.
    pub disable_ios_auto_login: bool,
}

impl AuthorizeOptions {
    /// The query pairs these options add to an authorization request, in a stable order.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(prompt) = self.prompt {
            pairs.push(("prompt", prompt.as_str().to_owned()));
        }
        if let Some(max_age) = self.max_age {
            pairs.push(("max_age", max_age.as_secs().to_string()));
        }
        if let Some(locales) = &self.ui_locales {
            pairs.push(("ui_locales", locales.clone()));
        }
        if let Some(bot_prompt) = self.bot_prompt {
            pairs.push(("bot_prompt", bot_prompt.as_str().to_owned()));
        }
        if self.initial_amr_display_qr {
            pairs.push(("initial_amr_display", "lineqr".to_owned()));
        }
        if let Some(switch_amr) = self.switch_amr {
            pairs.push(("switch_amr", switch_amr.to_string()));
        }
        if self.disable_auto_login {
            pairs.push(("disable_auto_login", "true".to_owned()));
        }
        if self.disable_ios_auto_login {
            pairs.push(("disable_ios_auto_login", "true".to_owned()));
        }
        pairs
    }
}

/// One LINE Login channel of the web login: its ID and secret (the HS256 key of its ID tokens),
/// its registered callback URLs, scopes, authorize options and add-friend setting, a label and
/// its provider. Built with [`Channel::builder`] and added with [`ConfigBuilder::channel`]; the
/// default channel is the one [`Config::builder`] starts with.
#[derive(Clone, Debug)]
pub struct Channel {
    id: ChannelId,
    secret: ChannelSecret,
    /// The default callback URL, also first in `redirect_uris`.
    redirect_uri: Url,
    redirect_uris: Vec<Url>,
    scopes: Scopes,
    authorize: AuthorizeOptions,
    label: String,
    provider: Option<String>,
}

impl Channel {
    /// Starts a channel from the three values every channel needs.
    pub fn builder(
        channel_id: impl Into<String>,
        channel_secret: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> ChannelBuilder {
        ChannelBuilder {
            channel_id: channel_id.into(),
            channel_secret: ChannelSecret::new(channel_secret),
            redirect_uri: redirect_uri.into(),
            redirect_uris: Vec::new(),
            scopes: None,
            email: false,
            authorize: AuthorizeOptions::default(),
            label: None,
            provider: None,
        }
    }

    /// The channel ID (`client_id`, and the `aud` of its ID tokens).
    pub fn id(&self) -> &ChannelId {
        &self.id
    }
    /// The channel's label (its ID unless [`ChannelBuilder::label`] set one).
    pub fn label(&self) -> &str {
        &self.label
    }
    /// The channel's provider, if named ([`ChannelBuilder::provider`]).
    pub fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }
    /// The channel's registered callback URLs, the default first.
    pub fn redirect_uris(&self) -> &[Url] {
        &self.redirect_uris
    }
    /// The scopes this channel requests.
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }
    /// This channel's authorize options (add-friend option included).
    pub fn authorize_options(&self) -> &AuthorizeOptions {
        &self.authorize
    }
    /// The registered callback URL on the request host `host`, else the default one (see
    /// [`Config::redirect_uri_for_host`]).
    pub fn redirect_uri_for_host(&self, host: Option<&str>) -> &Url {
        host.and_then(|host| {
            self.redirect_uris
                .iter()
                .find(|registered| host_matches(registered, host))
        })
        .unwrap_or(&self.redirect_uri)
    }
}

/// Builds a [`Channel`]; the setters mirror [`ConfigBuilder`]'s for the default channel.
#[derive(Debug, Clone)]
#[must_use]
pub struct ChannelBuilder {
    channel_id: String,
    // A secret newtype, so the builder's derived `Debug` prints no key.
    channel_secret: ChannelSecret,
    redirect_uri: String,
    redirect_uris: Vec<String>,
    scopes: Option<String>,
    email: bool,
    authorize: AuthorizeOptions,
    label: Option<String>,
    provider: Option<String>,
}

impl ChannelBuilder {
    /// Further callback URLs of this channel, one per host (see
    /// [`ConfigBuilder::redirect_uris`]).
    pub fn redirect_uris<I, S>(mut self, uris: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.redirect_uris = uris.into_iter().map(Into::into).collect();
        self
    }
    /// Requested scopes, e.g. `"profile openid email"` (default `profile openid`).
    pub fn scopes(mut self, scopes: impl Into<String>) -> Self {
        self.scopes = Some(scopes.into());
        self
    }
    /// Also request `email`.
    pub fn email(mut self, email: bool) -> Self {
        self.email = email;
        self
    }
    /// Every optional authorize parameter at once (`prompt`, `max_age`, `bot_prompt`, ...).
    pub fn authorize_options(mut self, options: AuthorizeOptions) -> Self {
        self.authorize = options;
        self
    }
    /// The add-friend option of this channel's linked LINE Official Account.
    pub fn bot_prompt(mut self, bot_prompt: BotPrompt) -> Self {
        self.authorize.bot_prompt = Some(bot_prompt);
        self
    }
    /// A label for logs and the compliance report (default: the channel ID). Labels must differ.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    /// The LINE provider the channel belongs to. LINE gives one person the same user ID in
    /// every channel of one provider and different IDs under different providers, so member
    /// links (keyed by LINE user ID) are made through the default channel's provider only: a
    /// link through a channel of another provider is refused
    /// ([`crate::error::LinkConflict::OtherProvider`]).
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Validates the channel, or returns the first mistake found.
    fn build(self) -> Result<Channel, ConfigError> {
        let id = ChannelId::parse(&self.channel_id)?;
        if self.channel_secret.expose_secret().trim().is_empty() {
            return Err(ConfigError::ChannelSecretEmpty);
        }
        let mut redirect_uris: Vec<Url> = Vec::with_capacity(1 + self.redirect_uris.len());
        for raw in std::iter::once(&self.redirect_uri).chain(&self.redirect_uris) {
            let url = validate_redirect_uri(raw)?;
            if redirect_uris.iter().any(|seen| {
                seen.host() == url.host()
                    && seen.port_or_known_default() == url.port_or_known_default()
            }) {
                return Err(ConfigError::RedirectUriDuplicateHost(raw.clone()));
            }
            redirect_uris.push(url);
        }
        if redirect_uris.len() > REDIRECT_URIS_MAX {
            return Err(ConfigError::TooManyRedirectUris(redirect_uris.len()));
        }
        let redirect_uri = validate_redirect_uri(&self.redirect_uri)?;
        let mut scopes = match &self.scopes {
            Some(s) => Scopes::parse(s)?,
            None => Scopes::default(),
        };
        if self.email {
            scopes = scopes.with_email();
        }
        for word in scopes.unknown() {
            tracing::warn!(
                scope = %word,
                "scope unknown to line-login requested: it is sent to LINE as written, and its \
                 claims, if any, are kept as extra claims of the ID token"
            );
        }
        if let Some(locales) = &self.authorize.ui_locales
            && (locales.len() > 256 || locales.chars().any(|c| c.is_control()))
        {
            return Err(ConfigError::InvalidUiLocales(locales.clone()));
        }
        let label = match self.label.map(|l| l.trim().to_owned()) {
            Some(label) if !label.is_empty() => label,
            _ => id.to_string(),
        };
        let provider = self
            .provider
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty());
        Ok(Channel {
            id,
            secret: self.channel_secret,
            redirect_uri,
            redirect_uris,
            scopes,
            authorize: self.authorize,
            label,
            provider,
        })
    }
}

/// A validated LINE Login configuration. Cheap to clone.
///
/// ```
/// use line_login::Config;
/// let config = Config::builder("1234567890", "channel-secret", "https://example.com/auth/line/callback")
///     .email(true)
///     .build()
///     .expect("valid configuration");
/// assert_eq!(config.scopes().to_string(), "profile openid email");
/// assert_eq!(config.api_base().as_str(), "https://api.line.me/");
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// The channel this view of the configuration serves: the default one, or the one chosen
    /// with [`Config::for_channel`].
    channel: Channel,
    /// Every web-login channel, the default first.
    channels: std::sync::Arc<[Channel]>,
    access_base: Url,
    api_base: Url,
    issuer: String,
    http_timeout: Duration,
    long_lived_channel_token: Option<ChannelAccessToken>,
    token_keys: Option<TokenKeyRing>,
    plaintext_tokens: bool,
    token_audiences: Vec<ChannelId>,
}

impl Config {
    /// Starts a configuration from the three values every channel needs.
    pub fn builder(
        channel_id: impl Into<String>,
        channel_secret: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> ConfigBuilder {
        ConfigBuilder {
            primary: Channel::builder(channel_id, channel_secret, redirect_uri),
            channels: Vec::new(),
            access_base: DEFAULT_ACCESS_BASE.to_owned(),
            api_base: DEFAULT_API_BASE.to_owned(),
            issuer: DEFAULT_ISSUER.to_owned(),
            http_timeout: DEFAULT_HTTP_TIMEOUT,
            long_lived_channel_token: None,
            token_keys: None,
            plaintext_tokens: false,
            token_audiences: Vec::new(),
        }
    }

    /// Reads the configuration from the environment:
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `LINE_LOGIN_CHANNEL_ID` | channel ID | required |
    /// | `LINE_LOGIN_CHANNEL_SECRET` | channel secret | required |
    /// | `LINE_LOGIN_REDIRECT_URI` | callback URL registered for the channel; several (one per host of the site) comma-separated, the first being the default, see [`ConfigBuilder::redirect_uris`] | required |
    /// | `LINE_LOGIN_SCOPES` | requested scopes | `profile openid` |
    /// | `LINE_LOGIN_BOT_PROMPT` | `normal` or `aggressive` | unset |
    /// | `LINE_LOGIN_ACCESS_BASE` | authorization server | `https://access.line.me` |
    /// | `LINE_LOGIN_API_BASE` | API server | `https://api.line.me` |
    /// | `LINE_LOGIN_ISSUER` | expected ID-token `iss` | `https://access.line.me` |
    /// | `LINE_LOGIN_HTTP_TIMEOUT_SECS` | back-channel timeout | `10` |
    /// | `LINE_LOGIN_LONG_LIVED_CHANNEL_TOKEN` | opt-in, see [`ConfigBuilder::long_lived_channel_token`] | unset |
    /// | `LINE_LOGIN_TOKEN_KEY` | base64 of 32 random bytes that encrypt LINE tokens at rest, see [`ConfigBuilder::token_keys`] | unset |
    /// | `LINE_LOGIN_TOKEN_OLD_KEYS` | comma-separated older keys, only to decrypt during a rotation | unset |
    /// | `LINE_LOGIN_TOKEN_AUDIENCES` | comma-separated extra channel IDs (LIFF / MINI App channels) accepted at the token doors, see [`ConfigBuilder::token_audiences`] | unset |
    /// | `LINE_LOGIN_CHANNEL_LABEL` | the default channel's label, see [`ConfigBuilder::label`] | its channel ID |
    /// | `LINE_LOGIN_PROVIDER` | the default channel's LINE provider, see [`ConfigBuilder::provider`] (required with several channels) | unset |
    /// | `LINE_LOGIN_CHANNELS` | comma-separated labels of further web-login channels, see [`ConfigBuilder::channel`]; for each label `th`: `LINE_LOGIN_CHANNEL_TH_ID`, `_SECRET`, `_REDIRECT_URI` (required; comma-separated URLs), `_PROVIDER`, `_SCOPES`, `_BOT_PROMPT` | unset |
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading variables through `lookup` (handy in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or(ConfigError::MissingVariable(name))
        };
        let redirect_list = required(REDIRECT_URI_VAR)?;
        let (first, more) = redirect_uri_list(&redirect_list)?;
        let mut builder = Config::builder(
            required("LINE_LOGIN_CHANNEL_ID")?,
            required("LINE_LOGIN_CHANNEL_SECRET")?,
            first,
        )
        .redirect_uris(more);
        let optional = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(scopes) = optional("LINE_LOGIN_SCOPES") {
            builder = builder.scopes(scopes);
        }
        if let Some(bot_prompt) = optional("LINE_LOGIN_BOT_PROMPT") {
            builder = builder.bot_prompt(bot_prompt.parse()?);
        }
        if let Some(base) = optional("LINE_LOGIN_ACCESS_BASE") {
            builder = builder.access_base(base);
        }
        if let Some(base) = optional("LINE_LOGIN_API_BASE") {
            builder = builder.api_base(base);
        }
        if let Some(issuer) = optional("LINE_LOGIN_ISSUER") {
            builder = builder.issuer(issuer);
        }
        if let Some(secs) = optional("LINE_LOGIN_HTTP_TIMEOUT_SECS") {
            let secs: u64 = secs
                .trim()
                .parse()
                .ok()
                .filter(|s| (1..=300).contains(s))
                .ok_or(ConfigError::InvalidTimeout(secs))?;
            builder = builder.http_timeout(Duration::from_secs(secs));
        }
        if let Some(token) = optional("LINE_LOGIN_LONG_LIVED_CHANNEL_TOKEN") {
            builder = builder.long_lived_channel_token(token.trim());
        }
        if let Some(audiences) = optional(TOKEN_AUDIENCES_VAR) {
            let ids: Vec<&str> = audiences.split(',').map(str::trim).collect();
            if ids
                .iter()
                .any(|id| id.is_empty() || ChannelId::parse(id).is_err())
            {
                return Err(ConfigError::InvalidTokenAudiences(audiences));
            }
            builder = builder.token_audiences(ids);
        }
        if let Some(label) = optional("LINE_LOGIN_CHANNEL_LABEL") {
            builder = builder.label(label.trim());
        }
        if let Some(provider) = optional("LINE_LOGIN_PROVIDER") {
            builder = builder.provider(provider.trim());
        }
        if let Some(labels) = optional(CHANNELS_VAR) {
            for label in split_list(&labels)
                .filter(|labels| labels.iter().all(|l| is_env_label(l)))
                .ok_or_else(|| ConfigError::InvalidChannelLabels(labels.clone()))?
            {
                builder = builder.channel(channel_from_lookup(label, &lookup)?);
            }
        }
        let old_keys = optional(TOKEN_OLD_KEYS_VAR);
        match optional(TOKEN_KEY_VAR) {
            Some(current) => {
                builder = builder.token_keys(token_key_ring(&current, old_keys.as_deref())?);
            }
            None if old_keys.is_some() => return Err(ConfigError::OldTokenKeysWithoutKey),
            None => {}
        }
        builder.build()
    }

    /// The channel ID (`client_id`, and the `aud` of ID tokens).
    pub fn channel_id(&self) -> &ChannelId {
        &self.channel.id
    }

    /// The channel this configuration serves: the default (first) one, or the one chosen with
    /// [`Config::for_channel`].
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Every web-login channel of the layer, the default first (one unless
    /// [`ConfigBuilder::channel`] added more).
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// This configuration serving channel `id` instead (same endpoints, keys and policies):
    /// what the layer's callback uses for a login started on that channel. `None` when `id`
    /// is not one of [`Config::channels`].
    pub fn for_channel(&self, id: &ChannelId) -> Option<Config> {
        let channel = self.channels.iter().find(|c| &c.id == id)?.clone();
        Some(Config {
            channel,
            ..self.clone()
        })
    }

    /// The channel a web login on the request host `host` uses by default: the first channel
    /// with a callback URL registered on that host and port, else the default channel. The
    /// host is only compared with the registered lists (an allow-list), never trusted beyond.
    pub fn channel_for_host(&self, host: Option<&str>) -> &Channel {
        host.and_then(|host| {
            self.channels.iter().find(|c| {
                c.redirect_uris
                    .iter()
                    .any(|registered| host_matches(registered, host))
            })
        })
        .unwrap_or(&self.channel)
    }
    /// The channels whose tokens the token doors (`POST {prefix}/token-login`) and the bearer
    /// guard accept: this channel first, then the extra audiences
    /// ([`ConfigBuilder::token_audiences`]). The web login accepts this channel only.
    pub fn token_audiences(&self) -> impl Iterator<Item = &ChannelId> {
        std::iter::once(&self.channel.id).chain(self.token_audiences.iter())
    }

    /// Whether a token of channel `channel_id` (an ID token's `aud`, an access token's
    /// `client_id`) is accepted at the token doors.
    pub fn accepts_token_audience(&self, channel_id: &str) -> bool {
        self.token_audiences().any(|id| id.as_str() == channel_id)
    }

    /// The channel secret.
    pub fn channel_secret(&self) -> &ChannelSecret {
        &self.channel.secret
    }
    /// The default callback URL (the first registered one), sent identically in the authorize
    /// and the token request when the request's host matches no other registered one.
    pub fn redirect_uri(&self) -> &Url {
        &self.channel.redirect_uri
    }

    /// Every registered callback URL of the channel, the default first.
    pub fn redirect_uris(&self) -> &[Url] {
        &self.channel.redirect_uris
    }

    /// The registered callback URL for a request whose `Host` header is `host`: the one whose
    /// host and port equal it (compared as URL hosts, so case and default ports do not matter),
    /// else the default ([`Config::redirect_uri`]). The header is only ever compared with the
    /// registered list, never used to build a URL, so a forged `Host` picks at most another
    /// registered callback of this channel. An unknown host gets the default: a single-URL
    /// deployment behind a proxy that rewrites `Host` keeps working as before.
    pub fn redirect_uri_for_host(&self, host: Option<&str>) -> &Url {
        self.channel.redirect_uri_for_host(host)
    }
    /// Requested scopes.
    pub fn scopes(&self) -> &Scopes {
        &self.channel.scopes
    }
    /// Optional authorize parameters.
    pub fn authorize_options(&self) -> &AuthorizeOptions {
        &self.channel.authorize
    }
    /// Authorization server base URL.
    pub fn access_base(&self) -> &Url {
        &self.access_base
    }
    /// API server base URL.
    pub fn api_base(&self) -> &Url {
        &self.api_base
    }
    /// Expected ID-token issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// Timeout of one back-channel call.
    pub fn http_timeout(&self) -> Duration {
        self.http_timeout
    }
    /// The long-lived channel access token the app opted in to, if any (see
    /// [`ConfigBuilder::long_lived_channel_token`]). `None`, the default, means stateless tokens
    /// issued when needed.
    pub fn long_lived_channel_token(&self) -> Option<&ChannelAccessToken> {
        self.long_lived_channel_token.as_ref()
    }

    /// The keys that encrypt LINE tokens at rest, if configured.
    pub fn token_keys(&self) -> Option<&TokenKeyRing> {
        self.token_keys.as_ref()
    }

    /// Whether the app opted in to plain-text tokens at rest (see
    /// [`ConfigBuilder::plaintext_tokens`]). `false` when a key is configured.
    pub fn plaintext_tokens(&self) -> bool {
        self.token_keys.is_none() && self.plaintext_tokens
    }

    /// How stores that outlive a request (member links, shared session stores) keep LINE tokens:
    /// encrypted with [`Config::token_keys`], or in plain text when the app opted in. Neither is
    /// [`ConfigError::TokenKeyMissing`]: such a store refuses to start.
    pub fn token_protection(&self) -> Result<TokenProtection, ConfigError> {
        match (&self.token_keys, self.plaintext_tokens) {
            (Some(ring), _) => Ok(TokenProtection::Encrypted(ring.clone())),
            (None, true) => Ok(TokenProtection::Plaintext),
            (None, false) => Err(ConfigError::TokenKeyMissing),
        }
    }

    /// `{access_base}/oauth2/v2.1/authorize`.
    pub fn authorize_endpoint(&self) -> Url {
        join(&self.access_base, "oauth2/v2.1/authorize")
    }

    /// `{api_base}` joined with `path` (no leading slash), e.g. `oauth2/v2.1/token`.
    pub fn api_endpoint(&self, path: &str) -> Url {
        join(&self.api_base, path)
    }

    /// Whether the redirect URI is https, so cookies must be `Secure`.
    pub fn is_https(&self) -> bool {
        self.redirect_uri().scheme() == "https"
    }
}

/// The variable holding the current token key (base64 of 32 bytes).
pub const TOKEN_KEY_VAR: &str = "LINE_LOGIN_TOKEN_KEY";
/// The variable holding older token keys (comma-separated base64), kept to decrypt during a
/// rotation.
pub const TOKEN_OLD_KEYS_VAR: &str = "LINE_LOGIN_TOKEN_OLD_KEYS";

/// The environment variable of [`ConfigBuilder::token_audiences`]: comma-separated channel IDs.
pub const TOKEN_AUDIENCES_VAR: &str = "LINE_LOGIN_TOKEN_AUDIENCES";
/// The environment variable of the channel's callback URLs: one, or several comma-separated
/// (the first being the default, see [`ConfigBuilder::redirect_uris`]).
pub const REDIRECT_URI_VAR: &str = "LINE_LOGIN_REDIRECT_URI";

/// The trimmed items of a comma-separated list, or `None` when one is empty (`a,,b`, `a,`).
/// The variable that lists the labels of the extra web-login channels read from the environment.
pub const CHANNELS_VAR: &str = "LINE_LOGIN_CHANNELS";

/// Whether `label` can name a channel's variables: 1 to 32 ASCII letters, digits, `_` or `-`.
fn is_env_label(label: &str) -> bool {
    (1..=32).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The extra web-login channel `label` from `LINE_LOGIN_CHANNEL_<LABEL>_*` (the label upper-cased,
/// `-` as `_`): `_ID`, `_SECRET` and `_REDIRECT_URI` (comma-separated like
/// `LINE_LOGIN_REDIRECT_URI`) required; `_PROVIDER`, `_SCOPES` and `_BOT_PROMPT` optional.
fn channel_from_lookup(
    label: &str,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<ChannelBuilder, ConfigError> {
    let prefix = format!(
        "LINE_LOGIN_CHANNEL_{}_",
        label.to_ascii_uppercase().replace('-', "_")
    );
    let optional =
        |suffix: &str| lookup(&format!("{prefix}{suffix}")).filter(|v| !v.trim().is_empty());
    let required = |suffix: &str| {
        optional(suffix)
            .ok_or_else(|| ConfigError::MissingChannelVariable(format!("{prefix}{suffix}")))
    };
    let redirect_list = required("REDIRECT_URI")?;
    let (first, more) = redirect_uri_list(&redirect_list)?;
    let mut channel = Channel::builder(required("ID")?.trim(), required("SECRET")?, first)
        .redirect_uris(more)
        .label(label);
    if let Some(provider) = optional("PROVIDER") {
        channel = channel.provider(provider.trim());
    }
    if let Some(scopes) = optional("SCOPES") {
        channel = channel.scopes(scopes);
    }
    if let Some(bot_prompt) = optional("BOT_PROMPT") {
        channel = channel.bot_prompt(bot_prompt.parse()?);
    }
    Ok(channel)
}

/// A comma-separated list of callback URLs (`LINE_LOGIN_REDIRECT_URI` and its per-channel twins):
/// the default one and the rest. An empty item is an error.
fn redirect_uri_list(raw: &str) -> Result<(&str, Vec<&str>), ConfigError> {
    let invalid = || ConfigError::InvalidRedirectUriList(raw.to_owned());
    let mut items = split_list(raw).ok_or_else(invalid)?.into_iter();
    let first = items.next().ok_or_else(invalid)?;
    Ok((first, items.collect()))
}

fn split_list(raw: &str) -> Option<Vec<&str>> {
    let items: Vec<&str> = raw.split(',').map(str::trim).collect();
    (!items.iter().any(|item| item.is_empty())).then_some(items)
}

/// Whether the `Host` header value `host` names `registered`'s host and port. Anything that is
/// not a plain `host[:port]` (user info, a path, a query) matches nothing.
fn host_matches(registered: &Url, host: &str) -> bool {
    if host.is_empty() || host.len() > 255 || host.contains(['/', '@', '?', '#', '\\']) {
        return false;
    }
    let Ok(seen) = Url::parse(&format!("{}://{host}/", registered.scheme())) else {
        return false;
    };
    seen.host() == registered.host()
        && seen.port_or_known_default() == registered.port_or_known_default()
}

/// The ring of `current` (base64) and the comma-separated `old` keys.
fn token_key_ring(current: &str, old: Option<&str>) -> Result<TokenKeyRing, ConfigError> {
    let invalid = |variable: &'static str| {
        move |reason: TokenKeyError| ConfigError::InvalidTokenKey { variable, reason }
    };
    let mut ring =
        TokenKeyRing::new(TokenKey::from_base64(current).map_err(invalid(TOKEN_KEY_VAR))?);
    for text in old
        .unwrap_or("")
        .split(',')
        .filter(|t| !t.trim().is_empty())
    {
        let key = TokenKey::from_base64(text).map_err(invalid(TOKEN_OLD_KEYS_VAR))?;
        ring = ring
            .with_old_key(key)
            .map_err(invalid(TOKEN_OLD_KEYS_VAR))?;
    }
    Ok(ring)
}

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{prefix}/{path}"));
    url
}

/// Builds a [`Config`]; every setter has a sensible default.
#[derive(Debug, Clone)]
#[must_use]
pub struct ConfigBuilder {
    /// The default channel.
    primary: ChannelBuilder,
    /// Further web-login channels.
    channels: Vec<ChannelBuilder>,
    access_base: String,
    api_base: String,
    issuer: String,
    http_timeout: Duration,
    long_lived_channel_token: Option<ChannelAccessToken>,
    token_keys: Option<TokenKeyRing>,
    plaintext_tokens: bool,
    token_audiences: Vec<String>,
}

impl ConfigBuilder {
    /// Further callback URLs registered for the channel, beside the default one given to
    /// [`Config::builder`]: one per host of the site (`https://www.example.com/...`,
    /// `https://example.com/...`; LINE takes up to 400). A login started on one of these hosts
    /// is sent back to that host's URL ([`Config::redirect_uri_for_host`]), and the token
    /// request repeats it byte for byte. Each follows the rules of the default URL; two URLs on
    /// one host are [`ConfigError::RedirectUriDuplicateHost`].
    pub fn redirect_uris<I, S>(mut self, uris: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.primary = self.primary.redirect_uris(uris);
        self
    }

    /// A label for the default channel, shown in logs and the compliance report (default: its
    /// channel ID).
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.primary = self.primary.label(label);
        self
    }

    /// The LINE provider of the default channel (any name the app recognises, e.g. the
    /// provider's name in the LINE Developers Console). Required on every channel once there
    /// are several: see [`ChannelBuilder::provider`].
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.primary = self.primary.provider(provider);
        self
    }

    /// Adds a web-login channel beside the default one (e.g. one per country, as LINE
    /// recommends). Each login picks its channel ([`crate::LineLoginLayer::channel_selector`];
    /// by default the channel with a callback URL on the request's host, else the default one),
    /// records it in the attempt, and the callback exchanges and verifies with that channel
    /// only. With several channels each must name its provider
    /// ([`ConfigError::ProviderMissing`]); channel IDs must differ
    /// ([`ConfigError::DuplicateChannel`]).
    ///
    /// ```
    /// use line_login::{Channel, Config};
    /// let config = Config::builder("1111111111", "jp-secret", "https://jp.example.com/auth/line/callback")
    ///     .label("jp")
    ///     .provider("example-jp")
    ///     .channel(
    ///         Channel::builder("2222222222", "th-secret", "https://th.example.com/auth/line/callback")
    ///             .label("th")
    ///             .provider("example-th")
    ///             .email(true),
    ///     )
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(config.channels().len(), 2);
    /// assert_eq!(config.channel_for_host(Some("th.example.com")).label(), "th");
    /// ```
    pub fn channel(mut self, channel: ChannelBuilder) -> Self {
        self.channels.push(channel);
        self
    }

    /// Requested scopes, e.g. `"profile openid email"` (default `profile openid`).
    pub fn scopes(mut self, scopes: impl Into<String>) -> Self {
        self.primary.scopes = Some(scopes.into());
        self
    }
    /// Also request `email`.
    pub fn email(mut self, email: bool) -> Self {
        self.primary.email = email;
        self
    }
    /// The add-friend option.
    pub fn bot_prompt(mut self, bot_prompt: BotPrompt) -> Self {
        self.primary.authorize.bot_prompt = Some(bot_prompt);
        self
    }
    /// `prompt`.
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.primary.authorize.prompt = Some(prompt);
        self
    }
    /// `max_age`.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.primary.authorize.max_age = Some(max_age);
        self
    }
    /// `ui_locales`.
    pub fn ui_locales(mut self, locales: impl Into<String>) -> Self {
        self.primary.authorize.ui_locales = Some(locales.into());
        self
    }
    /// Sends each visitor's language (negotiated from `Accept-Language`, or the app's choice) as
    /// `ui_locales`, so LINE's consent screen follows the visitor. A static
    /// [`Self::ui_locales`] wins when set.
    pub fn ui_locales_from_visitor(mut self, follow: bool) -> Self {
        self.primary.authorize.ui_locales_from_visitor = follow;
        self
    }
    /// `initial_amr_display=lineqr`.
    pub fn initial_amr_display_qr(mut self, qr_first: bool) -> Self {
        self.primary.authorize.initial_amr_display_qr = qr_first;
        self
    }
    /// `switch_amr`.
    pub fn switch_amr(mut self, switch_amr: bool) -> Self {
        self.primary.authorize.switch_amr = Some(switch_amr);
        self
    }
    /// `disable_auto_login`.
    pub fn disable_auto_login(mut self, disable: bool) -> Self {
        self.primary.authorize.disable_auto_login = disable;
        self
    }
    /// `disable_ios_auto_login`.
    pub fn disable_ios_auto_login(mut self, disable: bool) -> Self {
        self.primary.authorize.disable_ios_auto_login = disable;
        self
    }
    /// Authorization server base URL (default `https://access.line.me`).
    pub fn access_base(mut self, base: impl Into<String>) -> Self {
        self.access_base = base.into();
        self
    }
    /// API server base URL (default `https://api.line.me`).
    pub fn api_base(mut self, base: impl Into<String>) -> Self {
        self.api_base = base.into();
        self
    }
    /// Expected ID-token issuer (default `https://access.line.me`).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }
    /// Timeout of one back-channel call (default 10 s).
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout;
        self
    }
    /// Opts in to a long-lived channel access token (e.g. a channel access token v2.1 issued
    /// elsewhere) for LINE's deauthorize API, instead of the stateless 15-minute tokens the crate
    /// issues when needed and caches until shortly before expiry. LINE's guidelines ask for
    /// short-lived tokens: the compliance report marks this "action needed", the login layer
    /// logs a warning at start-up, and its strict mode refuses to start. A blank token is
    /// ignored.
    pub fn long_lived_channel_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.long_lived_channel_token =
            (!token.trim().is_empty()).then(|| ChannelAccessToken::new(token));
        self
    }

    /// The keys that encrypt the LINE access and refresh tokens kept at rest: with member links
    /// (SQLite, PostgreSQL) and in session records. The ring's current key encrypts; older keys
    /// only decrypt, until the stores' `reencrypt_tokens` has moved every row to the current one.
    /// From the environment: [`TOKEN_KEY_VAR`] and [`TOKEN_OLD_KEYS_VAR`].
    ///
    /// ```
    /// use line_login::Config;
    /// use line_login::token_crypto::{TokenKey, TokenKeyRing};
    /// let key = TokenKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
    /// let config = Config::builder("1234567890", "secret", "https://example.com/auth/line/callback")
    ///     .token_keys(TokenKeyRing::new(key))
    ///     .build()
    ///     .unwrap();
    /// assert!(config.token_protection().is_ok());
    /// ```
    pub fn token_keys(mut self, keys: TokenKeyRing) -> Self {
        self.token_keys = Some(keys);
        self
    }

    /// Opts in to keeping LINE tokens in plain text where they rest (member-link rows, shared
    /// session records) when no key is configured. Without a key and without this, SQL link
    /// stores and a layer declared on a shared session store refuse to start. The compliance
    /// report marks it "action needed". Ignored when a key is configured.
    pub fn plaintext_tokens(mut self, plaintext: bool) -> Self {
        self.plaintext_tokens = plaintext;
        self
    }

    /// Extra channels whose tokens the token doors and the bearer guard accept, beside the
    /// default channel: the LIFF apps' and LINE MINI Apps' own channels (a MINI App's tokens
    /// carry its channel's `aud`). Further web-login channels ([`Self::channel`]) are not added
    /// by themselves. Channels of one provider share user IDs; list only channels of the default
    /// channel's provider. The web login never takes these. Each ID must be digits
    /// ([`ConfigError::InvalidTokenAudiences`] otherwise).
    pub fn token_audiences<I, S>(mut self, channel_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.token_audiences = channel_ids.into_iter().map(Into::into).collect();
        self
    }

    /// Validates everything and returns the configuration, or the first mistake found.
    pub fn build(self) -> Result<Config, ConfigError> {
        let primary = self.primary.build()?;
        let channel_id = primary.id.clone();
        let mut channels = vec![primary.clone()];
        for builder in self.channels {
            let raw_id = builder.channel_id.clone();
            let channel = builder
                .build()
                .map_err(|source| ConfigError::InChannel(raw_id, Box::new(source)))?;
            if channels.iter().any(|c| c.id == channel.id) {
                return Err(ConfigError::DuplicateChannel(channel.id.to_string()));
            }
            if channels.iter().any(|c| c.label == channel.label) {
                return Err(ConfigError::DuplicateChannel(channel.label.clone()));
            }
            channels.push(channel);
        }
        if channels.len() > 1
            && let Some(unnamed) = channels.iter().find(|c| c.provider.is_none())
        {
            return Err(ConfigError::ProviderMissing(unnamed.label.clone()));
        }
        if self.http_timeout.is_zero() {
            return Err(ConfigError::InvalidTimeout("0".into()));
        }
        let mut token_audiences: Vec<ChannelId> = Vec::with_capacity(self.token_audiences.len());
        for raw in &self.token_audiences {
            let id = ChannelId::parse(raw)
                .map_err(|_| ConfigError::InvalidTokenAudiences(raw.clone()))?;
            if id != channel_id && !token_audiences.contains(&id) {
                token_audiences.push(id);
            }
        }
        Ok(Config {
            channel: primary,
            channels: channels.into(),
            access_base: validate_base("access base URL", &self.access_base)?,
            api_base: validate_base("API base URL", &self.api_base)?,
            issuer: self.issuer,
            http_timeout: self.http_timeout,
            long_lived_channel_token: self.long_lived_channel_token,
            token_keys: self.token_keys,
            plaintext_tokens: self.plaintext_tokens,
            token_audiences,
        })
    }
}

/// Whether `url`'s host is `localhost`, in `127.0.0.0/8` or `::1`: the one place the crate (and
/// the simulator) decides what loopback is, where plain `http` stays allowed for development.
///
/// ```
/// use url::Url;
/// assert!(line_login::config::is_loopback(&Url::parse("http://127.0.0.2:3000/cb").unwrap()));
/// assert!(!line_login::config::is_loopback(&Url::parse("http://example.com/cb").unwrap()));
/// ```
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn validate_redirect_uri(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| ConfigError::RedirectUriNotAbsolute(format!("{raw}: {e}")))?;
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(ConfigError::RedirectUriNotAbsolute(raw.to_owned()));
    }
    if url.fragment().is_some() || raw.contains('#') {
        return Err(ConfigError::RedirectUriHasFragment(raw.to_owned()));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(ConfigError::RedirectUriInsecure(raw.to_owned())),
        _ => Err(ConfigError::RedirectUriNotAbsolute(raw.to_owned())),
    }
}

fn validate_base(name: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim()).map_err(|e| ConfigError::InvalidBaseUrl {
        name,
        reason: e.to_string(),
    })?;
    let ok_scheme = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url));
    if !ok_scheme || url.cannot_be_a_base() {
        return Err(ConfigError::InvalidBaseUrl {
            name,
            reason: format!("{raw} must be https (plain http only on loopback)"),
        });
    }
    Ok(url)
}

/// A configuration mistake, found at start-up. Each variant says what to fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required environment variable is missing or empty.
    #[error("{0} is not set: set it to your LINE Login channel's value")]
    MissingVariable(&'static str),
    /// The channel ID is empty.
    #[error("the channel ID is empty: copy it from the LINE Developers Console (Basic settings)")]
    ChannelIdEmpty,
    /// The channel ID has something else than digits.
    #[error("the channel ID {0:?} is not numeric: LINE channel IDs are digits only")]
    ChannelIdNotNumeric(String),
    /// The channel secret is empty.
    #[error(
        "the channel secret is empty: copy it from the LINE Developers Console (Basic settings)"
    )]
    ChannelSecretEmpty,
    /// The redirect URI is not an absolute http(s) URL.
    #[error("the redirect URI {0:?} is not an absolute http(s) URL")]
    RedirectUriNotAbsolute(String),
    /// The redirect URI has a `#fragment`, which LINE drops.
    #[error("the redirect URI {0:?} has a fragment (#...): LINE drops it, remove it")]
    RedirectUriHasFragment(String),
    /// `LINE_LOGIN_REDIRECT_URI` holds an empty item (`a,,b`, a trailing comma).
    #[error(
        "LINE_LOGIN_REDIRECT_URI {0:?} is not a list of URLs: give one callback URL, or several separated by single commas"
    )]
    InvalidRedirectUriList(String),
    /// Two callback URLs of one channel are on the same host and port: the login could not tell
    /// which one a request on that host should use.
    #[error(
        "the redirect URI {0:?} is on the same host as another one of the channel: register one callback URL per host"
    )]
    RedirectUriDuplicateHost(String),
    /// More callback URLs than a LINE channel can register.
    #[error("{0} redirect URIs: a LINE channel registers at most 400")]
    TooManyRedirectUris(usize),
    /// A mistake in the channel with this ID, added with [`ConfigBuilder::channel`].
    #[error("channel {0}: {1}")]
    InChannel(String, Box<ConfigError>),
    /// Two channels have the same channel ID or label.
    #[error("the channel {0:?} is configured twice: give each channel its own ID and label")]
    DuplicateChannel(String),
    /// Several channels are configured and this one names no provider.
    #[error(
        "the channel {0:?} names no provider: with several channels, name each channel's LINE provider (user IDs differ between providers)"
    )]
    ProviderMissing(String),
    /// The redirect URI is plain http on a host that is not loopback.
    #[error("the redirect URI {0:?} uses plain http outside loopback: use https")]
    RedirectUriInsecure(String),
    /// `bot_prompt` is neither `normal` nor `aggressive`.
    #[error("unknown bot_prompt {0:?}: use \"normal\" or \"aggressive\"")]
    UnknownBotPrompt(String),
    /// The scopes do not include `openid`.
    #[error("the scopes do not include \"openid\": this crate needs the ID token")]
    ScopesWithoutOpenid,
    /// A scope word that is not a well-formed OAuth scope token (unknown but well-formed
    /// scopes are accepted with a warning).
    #[error("malformed scope {0:?}: use profile, openid, email or another OAuth scope token")]
    UnknownScope(String),
    /// A base URL is unparsable or not https.
    #[error("the {name} is invalid: {reason}")]
    InvalidBaseUrl {
        /// Which URL.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The HTTP timeout is not a whole number of seconds between 1 and 300.
    #[error("the HTTP timeout {0:?} is invalid: give whole seconds between 1 and 300")]
    InvalidTimeout(String),
    /// `ui_locales` is too long or has control characters.
    #[error("ui_locales {0:?} is invalid: give space-separated BCP 47 tags")]
    InvalidUiLocales(String),
    /// A token key does not parse (the message never shows the key).
    #[error("{variable} is invalid: {reason}")]
    InvalidTokenKey {
        /// The variable (or builder call) that held it.
        variable: &'static str,
        /// What is wrong.
        reason: TokenKeyError,
    },
    /// An extra token audience is not a channel ID (`LINE_LOGIN_TOKEN_AUDIENCES` or
    /// [`ConfigBuilder::token_audiences`]).
    #[error(
        "the token audiences {0:?} are invalid: give LINE channel IDs (digits), comma-separated in LINE_LOGIN_TOKEN_AUDIENCES"
    )]
    InvalidTokenAudiences(String),
    /// A variable of an extra channel named in `LINE_LOGIN_CHANNELS` is not set.
    #[error("{0} is not set: LINE_LOGIN_CHANNELS names its channel, which needs it")]
    MissingChannelVariable(String),
    /// `LINE_LOGIN_CHANNELS` is not a comma-separated list of labels.
    #[error(
        "LINE_LOGIN_CHANNELS {0:?} is invalid: give channel labels (letters, digits, _ or -, at most 32 each), comma-separated"
    )]
    InvalidChannelLabels(String),
    /// Older token keys are given without a current one.
    #[error("LINE_LOGIN_TOKEN_OLD_KEYS is set without LINE_LOGIN_TOKEN_KEY: set the current key")]
    OldTokenKeysWithoutKey,
    /// A store that keeps LINE tokens at rest has no key, and plain text was not chosen.
    #[error(
        "no token key: LINE tokens kept with member links or in a shared session store must be \
         encrypted; set LINE_LOGIN_TOKEN_KEY (`openssl rand -base64 32`) or opt in to plain \
         text with ConfigBuilder::plaintext_tokens(true)"
    )]
    TokenKeyMissing,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const BASE: [(&str, &str); 3] = [
        ("LINE_LOGIN_CHANNEL_ID", "1234567890"),
        ("LINE_LOGIN_CHANNEL_SECRET", "secret"),
        (
            "LINE_LOGIN_REDIRECT_URI",
            "https://example.com/auth/line/callback",
        ),
    ];

    /// Two further web channels from the environment, `th` and `co-th`.
    const TWO_MORE: [(&str, &str); 11] = [
        ("LINE_LOGIN_PROVIDER", "example-jp"),
        ("LINE_LOGIN_CHANNEL_LABEL", "jp"),
        ("LINE_LOGIN_CHANNELS", "th, co-th"),
        ("LINE_LOGIN_CHANNEL_TH_ID", "2222222222"),
        ("LINE_LOGIN_CHANNEL_TH_SECRET", "th-secret"),
        (
            "LINE_LOGIN_CHANNEL_TH_REDIRECT_URI",
            "https://th.example.com/cb,https://www.th.example.com/cb",
        ),
        ("LINE_LOGIN_CHANNEL_TH_PROVIDER", "example-th"),
        ("LINE_LOGIN_CHANNEL_CO_TH_ID", "3333333333"),
        ("LINE_LOGIN_CHANNEL_CO_TH_SECRET", "co-th-secret"),
        (
            "LINE_LOGIN_CHANNEL_CO_TH_REDIRECT_URI",
            "https://co.th.example.com/cb",
        ),
        ("LINE_LOGIN_CHANNEL_CO_TH_PROVIDER", "example-th"),
    ];

    #[test]
    fn further_web_channels_come_from_the_environment_by_label() {
        let mut pairs = TWO_MORE.to_vec();
        pairs.push(("LINE_LOGIN_CHANNEL_CO_TH_SCOPES", "profile openid email"));
        pairs.push(("LINE_LOGIN_CHANNEL_CO_TH_BOT_PROMPT", "aggressive"));
        let config = with(&pairs).unwrap();
        let labels: Vec<&str> = config.channels().iter().map(|c| c.label()).collect();
        assert_eq!(labels, ["jp", "th", "co-th"]);
        assert_eq!(config.channel().provider(), Some("example-jp"));
        let th = config.channel_for_host(Some("www.th.example.com"));
        assert_eq!(th.id().as_str(), "2222222222");
        assert_eq!(th.provider(), Some("example-th"));
        assert_eq!(th.redirect_uris().len(), 2);
        let co = config.channel_for_host(Some("co.th.example.com"));
        assert_eq!(co.label(), "co-th");
        assert!(co.scopes().contains(Scope::Email));
        assert_eq!(
            co.authorize_options().bot_prompt,
            Some(BotPrompt::Aggressive)
        );
        assert!(!th.scopes().contains(Scope::Email));
        assert_eq!(th.authorize_options().bot_prompt, None);
    }

    #[test]
    fn a_further_channel_without_a_required_variable_names_the_variable() {
        for missing in [
            "LINE_LOGIN_CHANNEL_TH_ID",
            "LINE_LOGIN_CHANNEL_TH_SECRET",
            "LINE_LOGIN_CHANNEL_TH_REDIRECT_URI",
        ] {
            let pairs: Vec<_> = TWO_MORE
                .iter()
                .filter(|(k, _)| *k != missing)
                .copied()
                .collect();
            match with(&pairs) {
                Err(ConfigError::MissingChannelVariable(name)) => assert_eq!(name, missing),
                other => panic!("{missing}: {other:?}"),
            }
        }
        // With several channels each names its provider.
        let pairs: Vec<_> = TWO_MORE
            .iter()
            .filter(|(k, _)| *k != "LINE_LOGIN_CHANNEL_TH_PROVIDER")
            .copied()
            .collect();
        assert!(with(&pairs).is_err());
    }

    #[test]
    fn the_channel_labels_must_name_variables() {
        for labels in ["th,,id", "th x", "th,", "a/b", &"x".repeat(33)] {
            let labels: &'static str = Box::leak(labels.to_owned().into_boxed_str());
            let mut pairs = TWO_MORE.to_vec();
            pairs.push(("LINE_LOGIN_CHANNELS", labels));
            assert!(
                matches!(with(&pairs), Err(ConfigError::InvalidChannelLabels(_))),
                "{labels:?}"
            );
        }
        let longest: &'static str = Box::leak("x".repeat(32).into_boxed_str());
        let mut pairs = vec![("LINE_LOGIN_CHANNELS", longest)];
        match with(&pairs) {
            Err(ConfigError::MissingChannelVariable(name)) => {
                assert_eq!(
                    name,
                    format!("LINE_LOGIN_CHANNEL_{}_REDIRECT_URI", "X".repeat(32))
                );
            }
            other => panic!("{other:?}"),
        }
        pairs.clear();
        assert_eq!(
            with(&pairs).unwrap().channels().len(),
            1,
            "unset: one channel"
        );
    }

    fn with(extra: &[(&'static str, &'static str)]) -> Result<Config, ConfigError> {
        let mut pairs = BASE.to_vec();
        for (k, v) in extra {
            pairs.retain(|(key, _)| key != k);
            pairs.push((k, v));
        }
        Config::from_lookup(env(&pairs))
    }

    #[test]
    fn from_env_reads_every_documented_variable() {
        let config = with(&[
            ("LINE_LOGIN_SCOPES", "openid email"),
            ("LINE_LOGIN_BOT_PROMPT", "aggressive"),
            ("LINE_LOGIN_ACCESS_BASE", "http://127.0.0.1:9000"),
            ("LINE_LOGIN_API_BASE", "http://127.0.0.1:9001/line"),
            ("LINE_LOGIN_ISSUER", "http://127.0.0.1:9000"),
            ("LINE_LOGIN_HTTP_TIMEOUT_SECS", "3"),
        ])
        .unwrap();
        assert_eq!(config.channel_id().as_str(), "1234567890");
        assert_eq!(config.scopes().to_string(), "openid email");
        assert_eq!(
            config.authorize_options().bot_prompt,
            Some(BotPrompt::Aggressive)
        );
        assert_eq!(
            config.authorize_endpoint().as_str(),
            "http://127.0.0.1:9000/oauth2/v2.1/authorize"
        );
        assert_eq!(
            config.api_endpoint("oauth2/v2.1/token").as_str(),
            "http://127.0.0.1:9001/line/oauth2/v2.1/token"
        );
        assert_eq!(config.issuer(), "http://127.0.0.1:9000");
        assert_eq!(config.http_timeout(), Duration::from_secs(3));
    }

    /// Issue 17 item 3 (several channels): extra token audiences from the builder and from
    /// `LINE_LOGIN_TOKEN_AUDIENCES`; a malformed list is refused with its own error.
    #[test]
    fn token_audiences_come_from_the_builder_and_the_environment() {
        let config = with(&[("LINE_LOGIN_TOKEN_AUDIENCES", " 2000000001, 2000000002 ")]).unwrap();
        let ids: Vec<&str> = config.token_audiences().map(ChannelId::as_str).collect();
        assert_eq!(ids, ["1234567890", "2000000001", "2000000002"]);
        assert!(config.accepts_token_audience("2000000002"));
        assert!(!config.accepts_token_audience("2000000003"));
        assert!(!with(&[]).unwrap().accepts_token_audience("2000000001"));
        for bad in ["2000000001,,2", "abc", "2000000001;2000000002", ","] {
            assert_eq!(
                with(&[("LINE_LOGIN_TOKEN_AUDIENCES", bad)]).unwrap_err(),
                ConfigError::InvalidTokenAudiences(bad.to_owned()),
                "{bad}"
            );
        }
        let built = Config::builder("1234567890", "s", "https://example.com/cb")
            .token_audiences(["2000000001", "1234567890", "2000000001"])
            .build()
            .unwrap();
        assert_eq!(built.token_audiences().count(), 2, "deduplicated");
        assert!(matches!(
            Config::builder("1234567890", "s", "https://example.com/cb")
                .token_audiences(["12x"])
                .build(),
            Err(ConfigError::InvalidTokenAudiences(_))
        ));
    }

    /// Issue 17 item 2 and 5: several callback URLs of one channel, from the builder and from a
    /// comma-separated `LINE_LOGIN_REDIRECT_URI`; a malformed list gets its own error.
    #[test]
    fn redirect_uri_list_comes_from_the_environment_with_clear_errors() {
        let config = with(&[(
            "LINE_LOGIN_REDIRECT_URI",
            "http://127.0.0.1:3000/auth/line/callback, http://localhost:3000/auth/line/callback",
        )])
        .unwrap();
        let uris: Vec<&str> = config.redirect_uris().iter().map(Url::as_str).collect();
        assert_eq!(
            uris,
            [
                "http://127.0.0.1:3000/auth/line/callback",
                "http://localhost:3000/auth/line/callback"
            ]
        );
        assert_eq!(
            config.redirect_uri().as_str(),
            "http://127.0.0.1:3000/auth/line/callback"
        );
        for bad in [
            "https://a.example/cb,,https://b.example/cb",
            "https://a.example/cb,",
            ",",
        ] {
            assert_eq!(
                with(&[("LINE_LOGIN_REDIRECT_URI", bad)]).unwrap_err(),
                ConfigError::InvalidRedirectUriList(bad.to_owned()),
                "{bad}"
            );
        }
        assert!(matches!(
            with(&[(
                "LINE_LOGIN_REDIRECT_URI",
                "https://a.example/cb, http://b.example/cb"
            )]),
            Err(ConfigError::RedirectUriInsecure(_))
        ));
        assert!(matches!(
            with(&[(
                "LINE_LOGIN_REDIRECT_URI",
                "https://a.example/cb, https://A.example:443/other"
            )]),
            Err(ConfigError::RedirectUriDuplicateHost(_))
        ));
        let many: Vec<String> = (0..REDIRECT_URIS_MAX)
            .map(|i| format!("https://h{i}.example/cb"))
            .collect();
        assert_eq!(
            Config::builder("1", "s", "https://example.com/cb")
                .redirect_uris(many)
                .build()
                .unwrap_err(),
            ConfigError::TooManyRedirectUris(REDIRECT_URIS_MAX + 1)
        );
    }

    /// Issue 17 item 2: the login picks the registered callback whose host and port are the
    /// request's `Host`; a host outside the list gets the default, never a URL built from it.
    #[test]
    fn redirect_uri_for_host_is_chosen_from_the_registered_list_only() {
        let config = Config::builder("1", "s", "https://www.example.com/auth/line/callback")
            .redirect_uris([
                "https://example.com/auth/line/callback",
                "http://localhost:3000/auth/line/callback",
            ])
            .build()
            .unwrap();
        let pick = |host: Option<&str>| config.redirect_uri_for_host(host).as_str().to_owned();
        assert_eq!(
            pick(Some("example.com")),
            "https://example.com/auth/line/callback"
        );
        assert_eq!(
            pick(Some("EXAMPLE.com:443")),
            "https://example.com/auth/line/callback"
        );
        assert_eq!(
            pick(Some("localhost:3000")),
            "http://localhost:3000/auth/line/callback"
        );
        assert_eq!(
            pick(Some("www.example.com")),
            "https://www.example.com/auth/line/callback"
        );
        for unknown in [
            None,
            Some("evil.example"),
            Some("localhost:3001"),
            Some("localhost"),
            Some("evil.example@example.com"),
            Some("example.com/x"),
            Some(""),
        ] {
            assert_eq!(
                pick(unknown),
                "https://www.example.com/auth/line/callback",
                "{unknown:?}"
            );
        }
    }

    fn two_channels() -> ConfigBuilder {
        Config::builder("1111111111", "jp", "https://jp.example.com/cb")
            .provider("acme")
            .channel(
                Channel::builder("2222222222", "th-secret-value", "https://th.example.com/cb")
                    .redirect_uris(["https://www.th.example.com/cb"])
                    .label("th")
                    .provider("acme")
                    .bot_prompt(BotPrompt::Aggressive),
            )
    }

    /// Issue 17 item 1: a set of channels; the default one is a set of one, `for_channel`
    /// serves another channel with its own ID, secret, callbacks and options, and the host rule
    /// only maps hosts registered for a channel.
    #[test]
    fn several_channels_each_keep_their_own_settings() {
        let single = Config::builder("1111111111", "s", "https://e.com/cb")
            .build()
            .unwrap();
        assert_eq!(single.channels().len(), 1);
        assert_eq!(single.channel().label(), "1111111111");
        let config = two_channels().build().unwrap();
        assert_eq!(config.channel_id().as_str(), "1111111111");
        let th = config
            .for_channel(&ChannelId::parse("2222222222").unwrap())
            .unwrap();
        assert_eq!(th.channel_secret().expose_secret(), "th-secret-value");
        assert_eq!(th.redirect_uris().len(), 2);
        assert_eq!(
            th.authorize_options().bot_prompt,
            Some(BotPrompt::Aggressive)
        );
        assert_eq!(config.authorize_options().bot_prompt, None);
        assert!(
            config
                .for_channel(&ChannelId::parse("3333333333").unwrap())
                .is_none()
        );
        let label = |host| config.channel_for_host(Some(host)).label().to_owned();
        assert_eq!(label("www.th.example.com"), "th");
        assert_eq!(label("th.example.com"), "th");
        assert_eq!(label("jp.example.com"), "1111111111");
        assert_eq!(label("evil.example"), "1111111111");
        assert!(
            !format!("{config:?}").contains("th-secret-value"),
            "no secret in Debug"
        );
    }

    /// Issue 17 items 1, 4 and 5: duplicate channels, a channel without a provider among
    /// several, and a mistake inside an added channel each give their own error.
    #[test]
    fn channel_set_mistakes_give_their_own_errors() {
        assert_eq!(
            Config::builder("1111111111", "jp", "https://jp.example.com/cb")
                .channel(Channel::builder(
                    "2222222222",
                    "th",
                    "https://th.example.com/cb"
                ))
                .build()
                .unwrap_err(),
            ConfigError::ProviderMissing("1111111111".into())
        );
        assert_eq!(
            two_channels()
                .channel(
                    Channel::builder("2222222222", "x", "https://x.example.com/cb").provider("a")
                )
                .build()
                .unwrap_err(),
            ConfigError::DuplicateChannel("2222222222".into())
        );
        assert_eq!(
            two_channels()
                .channel(
                    Channel::builder("3333333333", "x", "http://x.example.com/cb").provider("a")
                )
                .build()
                .unwrap_err(),
            ConfigError::InChannel(
                "3333333333".into(),
                Box::new(ConfigError::RedirectUriInsecure(
                    "http://x.example.com/cb".into()
                ))
            )
        );
    }

    #[test]
    fn defaults_point_at_line() {
        let config = with(&[]).unwrap();
        assert_eq!(config.scopes().to_string(), "profile openid");
        assert_eq!(
            config.authorize_endpoint().as_str(),
            "https://access.line.me/oauth2/v2.1/authorize"
        );
        assert_eq!(config.issuer(), "https://access.line.me");
        assert_eq!(config.http_timeout(), DEFAULT_HTTP_TIMEOUT);
        assert!(config.is_https());
    }

    #[test]
    fn each_mistake_gives_its_own_error() {
        let cases: &[(&[(&str, &str)], ConfigError)] = &[
            (
                &[("LINE_LOGIN_CHANNEL_ID", "")],
                ConfigError::MissingVariable("LINE_LOGIN_CHANNEL_ID"),
            ),
            (
                &[("LINE_LOGIN_CHANNEL_ID", "12ab")],
                ConfigError::ChannelIdNotNumeric("12ab".into()),
            ),
            (
                &[("LINE_LOGIN_CHANNEL_SECRET", "")],
                ConfigError::MissingVariable("LINE_LOGIN_CHANNEL_SECRET"),
            ),
            (
                &[("LINE_LOGIN_REDIRECT_URI", "/auth/line/callback")],
                ConfigError::RedirectUriNotAbsolute(String::new()),
            ),
            (
                &[("LINE_LOGIN_REDIRECT_URI", "https://example.com/cb#x")],
                ConfigError::RedirectUriHasFragment(String::new()),
            ),
            (
                &[("LINE_LOGIN_REDIRECT_URI", "http://example.com/cb")],
                ConfigError::RedirectUriInsecure(String::new()),
            ),
            (
                &[("LINE_LOGIN_BOT_PROMPT", "sometimes")],
                ConfigError::UnknownBotPrompt(String::new()),
            ),
            (
                &[("LINE_LOGIN_SCOPES", "profile email")],
                ConfigError::ScopesWithoutOpenid,
            ),
            (
                &[("LINE_LOGIN_HTTP_TIMEOUT_SECS", "soon")],
                ConfigError::InvalidTimeout(String::new()),
            ),
        ];
        for (extra, expected) in cases {
            let mut pairs = BASE.to_vec();
            for (k, v) in extra.iter() {
                pairs.retain(|(key, _)| key != k);
                pairs.push((k, v));
            }
            let err = Config::from_lookup(env(&pairs)).unwrap_err();
            assert_eq!(
                std::mem::discriminant(&err),
                std::mem::discriminant(expected),
                "{extra:?} gave {err}"
            );
        }
    }

    struct Writer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Writer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn profile_plus_scopes_are_known_and_unknown_future_scopes_are_kept_not_refused() {
        let scopes: Scopes = "openid profile real_name gender birthdate phone address"
            .parse()
            .unwrap();
        for scope in Scope::ALL {
            assert_eq!(scopes.contains(scope), scope != Scope::Email, "{scope:?}");
        }
        assert!(scopes.has_profile_plus() && scopes.unknown().is_empty());
        assert_eq!(
            scopes.to_string(),
            "profile openid real_name gender birthdate phone address"
        );
        // A future scope is sent as written, once, after the known ones.
        let future: Scopes = "future_scope openid future_scope".parse().unwrap();
        assert_eq!(future.unknown(), ["future_scope"]);
        assert_eq!(future.to_string(), "openid future_scope");
        assert!(!future.has_profile_plus());
        // Building a configuration with it warns, once, naming the scope.
        let logged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let sink = logged.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || Writer(sink.clone()))
            .with_ansi(false)
            .finish();
        let config = tracing::subscriber::with_default(subscriber, || {
            Config::builder("1234567890", "secret", "https://example.com/cb")
                .scopes("profile openid future_scope")
                .build()
                .unwrap()
        });
        assert_eq!(config.scopes().to_string(), "profile openid future_scope");
        let text = String::from_utf8(logged.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.contains("WARN") && text.contains("future_scope"),
            "{text}"
        );
        // A malformed word is still refused, without echoing control characters.
        for bad in [
            "openid bad\"quote",
            "openid back\\slash",
            "openid \u{7f}del",
        ] {
            assert!(
                matches!(Scopes::parse(bad), Err(ConfigError::UnknownScope(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn builder_rejects_empty_secret_and_empty_channel_id() {
        assert_eq!(
            Config::builder("1", " ", "https://e.com/cb")
                .build()
                .unwrap_err(),
            ConfigError::ChannelSecretEmpty
        );
        assert_eq!(
            Config::builder("", "s", "https://e.com/cb")
                .build()
                .unwrap_err(),
            ConfigError::ChannelIdEmpty
        );
    }

    #[test]
    fn plain_http_redirect_is_allowed_on_loopback_only() {
        for ok in [
            "http://localhost:3000/cb",
            "http://127.0.0.1:3000/cb",
            "http://[::1]:3000/cb",
        ] {
            assert!(Config::builder("1", "s", ok).build().is_ok(), "{ok}");
        }
        assert!(
            Config::builder("1", "s", "http://10.0.0.1/cb")
                .build()
                .is_err()
        );
    }

    #[test]
    fn authorize_options_become_query_pairs() {
        let config = Config::builder("1", "s", "https://e.com/cb")
            .prompt(Prompt::Consent)
            .max_age(Duration::from_secs(300))
            .ui_locales("ja-JP en-US")
            .bot_prompt(BotPrompt::Normal)
            .initial_amr_display_qr(true)
            .switch_amr(false)
            .disable_auto_login(true)
            .disable_ios_auto_login(true)
            .build()
            .unwrap();
        let pairs = config.authorize_options().query_pairs();
        let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("prompt"), Some("consent"));
        assert_eq!(get("max_age"), Some("300"));
        assert_eq!(get("ui_locales"), Some("ja-JP en-US"));
        assert_eq!(get("bot_prompt"), Some("normal"));
        assert_eq!(get("initial_amr_display"), Some("lineqr"));
        assert_eq!(get("switch_amr"), Some("false"));
        assert_eq!(get("disable_auto_login"), Some("true"));
        assert_eq!(get("disable_ios_auto_login"), Some("true"));
    }

    const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const KEY_B: &str = "HxAeHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=";

    #[test]
    fn token_keys_come_from_the_environment_newest_first() {
        let config = with(&[
            ("LINE_LOGIN_TOKEN_KEY", KEY_A),
            (
                "LINE_LOGIN_TOKEN_OLD_KEYS",
                "HxAeHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=, ",
            ),
        ])
        .unwrap();
        let ring = config.token_keys().unwrap();
        let a = TokenKey::from_base64(KEY_A).unwrap();
        let b = TokenKey::from_base64(KEY_B).unwrap();
        assert_eq!(ring.key_ids(), [a.id(), b.id()]);
        assert!(matches!(
            config.token_protection(),
            Ok(TokenProtection::Encrypted(_))
        ));
        assert!(!config.plaintext_tokens());
    }

    #[test]
    fn malformed_token_keys_are_refused_without_showing_them() {
        let short = "AAECAwQFBgcICQoLDA0ODw==";
        let err = with(&[("LINE_LOGIN_TOKEN_KEY", short)]).unwrap_err();
        assert_eq!(
            err,
            ConfigError::InvalidTokenKey {
                variable: TOKEN_KEY_VAR,
                reason: TokenKeyError::WrongLength(16)
            }
        );
        assert!(!err.to_string().contains(short));
        let err = with(&[
            ("LINE_LOGIN_TOKEN_KEY", KEY_A),
            ("LINE_LOGIN_TOKEN_OLD_KEYS", "not-a-key!"),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            ConfigError::InvalidTokenKey {
                variable: TOKEN_OLD_KEYS_VAR,
                reason: TokenKeyError::NotBase64
            }
        );
        assert_eq!(
            with(&[("LINE_LOGIN_TOKEN_OLD_KEYS", KEY_B)]).unwrap_err(),
            ConfigError::OldTokenKeysWithoutKey
        );
    }

    #[test]
    fn without_a_key_tokens_at_rest_need_an_explicit_plaintext_opt_in() {
        let config = with(&[]).unwrap();
        assert!(config.token_keys().is_none());
        assert_eq!(
            config.token_protection().unwrap_err(),
            ConfigError::TokenKeyMissing
        );
        let plain = Config::builder("1", "s", "https://e.com/cb")
            .plaintext_tokens(true)
            .build()
            .unwrap();
        assert!(plain.plaintext_tokens());
        assert!(matches!(
            plain.token_protection(),
            Ok(TokenProtection::Plaintext)
        ));
    }

    #[test]
    fn debug_of_config_redacts_the_secret() {
        let config = Config::builder("1", "top-secret-value", "https://e.com/cb")
            .build()
            .unwrap();
        assert!(!format!("{config:?}").contains("top-secret-value"));
    }

    #[test]
    fn debug_of_the_builder_never_shows_the_channel_secret_or_a_token() {
        let builder = Config::builder("1", "top-secret-value", "https://e.com/cb")
            .long_lived_channel_token("long-lived-token-value");
        let rendered = format!("{builder:?} {builder:#?}");
        assert!(!rendered.contains("top-secret-value"), "{rendered}");
        assert!(!rendered.contains("long-lived-token-value"), "{rendered}");
        // The builder still builds with the secret it was given.
        let config = builder.build().unwrap();
        assert_eq!(config.channel_secret().expose_secret(), "top-secret-value");
    }
}
