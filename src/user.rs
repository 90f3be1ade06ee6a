//! The logged-in LINE user as the app sees it: identity from the verified ID token, the friendship
//! with the company's LINE Official Account, and the linked member. Only the layer builds one;
//! handlers read it through the extractors in [`crate::extract`].

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::config::Scope;
use crate::id_token::{Amr, VerifiedIdToken};
use crate::secret::{AccessToken, RefreshToken};

/// Which door the user came in through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LoginDoor {
    /// The web login (authorization code flow through LINE's consent page). The default, also
    /// for sessions stored before this field existed.
    #[default]
    Web,
    /// An ID token from the LIFF SDK or a native SDK (`POST {prefix}/token-login`, or a bearer
    /// ID token).
    IdToken,
    /// An access token from the LIFF SDK or a native SDK (`{"access_token": ...}` at
    /// `POST {prefix}/token-login`, or a bearer access token), verified with LINE.
    AccessToken,
}

/// Whether the user is a friend of the channel's LINE Official Account (`friendFlag`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FriendFlag {
    /// A friend, and not blocking the account.
    Yes,
    /// Not a friend, or blocking the account.
    No,
    /// Not known: not fetched yet, or LINE's friendship API failed.
    Unknown,
}

impl From<bool> for FriendFlag {
    fn from(friend: bool) -> Self {
        if friend { Self::Yes } else { Self::No }
    }
}

/// The friendship between the user and the company's LINE Official Account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Friendship {
    /// The current status, as last fetched.
    pub friend_flag: FriendFlag,
    /// `friendship_status_changed` from this login's callback: `Some(true)` when the user added
    /// (or unblocked) the account during this login, `Some(false)` when the option was shown and
    /// nothing changed, `None` when the option was not shown.
    ///
    /// **Unverified**: it arrives in the browser's URL, so a user can append
    /// `friendship_status_changed=true` to their own callback. Never grant anything on it; use
    /// [`LineUser::became_friend`], which LINE's friendship API confirms.
    pub changed_at_login: Option<bool>,
    /// When `friend_flag` was fetched; `None` if it never was.
    #[serde(with = "time::serde::timestamp::option")]
    pub fetched_at: Option<OffsetDateTime>,
}

impl Friendship {
    /// Status right after a callback, before any fetch.
    pub(crate) fn at_login(changed_at_login: Option<bool>) -> Self {
        Self {
            friend_flag: FriendFlag::Unknown,
            changed_at_login,
            fetched_at: None,
        }
    }
}

/// The logged-in LINE user.
///
/// Identity comes from the verified ID token only: `user_id` is its `sub`. Tokens are not here;
/// they stay server-side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LineUser {
    /// LINE user ID (`U` + 32 hex), unique per provider. The only stable identifier.
    pub user_id: String,
    /// Display name at login (needs the `profile` scope); may change at any time.
    pub display_name: Option<String>,
    /// Profile picture URL at login.
    pub picture_url: Option<String>,
    /// Email, only when requested, permitted for the channel and granted by the user. Never an
    /// identity key: use [`LineUser::user_id`].
    pub email: Option<String>,
    /// `true` when this web login asked for `email` and the ID token carried none: the user
    /// unticked it, or the channel has no email permission (the layer warns when many logins
    /// in a row get none, see [`crate::email_watch`]). Always `false` for a token login, whose
    /// scopes the LIFF app or native SDK chose.
    #[serde(default)]
    pub email_not_granted: bool,
    /// LINE Profile+ claims (real name, gender, birth date, phone number, address), when the
    /// channel has Profile+ and the login requested its scopes; `None` otherwise.
    #[serde(default)]
    pub profile_plus: Option<crate::profile_plus::ProfilePlus>,
    /// Authentication methods used (`pwd`, `lineautologin`, `lineqr`, `linesso`, `mfa`, ...).
    #[serde(with = "amr_strings")]
    pub amr: Vec<Amr>,
    /// When the user authenticated, when `max_age` was requested.
    #[serde(with = "time::serde::timestamp::option")]
    pub auth_time: Option<OffsetDateTime>,
    /// When this session logged in.
    #[serde(with = "time::serde::timestamp")]
    pub logged_in_at: OffsetDateTime,
    /// Friendship with the channel's LINE Official Account.
    pub friendship: Friendship,
    /// The company member this LINE user is linked to, if any.
    pub member_id: Option<String>,
    /// Verified "became a friend of the LINE Official Account at this login": `true` only when
    /// the callback said the friendship changed (`friendship_status_changed=true`) **and** LINE's
    /// friendship API, called with this login's new access token, said `friendFlag: true`.
    ///
    /// `false` whenever it cannot be verified: the friendship fetch is off
    /// ([`FriendshipFetch::Lazily`](crate::FriendshipFetch::Lazily) or
    /// [`Never`](crate::FriendshipFetch::Never)), the `profile` scope was not granted, the fetch
    /// failed, or this is a token login. A user who already was a friend and forges
    /// `friendship_status_changed=true` still gets `true` (LINE does not say since when someone
    /// is a friend): grant a "new friend" reward once per `user_id`.
    #[serde(default)]
    pub became_friend: bool,
    /// The LINE channel the login came through: the web channel, or a LIFF / MINI App channel
    /// accepted as an extra token audience
    /// ([`ConfigBuilder::token_audiences`](crate::ConfigBuilder::token_audiences)). `None` for
    /// sessions stored before this field existed.
    #[serde(default)]
    pub channel_id: Option<String>,
    /// The granted scopes (`openid`, `profile`, `email`) as far as the login shows them: LINE's
    /// token answer for the web login, LINE's verify answer for an access token, and for an ID
    /// token `openid` plus `profile` / `email` when their claims are present. A MINI App with
    /// consent simplification grants `openid` alone: no name, picture or email, and nothing
    /// here requires them (ask for the profile lazily, e.g.
    /// [`LineSession::profile`](crate::extract::LineSession::profile)).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The door the user came in through.
    #[serde(default)]
    pub door: LoginDoor,
}

