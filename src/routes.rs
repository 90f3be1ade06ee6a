//! The handlers behind the layer's routes: start a login, finish it on LINE's callback, log out,
//! log in with a LIFF/native ID token, and link or unlink a company member. Each returns a
//! response or a [`LoginError`]; the layer renders errors.

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;
use tower_sessions::Session;

use crate::attempt_cookies;
use crate::authorize::{AttemptPurpose, LoginAttempt};
use crate::callback::{AuthorizationErrorCode, Callback, CallbackError, parse_callback};
use crate::context::{FriendshipFetch, Shared, TokenNonce, WebChannel};
use crate::error::LoginError;
use crate::error::TokenRefusal;
use crate::in_app_browser;
use crate::pending::{self, BrowserKey, SpentToken, TakeError};
use crate::respond::{method_is, see_other};
use crate::return_to::sanitize_return_to;
use crate::secret::{AccessToken, RawIdToken};
use crate::session::{self, TOKENS_KEY, USER_KEY};
use crate::token_door;
use crate::user::LoginDoor;
use crate::user::UserTokens;
use crate::user::{FriendFlag, LineUser};

/// Longest query accepted on `/login`.
const LOGIN_QUERY_MAX_BYTES: usize = 2048;
/// Largest body accepted on `/token-login` (an ID token is at most 16 KB).
const TOKEN_LOGIN_BODY_MAX_BYTES: usize = 20 * 1024;

pub(crate) struct RouteContext<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) session: &'a Session,
    pub(crate) parts: &'a Parts,
}

#[derive(serde::Deserialize)]
struct LoginQuery {
    return_to: Option<String>,
    disable_auto_login: Option<String>,
    /// `continue` when the visitor followed the in-app browser page's link.
    in_app: Option<String>,
}

/// The value of `in_app` on the in-app browser page's link.
const IN_APP_CONTINUE: &str = "continue";

/// `GET {prefix}/login`: starts a new attempt and redirects to LINE.
pub(crate) async fn login(ctx: &RouteContext<'_>) -> Result<Response, LoginError> {
    method_is(ctx.parts, &Method::GET)?;
    let query = ctx.parts.uri.query().unwrap_or("");
    if query.len() > LOGIN_QUERY_MAX_BYTES {
        return Err(LoginError::BadRequest("the login query is too long"));
    }
    let query: LoginQuery = serde_urlencoded::from_str(query)
        .map_err(|_| LoginError::BadRequest("the login query cannot be parsed"))?;
    let return_to = sanitize_return_to(query.return_to.as_deref());
    let mut disable_auto_login = query.disable_auto_login.as_deref() == Some("true");
    let user_agent = ctx
        .parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let kind = in_app_browser::classify(user_agent);
    let app = match kind {
        in_app_browser::BrowserKind::Regular => None,
        in_app_browser::BrowserKind::LineInApp => Some("LINE"),
        in_app_browser::BrowserKind::OtherInApp(app) => Some(app),
    };
    if let Some(app) = app {
        let continued = query.in_app.as_deref() == Some(IN_APP_CONTINUE);
        let decision = in_app_browser::decide(ctx.shared.in_app_browser, kind, continued);
        tracing::info!(
            in_app_browser = app,
            in_app_decision = decision.as_str(),
            "LINE login started in an in-app browser"
        );
        match decision {
            in_app_browser::Decision::Interstitial => {
                let continue_url = format!(
                    "{}?{}",
                    ctx.shared.routes.login,
                    serde_urlencoded::to_string([
                        ("return_to", return_to.as_str()),
                        ("in_app", IN_APP_CONTINUE),
                    ])
                    .unwrap_or_default()
                );
                let language = ctx.shared.messages.language_for(ctx.parts);
                return Ok(in_app_browser::interstitial_page(
                    &ctx.shared.messages,
                    &language,
                    app,
                    &continue_url,
                ));
            }
            in_app_browser::Decision::DisableAutoLogin => disable_auto_login = true,
            in_app_browser::Decision::Proceed => {}
        }
    }
    start_attempt(ctx, return_to, AttemptPurpose::Login, disable_auto_login).await
}

