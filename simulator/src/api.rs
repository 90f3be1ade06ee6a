//! The back-channel side of the simulator: token (code and refresh grants), verify (ID token and
//! access token), revoke, profile, friendship, userinfo, certs, discovery, the stateless channel
//! token and deauthorize, with LINE's status codes and error bodies.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;

use super::DeauthorizeRecord;
use super::authorize::parse_params;
use super::faults::{ClaimFaults, Fault};
use super::keys::{IdTokenInput, apply_claim_faults, id_token_claims, sign_hs256};
use super::state::{
    ACCESS_TOKEN_TTL_SECS, AccessEntry, CHANNEL_TOKEN_TTL_SECS, DEAUTHORIZE_RECORDS_MAX,
    REFRESH_TOKEN_TTL_SECS, RefreshEntry, SimState, TokenProblem, random_alphanumeric, random_hex,
};

/// Form fields read from one API request; the rest are ignored.
const FORM_FIELDS_MAX: usize = 32;
/// Longest ID token the verify endpoint decodes.
const ID_TOKEN_MAX_BYTES: usize = 8 * 1024;
/// `Cache-Control: max-age` of the JWKS.
pub(crate) const JWKS_MAX_AGE_SECS: u64 = 600;
/// The `amr` of ID tokens from the code flow (the consent page stands in for SSO login).
const WEB_LOGIN_AMR: &str = "linesso";
/// Header LINE puts on every API response.
pub(crate) const REQUEST_ID_HEADER: &str = "x-line-request-id";
/// LINE's generic text for a missing bearer token.
const MISSING_BEARER_TEXT: &str =
    "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'";

/// Adds a random `x-line-request-id` to every response.
pub(crate) async fn request_id_middleware(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&random_hex(16)) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Any path the simulator does not serve.
pub(crate) async fn not_found() -> Response {
    message_error(StatusCode::NOT_FOUND, "Not found")
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn json_ok(body: Value) -> Response {
    no_store((StatusCode::OK, axum::Json(body)).into_response())
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    no_store(
        (
            status,
            axum::Json(json!({ "error": error, "error_description": description })),
        )
            .into_response(),
    )
}

fn message_error(status: StatusCode, message: &str) -> Response {
    no_store((status, axum::Json(json!({ "message": message }))).into_response())
}

fn bad_request(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

fn has_content_type(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
}

fn is_form(headers: &HeaderMap) -> bool {
    has_content_type(headers, "application/x-www-form-urlencoded")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then_some(token)
}

fn secrets_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn problem_text(problem: TokenProblem) -> &'static str {
    match problem {
        TokenProblem::NotJws => "The access token not JWS",
        TokenProblem::Expired => "The access token expired",
        TokenProblem::Revoked => "The access token revoked",
    }
}

/// `POST /oauth2/v2.1/token`: the `authorization_code` and `refresh_token` grants.
pub(crate) async fn token(
    State(sim): State<Arc<SimState>>,
    faults: Option<Extension<ClaimFaults>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return bad_request("Content-Type must be application/x-www-form-urlencoded.");
    }
    let form = parse_params(&body, FORM_FIELDS_MAX);
    let faults = faults.map(|Extension(f)| f.0).unwrap_or_default();
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => code_grant(&sim, &form, &faults),
        Some("refresh_token") => refresh_grant(&sim, &form),
        None | Some("") => bad_request("'grant_type' is not specified."),
        Some(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The grant_type is not supported.",
        ),
    }
}

