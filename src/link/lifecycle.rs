//! The end of a link: [`unlink_and_deauthorize`] (the back-office unlink, by member or by LINE
//! user, also behind `POST {prefix}/unlink`) and the consent sweep [`check_links`]. The store
//! change always comes first; LINE's answers only decide what is reported.

use time::OffsetDateTime;

use super::{Link, LinkCause, LinkKey, MemberLinks, SweepLinks, UserTokens};
use crate::api::{AccessTokenError, ApiError, LineApi};
use crate::secret::AccessToken;

/// How many links the sweep reads from the store at a time.
pub const SWEEP_PAGE_SIZE: usize = 100;
/// The longest access-token life believed from LINE's `expires_in` (LINE issues 30 days).
const ACCESS_TOKEN_TTL_MAX: time::Duration = time::Duration::days(90);

/// What LINE was told when a link ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deauthorization {
    /// LINE's deauthorize API accepted: the user's authorization of the channel ended and every
    /// token of theirs is dead.
    Deauthorized,
    /// LINE refused every stored token of the user (consent already withdrawn in the LINE app,
    /// or the tokens expired): there is nothing left to end with them.
    AlreadyEnded,
    /// The link kept no token, so LINE could not be told.
    NoToken,
    /// LINE could not be reached or refused for another reason (the text says why). The access
    /// token was revoked if LINE allowed it; retry with [`LineApi::deauthorize_user`] and the
    /// tokens of [`Unlinked::link`].
    Failed(String),
}

impl Deauthorization {
    /// A short name for logs: `deauthorized`, `already_ended`, `no_token`, `failed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Deauthorization::Deauthorized => "deauthorized",
            Deauthorization::AlreadyEnded => "already_ended",
            Deauthorization::NoToken => "no_token",
            Deauthorization::Failed(_) => "failed",
        }
    }
}

/// A link removed by [`unlink_and_deauthorize`].
#[derive(Clone, Debug)]
pub struct Unlinked<M> {
    /// The removed link, with the tokens it kept.
    pub link: Link<M>,
    /// What LINE was told.
    pub deauthorization: Deauthorization,
}

/// Best-effort revoke of a token nobody will use again.
async fn revoke_quietly(api: &LineApi, token: &AccessToken) {
    if let Err(error) = api.revoke(token).await {
        tracing::warn!(error = %crate::log_safe::Escaped(&error), "could not revoke the unlinked user's access token");
    }
}

/// Ends the user's authorization with the tokens a link kept: deauthorize with the access
/// token; if LINE refuses it as dead, with a refreshed one; when deauthorize cannot be done for
/// another reason, at least revoke the access token.
pub(crate) async fn end_authorization(
    api: &LineApi,
    tokens: Option<&UserTokens>,
) -> Deauthorization {
    let Some(tokens) = tokens else {
        return Deauthorization::NoToken;
    };
    match api.deauthorize_user(&tokens.access_token).await {
        Ok(()) => return Deauthorization::Deauthorized,
        Err(error) if error.is_token_revoked_or_invalid() => {}
        Err(error) => {
            tracing::warn!(error = %crate::log_safe::Escaped(&error), "LINE deauthorize failed");
            revoke_quietly(api, &tokens.access_token).await;
            return Deauthorization::Failed(error.to_string());
        }
    }
    // The access token is dead (expired, or revoked at a logout). A live refresh token means the
    // consent still stands and gives a token to deauthorize with.
    let Some(refresh_token) = &tokens.refresh_token else {
        return Deauthorization::AlreadyEnded;
    };
    let fresh = match api.refresh(refresh_token).await {
        Ok(fresh) => fresh.access_token,
        Err(error) if error.is_token_revoked_or_invalid() => {
            return Deauthorization::AlreadyEnded;
        }
        Err(error) => {
            tracing::warn!(error = %crate::log_safe::Escaped(&error), "refreshing the unlinked user's token failed");
            return Deauthorization::Failed(error.to_string());
        }
    };
    match api.deauthorize_user(&fresh).await {
        Ok(()) => Deauthorization::Deauthorized,
        Err(error) if error.is_token_revoked_or_invalid() => Deauthorization::AlreadyEnded,
        Err(error) => {
            tracing::warn!(error = %crate::log_safe::Escaped(&error), "LINE deauthorize failed");
            revoke_quietly(api, &fresh).await;
            Deauthorization::Failed(error.to_string())
        }
    }
}

