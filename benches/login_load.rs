//! Many concurrent LINE logins across two app instances sharing one session store, on loopback,
//! for the memory store, Redis, a 3-node Redis Cluster and PostgreSQL side by side in one run:
//! logins per second and p50/p99 latency of the whole login and of its server-side part, with
//! zero mix-ups and zero 5xx asserted. Run: `cargo bench --bench login_load`.
//!
//! Each login starts on instance A or B (alternating), consents on the simulator, finishes on
//! the other instance, then asks `/me` on the first: the user and a tag planted in the session
//! at the start must both come back. Redis is a private `redis-server` started here, the cluster
//! three of them joined by `redis-cli --cluster create`; PostgreSQL is
//! `LINE_LOGIN_TEST_POSTGRES_URL` (default the `.ci/setup` one) in a schema of its own, dropped
//! at the end. The memory column shares one `MemoryStore` between two routers
//! in this one process (a memory store cannot be shared between processes).
//!
//! Each store runs twice: all logins started at once (the peak after a broadcast), then 50 in
//! flight (latency under a steady load). Knobs: `LOGIN_LOAD_LOGINS` (default 1000),
//! `LOGIN_LOAD_IN_FLIGHT` (comma list, default `1000,50`), `LOGIN_LOAD_STORES` (default
//! `memory,redis,redis-cluster,postgres`), `LOGIN_LOAD_POOL` (store connections per instance,
//! default [`line_login::store::STORE_POOL_CONNECTIONS`]). Under `cargo test --all-targets` (no
//! `--bench` argument) it runs a smoke version: 40 logins, 10 in flight.

#[path = "login_load/driver.rs"]
mod driver;

use std::time::{Duration, Instant};

use driver::{LoadReport, RedisCluster, RedisServer, quantile};
use line_login::store::{AnySessionStore, StoreOptions};
use line_login_simulator::Simulator;

/// Longest time one store's run may take before logins stop being started.
const RUN_DEADLINE: Duration = Duration::from_secs(120);
/// Logins run first (and not counted) on each store, to open connections and warm caches.
const WARM_UP_LOGINS: usize = 50;
/// The second, steadier load: logins in flight at once.
const STEADY_IN_FLIGHT: usize = 50;
/// Logins per store in the smoke version run by `cargo test --all-targets`.
const SMOKE_LOGINS: usize = 40;
/// Per-operation store timeout in the smoke version.
const SMOKE_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// Logins in flight in the smoke version (a debug build: slow, and bound by the store timeout).
const SMOKE_IN_FLIGHT: usize = 10;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

struct Row {
    store: &'static str,
    in_flight: usize,
    report: LoadReport,
    /// Session and attempt store operations per full login (start, callback, `/me`).
    ops_per_login: f64,
}

async fn run_store(
    name: &'static str,
    logins: usize,
    in_flights: &[usize],
    warm_up: usize,
) -> Vec<Row> {
    let sim = Simulator::start().await.expect("simulator starts");
    let mut redis = None;
    let mut cluster = None;
    let mut schema = None;
    let (store_a, store_b) = match name {
        "memory" => {
            let store = AnySessionStore::memory();
            (store.clone(), store)
        }
        "redis" => {
            let server = RedisServer::start().await;
            let stores = (
                driver::redis_store(&server, &store_options()).await,
                driver::redis_store(&server, &store_options()).await,
            );
            redis = Some(server);
            stores
        }
        "redis-cluster" => {
            let nodes = RedisCluster::start().await;
            let stores = (
                driver::store_at(&nodes.url(), &store_options()).await,
                driver::store_at(&nodes.url(), &store_options()).await,
            );
            cluster = Some(nodes);
            stores
        }
        "postgres" => {
            let name = driver::unique_schema();
            let stores = (
                driver::postgres_store(&name, &store_options()).await,
                driver::postgres_store(&name, &store_options()).await,
            );
            schema = Some(name);
            stores
        }
        other => panic!(
            "unknown store {other:?} in LOGIN_LOAD_STORES (memory, redis, redis-cluster, postgres)"
        ),
    };
    let a = driver::start_instance(&sim, store_a).await;
    let b = driver::start_instance(&sim, store_b).await;
    if warm_up > 0 {
        let warm = driver::run_load(&sim, &a, &b, warm_up, warm_up, RUN_DEADLINE).await;
        assert!(
            warm.is_clean(),
            "{name} warm-up: {:?}",
            warm.failure_samples
        );
    }
    let mut rows = Vec::new();
    let shared = name == "memory";
    for &in_flight in in_flights {
        let before = driver::store_operations(&a, &b, shared);
        let report = driver::run_load(&sim, &a, &b, logins, in_flight, RUN_DEADLINE).await;
        let ops = driver::store_operations(&a, &b, shared) - before;
        rows.push(Row {
            store: name,
            in_flight,
            ops_per_login: ops as f64 / report.logins.max(1) as f64,
            report,
        });
    }
    drop((a, b));
    if let Some(schema) = schema {
        driver::drop_schema(&schema).await;
    }
    drop(redis);
    drop(cluster);
    rows
}

