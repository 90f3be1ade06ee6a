//! The browser side of the simulator: `GET /oauth2/v2.1/authorize` (validation, error redirects,
//! the consent page) and the consent form post that redirects back with a code or an error.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Map, Value, json};
use url::Url;

use line_login::config::is_loopback;

use super::keys::sign_hs256;
use super::state::{
    CODE_TTL_SECS, CodeEntry, PENDING_TTL_SECS, PendingAuthorize, ResponseMode, ScopeSet, SimState,
    random_alphanumeric, random_hex,
};

/// Query parameters read from one authorize request; the rest are ignored.
const AUTHORIZE_PARAMS_MAX: usize = 64;
/// Longest `state` or `nonce` accepted (LINE documents no limit; this keeps memory bounded).
pub(crate) const STATE_NONCE_MAX_BYTES: usize = 1024;
/// Longest `redirect_uri` accepted.
pub(crate) const REDIRECT_URI_MAX_BYTES: usize = 2048;
/// Lifetime of a JARM response JWT.
const JARM_TTL_SECS: u64 = 600;
/// Name of the simulated LINE Official Account linked to the channel.
pub(crate) const OFFICIAL_ACCOUNT_NAME: &str = "Simulator Shop";
/// Header carrying the pending-request id of a consent page (for [`super::Simulator::consent`]).
pub(crate) const PENDING_ID_HEADER: &str = "x-line-sim-pending-id";

/// The page LINE shows for a bad `client_id`.
const BAD_CLIENT_ID_TEXT: &str =
    "400 Bad Request. Invalid client_id value. Check the channel ID of your LINE Login channel.";
/// The page LINE shows for a bad `redirect_uri` (observed wording).
const BAD_REDIRECT_URI_TEXT: &str = "400 Bad Request. Invalid redirect_uri value. Check if it is registered in a LINE developers site.";

/// How an authorize request fails.
enum Refusal {
    /// A 400 page, no redirect (bad `client_id` or `redirect_uri`).
    Page(&'static str),
    /// An error redirect to the (valid) `redirect_uri`.
    Redirect {
        redirect_uri: String,
        mode: ResponseMode,
        error: &'static str,
        description: &'static str,
        state: Option<String>,
    },
}

/// `GET /oauth2/v2.1/authorize`.
pub(crate) async fn authorize(
    State(sim): State<Arc<SimState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = parse_params(
        query.as_deref().unwrap_or("").as_bytes(),
        AUTHORIZE_PARAMS_MAX,
    );
    match check_request(&sim, &params) {
        Err(Refusal::Page(text)) => error_page(StatusCode::BAD_REQUEST, text),
        Err(Refusal::Redirect {
            redirect_uri,
            mode,
            error,
            description,
            state,
        }) => {
            let mut pairs = vec![
                ("error", error.to_owned()),
                ("error_description", description.to_owned()),
            ];
            if let Some(state) = state {
                pairs.push(("state", state));
            }
            deliver(&sim, &redirect_uri, mode, &pairs)
        }
        Ok(pending) => {
            let id = random_hex(16);
            let page = consent_page(&sim, &id, &pending);
            sim.lock().pending.insert(id.clone(), pending);
            let mut response = Html(page).into_response();
            no_store(&mut response);
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert(PENDING_ID_HEADER, value);
            }
            response
        }
    }
}

/// `POST /oauth2/v2.1/authorize/consent`: the Allow / Cancel buttons of the consent page.
pub(crate) async fn consent(State(sim): State<Arc<SimState>>, body: Bytes) -> Response {
    let form = parse_params(&body, 16);
    let Some(pending_id) = form.get("pending") else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "400 Bad Request. The consent form is incomplete.",
        );
    };
    let now = sim.now_secs();
    let pending = sim.lock().pending.remove(pending_id);
    let Some(pending) = pending.filter(|p| p.created_at.saturating_add(PENDING_TTL_SECS) > now)
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "400 Bad Request. This login request has expired or was already used. Start again from the app.",
        );
    };
    match form.get("action").map(String::as_str) {
        Some("cancel") => {
            let pairs = [
                ("error", "ACCESS_DENIED".to_owned()),
                (
                    "error_description",
                    "The resource owner denied the request.".to_owned(),
                ),
                ("state", pending.state.clone()),
            ];
            deliver(&sim, &pending.redirect_uri, pending.response_mode, &pairs)
        }
        Some("allow") => allow(&sim, pending, &form, now),
        _ => error_page(
            StatusCode::BAD_REQUEST,
            "400 Bad Request. Choose Allow or Cancel.",
        ),
    }
}