/// Seals a new attempt into a cookie bound to this browser's attempt cookie, and answers with the
/// redirect to LINE. Nothing is written to the session or to any store: an anonymous login start
/// leaves nothing on the server.
pub(crate) async fn start_attempt(
    ctx: &RouteContext<'_>,
    return_to: String,
    purpose: AttemptPurpose,
    disable_auto_login: bool,
) -> Result<Response, LoginError> {
    let channel = select_channel(ctx)?;
    let config = &channel.config;
    if matches!(purpose, AttemptPurpose::Link { .. }) {
        require_links_provider(ctx.shared, channel)?;
    }
    let now = (ctx.shared.clock)();
    let mut attempt = LoginAttempt::new(config, return_to, purpose, now);
    // The registered callback on the host this login started on, so the attempt cookie set
    // here comes back with LINE's redirect; the token request repeats it byte for byte.
    attempt.redirect_uri = config
        .redirect_uri_for_host(request_host(ctx.parts))
        .clone();
    attempt.session_bound = ctx.session.id().is_some();
    let visitor = ctx.shared.messages.language_for(ctx.parts);
    let url = attempt.authorization_url_for(config, disable_auto_login, Some(&visitor));
    let browser =
        attempt_cookies::browser_key(ctx.shared, ctx.parts).unwrap_or_else(BrowserKey::random);
    let sealed = pending::seal(&ctx.shared.attempt_sealer, &browser, &attempt)?;
    let purpose = match &attempt.purpose {
        AttemptPurpose::Login => "login",
        AttemptPurpose::Link { .. } => "link",
    };
    let record = crate::login_log::AuthorizationRecord::of(
        &ctx.shared.log_hasher,
        &url,
        purpose,
        now,
        ctx.shared.raw_login_log_values,
    );
    ctx.shared.api.log_sink().record_authorization(&record);
    // LINE's guidelines ask for the authorize request in the logs; state, nonce and the PKCE
    // challenge are left out.
    tracing::info!(
        endpoint = %config.authorize_endpoint(),
        client_id = %config.channel_id(),
        channel = %crate::log_safe::Escaped(config.channel().label()),
        redirect_uri = %attempt.redirect_uri,
        scope = %config.scopes(),
        disable_auto_login,
        "LINE login started"
    );
    let mut response = see_other(url.as_str());
    attempt_cookies::set_browser_key(ctx.shared, &mut response, &browser);
    attempt_cookies::add_pending(ctx.shared, ctx.parts, &mut response, &sealed, now);
    Ok(response)
}

/// The web-login channel of a login started by this request: the app's selector's choice, else
/// the channel with a callback URL on the request's host, else the default channel.
fn select_channel<'a>(ctx: &RouteContext<'a>) -> Result<&'a WebChannel, LoginError> {
    let shared = ctx.shared;
    let chosen = shared
        .channel_selector
        .as_ref()
        .and_then(|select| select(ctx.parts, &shared.config));
    let id = match chosen {
        Some(id) => id,
        None => shared
            .config
            .channel_for_host(request_host(ctx.parts))
            .id()
            .clone(),
    };
    shared.web_channel(&id).ok_or_else(|| {
        tracing::error!(channel_id = %id, "the channel selector chose a channel that is not configured");
        LoginError::UnknownChannel
    })
}

/// Member links are keyed by LINE user IDs of the default channel's provider: a link through a
/// channel of another provider would mix user IDs LINE issued under different providers (one
/// person has a different ID under each), so it is refused.
fn require_links_provider(shared: &Shared, channel: &WebChannel) -> Result<(), LoginError> {
    if channel.config.channel().provider() == shared.config.channel().provider() {
        Ok(())
    } else {
        Err(LoginError::LinkConflict(
            crate::error::LinkConflict::OtherProvider,
        ))
    }
}