/// Unlinks from back-office code (a member leaves, an operator acts), by member or by LINE user
/// ([`LinkKey`]), exactly as `POST {prefix}/unlink` does for a signed-in member: removes the link
/// (audited with `cause`), then ends the LINE user's authorization with the tokens the link kept
/// (deauthorize through [`LineApi::deauthorize_user`], with the configured long-lived channel
/// token or a cached stateless one; a dead access token is refreshed first; when deauthorize
/// cannot be done, the access token is revoked). Idempotent: `Ok(None)` when there was no link,
/// and LINE is not called.
///
/// Fails only with the store's error, before anything changed; LINE failures are reported in
/// [`Unlinked::deauthorization`] since the company's unlink has already happened.
///
/// ```no_run
/// use line_login::link::{LinkCause, LinkKey, MemoryLinks, unlink_and_deauthorize};
/// # async fn run(api: line_login::LineApi, links: MemoryLinks<u64>) {
/// let cause = LinkCause::back_office("leaver job");
/// let done = unlink_and_deauthorize(&links, &api, LinkKey::Member(&42), &cause)
///     .await
///     .expect("store reachable");
/// if let Some(unlinked) = done {
///     println!("LINE user unlinked; LINE says: {}", unlinked.deauthorization.as_str());
/// }
/// # }
/// ```
pub async fn unlink_and_deauthorize<L: MemberLinks>(
    links: &L,
    api: &LineApi,
    key: LinkKey<'_, L::MemberId>,
    cause: &LinkCause,
) -> Result<Option<Unlinked<L::MemberId>>, L::Error> {
    let Some(link) = links.unlink(key, cause).await? else {
        return Ok(None);
    };
    let deauthorization = end_authorization(api, link.tokens.as_ref()).await;
    tracing::info!(
        cause = cause.as_str(),
        deauthorization = deauthorization.as_str(),
        "link removed"
    );
    Ok(Some(Unlinked {
        link,
        deauthorization,
    }))
}

/// What LINE says about a linked user's consent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Consent {
    /// LINE accepted the access token, or a refresh worked (the new tokens were stored).
    Granted,
    /// LINE refused both the access token and a refresh token that has not expired: the user
    /// withdrew consent in the LINE app (Settings > Account > Authorized apps), or the channel
    /// was deauthorized. The company's link remains until the policy removes it.
    Withdrawn,
    /// The stored tokens cannot tell: the access token is dead and the refresh token is missing
    /// or past its 90 days (the user has not logged in for that long). The next login stores new
    /// ones.
    TokensUnusable,
    /// The link keeps no tokens.
    NoTokens,
    /// LINE could not be asked (timeout, 5xx, 429); the text says why. Try again later.
    Unavailable(String),
}

/// What the sweep does with a link whose consent was withdrawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepAction {
    /// Keep the link (for example to ask the member to log in with LINE again).
    Keep,
    /// Remove the link, audited with [`LinkCause::consent_withdrawn`]. LINE is not called: the
    /// authorization has already ended.
    Unlink,
}

/// One link the sweep did not find in good standing.
#[derive(Clone, Debug, PartialEq)]
pub struct SweptLink<M> {
    /// The member.
    pub member: M,
    /// The LINE user.
    pub line_user_id: String,
    /// What LINE said.
    pub consent: Consent,
    /// What was done: [`SweepAction::Unlink`] only if the link was removed.
    pub action: SweepAction,
}