fn allow(
    sim: &SimState,
    pending: PendingAuthorize,
    form: &HashMap<String, String>,
    now: u64,
) -> Response {
    let Some(user) = form.get("user_id").and_then(|id| sim.user(id)) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "400 Bad Request. Choose one of the test users.",
        );
    };
    let user_id = user.user_id.clone();
    let checked = |name: &str| {
        form.get(name)
            .is_some_and(|v| !matches!(v.as_str(), "false" | "off" | "0"))
    };
    let friendship_status_changed = if pending.bot_prompt {
        if sim.is_friend(&user_id) {
            Some(false)
        } else if checked("add_friend") {
            sim.set_friend(&user_id, true);
            Some(true)
        } else {
            Some(false)
        }
    } else {
        None
    };
    let code = random_alphanumeric(20);
    let email_permission = sim.lock().email_permission;
    let entry = CodeEntry {
        channel_id: pending.channel_id.clone(),
        user_id,
        redirect_uri: pending.redirect_uri.clone(),
        scopes: pending.scopes,
        email_granted: pending.scopes.email && checked("grant_email") && email_permission,
        nonce: pending.nonce.clone(),
        code_challenge: pending.code_challenge.clone(),
        max_age_sent: pending.max_age.is_some(),
        auth_time: now,
        expires_at: now.saturating_add(CODE_TTL_SECS),
    };
    sim.lock().codes.insert(code.clone(), entry);
    let mut pairs = vec![("code", code), ("state", pending.state.clone())];
    if let Some(changed) = friendship_status_changed {
        pairs.push(("friendship_status_changed", changed.to_string()));
    }
    deliver(sim, &pending.redirect_uri, pending.response_mode, &pairs)
}

/// Parses `application/x-www-form-urlencoded` pairs; the first value of a name wins.
pub(crate) fn parse_params(raw: &[u8], max: usize) -> HashMap<String, String> {
    let mut params = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(raw).take(max) {
        params
            .entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    params
}

fn check_request(
    sim: &SimState,
    params: &HashMap<String, String>,
) -> Result<PendingAuthorize, Refusal> {
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let Some(channel) = get("client_id").and_then(|id| sim.web_channel(id)) else {
        return Err(Refusal::Page(BAD_CLIENT_ID_TEXT));
    };
    let Some(redirect_uri) =
        get("redirect_uri").filter(|r| redirect_uri_allowed(&channel.redirect_uris, r))
    else {
        return Err(Refusal::Page(BAD_REDIRECT_URI_TEXT));
    };
    let state = get("state").filter(|s| s.len() <= STATE_NONCE_MAX_BYTES);
    let mode = match get("response_mode") {
        None | Some("query") => Ok(ResponseMode::Query),
        Some("form_post") => Ok(ResponseMode::FormPost),
        Some("query.jwt" | "jwt") => Ok(ResponseMode::QueryJwt),
        Some("form_post.jwt") => Ok(ResponseMode::FormPostJwt),
        Some(_) => Err("'response_mode' is invalid."),
    };
    let refuse =
        |mode: ResponseMode, error: &'static str, description: &'static str| Refusal::Redirect {
            redirect_uri: redirect_uri.to_owned(),
            mode,
            error,
            description,
            state: state.map(str::to_owned),
        };
    let mode = mode.map_err(|d| refuse(ResponseMode::Query, "INVALID_REQUEST", d))?;
    let invalid = |description| refuse(mode, "INVALID_REQUEST", description);

    match get("response_type") {
        None => return Err(invalid("'response_type' is not specified.")),
        Some("code") => {}
        Some(_) => {
            return Err(refuse(
                mode,
                "UNSUPPORTED_RESPONSE_TYPE",
                "The response_type is not supported. Use 'code'.",
            ));
        }
    }
    let Some(state) = get("state") else {
        return Err(invalid("'state' is not specified."));
    };
    if state.len() > STATE_NONCE_MAX_BYTES {
        return Err(invalid("'state' is too long."));
    }
    let profile_plus = sim.lock().profile_plus;
    let scopes = parse_scopes(get("scope"), profile_plus).ok_or_else(|| {
        refuse(
            mode,
            "INVALID_SCOPE",
            "The scope is invalid: profile or openid is required, and email requires openid.",
        )
    })?;
    let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (None, None) => None,
        (_, Some(method)) if method != "S256" => {
            return Err(invalid("'code_challenge_method' must be S256."));
        }
        (Some(challenge), Some(_)) if is_pkce_challenge(challenge) => Some(challenge.to_owned()),
        (Some(_), Some(_)) => return Err(invalid("'code_challenge' is invalid.")),
        (Some(_), None) => return Err(invalid("'code_challenge_method' is not specified.")),
        (None, Some(_)) => return Err(invalid("'code_challenge' is not specified.")),
    };
    let nonce = get("nonce");
    if nonce.is_some_and(|n| n.len() > STATE_NONCE_MAX_BYTES) {
        return Err(invalid("'nonce' is too long."));
    }
    let max_age = match get("max_age") {
        None => None,
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| invalid("'max_age' is invalid."))?,
        ),
    };
    let bot_prompt = match get("bot_prompt") {
        None => false,
        Some("normal" | "aggressive") => true,
        Some(_) => return Err(invalid("'bot_prompt' is invalid.")),
    };
    if get("prompt").is_some_and(|p| p.split(' ').any(|w| w == "none")) {
        return Err(refuse(
            mode,
            "LOGIN_REQUIRED",
            "The user is not logged in and prompt=none was specified.",
        ));
    }
    Ok(PendingAuthorize {
        channel_id: channel.id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.to_owned(),
        scopes,
        nonce: nonce.map(str::to_owned),
        code_challenge,
        max_age,
        bot_prompt,
        ui_locale: get("ui_locales")
            .and_then(|tags| tags.split(' ').next())
            .and_then(line_login::Language::parse),
        response_mode: mode,
        created_at: sim.now_secs(),
    })
}