/// The request's `Host` header (HTTP/1.1) or `:authority` (HTTP/2, in the URI), to be matched
/// against the registered callback URLs only.
pub(crate) fn request_host(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
}

/// Takes the callback's attempt, once: opens its sealed cookie and spends it in the attempt store.
async fn take_attempt(
    ctx: &RouteContext<'_>,
    state: &str,
    now: OffsetDateTime,
) -> Result<LoginAttempt, LoginError> {
    // No attempt cookie: the browser changed on the way (LINE's auto login returns to the
    // default browser), or cookies are off.
    let browser =
        attempt_cookies::browser_key(ctx.shared, ctx.parts).ok_or(CallbackError::SessionGone)?;
    let cookies = attempt_cookies::pending_cookies(ctx.parts);
    let (store, sealer) = (ctx.shared.attempts.as_ref(), &ctx.shared.attempt_sealer);
    match pending::take(store, sealer, &browser, &cookies, state, now).await {
        Ok(attempt) => Ok(attempt),
        Err(TakeError::Callback(error)) => Err(error.into()),
        Err(TakeError::Store(error)) => Err(error.into()),
    }
}

/// `GET {prefix}/callback`: LINE's redirect back.
pub(crate) async fn callback(ctx: &RouteContext<'_>) -> Result<Response, LoginError> {
    let now = (ctx.shared.clock)();
    // LINE's guideline asks for every callback in the logs: time, method and query, the code
    // and state only as keyed hashes.
    let record = crate::login_log::CallbackRecord::of(
        &ctx.shared.log_hasher,
        ctx.parts.method.as_str(),
        ctx.parts.uri.query(),
        now,
        ctx.shared.raw_login_log_values,
    );
    ctx.shared.api.log_sink().record_callback(&record);
    method_is(ctx.parts, &Method::GET)?;
    let callback = parse_callback(ctx.parts.uri.query())?;
    match callback {
        Callback::Error {
            code,
            description,
            state,
        } => {
            // The attempt ends here whatever it was: taking it spends it in the store.
            // A store failure is the one outcome that must not pass as a cancellation.
            if let Some(state) = state
                && let Err(LoginError::AttemptStore(error)) = take_attempt(ctx, &state, now).await
            {
                return Err(error.into());
            }
            tracing::info!(error = code.as_str(), "LINE redirected back with an error");
            if code == AuthorizationErrorCode::AccessDenied
                && let Some(path) = &ctx.shared.cancel_redirect
            {
                return Ok(see_other(path));
            }
            Err(LoginError::Denied { code, description })
        }
        Callback::Code {
            code,
            state,
            friendship_status_changed,
        } => {
            // Taken atomically before talking to LINE: of any number of copies of this callback,
            // only one reaches the token request, whatever happens next.
            let attempt = take_attempt(ctx, &state, now).await?;
            if attempt.session_bound && ctx.session.id().is_none() {
                return Err(LoginError::SessionCookieMisconfigured);
            }
            finish_login(ctx, attempt, code, friendship_status_changed).await
        }
    }
}