/// The outcome of [`check_links`].
#[derive(Clone, Debug, PartialEq)]
pub struct SweepReport<M> {
    /// Links examined.
    pub checked: usize,
    /// Links whose consent stands.
    pub granted: usize,
    /// Of those, links whose access token had to be refreshed (the new tokens were stored).
    pub refreshed: usize,
    /// Links whose consent was withdrawn, with what the policy did.
    pub withdrawn: Vec<SweptLink<M>>,
    /// Links that could not be decided ([`Consent::TokensUnusable`], [`Consent::NoTokens`],
    /// [`Consent::Unavailable`]); all kept.
    pub undecided: Vec<SweptLink<M>>,
    /// LINE answered 429: the sweep stopped early; run it again later.
    pub interrupted: bool,
}

impl<M> Default for SweepReport<M> {
    fn default() -> Self {
        Self {
            checked: 0,
            granted: 0,
            refreshed: 0,
            withdrawn: Vec::new(),
            undecided: Vec::new(),
            interrupted: false,
        }
    }
}

/// What LINE said about one link.
struct Checked {
    consent: Consent,
    /// New tokens, when a refresh was needed and worked.
    renewed: Option<UserTokens>,
    /// LINE answered 429.
    rate_limited: bool,
}

impl From<Consent> for Checked {
    fn from(consent: Consent) -> Self {
        Self {
            consent,
            renewed: None,
            rate_limited: false,
        }
    }
}

impl From<ApiError> for Checked {
    fn from(error: ApiError) -> Self {
        Self {
            rate_limited: error.is_rate_limited(),
            ..Consent::Unavailable(error.to_string()).into()
        }
    }
}

/// Asks LINE about one link's tokens.
/// `other_channels` holds the clients of the configuration's other web channels (see
/// [`other_channel_apis`]), built once per sweep.
async fn check_consent(
    api: &LineApi,
    other_channels: &[LineApi],
    tokens: Option<&UserTokens>,
) -> Checked {
    let Some(tokens) = tokens else {
        return Consent::NoTokens.into();
    };
    let config = api.config();
    match api.verify_access_token(&tokens.access_token).await {
        Ok(_) => return Consent::Granted.into(),
        // A live token of another web channel of this configuration (the user linked through
        // it): consent stands.
        Err(AccessTokenError::WrongChannel { got })
            if config.channels().iter().any(|c| c.id().as_str() == got) =>
        {
            return Consent::Granted.into();
        }
        Err(AccessTokenError::Api(error)) if !error.is_token_revoked_or_invalid() => {
            return error.into();
        }
        // Expired, revoked or otherwise refused: "revoked" may be our own logout's revoke, so
        // only the refresh token (which dies at once when consent is withdrawn) decides.
        Err(_) => {}
    }
    let now = OffsetDateTime::now_utc();
    let Some(refresh_token) = &tokens.refresh_token else {
        return Consent::TokensUnusable.into();
    };
    if tokens.refresh_expires_at.is_some_and(|at| at <= now) {
        return Consent::TokensUnusable.into();
    }
    // A refresh token works only with the channel that issued it, which a link does not record:
    // try each web channel of the configuration, the default first. "Withdrawn" only when every
    // one refuses it; another channel's refusal must not unlink the user.
    let mut refreshed = None;
    for channel_api in std::iter::once(api).chain(other_channels) {
        match channel_api.refresh(refresh_token).await {
            Ok(fresh) => {
                refreshed = Some(fresh);
                break;
            }
            Err(error) if error.is_token_revoked_or_invalid() => {}
            Err(error) => return error.into(),
        }
    }
    match refreshed {
        Some(fresh) => {
            let life = time::Duration::seconds(i64::try_from(fresh.expires_in).unwrap_or(0))
                .min(ACCESS_TOKEN_TTL_MAX);
            let renewed = UserTokens {
                access_token: fresh.access_token,
                expires_at: now + life,
                refresh_token: fresh.refresh_token.or_else(|| tokens.refresh_token.clone()),
                refresh_expires_at: tokens.refresh_expires_at,
                scope: tokens.scope.clone(),
            };
            Checked {
                renewed: Some(renewed),
                ..Consent::Granted.into()
            }
        }
        None => Consent::Withdrawn.into(),
    }
}