/// `profile`, `openid` and `email`, space-separated: at least one of `profile`/`openid`, and
/// `email` only with `openid`; on a Profile+ channel also `real_name`, `gender`, `birthdate`,
/// `phone` and `address`, only with `openid`. Anything else is `INVALID_SCOPE` (None).
fn parse_scopes(raw: Option<&str>, profile_plus: bool) -> Option<ScopeSet> {
    let mut scopes = ScopeSet::default();
    for word in raw?.split(' ').filter(|w| !w.is_empty()) {
        match word {
            "profile" => scopes.profile = true,
            "openid" => scopes.openid = true,
            "email" => scopes.email = true,
            "real_name" if profile_plus => scopes.real_name = true,
            "gender" if profile_plus => scopes.gender = true,
            "birthdate" if profile_plus => scopes.birthdate = true,
            "phone" if profile_plus => scopes.phone = true,
            "address" if profile_plus => scopes.address = true,
            _ => return None,
        }
    }
    let plus =
        scopes.real_name || scopes.gender || scopes.birthdate || scopes.phone || scopes.address;
    let valid = if scopes.email || plus {
        scopes.openid
    } else {
        scopes.profile || scopes.openid
    };
    valid.then_some(scopes)
}

/// BASE64URL(SHA-256(verifier)) without padding: 43 characters.
fn is_pkce_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `raw` is a redirect URI LINE would accept: a registered URL, or a registered URL plus
/// extra query parameters; with nothing registered, any loopback http(s) URL. Never a fragment.
pub(crate) fn redirect_uri_allowed(registered: &[Url], raw: &str) -> bool {
    if raw.len() > REDIRECT_URI_MAX_BYTES || raw.contains('#') {
        return false;
    }
    let Ok(url) = Url::parse(raw) else {
        return false;
    };
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return false;
    }
    if registered.is_empty() {
        return is_loopback(&url);
    }
    registered.iter().any(|reg| {
        reg.scheme() == url.scheme()
            && reg.host() == url.host()
            && reg.port_or_known_default() == url.port_or_known_default()
            && reg.path() == url.path()
            && query_extends(reg, &url)
    })
}

/// Whether every query pair of `registered` is also in `url` (extra pairs allowed).
fn query_extends(registered: &Url, url: &Url) -> bool {
    let mut have: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    registered.query_pairs().all(|(k, v)| {
        match have.iter().position(|(hk, hv)| *hk == k && *hv == v) {
            Some(i) => {
                have.swap_remove(i);
                true
            }
            None => false,
        }
    })
}