/// The stores' options: the defaults, with `LOGIN_LOAD_POOL` connections per instance if set.
///
/// The smoke version allows 10 s per store operation: it checks mix-ups and 5xx, not time, and
/// in a debug build the slowest PostgreSQL logins take over a second.
fn store_options() -> StoreOptions {
    let benching = std::env::args().any(|a| a == "--bench");
    let options = if benching {
        StoreOptions::default()
    } else {
        StoreOptions::default().command_timeout(SMOKE_COMMAND_TIMEOUT)
    };
    match std::env::var("LOGIN_LOAD_POOL")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(connections) => options.pool_connections(connections),
        None => options,
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let (logins, in_flights, warm_up) = if benching {
        let logins = env_usize("LOGIN_LOAD_LOGINS", 1000);
        let in_flights: Vec<usize> = std::env::var("LOGIN_LOAD_IN_FLIGHT")
            .unwrap_or_else(|_| format!("{logins},{STEADY_IN_FLIGHT}"))
            .split(',')
            .filter_map(|v| v.trim().parse().ok())
            .filter(|&v| v > 0)
            .collect();
        (logins, in_flights, WARM_UP_LOGINS)
    } else {
        (SMOKE_LOGINS, vec![SMOKE_IN_FLIGHT], 0)
    };
    let stores: Vec<&'static str> = std::env::var("LOGIN_LOAD_STORES")
        .unwrap_or_else(|_| "memory,redis,redis-cluster,postgres".to_owned())
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s {
            "memory" => "memory",
            "redis" => "redis",
            "redis-cluster" => "redis-cluster",
            "postgres" => "postgres",
            other => panic!("unknown store {other:?} in LOGIN_LOAD_STORES"),
        })
        .collect();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let started = Instant::now();
    let rows: Vec<Row> = runtime.block_on(async {
        let mut rows = Vec::new();
        for store in &stores {
            rows.extend(run_store(store, logins, &in_flights, warm_up).await);
        }
        rows
    });

    println!(
        "\n{logins} logins per store and row, two instances sharing the store, one simulator, \
         loopback; total {:.1} s\n",
        started.elapsed().as_secs_f64()
    );
    println!(
        "| store | in flight | logins/s | store ops per login | whole login p50 (ms) | whole login p99 (ms) | server-side p50 (ms) | server-side p99 (ms) | ok | mix-ups | 5xx | other failures |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in &rows {
        let r = &row.report;
        println!(
            "| {} | {} | {:.0} | {:.1} | {} | {} | {} | {} | {}/{} | {} | {} | {} |",
            row.store,
            row.in_flight,
            r.logins_per_sec(),
            row.ops_per_login,
            ms(quantile(&r.whole, 0.50)),
            ms(quantile(&r.whole, 0.99)),
            ms(quantile(&r.server, 0.50)),
            ms(quantile(&r.server, 0.99)),
            r.succeeded,
            r.logins,
            r.mixups,
            r.server_errors,
            r.other_failures,
        );
    }
    let mut clean = true;
    for row in &rows {
        if !row.report.is_clean() {
            clean = false;
            eprintln!("{} failures: {:#?}", row.store, row.report.failure_samples);
        }
    }
    assert!(clean, "every login must end as its own user, without a 5xx");
}
