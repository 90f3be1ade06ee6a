//! The simulator's HTTP test API under `/__sim/` (friendship, consent revocation, faults, clock,
//! counters, keys) for tests in other processes, plus the test users' avatars and an index page.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::authorize::escape;
use super::faults::{Endpoint, Fault};
use super::keys::EsKey;
use super::state::SimState;

/// Routes of the test API, the avatars and the index page.
pub(crate) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/", get(index))
        .route("/__sim/friend", post(friend))
        .route("/__sim/revoke-consent", post(revoke_consent))
        .route("/__sim/fault", post(fault))
        .route("/__sim/clear-faults", post(clear_faults))
        .route("/__sim/advance-clock", post(advance_clock))
        .route("/__sim/requests", get(requests))
        .route("/__sim/users", get(users))
        .route("/__sim/deauthorizations", get(deauthorizations))
        .route("/__sim/rotate-jwks", post(rotate_jwks))
        .route("/__sim/es256-id-token", post(es256_id_token))
        .route("/__sim/liff-login", post(liff_login))
        .route("/__sim/upgrade-permissions", post(upgrade_permissions))
        .route("/__sim/avatar/{user_id}", get(avatar))
}

fn unknown_user() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "message": "unknown test user" })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct FriendBody {
    user_id: String,
    friend: bool,
}

async fn friend(State(sim): State<Arc<SimState>>, Json(body): Json<FriendBody>) -> Response {
    if sim.set_friend(&body.user_id, body.friend) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        unknown_user()
    }
}

#[derive(Deserialize)]
struct UserBody {
    user_id: String,
}

async fn revoke_consent(State(sim): State<Arc<SimState>>, Json(body): Json<UserBody>) -> Response {
    if sim.user(&body.user_id).is_none() {
        return unknown_user();
    }
    sim.revoke_user(&body.user_id);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct FaultBody {
    endpoint: Endpoint,
    fault: Fault,
    #[serde(default)]
    times: Option<usize>,
}

async fn fault(State(sim): State<Arc<SimState>>, Json(body): Json<FaultBody>) -> StatusCode {
    sim.inject(body.endpoint, body.fault, body.times);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(sim): State<Arc<SimState>>) -> StatusCode {
    sim.lock().faults.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct ClockBody {
    secs: u64,
}

async fn advance_clock(
    State(sim): State<Arc<SimState>>,
    Json(body): Json<ClockBody>,
) -> StatusCode {
    sim.advance_clock(Duration::from_secs(body.secs));
    StatusCode::NO_CONTENT
}

async fn requests(State(sim): State<Arc<SimState>>) -> Json<Map<String, Value>> {
    let inner = sim.lock();
    let counts = Endpoint::ALL
        .iter()
        .map(|e| {
            let n = inner.requests.get(e).copied().unwrap_or(0);
            (e.as_str().to_owned(), json!(n))
        })
        .collect();
    Json(counts)
}

async fn users(State(sim): State<Arc<SimState>>) -> Json<Value> {
    let list: Vec<Value> = sim
        .users
        .iter()
        .map(|u| {
            json!({
                "user_id": u.user_id,
                "name": u.name,
                "picture_url": u.picture_url,
                "email": u.email,
                "status_message": u.status_message,
                "friend": sim.is_friend(&u.user_id),
            })
        })
        .collect();
    Json(Value::Array(list))
}

async fn deauthorizations(State(sim): State<Arc<SimState>>) -> Json<Value> {
    let list: Vec<Value> = sim
        .lock()
        .deauthorizations
        .iter()
        .map(|r| {
            json!({
                "user_id": r.user_id,
                "user_access_token": r.user_access_token,
                "channel_access_token": r.channel_access_token,
                "at": r.at.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
            })
        })
        .collect();
    Json(Value::Array(list))
}

async fn rotate_jwks(State(sim): State<Arc<SimState>>) -> Response {
    match EsKey::generate() {
        Ok(key) => {
            let kid = key.kid.clone();
            sim.lock().es_key = key;
            Json(json!({ "kid": kid })).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Deserialize)]
struct Es256Body {
    user_id: String,
    #[serde(default)]
    nonce: Option<String>,
}

async fn es256_id_token(State(sim): State<Arc<SimState>>, Json(body): Json<Es256Body>) -> Response {
    match super::issue_es256(&sim, &body.user_id, body.nonce.as_deref()) {
        Some(token) => Json(json!({ "id_token": token })).into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Lets a page of another origin (a LIFF-style page of the app under test) read the answer.
/// The body is read whatever its content type, so a page can post `text/plain` and skip the
/// CORS preflight.
fn cross_origin(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    response
}

fn liff_answer(result: Result<super::LiffTokens, super::SimulatorRefusal>) -> Response {
    let response = match result {
        Ok(tokens) => Json(tokens).into_response(),
        Err(refusal) => (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            refusal.body,
        )
            .into_response(),
    };
    cross_origin(response)
}

fn bad_json() -> Response {
    cross_origin(
        (
            StatusCode::BAD_REQUEST,
            Json(json!({ "message": "expected a JSON body" })),
        )
            .into_response(),
    )
}

async fn liff_login(State(sim): State<Arc<SimState>>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<super::LiffLogin>(&body) {
        Ok(login) => liff_answer(super::liff::login(&sim, &login)),
        Err(_) => bad_json(),
    }
}

#[derive(Deserialize)]
struct UpgradeBody {
    access_token: String,
    scope: String,
}

async fn upgrade_permissions(
    State(sim): State<Arc<SimState>>,
    body: axum::body::Bytes,
) -> Response {
    match serde_json::from_slice::<UpgradeBody>(&body) {
        Ok(body) => liff_answer(super::liff::upgrade(&sim, &body.access_token, &body.scope)),
        Err(_) => bad_json(),
    }
}

/// A round SVG avatar with the user's initial, so pictures work offline.
async fn avatar(State(sim): State<Arc<SimState>>, Path(user_id): Path<String>) -> Response {
    let Some(index) = sim.users.iter().position(|u| u.user_id == user_id) else {
        return unknown_user();
    };
    const COLORS: [&str; 3] = ["#8d6e63", "#f06292", "#ffb300"];
    let user = &sim.users[index];
    let initial: String = user.name.chars().take(1).collect();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"200\" viewBox=\"0 0 200 200\">\
         <circle cx=\"100\" cy=\"100\" r=\"100\" fill=\"{}\"/>\
         <text x=\"100\" y=\"128\" font-family=\"Arial, sans-serif\" font-size=\"90\" font-weight=\"700\" \
         fill=\"#fff\" text-anchor=\"middle\">{}</text></svg>",
        COLORS[index % COLORS.len()],
        escape(&initial)
    );
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
        .into_response()
}

/// A short page saying what runs here (never the channel secret).
async fn index(State(sim): State<Arc<SimState>>) -> Html<String> {
    let users: String = sim
        .users
        .iter()
        .map(|u| {
            format!(
                "<li><b>{}</b> <code>{}</code></li>",
                escape(&u.name),
                escape(&u.user_id)
            )
        })
        .collect();
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>LINE Login simulator</title></head>\
         <body style=\"font-family:sans-serif;max-width:640px;margin:40px auto\">\
         <h1>LINE Login simulator</h1><p>Channel ID <code>{}</code>, issuer <code>{}</code>.</p>\
         <p>Discovery: <a href=\"/.well-known/openid-configuration\">/.well-known/openid-configuration</a></p>\
         <h2>Test users</h2><ul>{users}</ul></body></html>",
        escape(&sim.channel_id),
        escape(&sim.issuer),
    ))
}