/// Sends `pairs` back to the client the way `mode` says: a 302 with the pairs appended to the
/// redirect URI's query (`query`), an auto-submitting form (`form_post`), or either carrying one
/// HS256 `response` JWT signed with the channel secret (`query.jwt`, `form_post.jwt`).
pub(crate) fn deliver(
    sim: &SimState,
    redirect_uri: &str,
    mode: ResponseMode,
    pairs: &[(&str, String)],
) -> Response {
    match mode {
        ResponseMode::Query => redirect_with(redirect_uri, pairs),
        ResponseMode::FormPost => form_post_page(redirect_uri, pairs),
        ResponseMode::QueryJwt | ResponseMode::FormPostJwt => {
            let now = sim.now_secs();
            let mut claims = Map::new();
            claims.insert("iss".into(), json!(sim.issuer));
            claims.insert("aud".into(), json!(sim.channel_id));
            claims.insert("exp".into(), json!(now.saturating_add(JARM_TTL_SECS)));
            for (name, value) in pairs {
                claims.insert((*name).to_owned(), Value::String(value.clone()));
            }
            let Ok(jwt) = sign_hs256(&claims, sim.channel_secret.as_bytes()) else {
                return error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "500 Internal Server Error.",
                );
            };
            let pairs = [("response", jwt)];
            if mode == ResponseMode::QueryJwt {
                redirect_with(redirect_uri, &pairs)
            } else {
                form_post_page(redirect_uri, &pairs)
            }
        }
    }
}

/// A 302 to `redirect_uri` with `pairs` appended to its query (existing parameters kept).
fn redirect_with(redirect_uri: &str, pairs: &[(&str, String)]) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return error_page(StatusCode::BAD_REQUEST, BAD_REDIRECT_URI_TEXT);
    };
    url.query_pairs_mut()
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    let Ok(location) = HeaderValue::from_str(url.as_str()) else {
        return error_page(StatusCode::BAD_REQUEST, BAD_REDIRECT_URI_TEXT);
    };
    let mut response = StatusCode::FOUND.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    no_store(&mut response);
    response
}

fn form_post_page(redirect_uri: &str, pairs: &[(&str, String)]) -> Response {
    let inputs: String = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Redirecting…</title>\
         <style>{CSS}</style></head><body><div class=\"bar\">LINE<small>Login simulator</small></div>\
         <main><div class=\"card\"><h1>Returning to the app…</h1>\
         <form method=\"post\" action=\"{}\" id=\"form-post\">{inputs}\
         <div class=\"actions\"><button class=\"primary\" type=\"submit\" id=\"continue\">Continue</button></div>\
         </form></div></main><script>document.getElementById('form-post').submit();</script></body></html>",
        escape(redirect_uri)
    );
    let mut response = Html(body).into_response();
    no_store(&mut response);
    response
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// An HTML error page with `status`; it never redirects.
pub(crate) fn error_page(status: StatusCode, text: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code} Error</title>\
         <style>{CSS}</style></head><body><div class=\"bar\">LINE<small>Login simulator</small></div>\
         <main><div class=\"card\"><h1 id=\"error-title\">Something went wrong</h1>\
         <p class=\"sub\" id=\"error-message\">{}</p></div></main></body></html>",
        escape(text),
        code = status.as_u16(),
    );
    let mut response = (status, Html(body)).into_response();
    no_store(&mut response);
    response
}

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) use html_escape::encode_quoted_attribute as escape;