/// The API clients of the other web channels of `api`'s configuration.
fn other_channel_apis(api: &LineApi) -> Vec<LineApi> {
    let config = api.config();
    config
        .channels()
        .iter()
        .filter(|c| c.id() != config.channel_id())
        .filter_map(|c| {
            config
                .for_channel(c.id())
                .map(|other| api.for_channel(other))
        })
        .collect()
}

/// Sweeps every link (say nightly): asks LINE whether each linked user's consent still stands,
/// with the tokens kept at their last login (verify the access token; when it is dead, refresh
/// it, and store the new tokens). A user who unlinked the app inside LINE withdrew consent but
/// LINE does not remove the company's link: `policy` decides, for each such link, whether to
/// keep it or remove it.
///
/// "Revoked" is told apart from "merely expired" by the refresh token: it dies at once when
/// consent is withdrawn, and lives 90 days otherwise. The sweep stops early (and says so) when
/// LINE answers 429. Fails only with the store's error; what was done until then stays done.
///
/// ```no_run
/// use line_login::link::{MemoryLinks, SweepAction, check_links};
/// # async fn run(api: line_login::LineApi, links: MemoryLinks<u64>) {
/// let report = check_links(&links, &api, |_link| SweepAction::Unlink).await.expect("store");
/// println!("{} checked, {} withdrawn", report.checked, report.withdrawn.len());
/// # }
/// ```
pub async fn check_links<L, P>(
    links: &L,
    api: &LineApi,
    mut policy: P,
) -> Result<SweepReport<L::MemberId>, L::Error>
where
    L: SweepLinks,
    P: FnMut(&Link<L::MemberId>) -> SweepAction + Send,
{
    let mut report = SweepReport::default();
    let other_channels = other_channel_apis(api);
    let mut after: Option<String> = None;
    loop {
        let page = links.list(after.as_deref(), SWEEP_PAGE_SIZE).await?;
        let full = page.len() == SWEEP_PAGE_SIZE;
        for link in page {
            after = Some(link.line_user_id.clone());
            report.checked += 1;
            let Checked {
                consent,
                renewed,
                rate_limited,
            } = check_consent(api, &other_channels, link.tokens.as_ref()).await;
            if let Some(renewed) = renewed
                && links.update_tokens(&link.line_user_id, &renewed).await?
            {
                report.refreshed += 1;
            }
            let swept = |consent, action| SweptLink {
                member: link.member.clone(),
                line_user_id: link.line_user_id.clone(),
                consent,
                action,
            };
            match consent {
                Consent::Granted => report.granted += 1,
                Consent::Withdrawn => {
                    let mut action = policy(&link);
                    if action == SweepAction::Unlink {
                        let key = LinkKey::Pair {
                            member: &link.member,
                            line_user_id: &link.line_user_id,
                        };
                        let removed = links.unlink(key, &LinkCause::consent_withdrawn()).await?;
                        if removed.is_none() {
                            action = SweepAction::Keep; // changed meanwhile; nothing removed
                        }
                    }
                    report.withdrawn.push(swept(Consent::Withdrawn, action));
                }
                other => report.undecided.push(swept(other, SweepAction::Keep)),
            }
            if rate_limited {
                report.interrupted = true;
                tracing::warn!(
                    checked = report.checked,
                    "LINE rate-limited the consent sweep; stopped early"
                );
                return Ok(report);
            }
        }
        if !full {
            break;
        }
    }
    tracing::info!(
        checked = report.checked,
        granted = report.granted,
        withdrawn = report.withdrawn.len(),
        undecided = report.undecided.len(),
        "member-link consent sweep finished"
    );
    Ok(report)
}
