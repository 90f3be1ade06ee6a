//! Member links in SQL through sqlx: [`SqliteLinks`] (embedded, the default) and
//! [`PostgresLinks`] (several instances), with their migrations
//! (`migrations/link/{sqlite,postgres}`) and one shared implementation. Conflicts are decided by
//! the tables' unique constraints inside one transaction, never by a read-then-write check alone.
//!
//! Migrations are tracked in their own table, `line_login_link_migrations`, so they never mix
//! with the app's own sqlx migrations (`_sqlx_migrations`).

use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

use super::{AuditAction, LinkConflict, LinkKey, UserTokens};
use crate::secret::{AccessToken, RefreshToken};
use crate::token_crypto::{SealedToken, TokenBinding, TokenCryptoError, TokenProtection};

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::PostgresLinks;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteLinks;

/// Why a SQL link store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqlLinksError {
    /// The database failed (connection, query, constraint other than the link's own).
    #[error("member-link database error")]
    Database(#[from] sqlx::Error),
    /// A stored member ID does not parse as the store's member type.
    #[error("a stored member ID does not parse as the member type")]
    MemberId,
    /// A stored audit action is neither `link` nor `unlink`.
    #[error("a stored audit action is unknown")]
    AuditAction,
    /// The tokens could not be encrypted.
    #[error("the link's tokens could not be encrypted")]
    TokenCrypto(#[from] TokenCryptoError),
}

/// What [`reencrypt_tokens`](SqliteLinks::reencrypt_tokens) did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReencryptReport {
    /// Rows whose tokens were plain text or under an older key, now under the current key.
    pub reencrypted: u64,
    /// Rows whose tokens do not open (a key no longer configured, or damaged): left as they
    /// are, and read as "no tokens" (the user's next login stores fresh ones).
    pub unreadable: u64,
}

/// Where applied member-link migrations are recorded.
const MIGRATIONS_TABLE: &str = "line_login_link_migrations";
/// Rows read per page by `reencrypt_tokens`.
const REENCRYPT_PAGE: i64 = 500;
/// Names the member-link migrations in the log ("member-link migration applied").
const MIGRATIONS_SUBJECT: &str = "member-link";

macro_rules! link_columns {
    () => {
        "member_id, line_user_id, linked_at, access_token, access_token_expires_at, refresh_token, refresh_token_expires_at, token_key_id, sealed_tokens"
    };
}

pub(crate) const INSERT_LINK: &str = "INSERT INTO line_login_member_links \
     (member_id, line_user_id, linked_at, access_token, access_token_expires_at, refresh_token, refresh_token_expires_at, token_key_id, sealed_tokens) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING";
/// Replaces a row's tokens only if they are still what was read (a concurrent login's fresh
/// tokens are never overwritten by a re-encryption of older ones).
pub(crate) const RESEAL_TOKENS: &str = "UPDATE line_login_member_links SET access_token = $3, \
     access_token_expires_at = $4, refresh_token = $5, refresh_token_expires_at = $6, \
     token_key_id = $7, sealed_tokens = $8 \
     WHERE member_id = $1 AND line_user_id = $2 \
     AND access_token IS NOT DISTINCT FROM $9 AND sealed_tokens IS NOT DISTINCT FROM $10";
pub(crate) const SELECT_MEMBER_OF: &str =
    "SELECT member_id FROM line_login_member_links WHERE line_user_id = $1";
pub(crate) const SELECT_CLASH: &str = "SELECT member_id, line_user_id FROM line_login_member_links \
     WHERE member_id = $1 OR line_user_id = $2";
pub(crate) const UPDATE_TOKENS: &str = "UPDATE line_login_member_links SET access_token = $3, \
     access_token_expires_at = $4, refresh_token = $5, refresh_token_expires_at = $6, \
     token_key_id = $7, sealed_tokens = $8 \
     WHERE line_user_id = $1 AND member_id = $2";