fn consent_page(sim: &SimState, pending_id: &str, pending: &PendingAuthorize) -> String {
    let app_host = Url::parse(&pending.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let friends: Vec<bool> = sim
        .users
        .iter()
        .map(|u| sim.is_friend(&u.user_id))
        .collect();

    let mut users = String::new();
    for (i, user) in sim.users.iter().enumerate() {
        let id = escape(&user.user_id);
        users.push_str(&format!(
            "<label class=\"user\" for=\"user-{id}\"><input type=\"radio\" name=\"user_id\" \
             id=\"user-{id}\" value=\"{id}\"{checked}><img class=\"avatar\" alt=\"\" \
             src=\"/__sim/avatar/{id}\"><span><span class=\"name\">{name}</span><br>\
             <span class=\"meta\">{email}</span></span></label>",
            checked = if i == 0 { " checked" } else { "" },
            name = escape(&user.name),
            email = escape(&user.email),
        ));
    }

    let mut permissions = String::new();
    if pending.scopes.profile {
        permissions.push_str(
            "<div class=\"perm\"><span>Main profile info (name, profile picture)</span>\
             <span class=\"tag\">Required</span></div>",
        );
    }
    if pending.scopes.openid {
        permissions.push_str(
            "<div class=\"perm\"><span>Your internal identifier (user ID)</span>\
             <span class=\"tag\">Required</span></div>",
        );
    }
    if pending.scopes.email && sim.lock().email_permission {
        permissions.push_str(
            "<label class=\"option\" for=\"grant-email\"><input type=\"checkbox\" id=\"grant-email\" \
             name=\"grant_email\" value=\"true\"><span>Email address<br>\
             <span class=\"meta\">Optional: the app receives your email address.</span></span></label>",
        );
    }

    let mut friend = String::new();
    let mut friend_css = String::new();
    if pending.bot_prompt {
        let oa = escape(OFFICIAL_ACCOUNT_NAME);
        friend.push_str(&format!(
            "<fieldset><legend>LINE Official Account</legend>\
             <label class=\"option friend-option\" for=\"add-friend\"><input type=\"checkbox\" \
             id=\"add-friend\" name=\"add_friend\" value=\"true\"><span>Add {oa} as a friend<br>\
             <span class=\"meta\">Get news and offers from {oa} in your LINE chats.</span></span></label>"
        ));
        for (user, is_friend) in sim.users.iter().zip(&friends) {
            if *is_friend {
                let id = escape(&user.user_id);
                friend.push_str(&format!(
                    "<p class=\"note\" id=\"friend-note-{id}\">{name} is already friends with {oa}.</p>",
                    name = escape(&user.name)
                ));
                friend_css.push_str(&format!(
                    "form:has(#user-{id}:checked) .friend-option{{display:none}}\
                     form:has(#user-{id}:checked) #friend-note-{id}{{display:block}}"
                ));
            }
        }
        friend.push_str("</fieldset>");
    }

    // LINE shows its consent screen in the `ui_locales` language; the simulator's words stay
    // English but it marks the page with the language and names it in the footer.
    let (lang, language_note) = match &pending.ui_locale {
        Some(language) => (
            language.html_lang(),
            format!(
                " Screen language requested (<code>ui_locales</code>): \
                 <span id=\"ui-locale\">{}</span>.",
                escape(&language.html_lang())
            ),
        ),
        None => ("en".to_owned(), String::new()),
    };
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>LINE Login</title><style>{CSS}{friend_css}</style></head><body>\
         <div class=\"bar\">LINE<small>Login simulator</small></div><main><div class=\"card\">\
         <h1>Log in to {app}</h1><p class=\"sub\">Channel {channel} is asking for permission.</p>\
         <form method=\"post\" action=\"/oauth2/v2.1/authorize/consent\" id=\"consent-form\">\
         <input type=\"hidden\" name=\"pending\" value=\"{pending}\">\
         <fieldset><legend>Log in as</legend>{users}</fieldset>\
         <fieldset><legend>Permissions</legend>{permissions}</fieldset>{friend}\
         <div class=\"actions\"><button class=\"primary\" type=\"submit\" name=\"action\" value=\"allow\" \
         id=\"allow\">Allow</button><button type=\"submit\" name=\"action\" value=\"cancel\" \
         id=\"cancel\">Cancel</button></div></form></div>\
         <footer>This is a local simulator of LINE Login, not LINE.{language_note}</footer></main></body></html>",
        lang = escape(&lang),
        app = escape(&app_host),
        channel = escape(&sim.channel_id),
        pending = escape(pending_id),
    )
}