impl LineUser {
    pub(crate) fn from_id_token(token: &VerifiedIdToken, changed_at_login: Option<bool>) -> Self {
        Self {
            user_id: token.sub().to_owned(),
            display_name: token.name().map(str::to_owned),
            picture_url: token.picture().map(str::to_owned),
            email: token.email().map(str::to_owned),
            email_not_granted: false,
            profile_plus: token.profile_plus(),
            amr: token.amr().to_vec(),
            auth_time: token.auth_time(),
            logged_in_at: OffsetDateTime::now_utc(),
            friendship: Friendship::at_login(changed_at_login),
            member_id: None,
            became_friend: false,
            channel_id: Some(token.audience().to_owned()),
            scopes: scopes_of_claims(token),
            door: LoginDoor::IdToken,
        }
    }

    /// Whether `scope` was granted (see [`LineUser::scopes`]).
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| s == scope.as_str())
    }

    /// Sets the granted scopes from a space-separated `scope` value (LINE never lists `email`
    /// there; it is added when the email claim is present).
    pub(crate) fn set_scopes(&mut self, scope: &str) {
        let mut scopes: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
        if self.email.is_some() && !scopes.iter().any(|s| s == "email") {
            scopes.push("email".to_owned());
        }
        self.scopes = scopes;
    }
}

/// The scopes an ID token shows: `openid`, plus `profile` and `email` when their claims are in.
fn scopes_of_claims(token: &VerifiedIdToken) -> Vec<String> {
    let mut scopes = vec![Scope::OpenId.as_str().to_owned()];
    if token.name().is_some() || token.picture().is_some() {
        scopes.push(Scope::Profile.as_str().to_owned());
    }
    if token.email().is_some() {
        scopes.push(Scope::Email.as_str().to_owned());
    }
    scopes
}

/// `amr` values as LINE spells them.
mod amr_strings {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::id_token::Amr;

    pub(super) fn serialize<S: Serializer>(amr: &[Amr], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(amr.iter().map(Amr::as_str))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Amr>, D::Error> {
        let values = Vec::<String>::deserialize(deserializer)?;
        Ok(values.iter().map(|v| Amr::parse(v)).collect())
    }
}
/// The LINE user's tokens: the one type a session keeps (server-side, encrypted with a token key
/// when one is configured, see [`crate::ConfigBuilder::token_keys`]) and a member link keeps
/// (see [`crate::link`] for tokens at rest). Its `Debug` shows no token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTokens {
    /// The access token.
    pub access_token: AccessToken,
    /// When it expires.
    #[serde(with = "time::serde::timestamp")]
    pub expires_at: OffsetDateTime,
    /// The refresh token, when LINE gave one.
    pub refresh_token: Option<RefreshToken>,
    /// When the refresh token stops working ([`crate::link::REFRESH_TOKEN_TTL`] after the login
    /// that issued it), when known.
    #[serde(default, with = "time::serde::timestamp::option")]
    pub refresh_expires_at: Option<OffsetDateTime>,
    /// Granted scopes as LINE listed them (empty where a store does not keep them, e.g. the SQL
    /// member links).
    #[serde(default)]
    pub scope: String,
}

/// Longest access-token life believed from LINE's `expires_in` (its tokens live 30 days).
const ACCESS_TOKEN_LIFE_MAX_SECS: u64 = 90 * 86_400;

impl UserTokens {
    /// When a token with LINE's `expires_in` (seconds) expires, counted from now and bounded.
    pub(crate) fn expiry(expires_in: u64) -> OffsetDateTime {
        let secs = expires_in.min(ACCESS_TOKEN_LIFE_MAX_SECS);
        OffsetDateTime::now_utc() + time::Duration::seconds(secs as i64)
    }
}
