//! What the login layer costs per request, each figure beside its baseline from the same run:
//! - an authenticated `GET` reading `LineUser` through `LineLoginLayer` + `SessionManagerLayer`,
//!   vs the same route under `SessionManagerLayer` alone reading the user from the session by hand;
//! - an anonymous request passing through `LineLoginLayer`, vs plain axum.
//!
//! Each is measured two ways: with `Router::layer` (which boxes every route once more, whatever
//! the layer) and with the layers wrapped around the whole router (`layer.layer(router)`), plus
//! `Router::layer(Identity)` to show what the re-boxing alone costs.
//!
//! Run: `cargo bench --bench layer`

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use axum::{Json, Router};
use criterion::{Criterion, criterion_group, criterion_main};
use line_login::{LineLoginLayer, LineUser, session::session_layer};
use line_login_simulator::{ConsentChoice, Simulator};
use tower::layer::util::Identity;
use tower::{Layer as _, Service, ServiceExt as _};
use tower_sessions::{MemoryStore, Session};

type BoxService = tower::util::BoxCloneSyncService<Request<Body>, Response, Infallible>;

struct Fixture {
    /// Authenticated: `Router::layer(LineLoginLayer).layer(session)`.
    authed_layered: BoxService,
    /// Authenticated: session layer around `LineLoginLayer` around the router.
    authed_wrapped: BoxService,
    /// Authenticated baseline: `Router::layer(session)`, the user read by hand.
    authed_baseline: BoxService,
    /// Authenticated baseline wrapped: session layer around the router.
    authed_baseline_wrapped: BoxService,
    /// Anonymous: plain axum.
    plain: BoxService,
    /// Anonymous: `Router::layer(Identity)`, the cost of re-boxing alone.
    plain_identity: BoxService,
    /// Anonymous: `Router::layer(LineLoginLayer)`.
    plain_layered: BoxService,
    /// Anonymous: `LineLoginLayer` around the router.
    plain_wrapped: BoxService,
    cookie: String,
    _sim: Simulator,
}

fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

async fn by_hand(session: Session) -> Response {
    match session.get::<LineUser>("line_login.user").await {
        Ok(Some(user)) => Json(user.user_id).into_response(),
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn fixture() -> Fixture {
    let sim = Simulator::start().await.expect("simulator");
    let config = sim
        .config_builder("http://127.0.0.1:3000/auth/line/callback")
        .build()
        .expect("config");
    let store = MemoryStore::default();
    let layer = LineLoginLayer::new(config.clone()).expect("layer");
    let sessions = session_layer(store.clone(), &config);
    let me = Router::new().route(
        "/me",
        get(|user: LineUser| async move { Json(user.user_id) }),
    );
    let me_by_hand = Router::new().route("/me", get(by_hand));
    let home = Router::new().route("/", get(|| async { "home" }));

    let authed_layered = BoxService::new(me.clone().layer(layer.clone()).layer(sessions.clone()));
    let f = Fixture {
        authed_wrapped: BoxService::new(sessions.layer(layer.layer(me))),
        authed_baseline: BoxService::new(me_by_hand.clone().layer(sessions.clone())),
        authed_baseline_wrapped: BoxService::new(sessions.layer(me_by_hand)),
        plain: BoxService::new(home.clone()),
        plain_identity: BoxService::new(home.clone().layer(Identity::new())),
        plain_layered: BoxService::new(home.clone().layer(layer.clone())),
        plain_wrapped: BoxService::new(layer.layer(home)),
        authed_layered,
        cookie: String::new(),
        _sim: sim,
    };

    // One real login through the simulator to get a logged-in session cookie.
    let login = BoxService::new(
        Router::new()
            .layer(layer.clone())
            .layer(session_layer(store, &config)),
    );
    let response = login
        .clone()
        .oneshot(
            Request::get("/auth/line/login")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    // The browser key and the sealed attempt: every attempt cookie the login start set.
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with("line_login_attempt"))
        .map(|v| v.split(';').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("; ");
    let authorize = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let user = f._sim.users()[0].user_id.clone();
    let callback = f
        ._sim
        .consent(&authorize, ConsentChoice::allow(&user))
        .await
        .expect("consent");
    let path = format!("{}?{}", callback.path(), callback.query().unwrap_or(""));
    let response = login
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
    Fixture { cookie, ..f }
}

async fn get_status(app: &BoxService, path: &str, cookie: Option<&str>) -> StatusCode {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let mut app = app.clone();
    let ready = app.ready().await.unwrap();
    ready
        .call(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
        .status()
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let f = runtime.block_on(fixture());
    let authed = [
        ("baseline_session_layer_by_hand", &f.authed_baseline),
        ("line_login_layer_extractor", &f.authed_layered),
        ("baseline_wrapped_by_hand", &f.authed_baseline_wrapped),
        ("line_login_wrapped_extractor", &f.authed_wrapped),
    ];
    // Every variant must really serve the logged-in user before they are compared.
    for (name, app) in authed {
        assert_eq!(
            runtime.block_on(get_status(app, "/me", Some(&f.cookie))),
            StatusCode::OK,
            "{name}"
        );
    }
    let mut group = c.benchmark_group("authenticated_get");
    for (name, app) in authed {
        group.bench_function(name, |b| {
            b.to_async(&runtime)
                .iter(|| get_status(app, "/me", Some(&f.cookie)))
        });
    }
    group.finish();

    let anonymous = [
        ("baseline_plain_axum", &f.plain),
        ("router_layer_identity", &f.plain_identity),
        ("router_layer_line_login", &f.plain_layered),
        ("line_login_wrapping_router", &f.plain_wrapped),
    ];
    for (name, app) in anonymous {
        assert_eq!(
            runtime.block_on(get_status(app, "/", None)),
            StatusCode::OK,
            "{name}"
        );
    }
    let mut group = c.benchmark_group("anonymous_pass_through");
    for (name, app) in anonymous {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| get_status(app, "/", None))
        });
    }
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
