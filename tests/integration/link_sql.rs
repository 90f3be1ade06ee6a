//! The SQL member-link stores, SQLite and PostgreSQL, held to the same rules: one LINE user to one
//! member and back (decided by unique constraints, also under concurrency), idempotent and
//! audited unlinks, tokens kept with the link, paging, migrations run twice; then the whole
//! layer flow (link, sweep, unlink with deauthorize) on each store.
//!
//! PostgreSQL comes from `LINE_LOGIN_TEST_POSTGRES_URL` (default
//! `postgres://postgres:postgres@127.0.0.1:5432/postgres`, as `.ci/setup` starts it); every test
//! works in a fresh schema, so tests run in parallel and repeatedly. A missing server fails.

use crate::common;

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use common::{AppOptions, Browser, start_app_with};
use line_login::link::ReencryptReport;
use line_login::link::{
    AuditAction, AuditEvent, Consent, Deauthorization, LinkCause, LinkConflict, LinkError, LinkKey,
    MemberInSession, MemberLinks, PostgresLinks, SqlLinksError, SqliteLinks, SweepAction,
    SweepLinks, check_links, unlink_and_deauthorize,
};
use line_login::token_crypto::{TokenKey, TokenKeyRing, TokenProtection};
use line_login::{AccessToken, LineApi, RefreshToken, UserTokens};
use line_login_simulator::Endpoint;
use reqwest::StatusCode;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use time::OffsetDateTime;

const POSTGRES_URL_VAR: &str = "LINE_LOGIN_TEST_POSTGRES_URL";
const POSTGRES_URL_DEFAULT: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";

static SCHEMA_SEQ: AtomicUsize = AtomicUsize::new(0);
static FILE_SEQ: AtomicUsize = AtomicUsize::new(0);

/// What the tests read besides the trait: the audit trail.
#[async_trait]
trait Audited: MemberLinks<MemberId = String> + SweepLinks {
    async fn trail(&self, key: LinkKey<'_, String>) -> Vec<AuditEvent>;
}

#[async_trait]
impl Audited for SqliteLinks<String> {
    async fn trail(&self, key: LinkKey<'_, String>) -> Vec<AuditEvent> {
        self.audit(key).await.unwrap()
    }
}

#[async_trait]
impl Audited for PostgresLinks<String> {
    async fn trail(&self, key: LinkKey<'_, String>) -> Vec<AuditEvent> {
        self.audit(key).await.unwrap()
    }
}

/// The key the tests' stores encrypt with (fixed, so stores opened twice agree).
fn test_key() -> TokenKey {
    TokenKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap()
}

fn encrypted() -> TokenProtection {
    TokenProtection::Encrypted(TokenKeyRing::new(test_key()))
}

async fn sqlite_memory() -> SqliteLinks<String> {
    SqliteLinks::connect("sqlite::memory:", encrypted())
        .await
        .unwrap()
}

/// A fresh database file (several connections, so writers really compete), removed on drop.
struct SqliteFile {
    dir: std::path::PathBuf,
    url: String,
}

impl SqliteFile {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "line-login-links-{}-{}",
            std::process::id(),
            FILE_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("links.db").display());
        Self { dir, url }
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A PostgreSQL store in a schema of its own, dropped by [`Pg::drop_schema`].
struct Pg {
    links: PostgresLinks<String>,
    admin: PgPool,
    schema: String,
}

impl Pg {
    async fn start() -> Pg {
        let url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| POSTGRES_URL_DEFAULT.into());
        let options = PgConnectOptions::from_str(&url)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is not a PostgreSQL URL: {e}"));
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is not reachable at {url} ({e}). Run .ci/setup to install and \
                     start it, or set {POSTGRES_URL_VAR}."
                )
            });
        let schema = format!(
            "line_login_test_{}_{}_{}",
            std::process::id(),
            SCHEMA_SEQ.fetch_add(1, Ordering::Relaxed),
            OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000_000
        );
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .unwrap();
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(options.options([("search_path", schema.as_str())]))
            .await
            .unwrap();
        let links = PostgresLinks::new(pool, encrypted());
        links.migrate().await.unwrap();
        Pg {
            links,
            admin,
            schema,
        }
    }

    async fn drop_schema(self) {
        self.links.pool().close().await;
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.schema))
            .execute(&self.admin)
            .await
            .unwrap();
    }
}