pub(crate) const INSERT_AUDIT: &str = "INSERT INTO line_login_link_audit \
     (at, action, member_id, line_user_id, cause) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const LIST_FIRST: &str = concat!(
    "SELECT ",
    link_columns!(),
    " FROM line_login_member_links ORDER BY line_user_id LIMIT $1"
);
pub(crate) const LIST_AFTER: &str = concat!(
    "SELECT ",
    link_columns!(),
    " FROM line_login_member_links WHERE line_user_id > $1 ORDER BY line_user_id LIMIT $2"
);

/// One statement in three forms: by member, by LINE user, by exact pair.
pub(crate) struct Keyed {
    by_member: &'static str,
    by_line_user: &'static str,
    by_pair: &'static str,
}

pub(crate) const FIND: Keyed = Keyed {
    by_member: concat!(
        "SELECT ",
        link_columns!(),
        " FROM line_login_member_links WHERE member_id = $1"
    ),
    by_line_user: concat!(
        "SELECT ",
        link_columns!(),
        " FROM line_login_member_links WHERE line_user_id = $1"
    ),
    by_pair: concat!(
        "SELECT ",
        link_columns!(),
        " FROM line_login_member_links WHERE member_id = $1 AND line_user_id = $2"
    ),
};

pub(crate) const DELETE: Keyed = Keyed {
    by_member: concat!(
        "DELETE FROM line_login_member_links WHERE member_id = $1 RETURNING ",
        link_columns!()
    ),
    by_line_user: concat!(
        "DELETE FROM line_login_member_links WHERE line_user_id = $1 RETURNING ",
        link_columns!()
    ),
    by_pair: concat!(
        "DELETE FROM line_login_member_links WHERE member_id = $1 AND line_user_id = $2 RETURNING ",
        link_columns!()
    ),
};

pub(crate) const AUDIT: Keyed = Keyed {
    by_member: "SELECT at, action, member_id, line_user_id, cause FROM line_login_link_audit \
                WHERE member_id = $1 ORDER BY id",
    by_line_user: "SELECT at, action, member_id, line_user_id, cause FROM line_login_link_audit \
                   WHERE line_user_id = $1 ORDER BY id",
    by_pair: "SELECT at, action, member_id, line_user_id, cause FROM line_login_link_audit \
              WHERE member_id = $1 AND line_user_id = $2 ORDER BY id",
};

impl Keyed {
    /// The statement for `key` and its parameters, in order.
    pub(crate) fn pick<M: fmt::Display>(
        &self,
        key: &LinkKey<'_, M>,
    ) -> (&'static str, Vec<String>) {
        match key {
            LinkKey::Member(member) => (self.by_member, vec![member.to_string()]),
            LinkKey::LineUser(user) => (self.by_line_user, vec![(*user).to_owned()]),
            LinkKey::Pair {
                member,
                line_user_id,
            } => (
                self.by_pair,
                vec![member.to_string(), (*line_user_id).to_owned()],
            ),
        }
    }
}

/// The token columns of a link row, as bound: the secrets in `sealed_tokens` under
/// `token_key_id` when encrypting (the plain columns then stay NULL), in `access_token` and
/// `refresh_token` in plain-text mode. The expiry times are never secret.
pub(crate) struct TokenColumns {
    pub(crate) access_token: Option<String>,
    pub(crate) expires_at: Option<OffsetDateTime>,
    pub(crate) refresh_token: Option<String>,
    pub(crate) refresh_expires_at: Option<OffsetDateTime>,
    pub(crate) token_key_id: Option<String>,
    pub(crate) sealed_tokens: Option<String>,
}

/// The secret part of a link's tokens, as sealed.
#[derive(serde::Serialize, serde::Deserialize)]
struct SealedSecrets {
    access_token: AccessToken,
    refresh_token: Option<RefreshToken>,
}

