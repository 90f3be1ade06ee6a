//! How the app tells the layer which company member is signed in on a request: the
//! [`SignedInMember`] trait, [`MemberInSession`] for a session key, and plain closures over the
//! request parts. Never anything the client writes (query, form, header).

use async_trait::async_trait;
use axum::http::request::Parts;
use tower_sessions::Session;

/// Tells the layer which company member is signed in on this request, from the app's own
/// sign-in (its session, or what its auth middleware put in the request extensions). Never from
/// anything the client can write.
///
/// Implemented by [`MemberInSession`] and by any `Fn(&Parts) -> Option<String>`, for example a
/// closure reading the app's own extension:
///
/// ```
/// use axum::http::request::Parts;
/// use line_login::link::SignedInMember;
///
/// #[derive(Clone)]
/// struct CurrentMember(u64); // put there by the app's auth middleware
///
/// fn check(_: impl SignedInMember) {}
/// check(|parts: &Parts| parts.extensions.get::<CurrentMember>().map(|m| m.0.to_string()));
/// ```
#[async_trait]
pub trait SignedInMember: Send + Sync + 'static {
    /// The signed-in member's ID, or `None`.
    async fn signed_in_member(&self, parts: &Parts, session: &Session) -> Option<String>;
}

/// The member ID the app keeps in the session under this key (a string or a number).
#[derive(Clone, Copy, Debug)]
pub struct MemberInSession(pub &'static str);

#[async_trait]
impl SignedInMember for MemberInSession {
    async fn signed_in_member(&self, _parts: &Parts, session: &Session) -> Option<String> {
        match session.get::<serde_json::Value>(self.0).await {
            Ok(Some(serde_json::Value::String(id))) if !id.is_empty() => Some(id),
            Ok(Some(serde_json::Value::Number(id))) => Some(id.to_string()),
            Ok(_) => None,
            Err(error) => {
                // Fail closed: a store outage means nobody is signed in for linking purposes.
                tracing::warn!(error = %crate::log_safe::Escaped(&error), "session store failed while reading the signed-in member");
                None
            }
        }
    }
}

#[async_trait]
impl<F> SignedInMember for F
where
    F: Fn(&Parts) -> Option<String> + Send + Sync + 'static,
{
    async fn signed_in_member(&self, parts: &Parts, _session: &Session) -> Option<String> {
        self(parts).filter(|id| !id.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tower_sessions::MemoryStore;

    fn parts() -> Parts {
        axum::http::Request::builder()
            .uri("/auth/line/link?member_id=evil")
            .header("x-member-id", "evil")
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    fn session() -> Session {
        Session::new(None, Arc::new(MemoryStore::default()), None)
    }

    #[tokio::test]
    async fn member_in_session_reads_strings_and_numbers_only_from_the_session() {
        let session = session();
        let by_key = MemberInSession("member_id");
        assert_eq!(by_key.signed_in_member(&parts(), &session).await, None);
        session.insert("member_id", "m-1").await.unwrap();
        assert_eq!(
            by_key.signed_in_member(&parts(), &session).await.as_deref(),
            Some("m-1")
        );
        session.insert("member_id", 42).await.unwrap();
        assert_eq!(
            by_key.signed_in_member(&parts(), &session).await.as_deref(),
            Some("42")
        );
        session.insert("member_id", "").await.unwrap();
        assert_eq!(by_key.signed_in_member(&parts(), &session).await, None);
        session.insert("member_id", true).await.unwrap();
        assert_eq!(by_key.signed_in_member(&parts(), &session).await, None);
    }

    #[derive(Clone)]
    struct Current(&'static str);

    #[tokio::test]
    async fn closures_read_the_request_parts() {
        let from_extension =
            |parts: &Parts| parts.extensions.get::<Current>().map(|c| c.0.to_owned());
        let mut parts = parts();
        assert_eq!(
            from_extension.signed_in_member(&parts, &session()).await,
            None
        );
        parts.extensions.insert(Current("m-7"));
        assert_eq!(
            from_extension
                .signed_in_member(&parts, &session())
                .await
                .as_deref(),
            Some("m-7")
        );
    }
}
