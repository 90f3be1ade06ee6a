//! Many instances of one site sharing sessions in Redis or PostgreSQL: a login started on one
//! instance finishes on another, a logout on one ends the session on all, a Redis outage answers
//! 503 and logs nobody in, and many concurrent logins across two instances never mix users up.
//! Redis runs as a private `redis-server` per test (also as a TLS-only server with a CA made by
//! the test, a 3-node Redis Cluster, and a primary + replica + Sentinel with a failover);
//! PostgreSQL is `LINE_LOGIN_TEST_POSTGRES_URL` (default the `.ci/setup` one) with a schema of
//! its own per test.

use crate::common;
use crate::driver;

use std::time::{Duration, Instant};

use common::{AppOptions, Browser, TestApp, start_app_on};
use driver::{RedisCluster, RedisSentinel, RedisServer, RedisTlsServer, on_port};
use line_login::session::SESSION_COOKIE_NAME;
use line_login::store::{AnySessionStore, StoreKind, StoreOptions};
use line_login_simulator::{Endpoint, Simulator};
use reqwest::StatusCode;

/// How long a request may take to fail while the store is down.
const OUTAGE_ANSWER_MAX: Duration = Duration::from_secs(3);
/// How long service may take to come back after Redis restarts.
const RECOVERY_MAX: Duration = Duration::from_secs(15);

fn defaults() -> StoreOptions {
    StoreOptions::default()
}

/// The load tests check mix-ups and 5xx, not the time limit: debug builds on a busy machine may
/// take longer than the default command timeout under 50 concurrent logins.
fn patient() -> StoreOptions {
    StoreOptions::default().command_timeout(Duration::from_secs(10))
}

fn port_of(app: &TestApp) -> u16 {
    url::Url::parse(&app.base)
        .unwrap()
        .port()
        .expect("the app's base URL has a port")
}

/// Two instances of the site on different ports, one simulator, the given stores.
async fn two_instances(a: AnySessionStore, b: AnySessionStore) -> (TestApp, TestApp) {
    let sim = Simulator::start().await.expect("simulator starts");
    let app_a = start_app_on(sim.clone(), AppOptions::default().shared(a)).await;
    let app_b = start_app_on(sim, AppOptions::default().shared(b)).await;
    assert_ne!(app_a.base, app_b.base);
    (app_a, app_b)
}

/// The issue's scenario: start on A, finish on B, logged in on both; log out on B, logged out
/// on A, even with the old cookie replayed.
async fn login_crosses_instances_and_logout_ends_it_everywhere(a: &TestApp, b: &TestApp) {
    let browser = Browser::new();
    let user = a.first_user();
    let authorize = a.start_login(&browser, "?return_to=/orders").await;
    let callback = a.consent(&authorize, a.choice(&user)).await;
    assert!(
        callback.starts_with(&a.base),
        "LINE redirects to A's callback"
    );
    let answer = browser
        .get_cross_site(&on_port(&callback, port_of(b)))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location().as_deref(), Some("/orders"));
    assert_eq!(b.who(&browser).await.as_deref(), Some(user.as_str()));
    assert_eq!(a.who(&browser).await.as_deref(), Some(user.as_str()));
    assert_eq!(a.sim.requests(Endpoint::Token), 1);

    let cookie = browser
        .cookie(SESSION_COOKIE_NAME)
        .expect("a session cookie");
    let answer = browser.post(&b.url("/auth/line/logout")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(a.who(&browser).await, None, "logged out on A too");
    // The session is gone from the store, not only from this browser's jar.
    browser.set_cookie(SESSION_COOKIE_NAME, &cookie);
    assert_eq!(
        a.who(&browser).await,
        None,
        "the old cookie opens nothing on A"
    );
    assert_eq!(
        b.who(&browser).await,
        None,
        "the old cookie opens nothing on B"
    );
}

#[tokio::test]
async fn redis_login_started_on_a_completes_on_b_and_logout_on_b_logs_out_on_a() {
    let redis = RedisServer::start().await;
    // Two stores built from the same URL: two processes would do the same.
    let store_a = driver::redis_store(&redis, &defaults()).await;
    let store_b = driver::redis_store(&redis, &defaults()).await;
    assert_eq!(store_a.kind(), StoreKind::Redis);
    let (a, b) = two_instances(store_a, store_b).await;
    login_crosses_instances_and_logout_ends_it_everywhere(&a, &b).await;
}

#[tokio::test]
async fn postgres_login_started_on_a_completes_on_b_and_logout_on_b_logs_out_on_a() {
    let schema = driver::unique_schema();
    let store_a = driver::postgres_store(&schema, &defaults()).await;
    let store_b = driver::postgres_store(&schema, &defaults()).await;
    assert_eq!(store_a.kind(), StoreKind::Postgres);
    let (a, b) = two_instances(store_a, store_b).await;
    login_crosses_instances_and_logout_ends_it_everywhere(&a, &b).await;
    driver::drop_schema(&schema).await;
}