async fn finish_login(
    ctx: &RouteContext<'_>,
    attempt: LoginAttempt,
    code: crate::secret::AuthorizationCode,
    friendship_status_changed: Option<bool>,
) -> Result<Response, LoginError> {
    let shared = ctx.shared;
    // The attempt's channel only: its credentials for the code, its secret and `aud` for the
    // ID token. A token of any other channel, configured or not, is refused.
    let channel = match &attempt.channel {
        Some(id) => shared.web_channel(id).ok_or(LoginError::UnknownChannel)?,
        None => shared.channels.first().ok_or(LoginError::UnknownChannel)?,
    };
    let tokens = channel
        .api
        .exchange_code(&code, &attempt.redirect_uri, Some(&attempt.pkce_verifier))
        .await
        .map_err(LoginError::TokenExchange)?;
    let id_token = tokens.id_token.clone().ok_or(LoginError::MissingIdToken)?;
    let verified = channel.verifier.verify_web_login(
        &id_token,
        &attempt.nonce,
        channel.config.authorize_options().max_age,
    )?;
    let mut user = LineUser::from_id_token(&verified, friendship_status_changed);
    user.door = LoginDoor::Web;
    user.set_scopes(&tokens.scope);
    if shared.config.scopes().contains(crate::Scope::Email) {
        user.email_not_granted = user.email.is_none();
        shared
            .email_watch
            .login(user.email.is_some(), now_of(shared));
    }
    let stored = UserTokens {
        expires_at: UserTokens::expiry(tokens.expires_in),
        access_token: tokens.access_token,
        refresh_expires_at: tokens
            .refresh_token
            .as_ref()
            .map(|_| (shared.clock)() + crate::link::REFRESH_TOKEN_TTL),
        refresh_token: tokens.refresh_token,
        scope: tokens.scope,
    };

    if let AttemptPurpose::Link { member_id } = &attempt.purpose {
        let members = shared.members.as_ref().ok_or(LoginError::NotFound)?;
        require_links_provider(shared, channel)?;
        // Link only if the member who started the attempt is still the one signed in.
        let current = members.signed_in_member(ctx.parts, ctx.session).await?;
        if current.as_deref() != Some(member_id.as_str()) {
            return Err(LoginError::NoMember);
        }
        members
            .link(member_id, &user.user_id, &stored, &channel.api)
            .await?;
        user.member_id = Some(member_id.clone());
    } else if let Some(members) = &shared.members
        && require_links_provider(shared, channel).is_ok()
    {
        // A login through a channel of another provider is not looked up: its user ID is not
        // the one the links hold for that person.
        user.member_id = members.logged_in(&user.user_id, &stored).await?;
    }

    if shared.friendship_fetch == FriendshipFetch::AtLogin
        && channel.config.scopes().contains(crate::Scope::Profile)
    {
        fetch_friendship(shared, &stored.access_token, &mut user).await;
    }
    // The callback's flag is the browser's word; LINE's friendship API, asked with this login's
    // new token, must confirm it.
    user.became_friend = friendship_status_changed == Some(true)
        && user.friendship.friend_flag == FriendFlag::Yes
        && user.friendship.fetched_at.is_some();

    sign_in(ctx, &user, Some(&stored)).await?;
    Ok(see_other(&attempt.return_to))
}

fn now_of(shared: &Shared) -> OffsetDateTime {
    (shared.clock)()
}

/// Fetches `friendFlag`; on failure leaves it unknown and logs why.
pub(crate) async fn fetch_friendship(shared: &Shared, token: &AccessToken, user: &mut LineUser) {
    match shared.api.friendship_status(token).await {
        Ok(friend) => {
            user.friendship.friend_flag = FriendFlag::from(friend);
            user.friendship.fetched_at = Some(OffsetDateTime::now_utc());
        }
        Err(error) => {
            user.friendship.friend_flag = FriendFlag::Unknown;
            tracing::warn!(error = %crate::log_safe::Escaped(&error), "friendship status unavailable; login continues");
        }
    }
}

/// Refuses a request that a browser marks as cross-site, or whose `Origin` is not ours: the
/// same check apps get as [`crate::same_origin::SameOrigin`].
pub(crate) fn require_same_origin(ctx: &RouteContext<'_>) -> Result<(), LoginError> {
    crate::same_origin::require(&ctx.parts.headers, Some(ctx.shared.config.redirect_uri()))
}