impl TokenColumns {
    /// The columns for `tokens` of the link (`member`, `line_user_id`).
    pub(crate) fn of(
        protection: &TokenProtection,
        member: &str,
        line_user_id: &str,
        tokens: Option<&UserTokens>,
    ) -> Result<Self, SqlLinksError> {
        let mut columns = Self {
            access_token: None,
            expires_at: tokens.map(|t| t.expires_at),
            refresh_token: None,
            refresh_expires_at: tokens.and_then(|t| t.refresh_expires_at),
            token_key_id: None,
            sealed_tokens: None,
        };
        let Some(tokens) = tokens else {
            return Ok(columns);
        };
        match protection {
            TokenProtection::Plaintext => {
                columns.access_token = Some(tokens.access_token.expose_secret().to_owned());
                columns.refresh_token = tokens
                    .refresh_token
                    .as_ref()
                    .map(|t| t.expose_secret().to_owned());
            }
            TokenProtection::Encrypted(ring) => {
                let secrets = SealedSecrets {
                    access_token: tokens.access_token.clone(),
                    refresh_token: tokens.refresh_token.clone(),
                };
                let plain = serde_json::to_vec(&secrets)
                    .map_err(|_| SqlLinksError::TokenCrypto(TokenCryptoError::SealFailed))?;
                let binding = TokenBinding::Link {
                    member_id: member,
                    line_user_id,
                };
                let sealed = ring.seal(binding, &plain)?;
                columns.token_key_id = Some(sealed.key_id);
                columns.sealed_tokens = Some(sealed.ciphertext);
            }
        }
        Ok(columns)
    }
}

/// The token columns of a row as read.
pub(crate) struct StoredTokenColumns {
    pub(crate) access_token: Option<String>,
    pub(crate) expires_at: Option<OffsetDateTime>,
    pub(crate) refresh_token: Option<String>,
    pub(crate) refresh_expires_at: Option<OffsetDateTime>,
    pub(crate) token_key_id: Option<String>,
    pub(crate) sealed_tokens: Option<String>,
}

/// What reading a row's tokens found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenState {
    /// No tokens, or tokens as the store writes them now.
    Settled,
    /// Plain text or an older key while a key is configured: to be sealed with the current key.
    Stale,
    /// Sealed, but they do not open here.
    Unreadable,
}

impl StoredTokenColumns {
    /// The row's tokens, and whether they should be re-sealed. Tokens that do not open count as
    /// none (logged without detail from the row).
    pub(crate) fn decode(
        &self,
        protection: &TokenProtection,
        member: &str,
        line_user_id: &str,
    ) -> (Option<UserTokens>, TokenState) {
        let ring = protection.ring();
        if let (Some(key_id), Some(ciphertext)) = (&self.token_key_id, &self.sealed_tokens) {
            let sealed = SealedToken {
                key_id: key_id.clone(),
                ciphertext: ciphertext.clone(),
            };
            let binding = TokenBinding::Link {
                member_id: member,
                line_user_id,
            };
            let opened = ring
                .ok_or(TokenCryptoError::UnknownKey)
                .and_then(|ring| ring.open(&sealed, binding))
                .and_then(|plain| {
                    serde_json::from_slice::<SealedSecrets>(&plain)
                        .map_err(|_| TokenCryptoError::Undecryptable)
                });
            let secrets = match opened {
                Ok(secrets) => secrets,
                Err(error) => {
                    tracing::warn!(%error, "a member link's tokens do not open; treated as none");
                    return (None, TokenState::Unreadable);
                }
            };
            let Some(expires_at) = self.expires_at else {
                return (None, TokenState::Settled);
            };
            let state = match ring {
                Some(ring) if ring.is_stale(&sealed) => TokenState::Stale,
                _ => TokenState::Settled,
            };
            let tokens = UserTokens {
                access_token: secrets.access_token,
                expires_at,
                refresh_token: secrets.refresh_token,
                refresh_expires_at: self.refresh_expires_at,
                // The link tables keep no scope.
                scope: String::new(),
            };
            return (Some(tokens), state);
        }
        let tokens = tokens_from_columns(
            self.access_token.clone(),
            self.expires_at,
            self.refresh_token.clone(),
            self.refresh_expires_at,
        );
        let state = if tokens.is_some() && ring.is_some() {
            TokenState::Stale
        } else {
            TokenState::Settled
        };
        (tokens, state)
    }
}

