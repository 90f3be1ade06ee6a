//! One log record per call to LINE: when, which endpoint, status, LINE's request id, latency
//! and outcome; the same sink receives the layer's authorization-request and callback records
//! ([`crate::login_log`]). A record never holds a token, code, secret, nonce, URL or personal data, so a
//! sink can store or print it as it is.

use std::time::Duration;

use time::OffsetDateTime;

use super::Endpoint;

/// One call to LINE, as logged.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiCallRecord {
    /// When the call started (UTC).
    pub at: OffsetDateTime,
    /// The endpoint that was called ([`Endpoint::as_str`](super::Endpoint::as_str) is its short name, e.g. `"token"`).
    pub endpoint: Endpoint,
    /// `"GET"` or `"POST"`.
    pub method: &'static str,
    /// The HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// The `x-line-request-id` header, when an answer carried one.
    pub request_id: Option<String>,
    /// Time from sending the request to having read (and parsed) the whole answer.
    pub latency: Duration,
    /// How the call ended.
    pub outcome: ApiOutcome,
}

impl ApiCallRecord {
    /// A record with every field given (for sinks' tests and for replaying stored records).
    pub fn new(
        at: OffsetDateTime,
        endpoint: Endpoint,
        method: &'static str,
        status: Option<u16>,
        request_id: Option<String>,
        latency: Duration,
        outcome: ApiOutcome,
    ) -> Self {
        Self {
            at,
            endpoint,
            method,
            status,
            request_id,
            latency,
            outcome,
        }
    }
}

/// How a call to LINE ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiOutcome {
    /// A 2xx answer with a usable body.
    Ok,
    /// A non-2xx answer: LINE's `error` code, or `http_<status>` when it gave none.
    LineError(String),
    /// No answer (connection or TLS failure).
    Transport,
    /// No answer within the HTTP timeout.
    Timeout,
    /// A 2xx answer with an unusable body.
    UnexpectedBody,
}

impl ApiOutcome {
    /// A short text for logs: `ok`, the LINE error code, `transport`, `timeout` or
    /// `unexpected_body`.
    pub fn as_str(&self) -> &str {
        match self {
            ApiOutcome::Ok => "ok",
            ApiOutcome::LineError(code) => code,
            ApiOutcome::Transport => "transport",
            ApiOutcome::Timeout => "timeout",
            ApiOutcome::UnexpectedBody => "unexpected_body",
        }
    }

    /// Whether the call succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self, ApiOutcome::Ok)
    }
}

/// Where [`LineApi`](super::LineApi) sends its [`ApiCallRecord`]s (one per call). Implement it to
/// keep API logs in a database or to count calls; it is called synchronously on the calling
/// task, so keep it quick (hand the record to a channel for slow storage).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use line_login::api::{ApiCallRecord, ApiLogSink};
///
/// #[derive(Default)]
/// struct Collect(Mutex<Vec<ApiCallRecord>>);
///
/// impl ApiLogSink for Collect {
///     fn record(&self, record: &ApiCallRecord) {
///         if let Ok(mut records) = self.0.lock() {
///             records.push(record.clone());
///         }
///     }
/// }
/// let sink: Arc<dyn ApiLogSink> = Arc::new(Collect::default());
/// ```
pub trait ApiLogSink: Send + Sync + 'static {
    /// Receives the record of one finished call.
    fn record(&self, record: &ApiCallRecord);

    /// Receives the record of one authorization request (a login or link start), made by
    /// [`LineLoginLayer`](crate::LineLoginLayer). The default logs it with `tracing`
    /// ([`trace_authorization`](crate::login_log::trace_authorization)).
    fn record_authorization(&self, record: &crate::login_log::AuthorizationRecord) {
        crate::login_log::trace_authorization(record);
    }

    /// Receives the record of one callback, made by
    /// [`LineLoginLayer`](crate::LineLoginLayer). The default logs it with `tracing`
    /// ([`trace_callback`](crate::login_log::trace_callback)).
    fn record_callback(&self, record: &crate::login_log::CallbackRecord) {
        crate::login_log::trace_callback(record);
    }

    /// Whether this sink keeps the records for a retention period itself (a database table, a
    /// log archive), as LINE's guidelines ask. The compliance report and the layer's start-up
    /// check read it; the default, `false`, is right for sinks that only print or count.
    fn is_persistent(&self) -> bool {
        false
    }
}

/// The default sink: one `tracing` event per call (target `line_login::api`), `INFO` when the call
/// succeeded and `WARN` otherwise, with the record's fields; authorization and callback records
/// as `INFO` events of target `line_login::login_log` (the trait's defaults).
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingSink;

impl ApiLogSink for TracingSink {
    fn record(&self, record: &ApiCallRecord) {
        let latency_ms = u64::try_from(record.latency.as_millis()).unwrap_or(u64::MAX);
        let request_id = record.request_id.as_deref();
        let outcome = record.outcome.as_str();
        if record.outcome.is_ok() {
            tracing::info!(
                target: "line_login::api",
                endpoint = record.endpoint.as_str(),
                method = record.method,
                status = record.status,
                request_id,
                latency_ms,
                outcome,
                "LINE API call"
            );
        } else {
            tracing::warn!(
                target: "line_login::api",
                endpoint = record.endpoint.as_str(),
                method = record.method,
                status = record.status,
                request_id,
                latency_ms,
                outcome,
                "LINE API call failed"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_text_is_short_and_stable() {
        assert_eq!(ApiOutcome::Ok.as_str(), "ok");
        assert_eq!(
            ApiOutcome::LineError("invalid_grant".into()).as_str(),
            "invalid_grant"
        );
        assert_eq!(ApiOutcome::Timeout.as_str(), "timeout");
        assert_eq!(ApiOutcome::Transport.as_str(), "transport");
        assert_eq!(ApiOutcome::UnexpectedBody.as_str(), "unexpected_body");
        assert!(ApiOutcome::Ok.is_ok() && !ApiOutcome::Timeout.is_ok());
    }

    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn tracing_sink_emits_one_event_info_on_success_warn_on_failure() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        let record = ApiCallRecord {
            at: OffsetDateTime::UNIX_EPOCH,
            endpoint: Endpoint::Token,
            method: "POST",
            status: Some(400),
            request_id: Some("req-42".into()),
            latency: Duration::from_millis(12),
            outcome: ApiOutcome::LineError("invalid_grant".into()),
        };
        tracing::subscriber::with_default(subscriber, || {
            TracingSink.record(&record);
            TracingSink.record(&ApiCallRecord {
                outcome: ApiOutcome::Ok,
                status: Some(200),
                ..record.clone()
            });
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains("WARN"), "{text}");
        assert!(lines[0].contains("endpoint=\"token\""), "{text}");
        assert!(lines[0].contains("status=400"), "{text}");
        assert!(lines[0].contains("req-42"), "{text}");
        assert!(lines[0].contains("invalid_grant"), "{text}");
        assert!(lines[0].contains("latency_ms=12"), "{text}");
        assert!(
            lines[1].contains("INFO") && lines[1].contains("status=200"),
            "{text}"
        );
    }
}