fn code_grant(
    sim: &SimState,
    form: &std::collections::HashMap<String, String>,
    faults: &[Fault],
) -> Response {
    let get = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let Some(code) = get("code") else {
        return bad_request("some parameters missed or invalid");
    };
    // Single use: the code is spent by this request whatever happens next.
    let entry = sim.lock().codes.remove(code);
    let (Some(redirect_uri), Some(client_id)) = (get("redirect_uri"), get("client_id")) else {
        return bad_request("some parameters missed or invalid");
    };
    let Some(entry) = entry else {
        return invalid_grant("invalid authorization code");
    };
    let now = sim.now_secs();
    if entry.expires_at <= now {
        return invalid_grant("authorization code expired");
    }
    if client_id != entry.channel_id {
        return invalid_grant("client_id does not match");
    }
    let Some(channel) = sim.web_channel(client_id) else {
        return invalid_grant("client_id does not match");
    };
    if !get("client_secret").is_some_and(|s| secrets_equal(s, &channel.secret)) {
        return invalid_grant("invalid client_secret");
    }
    if redirect_uri != entry.redirect_uri {
        return invalid_grant("redirect_uri does not match");
    }
    match (&entry.code_challenge, get("code_verifier")) {
        (None, None) => {}
        (Some(challenge), Some(verifier)) if pkce_matches(challenge, verifier) => {}
        (Some(_), _) => return invalid_grant("invalid code_verifier"),
        (None, Some(_)) => return invalid_grant("code_verifier was sent but no code_challenge"),
    }

    let expires_at = now.saturating_add(ACCESS_TOKEN_TTL_SECS);
    let access_token =
        sim.issue_access_token_for(&entry.user_id, &entry.channel_id, entry.scopes, expires_at);
    let refresh_token = random_alphanumeric(32);
    sim.lock().refresh.insert(
        refresh_token.clone(),
        RefreshEntry {
            channel_id: entry.channel_id.clone(),
            user_id: entry.user_id.clone(),
            scopes: entry.scopes,
            expires_at: now.saturating_add(REFRESH_TOKEN_TTL_SECS),
            revoked: false,
        },
    );
    let mut body = json!({
        "access_token": access_token,
        "expires_in": ACCESS_TOKEN_TTL_SECS,
        "refresh_token": refresh_token,
        "scope": entry.scopes.response_string(),
        "token_type": "Bearer",
    });
    if entry.scopes.openid && !faults.contains(&Fault::MissingIdToken) {
        match web_id_token(sim, &entry, now, faults) {
            Some(id_token) => body["id_token"] = json!(id_token),
            None => {
                return oauth_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "could not sign the ID token",
                );
            }
        }
    }
    json_ok(body)
}

/// The HS256 ID token of a code exchange, with the token faults applied.
fn web_id_token(
    sim: &SimState,
    entry: &super::state::CodeEntry,
    now: u64,
    faults: &[Fault],
) -> Option<String> {
    let user = sim.user(&entry.user_id);
    let profile = entry.scopes.profile;
    // The code's channel signs; with the `other_channel` fault, another web channel of the
    // simulator signs and is the `aud` (a token of the wrong, yet configured, channel).
    let own = sim.web_channel(&entry.channel_id)?;
    let channel = if faults.contains(&Fault::OtherChannel) {
        sim.web_channels.iter().find(|c| c.id != own.id)?
    } else {
        own
    };
    let mut claims = id_token_claims(&IdTokenInput {
        issuer: &sim.issuer,
        channel_id: &channel.id,
        user_id: &entry.user_id,
        now,
        nonce: entry.nonce.as_deref(),
        auth_time: entry.max_age_sent.then_some(entry.auth_time),
        amr: WEB_LOGIN_AMR,
        name: user.filter(|_| profile).map(|u| u.name.as_str()),
        picture: user.filter(|_| profile).map(|u| u.picture_url.as_str()),
        email: user
            .filter(|_| entry.scopes.email && entry.email_granted)
            .map(|u| u.email.as_str()),
    });
    if let Some(index) = sim.users.iter().position(|u| u.user_id == entry.user_id) {
        claims.extend(super::profile_plus::claims(index, entry.scopes));
    }
    let bad_signature = apply_claim_faults(&mut claims, faults, now);
    let key = if bad_signature {
        format!("{}-not-the-channel-secret", channel.secret)
    } else {
        channel.secret.clone()
    };
    sign_hs256(&claims, key.as_bytes()).ok()
}

/// RFC 7636 S256: `BASE64URL(SHA-256(verifier)) == challenge`, the verifier being 43–128
/// characters of `[A-Za-z0-9-._~]`.
fn pkce_matches(challenge: &str, verifier: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return false;
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    secrets_equal(&computed, challenge)
}

fn refresh_grant(sim: &SimState, form: &std::collections::HashMap<String, String>) -> Response {
    let get = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let (Some(refresh_token), Some(client_id)) = (get("refresh_token"), get("client_id")) else {
        return bad_request("some parameters missed or invalid");
    };
    let Some(channel) = sim.web_channel(client_id) else {
        return invalid_grant("client_id does not match");
    };
    if get("client_secret").is_some_and(|s| !secrets_equal(s, &channel.secret)) {
        return invalid_grant("invalid client_secret");
    }
    let now = sim.now_secs();
    let entry = sim.lock().refresh.get(refresh_token).cloned();
    let Some(entry) = entry.filter(|e| !e.revoked && e.expires_at > now) else {
        return invalid_grant("invalid refresh token");
    };
    // A refresh token is bound to the channel it was issued to.
    if entry.channel_id != channel.id {
        return invalid_grant("invalid refresh token");
    }
    let expires_at = now.saturating_add(ACCESS_TOKEN_TTL_SECS);
    let access_token =
        sim.issue_access_token_for(&entry.user_id, &entry.channel_id, entry.scopes, expires_at);
    json_ok(json!({
        "token_type": "Bearer",
        "scope": entry.scopes.response_string(),
        "access_token": access_token,
        "expires_in": ACCESS_TOKEN_TTL_SECS,
        "refresh_token": refresh_token,
    }))
}

