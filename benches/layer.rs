//! What the login layer costs per request, each figure beside its baseline from the same run:
//! - an authenticated `GET` through `LineLoginLayer` + `SessionManagerLayer` reading `LineUser`,
//!   vs the same route under `SessionManagerLayer` alone reading the user from the session by hand;
//! - an anonymous request passing through `LineLoginLayer`, vs plain axum;
//! - a full login's server time (login start + callback, the simulator answering on loopback),
//!   whose p50/p99 are printed by `benches/login_latency.rs`.
//!
//! Run: `cargo bench --bench layer`

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse as _;
use axum::routing::get;
use axum::{Json, Router};
use criterion::{Criterion, criterion_group, criterion_main};
use line_login::simulator::{ConsentChoice, Simulator};
use line_login::{LineLoginLayer, LineUser, session::session_layer};
use tower::ServiceExt as _;
use tower_sessions::{MemoryStore, Session};

struct Fixture {
    layered: Router,
    bare_session: Router,
    plain: Router,
    plain_with_layer: Router,
    cookie: String,
    _sim: Simulator,
}

fn set_cookie(response: &axum::response::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

async fn fixture() -> Fixture {
    let sim = Simulator::start().await.expect("simulator");
    let config = sim
        .config_builder("http://127.0.0.1:3000/auth/line/callback")
        .build()
        .expect("config");
    let store = MemoryStore::default();
    let layer = LineLoginLayer::new(config.clone()).expect("layer");
    let layered = Router::new()
        .route(
            "/me",
            get(|user: LineUser| async move { Json(user.user_id) }),
        )
        .route("/", get(|| async { "home" }))
        .layer(layer.clone())
        .layer(session_layer(store.clone(), &config));
    let bare_session = Router::new()
        .route(
            "/me",
            get(|session: Session| async move {
                match session.get::<LineUser>("line_login.user").await {
                    Ok(Some(user)) => Json(user.user_id).into_response(),
                    _ => StatusCode::UNAUTHORIZED.into_response(),
                }
            }),
        )
        .layer(session_layer(store.clone(), &config));
    let plain = Router::new().route("/", get(|| async { "home" }));
    let plain_with_layer = Router::new()
        .route("/", get(|| async { "home" }))
        .layer(layer);

    // One real login through the simulator to get a logged-in session cookie.
    let response = layered
        .clone()
        .oneshot(
            Request::get("/auth/line/login")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let cookie = set_cookie(&response, "line_login_session").expect("session cookie");
    let authorize = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let user = sim.users()[0].user_id.clone();
    let callback = sim
        .consent(&authorize, ConsentChoice::allow(&user))
        .await
        .expect("consent");
    let path = format!("{}?{}", callback.path(), callback.query().unwrap_or(""));
    let response = layered
        .clone()
        .oneshot(
            Request::get(path)
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&response, "line_login_session").expect("new session cookie");
    Fixture {
        layered,
        bare_session,
        plain,
        plain_with_layer,
        cookie,
        _sim: sim,
    }
}

async fn get_status(app: &Router, path: &str, cookie: Option<&str>) -> StatusCode {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
        .status()
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let f = runtime.block_on(fixture());
    // Both routes must really serve the logged-in user before they are compared.
    assert_eq!(
        runtime.block_on(get_status(&f.layered, "/me", Some(&f.cookie))),
        StatusCode::OK
    );
    assert_eq!(
        runtime.block_on(get_status(&f.bare_session, "/me", Some(&f.cookie))),
        StatusCode::OK
    );

    let mut group = c.benchmark_group("authenticated_get");
    group.bench_function("baseline_session_layer_by_hand", |b| {
        b.to_async(&runtime)
            .iter(|| get_status(&f.bare_session, "/me", Some(&f.cookie)))
    });
    group.bench_function("line_login_layer_extractor", |b| {
        b.to_async(&runtime)
            .iter(|| get_status(&f.layered, "/me", Some(&f.cookie)))
    });
    group.finish();

    let mut group = c.benchmark_group("anonymous_pass_through");
    group.bench_function("baseline_plain_axum", |b| {
        b.to_async(&runtime)
            .iter(|| get_status(&f.plain, "/", None))
    });
    group.bench_function("line_login_layer", |b| {
        b.to_async(&runtime)
            .iter(|| get_status(&f.plain_with_layer, "/", None))
    });
    group.finish();
}

criterion_group! {
    name = layer;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(layer);
