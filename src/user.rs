//! The logged-in LINE user as the app sees it: identity from the verified ID token, the friendship
//! with the company's LINE Official Account, and the linked member. Only the layer builds one;
//! handlers read it through the extractors in [`crate::extract`].

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::id_token::{Amr, VerifiedIdToken};

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
        }
    }
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