/// `POST /oauth2/v2.1/verify`: LINE's ID-token check with its exact error texts.
pub(crate) async fn verify_id_token(
    State(sim): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return bad_request("Content-Type must be application/x-www-form-urlencoded.");
    }
    let form = parse_params(&body, FORM_FIELDS_MAX);
    let get = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let (Some(id_token), Some(client_id)) = (get("id_token"), get("client_id")) else {
        return bad_request("some parameters missed or invalid");
    };
    let Some(claims) = decode_id_token(&sim, id_token) else {
        return bad_request("Invalid IdToken.");
    };
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(sim.issuer.as_str()) {
        return bad_request("Invalid IdToken Issuer.");
    }
    let Some(exp) = claims.get("exp").and_then(Value::as_u64) else {
        return bad_request("Invalid IdToken.");
    };
    if exp <= sim.now_secs() {
        return bad_request("IdToken expired.");
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    };
    if !audience_ok {
        return bad_request("Invalid IdToken Audience.");
    }
    if let Some(nonce) = get("nonce")
        && text("nonce") != Some(nonce)
    {
        return bad_request("Invalid IdToken Nonce.");
    }
    if let Some(user_id) = get("user_id")
        && text("sub") != Some(user_id)
    {
        return bad_request("Invalid IdToken Subject Identifier.");
    }
    json_ok(Value::Object(claims))
}

/// Checks the signature of an ID token: HS256 with the channel secret, or ES256 with the
/// current JWKS key (a rotated-out `kid` is unknown).
fn decode_id_token(sim: &SimState, raw: &str) -> Option<Map<String, Value>> {
    if raw.len() > ID_TOKEN_MAX_BYTES {
        return None;
    }
    let header = jsonwebtoken::decode_header(raw).ok()?;
    let key = match header.alg {
        Algorithm::HS256 if header.kid.is_none() => {
            DecodingKey::from_secret(sim.channel_secret.as_bytes())
        }
        Algorithm::ES256 => {
            let key = sim.lock().es_key.clone();
            if header.kid.as_deref() != Some(key.kid.as_str()) {
                return None;
            }
            DecodingKey::from_ec_components(&key.x, &key.y).ok()?
        }
        _ => return None,
    };
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    jsonwebtoken::decode::<Map<String, Value>>(raw, &key, &validation)
        .ok()
        .map(|data| data.claims)
}

/// `GET /oauth2/v2.1/verify?access_token=...`.
pub(crate) async fn verify_access_token(
    State(sim): State<Arc<SimState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = parse_params(query.as_deref().unwrap_or("").as_bytes(), FORM_FIELDS_MAX);
    let Some(token) = params.get("access_token").filter(|t| !t.is_empty()) else {
        return bad_request("'access_token' is not specified.");
    };
    match sim.check_access_token(token) {
        Err(problem) => bad_request(problem_text(problem)),
        Ok(entry) => json_ok(json!({
            "scope": entry.scopes.response_string(),
            "client_id": entry.client_id,
            "expires_in": entry.expires_at.saturating_sub(sim.now_secs()),
        })),
    }
}

/// `POST /oauth2/v2.1/revoke`: 200 with an empty body; the token then fails everywhere.
pub(crate) async fn revoke(
    State(sim): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return bad_request("Content-Type must be application/x-www-form-urlencoded.");
    }
    let form = parse_params(&body, FORM_FIELDS_MAX);
    let get = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let (Some(token), Some(client_id)) = (get("access_token"), get("client_id")) else {
        return bad_request("some parameters missed or invalid");
    };
    let channel = sim.web_channel(client_id);
    if channel.is_none_or(|channel| {
        get("client_secret").is_some_and(|s| !secrets_equal(s, &channel.secret))
    }) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "client authentication failed",
        );
    }
    if let Some(entry) = sim.lock().access.get_mut(token) {
        entry.revoked = true;
    }
    no_store(StatusCode::OK.into_response())
}

/// Why a gateway-style endpoint refuses a request.
enum Denied {
    MissingBearer,
    Token(TokenProblem),
    NoProfileScope,
}