/// `POST {prefix}/logout`: revokes the access token at LINE and ends the session.
pub(crate) async fn logout(ctx: &RouteContext<'_>) -> Result<Response, LoginError> {
    method_is(ctx.parts, &Method::POST)?;
    require_same_origin(ctx)?;
    let user = session::user(ctx.session).await?;
    let api = ctx
        .shared
        .api_for(user.as_ref().and_then(|u| u.channel_id.as_deref()));
    if let Some(tokens) = session::tokens(ctx.session, ctx.shared.config.token_keys()).await?
        && let Err(error) = api.revoke(&tokens.access_token).await
    {
        tracing::warn!(error = %crate::log_safe::Escaped(&error), "revoking the access token failed; logging out locally anyway");
    }
    ctx.session.flush().await?;
    Ok(see_other(&ctx.shared.after_logout))
}

#[derive(serde::Deserialize)]
struct TokenLoginBody {
    id_token: Option<String>,
    access_token: Option<String>,
    nonce: Option<crate::secret::Nonce>,
}

/// `POST {prefix}/token-login`: logs in with an ID token or an access token from the LIFF SDK or
/// a native SDK, for the channel or an extra token audience. Anything else in the body (a
/// `user_id`, a profile) is ignored: who the user is comes from the verified token or from LINE.
pub(crate) async fn token_login(
    ctx: &RouteContext<'_>,
    body: Body,
) -> Result<Response, LoginError> {
    method_is(ctx.parts, &Method::POST)?;
    require_same_origin(ctx)?;
    let is_json = ctx
        .parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(LoginError::BadRequest("token-login takes a JSON body"));
    }
    let bytes = axum::body::to_bytes(body, TOKEN_LOGIN_BODY_MAX_BYTES)
        .await
        .map_err(|_| LoginError::BadRequest("the body is too large or unreadable"))?;
    let expected = "expected {\"id_token\": \"...\"} or {\"access_token\": \"...\"}";
    let body: TokenLoginBody =
        serde_json::from_slice(&bytes).map_err(|_| LoginError::BadRequest(expected))?;
    let (proof, stored) = match (body.id_token, body.access_token) {
        (Some(id_token), None) => {
            let raw = RawIdToken::new(id_token);
            let verified =
                token_door::verify_id_token(ctx.shared, &raw, body.nonce.as_ref()).await?;
            spend_token(ctx, &raw, &verified).await?;
            (token_door::id_token_proof(&verified), None)
        }
        (None, Some(access_token)) => {
            let token = AccessToken::new(access_token);
            // An access token carries no nonce: the door takes it only where tokens without
            // one are allowed, checked before LINE is asked anything.
            if ctx.shared.token_nonce == TokenNonce::Require {
                return Err(LoginError::TokenNotAccepted(TokenRefusal::NonceRequired));
            }
            let proof = token_door::verify_access_token(ctx.shared, &token).await?;
            let now = (ctx.shared.clock)();
            let store = ctx.shared.attempts.as_ref();
            let first = pending::claim_token(
                store,
                SpentToken::AccessToken,
                token.expose_secret(),
                proof.expires_at,
                now,
            )
            .await?;
            if !first {
                return Err(LoginError::TokenNotAccepted(TokenRefusal::AlreadyUsed));
            }
            let stored = UserTokens {
                access_token: token,
                refresh_token: None,
                refresh_expires_at: None,
                expires_at: proof.expires_at,
                scope: proof.user.scopes.join(" "),
            };
            (proof, Some(stored))
        }
        _ => return Err(LoginError::BadRequest(expected)),
    };
    let mut user = proof.user;
    if let Some(members) = &ctx.shared.members {
        user.member_id = members.member_for(&user.user_id).await?;
    }
    if let Some(end) = session_end(ctx.shared, &proof.expires_at, proof.authenticated_at) {
        if end <= (ctx.shared.clock)() {
            return Err(match user.door {
                LoginDoor::AccessToken => LoginError::AccessTokenExpired,
                _ => LoginError::TokenExpired,
            });
        }
        ctx.session
            .set_expiry(Some(tower_sessions::Expiry::AtDateTime(end)));
    }
    sign_in(ctx, &user, stored.as_ref()).await?;
    Ok(axum::Json(&user).into_response())
}