/// Rebuilds the tokens of a row: all of them, or none when the access token is missing.
pub(crate) fn tokens_from_columns(
    access_token: Option<String>,
    expires_at: Option<OffsetDateTime>,
    refresh_token: Option<String>,
    refresh_expires_at: Option<OffsetDateTime>,
) -> Option<UserTokens> {
    Some(UserTokens {
        access_token: AccessToken::new(access_token?),
        expires_at: expires_at?,
        refresh_token: refresh_token.map(RefreshToken::new),
        refresh_expires_at,
        scope: String::new(),
    })
}

pub(crate) fn parse_member<M: FromStr>(text: String) -> Result<M, SqlLinksError> {
    text.parse().map_err(|_| SqlLinksError::MemberId)
}

pub(crate) fn parse_action(text: &str) -> Result<AuditAction, SqlLinksError> {
    match text {
        "link" => Ok(AuditAction::Link),
        "unlink" => Ok(AuditAction::Unlink),
        _ => Err(SqlLinksError::AuditAction),
    }
}

/// Which side of a refused insert is taken, from the rows that clash with it.
pub(crate) enum Clash {
    /// The same pair exists already.
    SamePair,
    /// Another link holds one side.
    Conflict(LinkConflict),
}

pub(crate) fn classify_clash(rows: &[(String, String)], member: &str, line_user_id: &str) -> Clash {
    if rows.iter().any(|(m, u)| m == member && u == line_user_id) {
        Clash::SamePair
    } else if rows.iter().any(|(_, u)| u == line_user_id) {
        Clash::Conflict(LinkConflict::LineUserLinkedElsewhere)
    } else if rows.iter().any(|(m, _)| m == member) {
        Clash::Conflict(LinkConflict::MemberLinkedElsewhere)
    } else {
        // The clashing row was removed between the insert and the look.
        Clash::Conflict(LinkConflict::Concurrent)
    }
}