impl Denied {
    /// LINE's API-gateway answer (`{"message": ...}`).
    fn response(self) -> Response {
        match self {
            Denied::MissingBearer => message_error(StatusCode::UNAUTHORIZED, MISSING_BEARER_TEXT),
            Denied::Token(problem) => message_error(
                StatusCode::UNAUTHORIZED,
                &format!(
                    "Authentication failed due to the following reason: {}. Confirm that the access token in the authorization header is valid.",
                    problem_text(problem)
                ),
            ),
            Denied::NoProfileScope => message_error(
                StatusCode::FORBIDDEN,
                "The access token does not have the required scope: profile",
            ),
        }
    }
}

/// Checks the bearer token of a gateway-style endpoint that needs the `profile` scope.
fn profile_token(sim: &SimState, headers: &HeaderMap) -> Result<AccessEntry, Denied> {
    let token = bearer(headers).ok_or(Denied::MissingBearer)?;
    let entry = sim.check_access_token(token).map_err(Denied::Token)?;
    if !entry.scopes.profile {
        return Err(Denied::NoProfileScope);
    }
    Ok(entry)
}

/// `GET /v2/profile` (needs `profile`).
pub(crate) async fn profile(State(sim): State<Arc<SimState>>, headers: HeaderMap) -> Response {
    let entry = match profile_token(&sim, &headers) {
        Ok(entry) => entry,
        Err(denied) => return denied.response(),
    };
    let Some(user) = sim.user(&entry.user_id) else {
        return message_error(StatusCode::NOT_FOUND, "Not found");
    };
    let mut body = json!({
        "userId": user.user_id,
        "displayName": user.name,
        "pictureUrl": user.picture_url,
    });
    if let Some(status) = &user.status_message {
        body["statusMessage"] = json!(status);
    }
    json_ok(body)
}

/// `GET /friendship/v1/status` (needs `profile`).
pub(crate) async fn friendship(State(sim): State<Arc<SimState>>, headers: HeaderMap) -> Response {
    match profile_token(&sim, &headers) {
        Ok(entry) => json_ok(json!({ "friendFlag": sim.is_friend(&entry.user_id) })),
        Err(denied) => denied.response(),
    }
}

/// `GET|POST /oauth2/v2.1/userinfo` (needs `openid`; `name`/`picture` need `profile`).
pub(crate) async fn userinfo(State(sim): State<Arc<SimState>>, headers: HeaderMap) -> Response {
    let Some(token) = bearer(&headers) else {
        return invalid_token_response("invalid_request", MISSING_BEARER_TEXT);
    };
    let entry = match sim.check_access_token(token) {
        Ok(entry) => entry,
        Err(problem) => return invalid_token_response("invalid_token", problem_text(problem)),
    };
    if !entry.scopes.openid {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "The access token does not have the required scope: openid",
        );
    }
    let mut body = json!({ "sub": entry.user_id });
    if entry.scopes.profile
        && let Some(user) = sim.user(&entry.user_id)
    {
        body["name"] = json!(user.name);
        body["picture"] = json!(user.picture_url);
    }
    json_ok(body)
}