/// When a token-login session ends: at the token's end (unless the app lets token sessions
/// outlive their tokens), and never later than the configured `max_age` after the user
/// authenticated (as far as the token shows). `None`: the session layer's own expiry.
fn session_end(
    shared: &Shared,
    token_end: &OffsetDateTime,
    authenticated_at: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let proof_end = (!shared.token_sessions_outlive_tokens).then_some(*token_end);
    let max_age_end = shared
        .config
        .authorize_options()
        .max_age
        .and_then(|max_age| time::Duration::try_from(max_age).ok())
        .map(|max_age| authenticated_at.saturating_add(max_age));
    match (proof_end, max_age_end) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Lets a verified token log in once: a token with a nonce only with a nonce this server issued
/// to this browser, spent now; a token without one only if the door allows it, and only at its
/// first use (across instances, until it expires).
async fn spend_token(
    ctx: &RouteContext<'_>,
    raw: &RawIdToken,
    verified: &crate::VerifiedIdToken,
) -> Result<(), LoginError> {
    let store = ctx.shared.attempts.as_ref();
    let now = (ctx.shared.clock)();
    match verified.nonce() {
        Some(nonce) => {
            let cookies = attempt_cookies::pending_cookies(ctx.parts);
            let sealer = &ctx.shared.attempt_sealer;
            let issued = match attempt_cookies::browser_key(ctx.shared, ctx.parts) {
                Some(browser) => {
                    pending::take_nonce(store, sealer, &browser, &cookies, nonce, now).await?
                }
                None => false,
            };
            if !issued {
                return Err(LoginError::TokenNotAccepted(TokenRefusal::NonceNotIssued));
            }
        }
        None => {
            if ctx.shared.token_nonce == TokenNonce::Require {
                return Err(LoginError::TokenNotAccepted(TokenRefusal::NonceRequired));
            }
            let first = pending::claim_token(
                store,
                SpentToken::IdToken,
                raw.expose_secret(),
                verified.expires_at(),
                now,
            )
            .await?;
            if !first {
                return Err(LoginError::TokenNotAccepted(TokenRefusal::AlreadyUsed));
            }
        }
    }
    Ok(())
}

/// How long an issued token-login nonce may wait for its token.
const TOKEN_LOGIN_NONCE_TTL_SECS: u64 = crate::authorize::ATTEMPT_TTL.as_secs();

/// `POST {prefix}/token-login/nonce`: a fresh nonce for the app to pass to LINE's SDK (LIFF's
/// `liff.init`/`liff.login` or the native SDKs), bound to this browser's attempt cookie and
/// spendable once at `/token-login`.
pub(crate) async fn token_login_nonce(ctx: &RouteContext<'_>) -> Result<Response, LoginError> {
    method_is(ctx.parts, &Method::POST)?;
    require_same_origin(ctx)?;
    let now = (ctx.shared.clock)();
    let browser =
        attempt_cookies::browser_key(ctx.shared, ctx.parts).unwrap_or_else(BrowserKey::random);
    let nonce = crate::secret::Nonce::random();
    let sealed = pending::seal_nonce(
        &ctx.shared.attempt_sealer,
        &browser,
        nonce.expose_secret(),
        now,
    )?;
    let body = serde_json::json!({
        "nonce": nonce.expose_secret(),
        "expires_in": TOKEN_LOGIN_NONCE_TTL_SECS,
    });
    let mut response = axum::Json(body).into_response();
    attempt_cookies::set_browser_key(ctx.shared, &mut response, &browser);
    attempt_cookies::add_pending(ctx.shared, ctx.parts, &mut response, &sealed, now);
    Ok(response)
}

/// Logs the session in as `user`, the same way for the callback and for token login: a fresh
/// session id (whatever id the browser had before cannot ride into the login, and is deleted),
/// the user and their tokens (none for a token login) stored and saved in one write, then the
/// app's login hook.
async fn sign_in(
    ctx: &RouteContext<'_>,
    user: &LineUser,
    tokens: Option<&UserTokens>,
) -> Result<(), LoginError> {
    // Without a session cookie there is no old id: the save below creates a fresh record.
    if ctx.session.id().is_some() {
        ctx.session.cycle_id().await?;
    }
    match tokens {
        Some(tokens) => {
            let keys = ctx.shared.config.token_keys();
            session::store_tokens(ctx.session, keys, &user.user_id, tokens).await?;
        }
        None => {
            ctx.session.remove_value(TOKENS_KEY).await?;
        }
    }
    ctx.session.insert(USER_KEY, user).await?;
    ctx.session.save().await?;
    tracing::info!(
        amr = ?user.amr,
        friendship_status_changed = ?user.friendship.changed_at_login,
        became_friend = user.became_friend,
        linked = user.member_id.is_some(),
        with_line_tokens = tokens.is_some(),
        "LINE login completed"
    );
    if let Some(hook) = &ctx.shared.on_login {
        hook(user).await;
    }
    Ok(())
}

/// Checks a link or unlink request (a same-origin POST, member links enabled) and returns the
/// member signed in by the app's own sign-in.
async fn member_post<'a>(
    ctx: &RouteContext<'a>,
) -> Result<(&'a std::sync::Arc<dyn crate::link::MemberAccess>, String), LoginError> {
    method_is(ctx.parts, &Method::POST)?;
    require_same_origin(ctx)?;
    let members = ctx.shared.members.as_ref().ok_or(LoginError::NotFound)?;
    let member_id = members
        .signed_in_member(ctx.parts, ctx.session)
        .await?
        .ok_or(LoginError::NoMember)?;
    Ok((members, member_id))
}

