//! The guideline compliance report and the layer's start-up check: TLS 1.2+ on the wire, no
//! plain http outside loopback, statuses that follow the configuration, the three formats, the
//! warnings logged once at start-up and the strict mode that refuses to start.

use std::sync::{Arc, Mutex};

use line_login::api::LineApi;
use line_login::compliance::{self, ComplianceReport, ReportFormat, Status};
use line_login::link::{MemberInSession, MemoryLinks};
use line_login::{BotPrompt, Config, ConfigError, LineLoginLayer};
use line_login_simulator::Simulator;
use tokio::io::AsyncReadExt;
use tower::Layer as _;

const REDIRECT_URI: &str = "http://127.0.0.1:3000/auth/line/callback";

/// What a TLS ClientHello offers.
#[derive(Debug)]
struct ClientHello {
    legacy_version: u16,
    supported_versions: Option<Vec<u16>>,
}

/// Parses the first TLS record of a connection as a ClientHello (RFC 8446 section 4.1.2).
fn parse_client_hello(bytes: &[u8]) -> ClientHello {
    assert_eq!(bytes[0], 0x16, "not a handshake record");
    let body = &bytes[5..];
    assert_eq!(body[0], 0x01, "not a ClientHello");
    let hello = &body[4..];
    let legacy_version = u16::from_be_bytes([hello[0], hello[1]]);
    let mut at = 2 + 32; // version, random
    at += 1 + hello[at] as usize; // session id
    let suites = u16::from_be_bytes([hello[at], hello[at + 1]]) as usize;
    at += 2 + suites;
    at += 1 + hello[at] as usize; // compression methods
    let extensions_end = at + 2 + u16::from_be_bytes([hello[at], hello[at + 1]]) as usize;
    at += 2;
    let mut supported_versions = None;
    while at + 4 <= extensions_end {
        let kind = u16::from_be_bytes([hello[at], hello[at + 1]]);
        let len = u16::from_be_bytes([hello[at + 2], hello[at + 3]]) as usize;
        let data = &hello[at + 4..at + 4 + len];
        if kind == 43 {
            let list = &data[1..1 + data[0] as usize];
            supported_versions = Some(
                list.chunks(2)
                    .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                    .collect(),
            );
        }
        at += 4 + len;
    }
    ClientHello {
        legacy_version,
        supported_versions,
    }
}

/// GREASE values (RFC 8701) are not versions.
fn is_grease(version: u16) -> bool {
    version & 0x0f0f == 0x0a0a && version >> 8 == version & 0xff
}

#[tokio::test]
async fn line_api_offers_only_tls_1_2_or_newer() {
    // A server that records the ClientHello of the crate's HTTP client and hangs up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "https://127.0.0.1:{}/",
        listener.local_addr().unwrap().port()
    );
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the client closed before a whole ClientHello");
            bytes.extend_from_slice(&chunk[..n]);
            if bytes.len() >= 5 {
                let record = 5 + u16::from_be_bytes([bytes[3], bytes[4]]) as usize;
                if bytes.len() >= record {
                    return bytes[..record].to_vec();
                }
            }
        }
    });
    let config = Config::builder("1234567890", "secret", "https://example.com/cb")
        .access_base(&base)
        .api_base(&base)
        .build()
        .unwrap();
    let api = LineApi::new(&config).unwrap();
    let err = api.jwks().await.unwrap_err();
    assert_eq!(err.status(), None, "no HTTP answer can arrive: {err:?}");

    let hello = parse_client_hello(&server.await.unwrap());
    assert_eq!(hello.legacy_version, 0x0303, "{hello:?}");
    let versions: Vec<u16> = hello
        .supported_versions
        .clone()
        .expect("a supported_versions extension")
        .into_iter()
        .filter(|v| !is_grease(*v))
        .collect();
    assert!(!versions.is_empty(), "{hello:?}");
    assert!(
        versions.iter().all(|v| *v == 0x0303 || *v == 0x0304),
        "only TLS 1.2 (0x0303) and TLS 1.3 (0x0304) may be offered: {versions:04x?}"
    );
}