#[tokio::test]
async fn memory_store_clones_let_two_routers_in_one_process_share_logins() {
    let store = AnySessionStore::memory();
    let (a, b) = two_instances(store.clone(), store).await;
    login_crosses_instances_and_logout_ends_it_everywhere(&a, &b).await;
}

#[tokio::test]
async fn separate_memory_stores_do_not_share_sessions() {
    // What happens without a shared store: the attempt travels in the browser's cookies, so the
    // login finishes on the other instance, but its session lives there only.
    let (a, b) = two_instances(AnySessionStore::memory(), AnySessionStore::memory()).await;
    let browser = Browser::new();
    let user = a.first_user();
    let authorize = a.start_login(&browser, "").await;
    let callback = a.consent(&authorize, a.choice(&user)).await;
    let answer = browser
        .get_cross_site(&on_port(&callback, port_of(&b)))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(b.who(&browser).await.as_deref(), Some(user.as_str()));
    assert_eq!(a.who(&browser).await, None);
}

/// Asserts a 503 with the store message, answered fast.
async fn assert_unavailable(browser: &Browser, url: &str, cross_site: bool) {
    let started = Instant::now();
    let answer = if cross_site {
        browser.get_cross_site(url).await
    } else {
        browser.get(url).await
    };
    let took = started.elapsed();
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{url}: {}",
        answer.body
    );
    assert!(
        answer.body.contains("temporarily unavailable"),
        "{url}: a clear message, got {}",
        answer.body
    );
    assert!(took < OUTAGE_ANSWER_MAX, "{url} took {took:?} to fail");
}