/// The simulator's pages' style sheet.
const CSS: &str = "\
:root{--green:#06c755;--ink:#1e1e1e;--muted:#6b7280;--line:#e5e7eb}\
*{box-sizing:border-box}\
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;background:#f3f4f6;color:var(--ink)}\
.bar{background:var(--green);color:#fff;padding:14px 20px;font-weight:800;font-size:18px;letter-spacing:.02em}\
.bar small{font-weight:400;font-size:14px;opacity:.9;margin-left:10px}\
main{max-width:440px;margin:32px auto;padding:0 16px}\
.card{background:#fff;border-radius:16px;box-shadow:0 4px 24px rgba(0,0,0,.08);padding:24px}\
h1{font-size:20px;margin:0 0 4px}\
.sub{color:var(--muted);font-size:14px;margin:0 0 20px;word-break:break-word}\
fieldset{border:0;padding:0;margin:0 0 18px}\
legend{font-size:12px;font-weight:700;color:var(--muted);text-transform:uppercase;letter-spacing:.06em;margin-bottom:8px}\
.user{display:flex;align-items:center;gap:12px;padding:10px 12px;border:1px solid var(--line);border-radius:12px;margin-bottom:8px;cursor:pointer}\
.user:has(input:checked){border-color:var(--green);background:#f0fdf4}\
.user input,.option input{accent-color:var(--green)}\
.avatar{width:40px;height:40px;border-radius:50%}\
.name{font-weight:600}\
.meta{font-size:12px;color:var(--muted)}\
.perm{display:flex;justify-content:space-between;gap:12px;padding:10px 0;border-bottom:1px solid var(--line);font-size:14px}\
.tag{font-size:12px;color:var(--muted)}\
.option{display:flex;gap:10px;align-items:flex-start;padding:12px;border-radius:12px;background:#f9fafb;margin:8px 0;font-size:14px;cursor:pointer}\
.note{font-size:13px;color:var(--muted);padding:8px 12px;margin:0;display:none}\
.actions{display:flex;flex-direction:row-reverse;gap:12px;margin-top:20px}\
button{flex:1;padding:12px;border-radius:10px;font-size:16px;font-weight:600;cursor:pointer;border:1px solid var(--line);background:#fff;color:var(--ink)}\
button.primary{background:var(--green);border-color:var(--green);color:#fff}\
footer{font-size:12px;color:var(--muted);text-align:center;margin-top:16px}";

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(list: &[&str]) -> Vec<Url> {
        list.iter().map(|u| Url::parse(u).unwrap()).collect()
    }

    #[test]
    fn registered_redirect_uri_accepts_extra_query_parameters_only() {
        let reg = urls(&["https://example.com/cb?tenant=a"]);
        assert!(redirect_uri_allowed(
            &reg,
            "https://example.com/cb?tenant=a"
        ));
        assert!(redirect_uri_allowed(
            &reg,
            "https://example.com/cb?tenant=a&x=1"
        ));
        assert!(!redirect_uri_allowed(&reg, "https://example.com/cb"));
        assert!(!redirect_uri_allowed(
            &reg,
            "https://example.com/cb?tenant=b"
        ));
        assert!(!redirect_uri_allowed(
            &reg,
            "https://example.com/cb2?tenant=a"
        ));
        assert!(!redirect_uri_allowed(
            &reg,
            "http://example.com/cb?tenant=a"
        ));
        assert!(!redirect_uri_allowed(
            &reg,
            "https://example.com/cb?tenant=a#frag"
        ));
    }

    #[test]
    fn with_nothing_registered_only_loopback_is_accepted() {
        assert!(redirect_uri_allowed(&[], "http://localhost:3000/cb"));
        assert!(redirect_uri_allowed(&[], "https://127.0.0.1/cb"));
        assert!(redirect_uri_allowed(&[], "http://[::1]:8080/cb"));
        assert!(!redirect_uri_allowed(&[], "https://example.com/cb"));
        assert!(!redirect_uri_allowed(&[], "ftp://localhost/cb"));
        assert!(!redirect_uri_allowed(&[], "http://user@localhost/cb"));
    }

    #[test]
    fn scope_rules_follow_line() {
        assert!(parse_scopes(Some("profile"), false).is_some());
        assert!(parse_scopes(Some("openid email"), false).is_some());
        assert!(parse_scopes(Some("profile email"), false).is_none());
        assert!(parse_scopes(Some("email"), false).is_none());
        assert!(parse_scopes(Some("openid phone"), false).is_none());
        assert!(parse_scopes(Some(""), false).is_none());
        assert!(parse_scopes(None, false).is_none());
        // A Profile+ channel accepts its scopes, with openid.
        assert!(parse_scopes(Some("openid real_name phone address"), true).is_some());
        assert!(parse_scopes(Some("profile phone"), true).is_none());
        assert!(parse_scopes(Some("openid nickname"), true).is_none());
    }

    #[test]
    fn escape_neutralizes_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&"),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;"
        );
    }
}