#[test]
fn plain_http_is_refused_outside_loopback() {
    let base = || Config::builder("1234567890", "secret", "https://example.com/cb");
    assert!(matches!(
        base().api_base("http://api.line.me").build(),
        Err(ConfigError::InvalidBaseUrl { .. })
    ));
    assert!(matches!(
        base().access_base("http://access.line.me").build(),
        Err(ConfigError::InvalidBaseUrl { .. })
    ));
    assert!(matches!(
        Config::builder("1234567890", "secret", "http://example.com/cb").build(),
        Err(ConfigError::RedirectUriInsecure(_))
    ));
    // Loopback stays open for the simulator and local development, and the report says so.
    let local = Config::builder("1234567890", "secret", REDIRECT_URI)
        .api_base("http://127.0.0.1:9000")
        .access_base("http://localhost:9000")
        .build()
        .unwrap();
    let tls = compliance::report(&local).item("tls").unwrap().clone();
    assert_eq!(tls.status, Status::Warning);
    assert!(tls.detail.contains("loopback"), "{}", tls.detail);
    let https = base().build().unwrap();
    assert_eq!(
        compliance::report(&https).item("tls").unwrap().status,
        Status::Ok
    );
}

/// The example site's default configuration: the simulator's channel, `email`, `bot_prompt`.
async fn example_site_config() -> (Simulator, Config) {
    let sim = Simulator::start().await.unwrap();
    let config = sim
        .config_builder(REDIRECT_URI)
        .email(true)
        .bot_prompt(BotPrompt::Normal)
        .build()
        .unwrap();
    (sim, config)
}