/// `POST {prefix}/link`: starts a LINE login that links the LINE user to the signed-in member.
pub(crate) async fn link(ctx: &RouteContext<'_>) -> Result<Response, LoginError> {
    let (_, member_id) = member_post(ctx).await?;
    let return_to = sanitize_return_to(return_to_param(ctx.parts).as_deref());
    start_attempt(ctx, return_to, AttemptPurpose::Link { member_id }, false).await
}

/// `POST {prefix}/unlink`: removes the signed-in member's link, revokes and deauthorizes.
pub(crate) async fn unlink(ctx: &RouteContext<'_>) -> Result<Response, LoginError> {
    let (members, member_id) = member_post(ctx).await?;
    let tokens = session::tokens(ctx.session, ctx.shared.config.token_keys()).await?;
    let user = session::user(ctx.session).await?;
    let line_user = user.as_ref().map(|u| u.user_id.as_str());
    let unlinked = members
        .unlink(
            &member_id,
            line_user,
            tokens.as_ref(),
            ctx.shared
                .api_for(user.as_ref().and_then(|u| u.channel_id.as_deref())),
        )
        .await?;
    // The unlinked LINE user's authorization has ended: their LINE login here ends with it. The
    // app's own member sign-in is left alone.
    if unlinked.is_some() && unlinked.as_deref() == line_user {
        ctx.session.remove_value(USER_KEY).await?;
        ctx.session.remove_value(TOKENS_KEY).await?;
    }
    let return_to = sanitize_return_to(return_to_param(ctx.parts).as_deref());
    Ok(see_other(&return_to))
}

/// `return_to` from the query string (link and unlink are plain form posts).
fn return_to_param(parts: &Parts) -> Option<String> {
    let query = parts.uri.query()?;
    if query.len() > LOGIN_QUERY_MAX_BYTES {
        return None;
    }
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v)
}