#[tokio::test]
async fn redis_outage_answers_503_logs_nobody_in_and_service_resumes_by_itself() {
    let mut redis = RedisServer::start().await;
    let (a, b) = two_instances(
        driver::redis_store(&redis, &defaults()).await,
        driver::redis_store(&redis, &defaults()).await,
    )
    .await;
    let user = a.first_user();

    // Before: one user logged in, another half-way through a login.
    let logged_in = Browser::new();
    let answer = a.login(&logged_in, &user).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(b.who(&logged_in).await.as_deref(), Some(user.as_str()));
    let pending = Browser::new();
    let authorize = a.start_login(&pending, "").await;
    let pending_callback = a.consent(&authorize, a.choice(&user)).await;
    let tokens_before = a.sim.requests(Endpoint::Token);

    redis.kill();

    // Protected routes answer 503 with a clear message, quickly.
    for app in [&a, &b] {
        assert_unavailable(&logged_in, &app.url("/me"), false).await;
        assert_unavailable(&logged_in, &app.url("/protected/area"), false).await;
        assert_unavailable(&logged_in.as_json(), &app.url("/maybe"), false).await;
    }
    // The pending login cannot finish: no token request, nobody logged in.
    assert_unavailable(&pending, &on_port(&pending_callback, port_of(&b)), true).await;
    assert_eq!(a.sim.requests(Endpoint::Token), tokens_before);
    // A login start needs no store (its attempt travels in the browser's cookies), but the
    // login cannot finish while the attempt cannot be spent: the callback fails closed.
    let during = Browser::new();
    let authorize = a.start_login(&during, "").await;
    let callback = a.consent(&authorize, a.choice(&user)).await;
    let answer = during
        .as_json()
        .get_cross_site(&on_port(&callback, port_of(&b)))
        .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.json()["error"], "attempt_store_unavailable");
    assert_eq!(a.sim.requests(Endpoint::Token), tokens_before);

    redis.restart().await;

    // Service resumes by itself on both instances' pools: a fresh login goes through.
    let started = Instant::now();
    for (first, second) in [(&a, &b), (&b, &a)] {
        loop {
            let fresh = Browser::new();
            let authorize = first.start_login(&fresh, "").await;
            let callback = first.consent(&authorize, first.choice(&user)).await;
            let answer = fresh
                .get_cross_site(&on_port(&callback, port_of(second)))
                .await;
            if answer.status == StatusCode::SEE_OTHER {
                // Asked of the instance that answered: the other's pool may still be waking.
                assert_eq!(second.who(&fresh).await.as_deref(), Some(user.as_str()));
                break;
            }
            assert_eq!(
                answer.status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{}",
                answer.body
            );
            assert!(
                started.elapsed() < RECOVERY_MAX,
                "{} still unavailable {RECOVERY_MAX:?} after Redis came back",
                second.base
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // The restarted Redis lost every session: nobody rides in on an old cookie.
    assert_eq!(a.who(&logged_in).await, None);
    assert_eq!(b.who(&pending).await, None);
    // The half-done login was never spent (its callback failed closed): its callback, retried
    // within the attempt's ten minutes, finishes it, once.
    let answer = pending
        .get_cross_site(&on_port(&pending_callback, port_of(&b)))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(a.who(&pending).await.as_deref(), Some(user.as_str()));
    let tokens_before = a.sim.requests(Endpoint::Token);
    let answer = pending
        .get_cross_site(&on_port(&pending_callback, port_of(&a)))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(a.sim.requests(Endpoint::Token), tokens_before);
}

/// Many concurrent logins across two instances: every one ends as its own user in its own
/// session, no 5xx.
async fn many_logins_without_mixups(store_a: AnySessionStore, store_b: AnySessionStore) {
    const LOGINS: usize = 200;
    const IN_FLIGHT: usize = 50;
    let sim = Simulator::start().await.expect("simulator starts");
    let a = driver::start_instance(&sim, store_a).await;
    let b = driver::start_instance(&sim, store_b).await;
    let report = driver::run_load(&sim, &a, &b, LOGINS, IN_FLIGHT, Duration::from_secs(120)).await;
    assert_eq!(report.mixups, 0, "{:?}", report.failure_samples);
    assert_eq!(report.server_errors, 0, "{:?}", report.failure_samples);
    assert!(report.is_clean(), "{:?}", report.failure_samples);
    assert_eq!(report.succeeded, LOGINS);
    assert_eq!(sim.requests(Endpoint::Token), LOGINS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_logins_across_two_instances_in_memory_never_mix_up() {
    let store = AnySessionStore::memory();
    many_logins_without_mixups(store.clone(), store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_logins_across_two_instances_in_redis_never_mix_up() {
    let redis = RedisServer::start().await;
    many_logins_without_mixups(
        driver::redis_store(&redis, &patient()).await,
        driver::redis_store(&redis, &patient()).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_logins_across_two_instances_in_postgres_never_mix_up() {
    let schema = driver::unique_schema();
    many_logins_without_mixups(
        driver::postgres_store(&schema, &patient()).await,
        driver::postgres_store(&schema, &patient()).await,
    )
    .await;
    driver::drop_schema(&schema).await;
}

#[test]
fn the_mixup_checks_catch_a_wrong_user_a_wrong_session_or_a_wrong_return_path() {
    // The load test counts mix-ups with these checks; they must be able to fail.
    let me = serde_json::json!({ "user_id": "U1", "tag": "login-7-42" });
    assert!(driver::check_me(7, "U1", "login-7-42", &me).is_ok());
    assert!(
        driver::check_me(7, "U2", "login-7-42", &me).is_err(),
        "another user"
    );
    assert!(
        driver::check_me(7, "U1", "login-8-42", &me).is_err(),
        "another session"
    );
    let anonymous = serde_json::json!({ "user_id": "U1", "tag": null });
    assert!(driver::check_me(7, "U1", "login-7-42", &anonymous).is_err());
    assert!(driver::check_return(7, Some("/done/7")).is_ok());
    assert!(driver::check_return(7, Some("/done/8")).is_err());
    assert!(driver::check_return(7, None).is_err());
}

// Single use and final on shared stores: races run as races, repeated.

/// Rounds of each race: one that passed once proves little.
const RACE_ROUNDS: usize = 20;
/// Copies of one callback sent at once.
const CALLBACK_COPIES: usize = 8;
/// Clients that keep writing to a session while its owner logs out.
const RACING_CLIENTS: usize = 16;

/// 8 copies of one callback at once, split over both instances, in 20 rounds (every other round
/// from a browser that is already logged in, so the winner cycles an existing session): exactly
/// one token request per round, exactly one login, the others refused with 400, and the winner
/// stays logged in.
async fn parallel_copies_of_one_callback_make_exactly_one_token_request(a: &TestApp, b: &TestApp) {
    let user = a.first_user();
    let other = a.sim.users()[1].user_id.clone();
    for round in 0..RACE_ROUNDS {
        let browser = Browser::new();
        if round % 2 == 1 {
            a.login(&browser, &other).await;
            assert_eq!(a.who(&browser).await, Some(other.clone()));
        }
        let authorize = a.start_login(&browser, "").await;
        let callback = a.consent(&authorize, a.choice(&user)).await;
        let before = a.sim.requests(Endpoint::Token);
        let copies = (0..CALLBACK_COPIES).map(|i| {
            let target = if i % 2 == 0 { a } else { b };
            let url = on_port(&callback, port_of(target));
            let browser = &browser;
            async move { browser.get_cross_site(&url).await }
        });
        let answers = futures_util::future::join_all(copies).await;
        let spent = a.sim.requests(Endpoint::Token) - before;
        assert_eq!(spent, 1, "round {round}: the code was sent {spent} times");
        let logged_in = answers
            .iter()
            .filter(|x| x.status == StatusCode::SEE_OTHER)
            .count();
        assert_eq!(logged_in, 1, "round {round}: {logged_in} copies logged in");
        for answer in &answers {
            assert!(
                matches!(
                    answer.status,
                    StatusCode::SEE_OTHER | StatusCode::BAD_REQUEST
                ),
                "round {round}: {} {}",
                answer.status,
                answer.body
            );
        }
        assert_eq!(a.who(&browser).await, Some(user.clone()), "round {round}");
        assert_eq!(b.who(&browser).await, Some(user.clone()), "round {round}");
    }
}

/// While 16 clients holding a copy of a logged-in cookie keep writing to its session on both
/// instances (an app handler and login starts), its owner logs out; afterwards the old cookie
/// opens nothing on either instance. 20 rounds.
async fn logout_raced_by_in_flight_requests_stays_final(a: &TestApp, b: &TestApp) {
    let user = a.first_user();
    for round in 0..RACE_ROUNDS {
        let owner = Browser::new();
        a.login(&owner, &user).await;
        let cookie = owner.cookie(SESSION_COOKIE_NAME).expect("a session cookie");
        let clients: Vec<Browser> = (0..RACING_CLIENTS)
            .map(|_| {
                let client = Browser::new();
                client.set_cookie(SESSION_COOKIE_NAME, &cookie);
                client
            })
            .collect();
        let racing = clients.iter().enumerate().map(|(i, client)| {
            let target = if i % 2 == 0 { a } else { b };
            async move {
                for step in 0..4 {
                    let path = if step % 2 == 0 {
                        "/touch"
                    } else {
                        "/auth/line/login"
                    };
                    client.get(&target.url(path)).await;
                }
            }
        });
        let logout = async {
            tokio::time::sleep(Duration::from_millis(2 * (round as u64 % 5))).await;
            let answer = owner.post(&a.url("/auth/line/logout")).await;
            assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        };
        futures_util::future::join(futures_util::future::join_all(racing), logout).await;
        let replay = Browser::new();
        replay.set_cookie(SESSION_COOKIE_NAME, &cookie);
        assert_eq!(
            a.who(&replay).await,
            None,
            "round {round}: resurrected on A"
        );
        assert_eq!(
            b.who(&replay).await,
            None,
            "round {round}: resurrected on B"
        );
        for client in &clients {
            assert_eq!(a.who(client).await, None, "round {round}: a racing client");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_parallel_copies_of_one_callback_make_exactly_one_token_request() {
    let store = AnySessionStore::memory();
    let (a, b) = two_instances(store.clone(), store).await;
    parallel_copies_of_one_callback_make_exactly_one_token_request(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_parallel_copies_of_one_callback_make_exactly_one_token_request() {
    let redis = RedisServer::start().await;
    let (a, b) = two_instances(
        driver::redis_store(&redis, &patient()).await,
        driver::redis_store(&redis, &patient()).await,
    )
    .await;
    parallel_copies_of_one_callback_make_exactly_one_token_request(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_parallel_copies_of_one_callback_make_exactly_one_token_request() {
    let schema = driver::unique_schema();
    let (a, b) = two_instances(
        driver::postgres_store(&schema, &patient()).await,
        driver::postgres_store(&schema, &patient()).await,
    )
    .await;
    parallel_copies_of_one_callback_make_exactly_one_token_request(&a, &b).await;
    driver::drop_schema(&schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_logout_raced_by_in_flight_requests_stays_final() {
    let store = AnySessionStore::memory();
    let (a, b) = two_instances(store.clone(), store).await;
    logout_raced_by_in_flight_requests_stays_final(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_logout_raced_by_in_flight_requests_stays_final() {
    let redis = RedisServer::start().await;
    let (a, b) = two_instances(
        driver::redis_store(&redis, &patient()).await,
        driver::redis_store(&redis, &patient()).await,
    )
    .await;
    logout_raced_by_in_flight_requests_stays_final(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_logout_raced_by_in_flight_requests_stays_final() {
    let schema = driver::unique_schema();
    let (a, b) = two_instances(
        driver::postgres_store(&schema, &patient()).await,
        driver::postgres_store(&schema, &patient()).await,
    )
    .await;
    logout_raced_by_in_flight_requests_stays_final(&a, &b).await;
    driver::drop_schema(&schema).await;
}

/// 1,000 logins across two instances, every callback sent twice at once: no code spent twice,
/// nobody mixed up, exactly one token request per login.
async fn thousand_logins_with_doubled_callbacks(
    store_a: AnySessionStore,
    store_b: AnySessionStore,
) {
    const LOGINS: usize = 1000;
    const IN_FLIGHT: usize = 50;
    let sim = Simulator::start().await.expect("simulator starts");
    let a = driver::start_instance(&sim, store_a).await;
    let b = driver::start_instance(&sim, store_b).await;
    let report = driver::run_load_with(
        &sim,
        &a,
        &b,
        LOGINS,
        IN_FLIGHT,
        Duration::from_secs(300),
        true,
    )
    .await;
    assert_eq!(report.double_spends, 0, "{:?}", report.failure_samples);
    assert_eq!(report.mixups, 0, "{:?}", report.failure_samples);
    assert!(report.is_clean(), "{:?}", report.failure_samples);
    assert_eq!(sim.requests(Endpoint::Token), LOGINS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_thousand_logins_with_every_callback_sent_twice_spend_each_code_once() {
    let redis = RedisServer::start().await;
    thousand_logins_with_doubled_callbacks(
        driver::redis_store(&redis, &patient()).await,
        driver::redis_store(&redis, &patient()).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_thousand_logins_with_every_callback_sent_twice_spend_each_code_once() {
    let schema = driver::unique_schema();
    thousand_logins_with_doubled_callbacks(
        driver::postgres_store(&schema, &patient()).await,
        driver::postgres_store(&schema, &patient()).await,
    )
    .await;
    driver::drop_schema(&schema).await;
}

/// `starts` anonymous logins on `app`, each from a fresh browser with a 1,000-character return
/// path; with `cancel`, each ended by LINE's error callback (the user cancelled), which spends its
/// attempt. They write no session; only a cancelled one leaves a spent-mark.
async fn flood_of_login_starts(app: &TestApp, starts: usize, cancel: bool) {
    for _ in 0..starts {
        let browser = Browser::new();
        let answer = browser
            .get(&app.url(&format!("/auth/line/login?return_to=/{}", "x".repeat(1000))))
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER);
        assert!(
            browser.cookie(SESSION_COOKIE_NAME).is_none(),
            "an anonymous login start sets no session cookie"
        );
        if cancel {
            let authorize = url::Url::parse(&answer.location().unwrap()).unwrap();
            let state = authorize
                .query_pairs()
                .find(|(name, _)| name == "state")
                .unwrap()
                .1
                .into_owned();
            let answer = browser
                .get_cross_site(&app.url(&format!(
                    "/auth/line/callback?error=access_denied&state={state}"
                )))
                .await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        }
    }
}

/// How long a spent-mark outlives the start of its attempt: the attempt's ten minutes and the
/// five of clock skew allowed between instances; a minute more to be past it.
const MARKS_GONE_AFTER_SECS: i64 = 16 * 60;

#[tokio::test]
async fn memory_flood_of_anonymous_login_starts_leaves_nothing_once_the_attempts_expire() {
    use line_login::store::attempts::MemoryAttempts;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};
    let sessions = AnySessionStore::memory();
    let attempts = MemoryAttempts::default();
    let offset = Arc::new(AtomicI64::new(0));
    let mut options = AppOptions::default()
        .store(sessions.clone())
        .layer(moved_clock(offset.clone()));
    options.attempts = Some(Arc::new(attempts.clone()));
    let sim = Simulator::start().await.expect("simulator starts");
    let app = start_app_on(sim, options).await;
    flood_of_login_starts(&app, 2000, false).await;
    assert_eq!(attempts.len(), 0, "a login start writes nothing");
    flood_of_login_starts(&app, 500, true).await;
    assert_eq!(attempts.len(), 500, "one spent-mark per cancelled login");
    assert_eq!(
        sessions.memory_len().await,
        Some(0),
        "no session was created"
    );
    offset.store(MARKS_GONE_AFTER_SECS, Ordering::SeqCst);
    flood_of_login_starts(&app, 1, true).await;
    assert_eq!(attempts.len(), 1, "the expired marks were swept");
    assert_eq!(sessions.memory_len().await, Some(0));
}

#[tokio::test]
async fn redis_flood_of_anonymous_login_starts_writes_only_keys_that_expire_with_the_attempt() {
    let redis = RedisServer::start().await;
    let store = driver::redis_store(&redis, &defaults()).await;
    let sim = Simulator::start().await.expect("simulator starts");
    let app = start_app_on(sim, AppOptions::default().shared(store)).await;
    flood_of_login_starts(&app, 300, false).await;
    assert_eq!(
        redis_cli(&redis, &["--scan"]).lines().count(),
        0,
        "a login start writes nothing"
    );
    flood_of_login_starts(&app, 300, true).await;
    let keys = redis_cli(&redis, &["--scan"]);
    let keys: Vec<&str> = keys.lines().collect();
    assert_eq!(
        keys.len(),
        300,
        "one spent-mark per cancelled login, nothing else"
    );
    for key in keys {
        assert!(key.starts_with("line_login:claims:{"), "{key}");
        let ttl: i64 = redis_cli(&redis, &["pttl", key]).trim().parse().unwrap();
        assert!(
            ttl > 0 && ttl <= MARKS_GONE_AFTER_SECS * 1000,
            "{key} expires with its attempt, not in {ttl} ms"
        );
    }
}

#[tokio::test]
async fn postgres_flood_of_anonymous_login_starts_leaves_nothing_once_the_attempts_expire() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};
    let schema = driver::unique_schema();
    let store = driver::postgres_store(&schema, &defaults()).await;
    let offset = Arc::new(AtomicI64::new(0));
    let options = AppOptions::default()
        .shared(store)
        .layer(moved_clock(offset.clone()));
    let sim = Simulator::start().await.expect("simulator starts");
    let app = start_app_on(sim, options).await;
    let pool = driver::postgres_pool().await;
    let count = |table: &'static str| {
        let pool = pool.clone();
        let schema = schema.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM \"{schema}\".\"{table}\""))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    flood_of_login_starts(&app, 300, false).await;
    assert_eq!(
        count("line_login_attempt").await,
        0,
        "a login start writes nothing"
    );
    flood_of_login_starts(&app, 300, true).await;
    assert_eq!(count("line_login_attempt").await, 300);
    assert_eq!(count("session").await, 0, "no session was created");
    offset.store(MARKS_GONE_AFTER_SECS, Ordering::SeqCst);
    flood_of_login_starts(&app, 1, true).await;
    let started = Instant::now();
    while count("line_login_attempt").await != 1 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "expired marks were not purged"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    driver::drop_schema(&schema).await;
}

/// A layer clock running `offset` seconds ahead of the real one.
fn moved_clock(
    offset: std::sync::Arc<std::sync::atomic::AtomicI64>,
) -> impl FnOnce(line_login::LineLoginLayer) -> line_login::LineLoginLayer + Send + 'static {
    move |layer| {
        layer.clock(move || {
            let seconds = offset.load(std::sync::atomic::Ordering::SeqCst);
            std::time::SystemTime::from(
                time::OffsetDateTime::now_utc() + time::Duration::seconds(seconds),
            )
        })
    }
}

fn redis_cli(redis: &RedisServer, args: &[&str]) -> String {
    let url = redis.url();
    let output = std::process::Command::new("redis-cli")
        .arg("-u")
        .arg(&url)
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8(output.stdout).unwrap()
}

// Production Redis: TLS, Redis Cluster and Sentinel, each with the same three scenarios (a login
// across two instances, 8 parallel copies of one callback, a raced logout).

/// Two stores on the TLS-only server, trusting the test's CA (`SESSION_STORE_CA_FILE`).
async fn tls_stores(server: &RedisTlsServer, options: StoreOptions) -> (TestApp, TestApp) {
    let options = options.redis_ca_file(&server.ca_file);
    let a = driver::store_at(&server.url(), &options).await;
    let b = driver::store_at(&server.url(), &options).await;
    assert_eq!(a.kind(), StoreKind::Redis);
    assert!(
        a.location().starts_with("rediss://:***@127.0.0.1"),
        "{}",
        a.location()
    );
    two_instances(a, b).await
}

#[tokio::test]
async fn tls_redis_login_started_on_a_completes_on_b_and_logout_on_b_logs_out_on_a() {
    let server = RedisTlsServer::start().await;
    let (a, b) = tls_stores(&server, defaults()).await;
    login_crosses_instances_and_logout_ends_it_everywhere(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_redis_parallel_copies_of_one_callback_make_exactly_one_token_request() {
    let server = RedisTlsServer::start().await;
    let (a, b) = tls_stores(&server, patient()).await;
    parallel_copies_of_one_callback_make_exactly_one_token_request(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_redis_logout_raced_by_in_flight_requests_stays_final() {
    let server = RedisTlsServer::start().await;
    let (a, b) = tls_stores(&server, patient()).await;
    logout_raced_by_in_flight_requests_stays_final(&a, &b).await;
}

/// The certificate is checked: without the private CA (system roots only) the TLS server is
/// refused at start-up, and a plain `redis://` URL gets nowhere on a TLS-only port; neither
/// error shows the password.
#[tokio::test]
async fn tls_redis_is_refused_without_its_ca_and_in_clear() {
    let server = RedisTlsServer::start().await;
    let options = StoreOptions::default().connect_timeout(Duration::from_secs(3));
    let plain = server.url().replacen("rediss://", "redis://", 1);
    for (url, options) in [(server.url(), &options), (plain, &options)] {
        let error = line_login::store::session_store_from_url_with(Some(&url), options)
            .await
            .expect_err("refused");
        let shown = format!("{error} {error:?}");
        assert!(
            matches!(error, line_login::store::StoreError::Connect { .. }),
            "{shown}"
        );
        assert!(!shown.contains(server.password), "{shown}");
        if url.starts_with("rediss://") {
            assert!(shown.contains("Certificate"), "says why: {shown}");
        }
    }
}

/// Two stores on a 3-node Redis Cluster.
async fn cluster_stores(cluster: &RedisCluster, options: StoreOptions) -> (TestApp, TestApp) {
    let a = driver::store_at(&cluster.url(), &options).await;
    let b = driver::store_at(&cluster.url(), &options).await;
    assert_eq!(a.kind(), StoreKind::Redis);
    two_instances(a, b).await
}

#[tokio::test]
async fn cluster_redis_login_started_on_a_completes_on_b_and_logout_on_b_logs_out_on_a() {
    let cluster = RedisCluster::start().await;
    let (a, b) = cluster_stores(&cluster, defaults()).await;
    login_crosses_instances_and_logout_ends_it_everywhere(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_redis_parallel_copies_of_one_callback_make_exactly_one_token_request() {
    let cluster = RedisCluster::start().await;
    let (a, b) = cluster_stores(&cluster, patient()).await;
    parallel_copies_of_one_callback_make_exactly_one_token_request(&a, &b).await;
    // Sessions and attempts really were spread over the cluster, not kept on one node.
    let keys = cluster.keys_per_node();
    assert!(
        keys.iter().filter(|&&n| n > 0).count() >= 2,
        "keys per node: {keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_redis_logout_raced_by_in_flight_requests_stays_final() {
    let cluster = RedisCluster::start().await;
    let (a, b) = cluster_stores(&cluster, patient()).await;
    logout_raced_by_in_flight_requests_stays_final(&a, &b).await;
}

/// Two stores on a TLS-only 3-node cluster, trusting its CA.
async fn tls_cluster_stores(cluster: &RedisCluster, options: StoreOptions) -> (TestApp, TestApp) {
    let options = options.redis_ca_file(cluster.ca_file.as_ref().expect("a TLS cluster"));
    let a = driver::store_at(&cluster.url(), &options).await;
    let b = driver::store_at(&cluster.url(), &options).await;
    two_instances(a, b).await
}

/// A TLS cluster whose certificate names only `localhost` while its nodes announce
/// `127.0.0.1` (as a managed cluster's nodes announce addresses its certificate does not name):
/// each node is checked against the URL's host name, and the login works.
#[tokio::test]
async fn tls_cluster_redis_login_started_on_a_completes_on_b_and_logout_on_b_logs_out_on_a() {
    let cluster = RedisCluster::start_tls().await;
    let (a, b) = tls_cluster_stores(&cluster, defaults()).await;
    login_crosses_instances_and_logout_ends_it_everywhere(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_cluster_redis_parallel_copies_of_one_callback_make_exactly_one_token_request() {
    let cluster = RedisCluster::start_tls().await;
    let (a, b) = tls_cluster_stores(&cluster, patient()).await;
    parallel_copies_of_one_callback_make_exactly_one_token_request(&a, &b).await;
    let keys = cluster.keys_per_node();
    assert!(
        keys.iter().filter(|&&n| n > 0).count() >= 2,
        "keys per node: {keys:?}"
    );
}

/// Two stores on the primary a Sentinel names.
async fn sentinel_stores(set: &RedisSentinel, options: StoreOptions) -> (TestApp, TestApp) {
    let a = driver::store_at(&set.url(), &options).await;
    let b = driver::store_at(&set.url(), &options).await;
    assert_eq!(a.kind(), StoreKind::Redis);
    two_instances(a, b).await
}

#[tokio::test]
async fn sentinel_redis_login_started_on_a_completes_on_b_and_logout_on_b_logs_out_on_a() {
    let set = RedisSentinel::start().await;
    let (a, b) = sentinel_stores(&set, defaults()).await;
    login_crosses_instances_and_logout_ends_it_everywhere(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_redis_parallel_copies_of_one_callback_make_exactly_one_token_request() {
    let set = RedisSentinel::start().await;
    let (a, b) = sentinel_stores(&set, patient()).await;
    parallel_copies_of_one_callback_make_exactly_one_token_request(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_redis_logout_raced_by_in_flight_requests_stays_final() {
    let set = RedisSentinel::start().await;
    let (a, b) = sentinel_stores(&set, patient()).await;
    logout_raced_by_in_flight_requests_stays_final(&a, &b).await;
}

/// The TLS form: Sentinel, primary and replica all speak only TLS, certificates from the test's
/// CA.
#[tokio::test]
async fn tls_sentinel_redis_login_started_on_a_completes_on_b_and_logout_on_b_logs_out_on_a() {
    let set = RedisSentinel::start_tls().await;
    assert!(set.url().starts_with("rediss-sentinel://"));
    let options = defaults().redis_ca_file(set.ca_file.as_ref().expect("a TLS set"));
    let (a, b) = sentinel_stores(&set, options).await;
    login_crosses_instances_and_logout_ends_it_everywhere(&a, &b).await;
}

/// Longest a Sentinel failover may keep the site unavailable in this (debug, shared-machine)
/// test: the Sentinel judges the primary down after 1 s, promotes the replica, and the pools
/// reconnect within [`line_login::store::REDIS_RECONNECT_DELAY_MAX_MS`].
const FAILOVER_RECOVERY_MAX: Duration = Duration::from_secs(30);
/// Successes in a row on both instances that count as "service resumed".
const RESUMED_AFTER_SUCCESSES: usize = 10;

/// Behind Sentinel, killing the primary costs a short run of 503 answers, never a 500 and never
/// a login as someone else; then service resumes by itself on the promoted replica, with the
/// sessions written before the failover.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_failover_answers_503_for_seconds_never_500_and_resumes_by_itself() {
    let mut set = RedisSentinel::start().await;
    let (a, b) = sentinel_stores(&set, defaults()).await;
    let user = a.first_user();
    let other = a.sim.users()[1].user_id.clone();
    let logged_in = Browser::new();
    let answer = a.login(&logged_in, &user).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(b.who(&logged_in).await.as_deref(), Some(user.as_str()));
    set.wait_for_replication().await;
    let old_primary = set.primary_port;

    set.kill_primary();
    let killed = Instant::now();
    let mut unavailable = 0usize;
    let mut in_a_row = 0usize;
    // When the first step of the current run of successes was sent.
    let mut clean_since = Duration::ZERO;
    let mut step = 0usize;
    while in_a_row < RESUMED_AFTER_SUCCESSES {
        assert!(
            killed.elapsed() < FAILOVER_RECOVERY_MAX,
            "not resumed {FAILOVER_RECOVERY_MAX:?} after the primary died ({unavailable} 503s)"
        );
        step += 1;
        let sent = killed.elapsed();
        let app = if step.is_multiple_of(2) { &a } else { &b };
        // The logged-in user asks who they are; a newcomer starts a login.
        let me = logged_in.as_json().get(&app.url("/me")).await;
        let start = Browser::new().get(&app.url("/auth/line/login")).await;
        let mut ok = true;
        for (what, answer, success) in [
            ("/me", &me, StatusCode::OK),
            ("login start", &start, StatusCode::SEE_OTHER),
        ] {
            if answer.status == StatusCode::SERVICE_UNAVAILABLE {
                ok = false;
                continue;
            }
            assert_eq!(
                answer.status,
                success,
                "{what} on {} at {:?}: {}",
                app.base,
                killed.elapsed(),
                answer.body
            );
        }
        if me.status == StatusCode::OK {
            assert_eq!(
                me.json()["user_id"].as_str(),
                Some(user.as_str()),
                "the session written before the failover is the same user's"
            );
        }
        if ok {
            if in_a_row == 0 {
                clean_since = sent;
            }
            in_a_row += 1;
        } else {
            unavailable += 1;
            in_a_row = 0;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(unavailable > 0, "the failover was noticed");
    assert_eq!(
        set.current_primary(),
        Some(set.replica_port),
        "the replica was promoted"
    );
    assert_ne!(set.current_primary(), Some(old_primary));
    eprintln!(
        "sentinel failover: unavailable (503) from the kill until {clean_since:?} after it \
         ({unavailable} failed steps), then {RESUMED_AFTER_SUCCESSES} clean steps"
    );

    // Writes work on the promoted replica: a full login across instances, then a final logout.
    let fresh = Browser::new();
    let answer = b.login(&fresh, &other).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(a.who(&fresh).await.as_deref(), Some(other.as_str()));
    assert_eq!(b.who(&logged_in).await.as_deref(), Some(user.as_str()));
    let answer = fresh.post(&a.url("/auth/line/logout")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(b.who(&fresh).await, None, "logged out on B too");
    assert_eq!(a.who(&logged_in).await.as_deref(), Some(user.as_str()));
}

/// Issue 16: 8 copies of one token login at once, split over both instances, 20 rounds: the
/// token logs in exactly once (its first use is claimed in the shared attempt store).
async fn parallel_token_logins_log_in_once(a: &TestApp, b: &TestApp) {
    for round in 0..RACE_ROUNDS {
        let token = a.sim.issue_es256_id_token(&a.first_user(), None);
        let copies = (0..CALLBACK_COPIES).map(|i| {
            let target = if i % 2 == 0 { a } else { b };
            let body = serde_json::json!({ "id_token": token });
            async move {
                Browser::new()
                    .as_json()
                    .post_with(&target.url("/auth/line/token-login"), |r| r.json(&body))
                    .await
                    .status
            }
        });
        let statuses = futures_util::future::join_all(copies).await;
        let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(ok, 1, "round {round}: {statuses:?}");
        assert!(
            statuses
                .iter()
                .all(|s| matches!(*s, StatusCode::OK | StatusCode::UNAUTHORIZED)),
            "round {round}: {statuses:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_parallel_token_logins_log_in_once() {
    let redis = RedisServer::start().await;
    let (a, b) = two_instances(
        driver::redis_store(&redis, &patient()).await,
        driver::redis_store(&redis, &patient()).await,
    )
    .await;
    parallel_token_logins_log_in_once(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_parallel_token_logins_log_in_once() {
    let schema = driver::unique_schema();
    let (a, b) = two_instances(
        driver::postgres_store(&schema, &patient()).await,
        driver::postgres_store(&schema, &patient()).await,
    )
    .await;
    parallel_token_logins_log_in_once(&a, &b).await;
    driver::drop_schema(&schema).await;
}