#[tokio::test]
async fn the_report_renders_as_text_markdown_and_json() {
    let (_sim, config) = example_site_config().await;
    let report = ComplianceReport::builder(&config)
        .member_links(true)
        .unlink_route(true)
        .build();
    assert_eq!(report.items().len(), 19);

    let text = report.render(ReportFormat::Text);
    assert_eq!(text, report.to_string());
    for item in report.items() {
        assert!(text.contains(item.title), "{}", item.title);
        assert!(text.contains(&format!("[{}] {}", item.status, item.title)));
        for test in item.tests {
            assert!(text.contains(&test.name()), "{}", test.name());
        }
    }
    assert!(
        text.contains("Channel 1234567890, redirect URI http://127.0.0.1:3000/auth/line/callback")
    );

    let markdown = report.render(ReportFormat::Markdown);
    let rows: Vec<&str> = markdown.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 1 + report.items().len(), "{markdown}");
    assert!(markdown.contains("|---|---|---|---|"));
    for row in &rows {
        let unescaped = row.replace("\\|", "");
        assert_eq!(unescaped.matches('|').count(), 5, "{row}");
    }
    for (row, item) in rows[1..].iter().zip(report.items()) {
        assert!(row.contains(item.title) && row.contains(&format!("**{}**", item.status)));
        assert!(row.contains(&format!("`{}`", item.tests[0].name())));
    }

    let json: serde_json::Value = serde_json::from_str(&report.render(ReportFormat::Json)).unwrap();
    assert_eq!(json["channel_id"], "1234567890");
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 19);
    let summary = &json["summary"];
    let total = ["ok", "warning", "action_needed"]
        .iter()
        .map(|k| summary[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(total, 19);
    for (value, item) in items.iter().zip(report.items()) {
        assert_eq!(value["id"], item.id);
        assert_eq!(value["status"], item.status.key());
        let tests = value["tests"].as_array().unwrap();
        assert_eq!(tests.len(), item.tests.len());
        for (test, expected) in tests.iter().zip(item.tests) {
            assert_eq!(test["file"], expected.file);
            let command = test["command"].as_str().unwrap();
            assert!(
                command.starts_with("cargo test ") && command.ends_with(expected.function),
                "{command}"
            );
        }
    }
}

#[tokio::test]
async fn statuses_follow_this_configuration() {
    let (_sim, config) = example_site_config().await;
    // The layer knows its configuration, its log sink and its member links.
    let plain = LineLoginLayer::new(config.clone()).unwrap();
    let report = plain.compliance().build();
    let status = |report: &ComplianceReport, id: &str| report.item(id).unwrap().status;
    assert_eq!(status(&report, "tls"), Status::Warning);
    assert_eq!(status(&report, "api_logs"), Status::Warning);
    assert_eq!(status(&report, "unlink"), Status::Ok);
    assert_eq!(status(&report, "channel_tokens"), Status::Ok);
    assert!(
        report
            .item("add_friend")
            .unwrap()
            .detail
            .contains("belongs to your company")
    );
    assert_eq!(report.worst(), Status::Warning);

    let linked = plain.member_links(
        MemoryLinks::<String>::default(),
        MemberInSession("member_id"),
    );
    let report = linked.compliance().build();
    assert_eq!(status(&report, "id_linking"), Status::Ok);
    assert_eq!(status(&report, "unlink"), Status::Ok);
    assert_eq!(status(&report, "consent_withdrawn"), Status::Warning);
    let swept = linked.compliance().consent_sweep(true).build();
    assert_eq!(status(&swept, "consent_withdrawn"), Status::Ok);

    // Links handled outside the layer, with no unlink flow: action needed.
    let no_unlink = ComplianceReport::builder(&config)
        .member_links(true)
        .build();
    assert_eq!(status(&no_unlink, "unlink"), Status::ActionNeeded);
    assert_eq!(no_unlink.check().unwrap_err().item_ids(), ["unlink"]);
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The `line_login::compliance` events logged while `f` runs.
fn compliance_log(f: impl FnOnce()) -> Vec<String> {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    text.lines()
        .filter(|l| l.contains("line_login::compliance"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn action_needed_is_logged_once_at_start_up_and_strict_mode_refuses_to_start() {
    let (sim, config) = example_site_config().await;
    let token = "long-lived-token-that-must-not-be-logged";
    let long_lived = sim
        .config_builder(REDIRECT_URI)
        .long_lived_channel_token(token)
        .build()
        .unwrap();

    // Warnings only (loopback http, tracing-only API logs): nothing is logged, strict starts.
    let mut layer = None;
    let log = compliance_log(|| layer = Some(LineLoginLayer::new(config.clone()).unwrap()));
    assert!(log.is_empty(), "{log:?}");
    let layer = layer.unwrap().require_compliance();
    let _service = layer.layer(tower::service_fn(ok_service));

    // An item that needs action: one warning at construction, and only one, even when the
    // layer is configured further and cloned.
    let mut layer = None;
    let log = compliance_log(|| {
        let built = LineLoginLayer::new(long_lived.clone())
            .unwrap()
            .after_logout("/bye")
            .member_links(
                MemoryLinks::<String>::default(),
                MemberInSession("member_id"),
            );
        let _clone = built.clone();
        layer = Some(built);
    });
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].contains("WARN"), "{}", log[0]);
    assert!(
        log[0].contains("Channel access tokens: action needed"),
        "{}",
        log[0]
    );
    assert!(log[0].contains("item=\"channel_tokens\""), "{}", log[0]);
    assert!(!log[0].contains(token));

    // Strict mode refuses it, naming the finding, whether it was asked for before or after the
    // other builder calls; without strict mode it starts.
    let layer = layer.unwrap();
    let refused = layer.compliance().build().check().unwrap_err();
    assert_eq!(refused.item_ids(), ["channel_tokens"]);
    assert!(
        refused
            .to_string()
            .contains("long-lived channel access token")
    );
    assert!(!refused.to_string().contains(token));
    let message = refusal(layer.clone().require_compliance());
    assert!(
        message.contains("long-lived channel access token"),
        "{message}"
    );
    assert!(!message.contains(token), "{message}");
    let asked_first = LineLoginLayer::new(long_lived.clone())
        .unwrap()
        .require_compliance()
        .after_logout("/bye");
    assert!(refusal(asked_first).contains("long-lived channel access token"));
    let _service = layer.layer(tower::service_fn(ok_service));
}

async fn ok_service(
    _request: axum::http::Request<axum::body::Body>,
) -> Result<axum::response::Response, std::convert::Infallible> {
    Ok(axum::response::Response::new(axum::body::Body::empty()))
}

/// The panic message of applying a layer that `require_compliance` refuses.
fn refusal(layer: LineLoginLayer) -> String {
    let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        layer.layer(tower::service_fn(ok_service))
    }));
    let payload = applied
        .err()
        .expect("the layer refused to wrap the service");
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default()
}
