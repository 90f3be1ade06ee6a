//! The simulator as LIFF and LINE MINI App: a second channel of the same provider (its own
//! channel ID, the same user IDs), ES256 ID tokens of one hour and access tokens of 12 hours as
//! `liff.getIDToken()` / `liff.getAccessToken()` hand them out, tokens with only `openid`
//! (MINI App consent simplification), stale tokens as the LIFF SDK's cache returns them, and the
//! permission upgrade that refreshes the access token and revokes the old one.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::SimulatorRefusal;
use super::keys::{IdTokenInput, id_token_claims};
use super::state::{ID_TOKEN_TTL_SECS, ScopeSet, SimState};

/// A LIFF access token lives 12 hours (LIFF reference).
pub const LIFF_ACCESS_TOKEN_TTL_SECS: u64 = 12 * 3_600;
/// The default channel ID of the simulator's LIFF / MINI App channel.
pub const DEFAULT_LIFF_CHANNEL_ID: &str = "2000000001";
/// The `amr` of LIFF ID tokens (the LINE app logs the user in).
const LIFF_AMR: &str = "lineautologin";
/// How long ago a stale token was issued: its ID token expired an hour ago.
const STALE_AGE_SECS: u64 = 2 * ID_TOKEN_TTL_SECS;

/// What a LIFF or MINI App login asks for (the Rust and HTTP test APIs take the same fields).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LiffLogin {
    /// The test user who opens the LIFF app.
    pub user_id: String,
    /// The channel the tokens are issued for: `None` is the simulator's LIFF channel; the web
    /// channel's ID gives tokens of the web channel.
    pub channel_id: Option<String>,
    /// Granted scopes, space-separated (`openid`, `profile`); `None` is `openid profile`.
    /// `openid` alone is what a MINI App channel with consent simplification grants.
    pub scope: Option<String>,
    /// The nonce the app passed to the SDK, copied into the ID token.
    pub nonce: Option<String>,
    /// Tokens issued two hours ago, as the LIFF SDK's cache hands them back: the ID token
    /// expired an hour ago and so did the access token.
    pub stale: bool,
}

impl LiffLogin {
    /// A login of `user_id` through the LIFF channel with `openid profile`.
    pub fn new(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            ..Self::default()
        }
    }

    /// Tokens for `channel_id` instead of the LIFF channel.
    pub fn channel(mut self, channel_id: impl Into<String>) -> Self {
        self.channel_id = Some(channel_id.into());
        self
    }

    /// Only these scopes (space-separated).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// With this nonce in the ID token.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// Stale (expired) tokens.
    pub fn stale(mut self, stale: bool) -> Self {
        self.stale = stale;
        self
    }
}

/// The tokens of a LIFF / MINI App login. `Debug` leaves the tokens out.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct LiffTokens {
    /// The channel they were issued for (`aud` of the ID token, `client_id` of the access token).
    pub channel_id: String,
    /// The ES256 ID token, only with the `openid` scope.
    pub id_token: Option<String>,
    /// The access token.
    pub access_token: String,
    /// Seconds the access token has left when issued (0 for stale tokens).
    pub expires_in: u64,
    /// The granted scopes, space-separated.
    pub scope: String,
}

impl fmt::Debug for LiffTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiffTokens")
            .field("channel_id", &self.channel_id)
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

fn refusal(message: &str) -> SimulatorRefusal {
    SimulatorRefusal {
        status: 400,
        body: serde_json::json!({ "message": message }).to_string(),
    }
}

/// `openid` and `profile` from space-separated words; anything else is refused.
fn parse_scope(raw: Option<&str>) -> Option<ScopeSet> {
    let Some(raw) = raw else {
        return Some(ScopeSet {
            profile: true,
            openid: true,
            ..ScopeSet::default()
        });
    };
    let mut scopes = ScopeSet::default();
    for word in raw.split_whitespace() {
        match word {
            "openid" => scopes.openid = true,
            "profile" => scopes.profile = true,
            _ => return None,
        }
    }
    (scopes.openid || scopes.profile).then_some(scopes)
}

/// Issues the tokens of `login`.
pub(crate) fn login(sim: &SimState, login: &LiffLogin) -> Result<LiffTokens, SimulatorRefusal> {
    let user = sim
        .user(&login.user_id)
        .ok_or_else(|| refusal("unknown test user"))?;
    let channel_id = match login.channel_id.as_deref() {
        None => sim.liff_channel_id.as_str(),
        Some(id) if id == sim.liff_channel_id || id == sim.channel_id => id,
        Some(_) => return Err(refusal("unknown channel")),
    };
    let scopes = parse_scope(login.scope.as_deref())
        .ok_or_else(|| refusal("scope must be openid and/or profile"))?;
    let now = sim.now_secs();
    let issued_at = if login.stale {
        now.saturating_sub(STALE_AGE_SECS)
    } else {
        now
    };
    let expires_at = issued_at.saturating_add(if login.stale {
        ID_TOKEN_TTL_SECS
    } else {
        LIFF_ACCESS_TOKEN_TTL_SECS
    });
    let access_token = sim.issue_access_token_for(&user.user_id, channel_id, scopes, expires_at);
    let id_token = if scopes.openid {
        let claims = id_token_claims(&IdTokenInput {
            issuer: &sim.issuer,
            channel_id,
            user_id: &user.user_id,
            now: issued_at,
            nonce: login.nonce.as_deref(),
            auth_time: None,
            amr: LIFF_AMR,
            name: scopes.profile.then_some(user.name.as_str()),
            picture: scopes.profile.then_some(user.picture_url.as_str()),
            email: None,
        });
        let key = sim.lock().es_key.clone();
        Some(
            key.sign(&claims)
                .map_err(|_| refusal("could not sign the ID token"))?,
        )
    } else {
        None
    };
    Ok(LiffTokens {
        channel_id: channel_id.to_owned(),
        id_token,
        access_token,
        expires_in: expires_at.saturating_sub(now),
        scope: scopes.response_string(),
    })
}

/// The user grants more permissions in a MINI App: the access token is refreshed with the
/// union of the scopes and the old one is revoked (LINE MINI App consent simplification).
pub(crate) fn upgrade(
    sim: &SimState,
    access_token: &str,
    scope: &str,
) -> Result<LiffTokens, SimulatorRefusal> {
    let added =
        parse_scope(Some(scope)).ok_or_else(|| refusal("scope must be openid and/or profile"))?;
    let entry = sim
        .check_access_token(access_token)
        .map_err(|_| refusal("the access token is not valid"))?;
    if let Some(old) = sim.lock().access.get_mut(access_token) {
        old.revoked = true;
    }
    let scopes = ScopeSet {
        profile: entry.scopes.profile || added.profile,
        openid: entry.scopes.openid || added.openid,
        ..entry.scopes
    };
    login(
        sim,
        &LiffLogin {
            user_id: entry.user_id,
            channel_id: Some(entry.client_id),
            scope: Some(scopes.response_string()),
            nonce: None,
            stale: false,
        },
    )
}