/// The [`MemberLinks`](super::MemberLinks) implementation, the audit reader and the token
/// re-encryption, shared by both backends. Expects `begin_write(&Pool)` in scope at the call
/// site and a `protection: TokenProtection` field on the store.
macro_rules! sql_member_links {
    ($store:ident, $db:ty) => {
        impl<M> $store<M>
        where
            M: Clone + Send + Sync + fmt::Debug + fmt::Display + FromStr + PartialEq + 'static,
        {
            /// The audit trail of link and unlink events for `key` (a member, a LINE user, or
            /// exactly a pair), oldest first.
            pub async fn audit(
                &self,
                key: LinkKey<'_, M>,
            ) -> Result<Vec<AuditEvent>, SqlLinksError> {
                let (sql, binds) = super::AUDIT.pick(&key);
                let mut query = sqlx::query(sql);
                for value in binds {
                    query = query.bind(value);
                }
                let rows = query.fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|row| {
                        let action: String = row.try_get("action")?;
                        Ok(AuditEvent {
                            at: row.try_get("at")?,
                            action: super::parse_action(&action)?,
                            member_id: row.try_get("member_id")?,
                            line_user_id: row.try_get("line_user_id")?,
                            cause: row.try_get("cause")?,
                        })
                    })
                    .collect()
            }

            /// How this store keeps tokens at rest.
            pub fn token_protection(&self) -> &crate::token_crypto::TokenProtection {
                &self.protection
            }

            /// Back-office: seals every row's tokens with the current key: rows still in plain
            /// text (written before a key was configured) and rows under an older key (after a
            /// rotation). Run it after adding a key or making a new one current; once it reports
            /// no unreadable rows that matter, the old key can be removed. Safe to run while the
            /// app serves (a row changed meanwhile is left to its newer tokens) and to repeat.
            /// In plain-text mode it changes nothing.
            pub async fn reencrypt_tokens(&self) -> Result<super::ReencryptReport, SqlLinksError> {
                let mut report = super::ReencryptReport::default();
                if self.protection.ring().is_none() {
                    return Ok(report);
                }
                let mut after: Option<String> = None;
                loop {
                    let query = match &after {
                        Some(after) => sqlx::query(super::LIST_AFTER)
                            .bind(after.clone())
                            .bind(super::REENCRYPT_PAGE),
                        None => sqlx::query(super::LIST_FIRST).bind(super::REENCRYPT_PAGE),
                    };
                    let rows = query.fetch_all(&self.pool).await?;
                    for row in &rows {
                        let (link, stored, state) = self.read_row(row)?;
                        match state {
                            super::TokenState::Stale => {
                                if self.reseal(&link, &stored).await? {
                                    report.reencrypted += 1;
                                }
                            }
                            super::TokenState::Unreadable => report.unreadable += 1,
                            super::TokenState::Settled => {}
                        }
                        after = Some(link.line_user_id);
                    }
                    if rows.len() < super::REENCRYPT_PAGE as usize {
                        return Ok(report);
                    }
                }
            }

            /// The link of a row, its token columns as stored, and whether they need sealing.
            fn read_row(
                &self,
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<(Link<M>, super::StoredTokenColumns, super::TokenState), SqlLinksError>
            {
                let member: String = row.try_get("member_id")?;
                let line_user_id: String = row.try_get("line_user_id")?;
                let stored = super::StoredTokenColumns {
                    access_token: row.try_get("access_token")?,
                    expires_at: row.try_get("access_token_expires_at")?,
                    refresh_token: row.try_get("refresh_token")?,
                    refresh_expires_at: row.try_get("refresh_token_expires_at")?,
                    token_key_id: row.try_get("token_key_id")?,
                    sealed_tokens: row.try_get("sealed_tokens")?,
                };
                let (tokens, state) = stored.decode(&self.protection, &member, &line_user_id);
                let link = Link {
                    member: super::parse_member(member)?,
                    line_user_id,
                    linked_at: row.try_get("linked_at")?,
                    tokens,
                };
                Ok((link, stored, state))
            }

            /// Seals `link`'s tokens with the current key, if the row still holds `stored`.
            async fn reseal(
                &self,
                link: &Link<M>,
                stored: &super::StoredTokenColumns,
            ) -> Result<bool, SqlLinksError> {
                let member = link.member.to_string();
                let columns = super::TokenColumns::of(
                    &self.protection,
                    &member,
                    &link.line_user_id,
                    link.tokens.as_ref(),
                )?;
                let updated = sqlx::query(super::RESEAL_TOKENS)
                    .bind(&member)
                    .bind(&link.line_user_id)
                    .bind(columns.access_token)
                    .bind(columns.expires_at)
                    .bind(columns.refresh_token)
                    .bind(columns.refresh_expires_at)
                    .bind(columns.token_key_id)
                    .bind(columns.sealed_tokens)
                    .bind(stored.access_token.as_deref())
                    .bind(stored.sealed_tokens.as_deref())
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(updated > 0)
            }

            /// Reads a row; plain or old-key tokens are sealed with the current key on this
            /// first read (a failure to do so is logged, the read still succeeds).
            async fn link_from_row(
                &self,
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<Link<M>, SqlLinksError> {
                let (link, stored, state) = self.read_row(row)?;
                if state == super::TokenState::Stale
                    && let Err(error) = self.reseal(&link, &stored).await
                {
                    tracing::warn!(%error, "could not encrypt a member link's tokens on read");
                }
                Ok(link)
            }
        }

        #[async_trait]
        impl<M> SweepLinks for $store<M>
        where
            M: Clone + Send + Sync + fmt::Debug + fmt::Display + FromStr + PartialEq + 'static,
        {
            async fn list(
                &self,
                after: Option<&str>,
                limit: usize,
            ) -> Result<Vec<Link<M>>, SqlLinksError> {
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                let query = match after {
                    Some(after) => sqlx::query(super::LIST_AFTER).bind(after).bind(limit),
                    None => sqlx::query(super::LIST_FIRST).bind(limit),
                };
                let rows = query.fetch_all(&self.pool).await?;
                let mut links = Vec::with_capacity(rows.len());
                for row in &rows {
                    links.push(self.link_from_row(row).await?);
                }
                Ok(links)
            }
        }

        #[async_trait]
        impl<M> MemberLinks for $store<M>
        where
            M: Clone + Send + Sync + fmt::Debug + fmt::Display + FromStr + PartialEq + 'static,
        {
            type MemberId = M;
            type Error = SqlLinksError;

            async fn find(&self, key: LinkKey<'_, M>) -> Result<Option<Link<M>>, SqlLinksError> {
                let (sql, binds) = super::FIND.pick(&key);
                let mut query = sqlx::query(sql);
                for value in binds {
                    query = query.bind(value);
                }
                let row = query.fetch_optional(&self.pool).await?;
                match row {
                    Some(row) => Ok(Some(self.link_from_row(&row).await?)),
                    None => Ok(None),
                }
            }

            async fn link(
                &self,
                member: &M,
                line_user_id: &str,
                tokens: Option<&UserTokens>,
                cause: &LinkCause,
            ) -> Result<(), LinkError<SqlLinksError>> {
                let store = |e: sqlx::Error| LinkError::Store(SqlLinksError::Database(e));
                let member = member.to_string();
                let now = OffsetDateTime::now_utc();
                let columns =
                    super::TokenColumns::of(&self.protection, &member, line_user_id, tokens)
                        .map_err(LinkError::Store)?;
                let mut tx = begin_write(&self.pool).await.map_err(store)?;
                let inserted = sqlx::query(super::INSERT_LINK)
                    .bind(&member)
                    .bind(line_user_id)
                    .bind(now)
                    .bind(columns.access_token.as_deref())
                    .bind(columns.expires_at)
                    .bind(columns.refresh_token.as_deref())
                    .bind(columns.refresh_expires_at)
                    .bind(columns.token_key_id.as_deref())
                    .bind(columns.sealed_tokens.as_deref())
                    .execute(&mut *tx)
                    .await
                    .map_err(store)?
                    .rows_affected();
                if inserted == 1 {
                    sqlx::query(super::INSERT_AUDIT)
                        .bind(now)
                        .bind(AuditAction::Link.as_str())
                        .bind(&member)
                        .bind(line_user_id)
                        .bind(cause.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(store)?;
                    tx.commit().await.map_err(store)?;
                    return Ok(());
                }
                // A unique constraint refused the row: the same pair, or a conflict.
                let rows = sqlx::query(super::SELECT_CLASH)
                    .bind(&member)
                    .bind(line_user_id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(store)?;
                let rows = rows
                    .iter()
                    .map(|row| Ok((row.try_get("member_id")?, row.try_get("line_user_id")?)))
                    .collect::<Result<Vec<(String, String)>, sqlx::Error>>()
                    .map_err(store)?;
                match super::classify_clash(&rows, &member, line_user_id) {
                    super::Clash::SamePair => {
                        if tokens.is_some() {
                            sqlx::query(super::UPDATE_TOKENS)
                                .bind(line_user_id)
                                .bind(&member)
                                .bind(columns.access_token.as_deref())
                                .bind(columns.expires_at)
                                .bind(columns.refresh_token.as_deref())
                                .bind(columns.refresh_expires_at)
                                .bind(columns.token_key_id.as_deref())
                                .bind(columns.sealed_tokens.as_deref())
                                .execute(&mut *tx)
                                .await
                                .map_err(store)?;
                        }
                        tx.commit().await.map_err(store)?;
                        Ok(())
                    }
                    super::Clash::Conflict(conflict) => {
                        tx.rollback().await.map_err(store)?;
                        Err(LinkError::Conflict(conflict))
                    }
                }
            }

            async fn unlink(
                &self,
                key: LinkKey<'_, M>,
                cause: &LinkCause,
            ) -> Result<Option<Link<M>>, SqlLinksError> {
                let (sql, binds) = super::DELETE.pick(&key);
                let mut query = sqlx::query(sql);
                for value in binds {
                    query = query.bind(value);
                }
                let mut tx = begin_write(&self.pool).await?;
                let Some(row) = query.fetch_optional(&mut *tx).await? else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                let member: String = row.try_get("member_id")?;
                // A row that does not parse is left in place (the transaction rolls back).
                let (link, _, _) = self.read_row(&row)?;
                sqlx::query(super::INSERT_AUDIT)
                    .bind(OffsetDateTime::now_utc())
                    .bind(AuditAction::Unlink.as_str())
                    .bind(&member)
                    .bind(&link.line_user_id)
                    .bind(cause.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some(link))
            }

            async fn update_tokens(
                &self,
                line_user_id: &str,
                tokens: &UserTokens,
            ) -> Result<bool, SqlLinksError> {
                // The member is part of what the tokens are bound to.
                let member: Option<String> = sqlx::query_scalar(super::SELECT_MEMBER_OF)
                    .bind(line_user_id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(member) = member else {
                    return Ok(false);
                };
                let columns =
                    super::TokenColumns::of(&self.protection, &member, line_user_id, Some(tokens))?;
                let updated = sqlx::query(super::UPDATE_TOKENS)
                    .bind(line_user_id)
                    .bind(&member)
                    .bind(columns.access_token)
                    .bind(columns.expires_at)
                    .bind(columns.refresh_token)
                    .bind(columns.refresh_expires_at)
                    .bind(columns.token_key_id)
                    .bind(columns.sealed_tokens)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(updated > 0)
            }

            fn token_storage(&self) -> crate::link::TokenStorage {
                match self.protection {
                    crate::token_crypto::TokenProtection::Encrypted(_) => {
                        crate::link::TokenStorage::Encrypted
                    }
                    crate::token_crypto::TokenProtection::Plaintext => {
                        crate::link::TokenStorage::Plaintext
                    }
                }
            }
        }
    };
}
pub(crate) use sql_member_links;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clashes_are_told_apart() {
        let rows = vec![("m1".to_owned(), "U1".to_owned())];
        assert!(matches!(classify_clash(&rows, "m1", "U1"), Clash::SamePair));
        assert!(matches!(
            classify_clash(&rows, "m2", "U1"),
            Clash::Conflict(LinkConflict::LineUserLinkedElsewhere)
        ));
        assert!(matches!(
            classify_clash(&rows, "m1", "U2"),
            Clash::Conflict(LinkConflict::MemberLinkedElsewhere)
        ));
        assert!(matches!(
            classify_clash(&[], "m1", "U2"),
            Clash::Conflict(LinkConflict::Concurrent)
        ));
    }

    #[test]
    fn keyed_statements_bind_the_key() {
        let (sql, binds) = FIND.pick(&LinkKey::Pair {
            member: &7,
            line_user_id: "U1",
        });
        assert!(sql.ends_with("WHERE member_id = $1 AND line_user_id = $2"));
        assert_eq!(binds, ["7", "U1"]);
        let (sql, binds) = DELETE.pick(&LinkKey::<u8>::LineUser("U2"));
        assert!(sql.starts_with("DELETE FROM line_login_member_links WHERE line_user_id = $1"));
        assert_eq!(binds, ["U2"]);
    }

    #[test]
    fn rows_without_an_access_token_have_no_tokens() {
        assert_eq!(
            tokens_from_columns(None, None, Some("r".into()), None),
            None
        );
        let tokens = tokens_from_columns(
            Some("a".into()),
            Some(OffsetDateTime::UNIX_EPOCH),
            None,
            None,
        )
        .unwrap();
        assert_eq!(tokens.access_token.expose_secret(), "a");
        assert_eq!(tokens.refresh_token, None);
    }
}