fn invalid_token_response(error: &str, description: &str) -> Response {
    let mut response = oauth_error(StatusCode::UNAUTHORIZED, error, description);
    let challenge = format!("Bearer error=\"{error}\"");
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// `GET /oauth2/v2.1/certs`: the current ES256 key, cacheable for [`JWKS_MAX_AGE_SECS`].
pub(crate) async fn certs(State(sim): State<Arc<SimState>>) -> Response {
    let jwk = sim.lock().es_key.jwk();
    let set = JwkSet { keys: vec![jwk] };
    let mut response = (StatusCode::OK, axum::Json(set)).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={JWKS_MAX_AGE_SECS}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// `GET /.well-known/openid-configuration`, shaped like LINE's with the simulator's URLs.
pub(crate) async fn discovery(State(sim): State<Arc<SimState>>) -> Response {
    let base = &sim.issuer;
    let body = json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth2/v2.1/authorize"),
        "token_endpoint": format!("{base}/oauth2/v2.1/token"),
        "revocation_endpoint": format!("{base}/oauth2/v2.1/revoke"),
        "userinfo_endpoint": format!("{base}/oauth2/v2.1/userinfo"),
        "jwks_uri": format!("{base}/oauth2/v2.1/certs"),
        "scopes_supported": ["openid", "profile", "email"],
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// `POST /oauth2/v3/token` with `grant_type=client_credentials`: a stateless channel access
/// token (15 minutes).
pub(crate) async fn channel_token(
    State(sim): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return bad_request("Content-Type must be application/x-www-form-urlencoded.");
    }
    let form = parse_params(&body, FORM_FIELDS_MAX);
    let get = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    if get("grant_type") != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The grant_type must be client_credentials.",
        );
    }
    if get("client_assertion").is_some() {
        return bad_request(
            "client_assertion is not supported by the simulator; send client_id and client_secret.",
        );
    }
    let channel = get("client_id")
        .and_then(|id| sim.web_channel(id))
        .filter(|c| get("client_secret").is_some_and(|s| secrets_equal(s, &c.secret)));
    let Some(channel) = channel else {
        return bad_request("Invalid 'client_credentials'.");
    };
    let now = sim.now_secs();
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(sim.issuer));
    claims.insert("sub".into(), json!(channel.id));
    claims.insert("iat".into(), json!(now));
    claims.insert(
        "exp".into(),
        json!(now.saturating_add(CHANNEL_TOKEN_TTL_SECS)),
    );
    claims.insert("jti".into(), json!(random_hex(16)));
    let Ok(token) = sign_hs256(&claims, &sim.channel_token_key) else {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "could not sign the token",
        );
    };
    json_ok(json!({
        "token_type": "Bearer",
        "access_token": token,
        "expires_in": CHANNEL_TOKEN_TTL_SECS,
    }))
}

/// The web channel of a live stateless channel token.
fn channel_token_channel(sim: &SimState, token: &str) -> Option<String> {
    if token.len() > ID_TOKEN_MAX_BYTES {
        return None;
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let Ok(data) = jsonwebtoken::decode::<Map<String, Value>>(
        token,
        &DecodingKey::from_secret(&sim.channel_token_key),
        &validation,
    ) else {
        return None;
    };
    let claims = data.claims;
    let sub = claims.get("sub").and_then(Value::as_str)?;
    let live = claims
        .get("exp")
        .and_then(Value::as_u64)
        .is_some_and(|exp| exp > sim.now_secs());
    (live && sim.web_channel(sub).is_some()).then(|| sub.to_owned())
}

/// `POST /user/v1/deauthorize`: Bearer channel token, JSON `{"userAccessToken": ...}`; 204, or
/// 400 `{"message":"invalid token"}` when the user or app is already deauthorized.
pub(crate) async fn deauthorize(
    State(sim): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(channel_token) = bearer(&headers) else {
        return message_error(StatusCode::UNAUTHORIZED, MISSING_BEARER_TEXT);
    };
    let Some(token_channel) = channel_token_channel(&sim, channel_token) else {
        return message_error(
            StatusCode::UNAUTHORIZED,
            "Authentication failed. Confirm that the access token in the authorization header is valid.",
        );
    };
    if !has_content_type(&headers, "application/json") {
        return message_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        );
    }
    let user_token = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("userAccessToken")?.as_str().map(str::to_owned))
        .filter(|t| !t.is_empty());
    let Some(user_token) = user_token else {
        return no_store(
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({
                    "message": "The request body has 1 error(s)",
                    "details": [{ "message": "must not be empty", "property": "userAccessToken" }],
                })),
            )
                .into_response(),
        );
    };
    let entry = match sim.check_access_token(&user_token) {
        Ok(entry) => entry,
        Err(_) => return message_error(StatusCode::BAD_REQUEST, "invalid token"),
    };
    // A web-login user's authorization is ended by that channel's own channel token (inferred,
    // spec "could not confirm" 12); LIFF / MINI App tokens keep the login channel's.
    if sim.web_channel(&entry.client_id).is_some() && entry.client_id != token_channel {
        return message_error(StatusCode::BAD_REQUEST, "invalid token");
    }
    sim.revoke_user(&entry.user_id);
    let record = DeauthorizeRecord {
        user_id: entry.user_id,
        user_access_token: user_token,
        channel_access_token: channel_token.to_owned(),
        at: sim.now(),
    };
    let mut inner = sim.lock();
    if inner.deauthorizations.len() >= DEAUTHORIZE_RECORDS_MAX {
        inner.deauthorizations.pop_front();
    }
    inner.deauthorizations.push_back(record);
    drop(inner);
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_the_rfc_7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(challenge, verifier));
        assert!(!pkce_matches(
            challenge,
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK"
        ));
        assert!(!pkce_matches(challenge, "short"));
    }

    #[test]
    fn bearer_needs_the_bearer_scheme_and_a_token() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&headers), None);
    }
}