fn member(id: &str) -> String {
    id.to_owned()
}

/// Tokens with whole-second times (PostgreSQL keeps microseconds, SQLite text keeps all).
fn tokens(access: &str, refresh: Option<&str>) -> UserTokens {
    let now =
        OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap();
    UserTokens {
        access_token: AccessToken::new(access),
        expires_at: now + time::Duration::days(30),
        refresh_token: refresh.map(RefreshToken::new),
        refresh_expires_at: refresh.map(|_| now + time::Duration::days(90)),
        scope: String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// The rules, written once for any store.

async fn one_line_user_to_one_member_and_back(links: &impl Audited) {
    let by = LinkCause::member();
    links.link(&member("m1"), "U1", None, &by).await.unwrap();
    assert!(matches!(
        links.link(&member("m2"), "U1", None, &by).await,
        Err(LinkError::Conflict(LinkConflict::LineUserLinkedElsewhere))
    ));
    assert!(matches!(
        links.link(&member("m1"), "U2", None, &by).await,
        Err(LinkError::Conflict(LinkConflict::MemberLinkedElsewhere))
    ));
    assert_eq!(links.member_for("U1").await.unwrap().as_deref(), Some("m1"));
    assert_eq!(links.member_for("U2").await.unwrap(), None);
    assert_eq!(
        links.line_user_for(&member("m1")).await.unwrap().as_deref(),
        Some("U1")
    );
    assert_eq!(links.line_user_for(&member("m2")).await.unwrap(), None);
    let trail = links.trail(LinkKey::LineUser("U1")).await;
    assert_eq!(trail.len(), 1, "refused links leave no trace");
    assert_eq!(trail[0].action, AuditAction::Link);
    assert_eq!(trail[0].cause, "member");
    let link = links.find(LinkKey::Member(&member("m1"))).await.unwrap();
    let link = link.unwrap();
    let age = OffsetDateTime::now_utc() - link.linked_at;
    assert!(age >= time::Duration::ZERO && age < time::Duration::minutes(1));
}

async fn relinking_the_same_pair_replaces_the_tokens_only(links: &impl Audited) {
    let by = LinkCause::member();
    let first = tokens("access-1", Some("refresh-1"));
    links
        .link(&member("m1"), "U1", Some(&first), &by)
        .await
        .unwrap();
    let stored = links.find(LinkKey::LineUser("U1")).await.unwrap().unwrap();
    assert_eq!(stored.tokens, Some(first.clone()), "tokens round-trip");
    links.link(&member("m1"), "U1", None, &by).await.unwrap();
    let stored = links.find(LinkKey::LineUser("U1")).await.unwrap().unwrap();
    assert_eq!(stored.tokens, Some(first), "no tokens given: kept");
    let second = tokens("access-2", None);
    links
        .link(&member("m1"), "U1", Some(&second), &by)
        .await
        .unwrap();
    let stored = links
        .find(LinkKey::Member(&member("m1")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.tokens, Some(second));
    assert_eq!(links.trail(LinkKey::Member(&member("m1"))).await.len(), 1);
}

async fn unlink_is_idempotent_and_audited(links: &impl Audited) {
    let by = LinkCause::member();
    let ops = LinkCause::back_office("alice");
    links
        .link(&member("m1"), "U1", Some(&tokens("a", Some("r"))), &by)
        .await
        .unwrap();
    let stale = LinkKey::Pair {
        member: &member("m1"),
        line_user_id: "U2",
    };
    assert!(links.unlink(stale, &ops).await.unwrap().is_none());
    let removed = links
        .unlink(LinkKey::LineUser("U1"), &ops)
        .await
        .unwrap()
        .expect("was linked");
    assert_eq!(removed.member, "m1");
    assert_eq!(
        removed.tokens.unwrap().access_token.expose_secret(),
        "a",
        "the removed link hands back its tokens"
    );
    assert!(
        links
            .unlink(LinkKey::Member(&member("m1")), &ops)
            .await
            .unwrap()
            .is_none()
    );
    let trail = links.trail(LinkKey::Member(&member("m1"))).await;
    let actions: Vec<_> = trail.iter().map(|e| (e.action, e.cause.as_str())).collect();
    assert_eq!(
        actions,
        [
            (AuditAction::Link, "member"),
            (AuditAction::Unlink, "back-office:alice")
        ]
    );
    assert!(trail[0].at <= trail[1].at);
    // Both sides are free again.
    links.link(&member("m2"), "U1", None, &by).await.unwrap();
    links.link(&member("m1"), "U9", None, &by).await.unwrap();
}

async fn update_tokens_never_creates_a_link(links: &impl Audited) {
    assert!(!links.update_tokens("U1", &tokens("a", None)).await.unwrap());
    assert_eq!(links.member_for("U1").await.unwrap(), None);
    links
        .link(&member("m1"), "U1", None, &LinkCause::member())
        .await
        .unwrap();
    let fresh = tokens("b", Some("r"));
    assert!(links.update_tokens("U1", &fresh).await.unwrap());
    let stored = links.find(LinkKey::LineUser("U1")).await.unwrap().unwrap();
    assert_eq!(stored.tokens, Some(fresh));
}

async fn list_pages_in_line_user_order(links: &impl Audited) {
    let by = LinkCause::member();
    for (m, u) in [("m3", "U3"), ("m1", "U1"), ("m2", "U2"), ("m4", "U4")] {
        links.link(&member(m), u, None, &by).await.unwrap();
    }
    let first = links.list(None, 3).await.unwrap();
    let ids: Vec<_> = first.iter().map(|l| l.line_user_id.as_str()).collect();
    assert_eq!(ids, ["U1", "U2", "U3"]);
    let rest = links.list(Some("U3"), 3).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].member, "m4");
    assert!(links.list(Some("U4"), 3).await.unwrap().is_empty());
}

/// Eight members race to link one LINE user, and one member races for eight LINE users.
async fn concurrent_links_have_exactly_one_winner(links: &(impl Audited + Clone)) {
    let by = LinkCause::member();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (links, by) = (links.clone(), by.clone());
        tasks.push(tokio::spawn(async move {
            links.link(&format!("m{i}"), "U-contested", None, &by).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(LinkError::Conflict(LinkConflict::LineUserLinkedElsewhere)) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(links.trail(LinkKey::LineUser("U-contested")).await.len(), 1);

    let mut tasks = Vec::new();
    for i in 0..8 {
        let (links, by) = (links.clone(), by.clone());
        tasks.push(tokio::spawn(async move {
            links
                .link(&member("m-contested"), &format!("U{i}"), None, &by)
                .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(LinkError::Conflict(LinkConflict::MemberLinkedElsewhere)) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert!(
        links
            .line_user_for(&member("m-contested"))
            .await
            .unwrap()
            .is_some()
    );
}

// ---------------------------------------------------------------------------------------------
// SQLite.

#[tokio::test]
async fn sqlite_links_one_line_user_to_one_member_and_back() {
    one_line_user_to_one_member_and_back(&sqlite_memory().await).await;
}

#[tokio::test]
async fn sqlite_relinking_the_same_pair_replaces_the_tokens_only() {
    relinking_the_same_pair_replaces_the_tokens_only(&sqlite_memory().await).await;
}

#[tokio::test]
async fn sqlite_unlink_is_idempotent_and_audited() {
    unlink_is_idempotent_and_audited(&sqlite_memory().await).await;
}

#[tokio::test]
async fn sqlite_update_tokens_never_creates_a_link() {
    update_tokens_never_creates_a_link(&sqlite_memory().await).await;
}

#[tokio::test]
async fn sqlite_lists_pages_in_line_user_order() {
    list_pages_in_line_user_order(&sqlite_memory().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_links_have_exactly_one_winner() {
    let file = SqliteFile::new();
    let links = SqliteLinks::<String>::connect(&file.url, encrypted())
        .await
        .unwrap();
    concurrent_links_have_exactly_one_winner(&links).await;
}

#[tokio::test]
async fn sqlite_links_survive_a_reconnect_and_migrations_run_once() {
    let file = SqliteFile::new();
    let url = &file.url;
    let links = SqliteLinks::<String>::connect(url, encrypted())
        .await
        .unwrap();
    links
        .link(&member("m1"), "U1", None, &LinkCause::member())
        .await
        .unwrap();
    links.migrate().await.unwrap();
    links.pool().close().await;
    let again = SqliteLinks::<String>::connect(url, encrypted())
        .await
        .unwrap();
    assert_eq!(again.member_for("U1").await.unwrap().as_deref(), Some("m1"));
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM line_login_link_migrations")
        .fetch_all(again.pool())
        .await
        .unwrap();
    assert_eq!(versions, [1, 2]);
}

#[tokio::test]
async fn sqlite_member_ids_that_do_not_parse_are_an_error() {
    let file = SqliteFile::new();
    let url = &file.url;
    let text = SqliteLinks::<String>::connect(url, encrypted())
        .await
        .unwrap();
    text.link(&member("not-a-number"), "U1", None, &LinkCause::member())
        .await
        .unwrap();
    let numeric = SqliteLinks::<u64>::connect(url, encrypted()).await.unwrap();
    assert!(matches!(
        numeric.member_for("U1").await,
        Err(SqlLinksError::MemberId)
    ));
    assert!(matches!(
        numeric
            .unlink(LinkKey::LineUser("U1"), &LinkCause::member())
            .await,
        Err(SqlLinksError::MemberId)
    ));
    assert_eq!(
        text.member_for("U1").await.unwrap().as_deref(),
        Some("not-a-number"),
        "a refused unlink leaves the row"
    );
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL.

#[tokio::test]
async fn postgres_links_one_line_user_to_one_member_and_back() {
    let pg = Pg::start().await;
    one_line_user_to_one_member_and_back(&pg.links).await;
    pg.drop_schema().await;
}

#[tokio::test]
async fn postgres_relinking_the_same_pair_replaces_the_tokens_only() {
    let pg = Pg::start().await;
    relinking_the_same_pair_replaces_the_tokens_only(&pg.links).await;
    pg.drop_schema().await;
}

#[tokio::test]
async fn postgres_unlink_is_idempotent_and_audited() {
    let pg = Pg::start().await;
    unlink_is_idempotent_and_audited(&pg.links).await;
    pg.drop_schema().await;
}

#[tokio::test]
async fn postgres_update_tokens_never_creates_a_link() {
    let pg = Pg::start().await;
    update_tokens_never_creates_a_link(&pg.links).await;
    pg.drop_schema().await;
}

#[tokio::test]
async fn postgres_lists_pages_in_line_user_order() {
    let pg = Pg::start().await;
    list_pages_in_line_user_order(&pg.links).await;
    pg.drop_schema().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_links_have_exactly_one_winner() {
    let pg = Pg::start().await;
    concurrent_links_have_exactly_one_winner(&pg.links).await;
    pg.drop_schema().await;
}

#[tokio::test]
async fn postgres_migrations_run_once() {
    let pg = Pg::start().await;
    pg.links.migrate().await.unwrap();
    pg.links.migrate().await.unwrap();
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM line_login_link_migrations")
        .fetch_all(pg.links.pool())
        .await
        .unwrap();
    assert_eq!(versions, [1, 2]);
    pg.drop_schema().await;
}

// ---------------------------------------------------------------------------------------------
// Tokens at rest: encrypted, bound to their row, rotated, migrated from plain text.

/// A second view of the same database: another store on the same pool with its own token
/// protection, and raw SQL on the link table.
#[async_trait]
trait Raw: Audited + Clone {
    fn with_protection(&self, protection: TokenProtection) -> Self;
    async fn exec(&self, sql: &str);
    /// Every link row's text columns, as stored.
    async fn rows(&self) -> Vec<[String; 6]>;
    async fn reencrypt(&self) -> ReencryptReport;
}

const ROW_TEXT: &str = "SELECT member_id, line_user_id, COALESCE(access_token, ''), \
     COALESCE(refresh_token, ''), COALESCE(token_key_id, ''), COALESCE(sealed_tokens, '') \
     FROM line_login_member_links ORDER BY line_user_id";

type RowText = (String, String, String, String, String, String);

fn row_array(r: RowText) -> [String; 6] {
    [r.0, r.1, r.2, r.3, r.4, r.5]
}

#[async_trait]
impl Raw for SqliteLinks<String> {
    fn with_protection(&self, protection: TokenProtection) -> Self {
        SqliteLinks::new(self.pool().clone(), protection)
    }
    async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sql).execute(self.pool()).await.unwrap();
    }
    async fn rows(&self) -> Vec<[String; 6]> {
        let rows: Vec<RowText> = sqlx::query_as(ROW_TEXT)
            .fetch_all(self.pool())
            .await
            .unwrap();
        rows.into_iter().map(row_array).collect()
    }
    async fn reencrypt(&self) -> ReencryptReport {
        self.reencrypt_tokens().await.unwrap()
    }
}

#[async_trait]
impl Raw for PostgresLinks<String> {
    fn with_protection(&self, protection: TokenProtection) -> Self {
        PostgresLinks::new(self.pool().clone(), protection)
    }
    async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sql).execute(self.pool()).await.unwrap();
    }
    async fn rows(&self) -> Vec<[String; 6]> {
        let rows: Vec<RowText> = sqlx::query_as(ROW_TEXT)
            .fetch_all(self.pool())
            .await
            .unwrap();
        rows.into_iter().map(row_array).collect()
    }
    async fn reencrypt(&self) -> ReencryptReport {
        self.reencrypt_tokens().await.unwrap()
    }
}

/// Whether any stored column holds one of `secrets`.
async fn stored_secrets(links: &impl Raw, secrets: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for row in links.rows().await {
        for column in row {
            for secret in secrets {
                if column.contains(secret) {
                    found.push((*secret).to_owned());
                }
            }
        }
    }
    found
}

async fn link_tokens_are_encrypted_and_bound_to_their_row(links: &impl Raw) {
    let by = LinkCause::member();
    let mine = tokens("access-of-m1", Some("refresh-of-m1"));
    links
        .link(&member("m1"), "U1", Some(&mine), &by)
        .await
        .unwrap();
    links
        .link(
            &member("m2"),
            "U2",
            Some(&tokens("access-of-m2", None)),
            &by,
        )
        .await
        .unwrap();
    let fresh = tokens("access-of-m1-again", Some("refresh-of-m1-again"));
    assert!(links.update_tokens("U1", &fresh).await.unwrap());
    let secrets = [
        "access-of-m1",
        "refresh-of-m1",
        "access-of-m2",
        "access-of-m1-again",
        "refresh-of-m1-again",
    ];
    assert_eq!(stored_secrets(links, &secrets).await, Vec::<String>::new());
    let rows = links.rows().await;
    assert_eq!(rows[0][4], test_key().id(), "the key id is stored beside");
    assert!(
        rows[0][2].is_empty() && rows[0][3].is_empty(),
        "no plain tokens"
    );
    let read = links.find(LinkKey::LineUser("U1")).await.unwrap().unwrap();
    assert_eq!(read.tokens, Some(fresh.clone()));

    // m1's ciphertext copied onto m2's row does not open there.
    links
        .exec(
            "UPDATE line_login_member_links SET sealed_tokens = \
             (SELECT sealed_tokens FROM line_login_member_links WHERE member_id = 'm1') \
             WHERE member_id = 'm2'",
        )
        .await;
    let moved = links.find(LinkKey::LineUser("U2")).await.unwrap().unwrap();
    assert_eq!(moved.tokens, None, "a moved ciphertext is no token");
    let removed = links
        .unlink(LinkKey::Member(&member("m2")), &by)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(removed.tokens, None);
    let read = links.find(LinkKey::LineUser("U1")).await.unwrap().unwrap();
    assert_eq!(read.tokens, Some(fresh));
}

async fn plain_rows_are_encrypted_on_first_read_and_by_reencrypt(links: &impl Raw) {
    let plain = links.with_protection(TokenProtection::Plaintext);
    let by = LinkCause::member();
    for (m, u) in [("m1", "U1"), ("m2", "U2"), ("m3", "U3")] {
        let t = tokens(
            &format!("plain-access-{u}"),
            Some(&format!("plain-refresh-{u}")),
        );
        plain.link(&member(m), u, Some(&t), &by).await.unwrap();
    }
    links.link(&member("m4"), "U4", None, &by).await.unwrap();
    let secrets = ["plain-access-U", "plain-refresh-U"];
    assert_eq!(
        stored_secrets(links, &secrets).await.len(),
        6,
        "plain as written"
    );

    // The first read of a plain row encrypts it.
    let read = links.find(LinkKey::LineUser("U1")).await.unwrap().unwrap();
    let read = read.tokens.unwrap();
    assert_eq!(read.access_token.expose_secret(), "plain-access-U1");
    assert_eq!(stored_secrets(links, &secrets).await.len(), 4);
    let rows = links.rows().await;
    assert_eq!(rows[0][4], test_key().id());
    assert!(rows[0][2].is_empty());

    // The back-office call encrypts the rest, once.
    assert_eq!(
        links.reencrypt().await,
        ReencryptReport {
            reencrypted: 2,
            unreadable: 0
        }
    );
    assert_eq!(stored_secrets(links, &secrets).await, Vec::<String>::new());
    assert_eq!(links.reencrypt().await, ReencryptReport::default());
    let third = links.find(LinkKey::Member(&member("m3"))).await.unwrap();
    let third = third.unwrap().tokens.unwrap();
    assert_eq!(
        third.refresh_token.unwrap().expose_secret(),
        "plain-refresh-U3"
    );
    // A plain-text store cannot read them back: no tokens, no error.
    let read = plain.find(LinkKey::LineUser("U2")).await.unwrap().unwrap();
    assert_eq!(read.tokens, None);
}

async fn rotation_and_a_wrong_key(links: &impl Raw) {
    let by = LinkCause::member();
    links
        .link(
            &member("m1"),
            "U1",
            Some(&tokens("rotated-access", None)),
            &by,
        )
        .await
        .unwrap();
    links
        .link(
            &member("m2"),
            "U2",
            Some(&tokens("other-access", None)),
            &by,
        )
        .await
        .unwrap();
    let new_key = TokenKey::generate().unwrap();
    let rotated = links.with_protection(TokenProtection::Encrypted(
        TokenKeyRing::new(new_key.clone())
            .with_old_key(test_key())
            .unwrap(),
    ));
    // Old rows open with the old key while the new one seals.
    rotated
        .link(&member("m3"), "U3", Some(&tokens("new-access", None)), &by)
        .await
        .unwrap();
    let ids: Vec<String> = links
        .rows()
        .await
        .into_iter()
        .map(|r| r[4].clone())
        .collect();
    assert_eq!(ids, [test_key().id(), test_key().id(), new_key.id()]);
    assert_eq!(
        rotated.reencrypt().await,
        ReencryptReport {
            reencrypted: 2,
            unreadable: 0
        }
    );
    let ids: Vec<String> = links
        .rows()
        .await
        .into_iter()
        .map(|r| r[4].clone())
        .collect();
    assert_eq!(ids, [new_key.id(); 3]);

    // With the old key retired, everything still opens.
    let new_only = links.with_protection(TokenProtection::Encrypted(TokenKeyRing::new(new_key)));
    let read = new_only
        .find(LinkKey::LineUser("U1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        read.tokens.unwrap().access_token.expose_secret(),
        "rotated-access"
    );

    // A wrong key: no tokens, never a crash; the back office counts what it cannot read.
    let wrong = links.with_protection(TokenProtection::Encrypted(TokenKeyRing::new(
        TokenKey::generate().unwrap(),
    )));
    let read = wrong.find(LinkKey::LineUser("U1")).await.unwrap().unwrap();
    assert_eq!(read.tokens, None);
    assert_eq!(wrong.list(None, 10).await.unwrap().len(), 3);
    assert_eq!(
        wrong.reencrypt().await,
        ReencryptReport {
            reencrypted: 0,
            unreadable: 3
        }
    );
    let removed = wrong
        .unlink(LinkKey::Member(&member("m2")), &by)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(removed.tokens, None, "unlink falls back without tokens");
}

#[tokio::test]
async fn sqlite_link_tokens_are_encrypted_and_bound_to_their_row() {
    link_tokens_are_encrypted_and_bound_to_their_row(&sqlite_memory().await).await;
}

#[tokio::test]
async fn sqlite_plain_rows_are_encrypted_on_first_read_and_by_reencrypt() {
    plain_rows_are_encrypted_on_first_read_and_by_reencrypt(&sqlite_memory().await).await;
}

#[tokio::test]
async fn sqlite_token_key_rotation_and_a_wrong_key() {
    rotation_and_a_wrong_key(&sqlite_memory().await).await;
}

#[tokio::test]
async fn postgres_link_tokens_are_encrypted_and_bound_to_their_row() {
    let pg = Pg::start().await;
    link_tokens_are_encrypted_and_bound_to_their_row(&pg.links).await;
    pg.drop_schema().await;
}

#[tokio::test]
async fn postgres_plain_rows_are_encrypted_on_first_read_and_by_reencrypt() {
    let pg = Pg::start().await;
    plain_rows_are_encrypted_on_first_read_and_by_reencrypt(&pg.links).await;
    pg.drop_schema().await;
}

#[tokio::test]
async fn postgres_token_key_rotation_and_a_wrong_key() {
    let pg = Pg::start().await;
    rotation_and_a_wrong_key(&pg.links).await;
    pg.drop_schema().await;
}

/// A database made by the previous release (migration 1 only, plain tokens) is upgraded by the
/// next connect, and its rows end up encrypted.
#[tokio::test]
async fn sqlite_migration_upgrades_a_plain_text_database() {
    let file = SqliteFile::new();
    let old = sqlx::sqlite::SqlitePoolOptions::new()
        .connect(&file.url)
        .await
        .unwrap();
    sqlx::raw_sql(include_str!(
        "../../migrations/link/sqlite/0001_member_links.sql"
    ))
    .execute(&old)
    .await
    .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE line_login_link_migrations (version INTEGER PRIMARY KEY, \
         description TEXT NOT NULL, applied_at TEXT NOT NULL); \
         INSERT INTO line_login_link_migrations VALUES (1, 'member links and audit', 'then'); \
         INSERT INTO line_login_member_links VALUES ('m1', 'U1', '2026-01-01T00:00:00Z', \
         'legacy-access', '2099-01-01T00:00:00Z', 'legacy-refresh', NULL);",
    )
    .execute(&old)
    .await
    .unwrap();
    old.close().await;
    let links = SqliteLinks::<String>::connect(&file.url, encrypted())
        .await
        .unwrap();
    assert_eq!(links.reencrypt().await.reencrypted, 1);
    assert_eq!(
        stored_secrets(&links, &["legacy-access", "legacy-refresh"]).await,
        Vec::<String>::new()
    );
    let read = links.find(LinkKey::LineUser("U1")).await.unwrap().unwrap();
    let read = read.tokens.unwrap();
    assert_eq!(read.access_token.expose_secret(), "legacy-access");
    assert_eq!(
        read.refresh_token.unwrap().expose_secret(),
        "legacy-refresh"
    );
    links.pool().close().await;
    // Nothing readable is left in the file itself.
    let bytes = std::fs::read(file.dir.join("links.db")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("legacy-access") && !text.contains("legacy-refresh"));
}

#[tokio::test]
async fn postgres_migration_upgrades_a_plain_text_database() {
    let pg = Pg::start().await;
    // Back to the previous release's schema, with a plain row.
    pg.links
        .exec(
            "DROP TABLE line_login_member_links; DROP TABLE line_login_link_audit; \
             DELETE FROM line_login_link_migrations WHERE version > 1;",
        )
        .await;
    pg.links
        .exec(include_str!(
            "../../migrations/link/postgres/0001_member_links.sql"
        ))
        .await;
    pg.links
        .exec(
            "INSERT INTO line_login_member_links VALUES ('m1', 'U1', now(), 'legacy-access', \
             now() + interval '30 days', 'legacy-refresh', NULL)",
        )
        .await;
    pg.links.migrate().await.unwrap();
    let read = pg
        .links
        .find(LinkKey::LineUser("U1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        read.tokens.unwrap().access_token.expose_secret(),
        "legacy-access"
    );
    assert_eq!(
        stored_secrets(&pg.links, &["legacy-access", "legacy-refresh"]).await,
        Vec::<String>::new(),
        "encrypted on first read"
    );
    pg.drop_schema().await;
}

// ---------------------------------------------------------------------------------------------
// The layer on each store: link through LINE, sweep after consent is withdrawn, unlink.

async fn layer_flow<L: Audited>(links: L) {
    let app = start_app_with(AppOptions::default().layer({
        let links = links.clone();
        move |layer| layer.member_links(links, MemberInSession("member_id"))
    }))
    .await;
    let users = app.sim.users();
    let (brown, cony) = (users[0].user_id.clone(), users[1].user_id.clone());
    let api = LineApi::new(&app.config).unwrap();

    // m1 links Brown, m2 links Cony, through the layer.
    let mut browsers = Vec::new();
    for (m, line_user) in [("m1", &brown), ("m2", &cony)] {
        let browser = Browser::new();
        browser
            .post(&app.url(&format!("/member/signin?member={m}")))
            .await;
        let answer = browser.post(&app.url("/auth/line/link")).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        let callback = app
            .consent(&answer.location().unwrap(), app.choice(line_user))
            .await;
        let answer = browser.get_cross_site(&callback).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        browsers.push(browser);
    }
    assert_eq!(
        links.member_for(&brown).await.unwrap().as_deref(),
        Some("m1")
    );
    assert_eq!(
        links.member_for(&cony).await.unwrap().as_deref(),
        Some("m2")
    );

    // A third member cannot take Brown.
    let intruder = Browser::new().as_json();
    intruder.post(&app.url("/member/signin?member=m3")).await;
    let answer = intruder.post(&app.url("/auth/line/link")).await;
    let callback = app
        .consent(&answer.location().unwrap(), app.choice(&brown))
        .await;
    let answer = intruder.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(
        links.member_for(&brown).await.unwrap().as_deref(),
        Some("m1")
    );

    // Cony withdraws consent inside LINE; the sweep finds it and unlinks.
    app.sim.revoke_consent(&cony);
    let report = check_links(&links, &api, |_| SweepAction::Unlink)
        .await
        .unwrap();
    assert_eq!((report.checked, report.granted), (2, 1));
    assert_eq!(report.withdrawn.len(), 1);
    assert_eq!(report.withdrawn[0].member, "m2");
    assert_eq!(report.withdrawn[0].consent, Consent::Withdrawn);
    assert_eq!(links.member_for(&cony).await.unwrap(), None);
    let trail = links.trail(LinkKey::LineUser(&cony)).await;
    assert_eq!(trail.last().unwrap().cause, "consent-withdrawn");

    // m1 unlinks: LINE's deauthorize gets Brown's stored token; a second unlink does nothing.
    let stored = links
        .find(LinkKey::LineUser(&brown))
        .await
        .unwrap()
        .unwrap()
        .tokens
        .unwrap()
        .access_token;
    let answer = browsers[0].post(&app.url("/auth/line/unlink")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(links.member_for(&brown).await.unwrap(), None);
    assert_eq!(app.sim.deauthorized_tokens(), [stored.expose_secret()]);
    browsers[0].post(&app.url("/auth/line/unlink")).await;
    assert_eq!(app.sim.requests(Endpoint::Deauthorize), 1);
    let trail = links.trail(LinkKey::Member(&member("m1"))).await;
    assert_eq!(trail.len(), 2);
    assert_eq!(trail[1].action, AuditAction::Unlink);

    // Back office: nothing left to unlink for m2 (the sweep did it).
    let again = unlink_and_deauthorize(
        &links,
        &api,
        LinkKey::Member(&member("m2")),
        &LinkCause::back_office("ops"),
    )
    .await
    .unwrap();
    assert!(again.is_none());

    // Link again after unlinking, then unlink from the back office.
    let answer = browsers[0].post(&app.url("/auth/line/link")).await;
    let callback = app
        .consent(&answer.location().unwrap(), app.choice(&brown))
        .await;
    assert_eq!(
        browsers[0].get_cross_site(&callback).await.status,
        StatusCode::SEE_OTHER
    );
    let done = unlink_and_deauthorize(
        &links,
        &api,
        LinkKey::LineUser(&brown),
        &LinkCause::back_office("ops"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(done.deauthorization, Deauthorization::Deauthorized);
}

#[tokio::test]
async fn sqlite_store_behind_the_layer() {
    layer_flow(sqlite_memory().await).await;
}

#[tokio::test]
async fn postgres_store_behind_the_layer() {
    let pg = Pg::start().await;
    layer_flow(pg.links.clone()).await;
    pg.drop_schema().await;
}

/// Tokens under a key no longer configured: the back-office unlink still unlinks and reports
/// that LINE could not be told, as for a link that kept no token.
#[tokio::test]
async fn sqlite_back_office_unlink_under_an_unknown_key_unlinks_with_no_token() {
    let links = sqlite_memory().await;
    let by = LinkCause::back_office("ops");
    links
        .link(&member("m1"), "U1", Some(&tokens("a", Some("r"))), &by)
        .await
        .unwrap();
    let rekeyed = links.with_protection(TokenProtection::Encrypted(TokenKeyRing::new(
        TokenKey::generate().unwrap(),
    )));
    let config = line_login::Config::builder("1", "s", "https://example.com/cb")
        .build()
        .unwrap();
    let api = LineApi::new(&config).unwrap();
    let done = unlink_and_deauthorize(&rekeyed, &api, LinkKey::LineUser("U1"), &by)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.deauthorization, Deauthorization::NoToken);
    assert_eq!(links.member_for("U1").await.unwrap(), None);
}
