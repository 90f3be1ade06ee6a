//! Encryption of LINE tokens at rest: the access and refresh tokens kept with a member link and
//! in a session record. AES-256-GCM (aws-lc-rs) with a random 96-bit nonce per value; the record's
//! identity (member and LINE user for a link, LINE user for a session) and the key id are the
//! associated data, so a ciphertext copied to another row does not open. Keys live in a
//! [`TokenKeyRing`]: the newest encrypts, any opens, so keys can be rotated.
//!
//! ```
//! use line_login::token_crypto::{TokenBinding, TokenKey, TokenKeyRing};
//! let ring = TokenKeyRing::new(TokenKey::generate().unwrap());
//! let binding = TokenBinding::Link { member_id: "1001", line_user_id: "U1" };
//! let sealed = ring.seal(binding, b"access-token").unwrap();
//! assert_eq!(ring.open(&sealed, binding).unwrap(), b"access-token");
//! let elsewhere = TokenBinding::Link { member_id: "1002", line_user_id: "U1" };
//! assert!(ring.open(&sealed, elsewhere).is_err());
//! ```

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

/// Length of a token key in bytes (AES-256).
pub const TOKEN_KEY_LEN: usize = 32;
/// Format and domain label mixed into every associated data.
const AAD_LABEL: &[u8] = b"line-login/tokens/v1";

/// One 32-byte AES-256-GCM key and its id. `Debug` shows the id only.
#[derive(Clone)]
pub struct TokenKey {
    id: String,
    key: Arc<RandomizedNonceKey>,
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKey")
            .field("id", &self.id)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl TokenKey {
    /// A key from 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TokenKeyError> {
        if bytes.len() != TOKEN_KEY_LEN {
            return Err(TokenKeyError::WrongLength(bytes.len()));
        }
        let key = RandomizedNonceKey::new(&AES_256_GCM, bytes)
            .map_err(|_| TokenKeyError::WrongLength(bytes.len()))?;
        Ok(Self {
            id: key_id(bytes),
            key: Arc::new(key),
        })
    }

    /// A key from its base64 text (standard or URL-safe alphabet, padded or not), e.g. the output
    /// of `openssl rand -base64 32`.
    pub fn from_base64(text: &str) -> Result<Self, TokenKeyError> {
        let text = text.trim();
        let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or(TokenKeyError::NotBase64)?;
        Self::from_bytes(&bytes)
    }

    /// A fresh random key, e.g. an ephemeral one for a demo (tokens sealed with it are lost with
    /// the process).
    pub fn generate() -> Result<Self, TokenKeyError> {
        let bytes: [u8; TOKEN_KEY_LEN] = rand::random();
        Self::from_bytes(&bytes)
    }

    /// The key id stored beside every value it seals: 8 hex digits derived from the key (a
    /// one-way digest, not the key).
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The id of a key: the first 4 bytes of SHA-256 over a label and the key, as hex.
fn key_id(bytes: &[u8]) -> String {
    let mut input = b"line-login token key id\0".to_vec();
    input.extend_from_slice(bytes);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &input);
    digest.as_ref()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why a token key was refused. Never contains the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenKeyError {
    /// The text is not base64.
    #[error("the token key is not base64: make one with `openssl rand -base64 32`")]
    NotBase64,
    /// The key does not have 32 bytes.
    #[error("the token key has {0} bytes, not 32: make one with `openssl rand -base64 32`")]
    WrongLength(usize),
    /// The same key is given twice.
    #[error("the same token key is given twice")]
    Duplicate,
}

/// The keys that protect tokens at rest: the first (current) seals, every key opens. Rotate by
/// making a new key current and keeping the old one until
/// [`reencrypt_tokens`](crate::link::SqliteLinks::reencrypt_tokens) has run. `Debug` shows the
/// key ids only.
#[derive(Clone, Debug)]
pub struct TokenKeyRing {
    current: TokenKey,
    old: Arc<[TokenKey]>,
}

impl TokenKeyRing {
    /// A ring with one key, which seals and opens.
    pub fn new(current: TokenKey) -> Self {
        Self {
            current,
            old: Arc::from(Vec::new()),
        }
    }

    /// Adds an older key, used only to open values sealed before a rotation.
    pub fn with_old_key(self, old: TokenKey) -> Result<Self, TokenKeyError> {
        if self.keys().any(|k| k.id == old.id) {
            return Err(TokenKeyError::Duplicate);
        }
        let mut keys = self.old.to_vec();
        keys.push(old);
        Ok(Self {
            current: self.current,
            old: Arc::from(keys),
        })
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// The ids of every key, the current one first.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys().map(TokenKey::id).collect()
    }

    fn keys(&self) -> impl Iterator<Item = &TokenKey> {
        std::iter::once(&self.current).chain(self.old.iter())
    }

    fn current(&self) -> &TokenKey {
        &self.current
    }

    /// Seals `plaintext` with the current key, bound to `binding`.
    pub fn seal(
        &self,
        binding: TokenBinding<'_>,
        plaintext: &[u8],
    ) -> Result<SealedToken, TokenCryptoError> {
        let key = self.current();
        let mut in_out = plaintext.to_vec();
        let nonce = key
            .key
            .seal_in_place_append_tag(Aad::from(binding.aad(&key.id)), &mut in_out)
            .map_err(|_| TokenCryptoError::SealFailed)?;
        let mut bytes = nonce.as_ref().to_vec();
        bytes.extend_from_slice(&in_out);
        Ok(SealedToken {
            key_id: key.id.clone(),
            ciphertext: URL_SAFE_NO_PAD.encode(bytes),
        })
    }

    /// Opens a value sealed by [`TokenKeyRing::seal`] with any key of the ring; it must be bound
    /// to the same `binding`.
    pub fn open(
        &self,
        sealed: &SealedToken,
        binding: TokenBinding<'_>,
    ) -> Result<Vec<u8>, TokenCryptoError> {
        let key = self
            .keys()
            .find(|k| k.id == sealed.key_id)
            .ok_or(TokenCryptoError::UnknownKey)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed.ciphertext.as_bytes())
            .map_err(|_| TokenCryptoError::Undecryptable)?;
        if bytes.len() < NONCE_LEN {
            return Err(TokenCryptoError::Undecryptable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| TokenCryptoError::Undecryptable)?;
        let mut in_out = ciphertext.to_vec();
        let plaintext = key
            .key
            .open_in_place(nonce, Aad::from(binding.aad(&key.id)), &mut in_out)
            .map_err(|_| TokenCryptoError::Undecryptable)?;
        Ok(plaintext.to_vec())
    }

    /// Whether `sealed` is under a key other than the current one (it should be re-sealed).
    pub fn is_stale(&self, sealed: &SealedToken) -> bool {
        sealed.key_id != self.current().id
    }
}

/// The record a sealed value belongs to; it is the associated data, so the value opens only for
/// the same record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenBinding<'a> {
    /// A member link's tokens.
    Link {
        /// The member ID as text.
        member_id: &'a str,
        /// The LINE user ID.
        line_user_id: &'a str,
    },
    /// A session's tokens (the session ID changes at sign-in, the LINE user does not).
    Session {
        /// The LINE user ID of the session's user.
        line_user_id: &'a str,
    },
}

impl TokenBinding<'_> {
    /// Label, purpose, key id and identity, each length-prefixed so no two records share bytes.
    fn aad(&self, key_id: &str) -> Vec<u8> {
        let parts: &[&str] = match self {
            TokenBinding::Link {
                member_id,
                line_user_id,
            } => &["link", key_id, member_id, line_user_id],
            TokenBinding::Session { line_user_id } => &["session", key_id, line_user_id],
        };
        let mut aad = AAD_LABEL.to_vec();
        for part in parts {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            aad.extend_from_slice(&len.to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }
}

/// A sealed value and the id of the key that sealed it, as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealedToken {
    /// The id of the sealing key ([`TokenKey::id`]).
    pub key_id: String,
    /// Nonce, ciphertext and tag, base64url without padding.
    pub ciphertext: String,
}

/// Why a value could not be sealed or opened. Carries nothing from the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenCryptoError {
    /// The value was sealed with a key that is not in the ring (retired, or another app's).
    #[error("the tokens were encrypted with a key that is not configured")]
    UnknownKey,
    /// The value is damaged, or belongs to another record.
    #[error("the encrypted tokens do not open: damaged, or moved from another record")]
    Undecryptable,
    /// The cipher failed.
    #[error("the tokens could not be encrypted")]
    SealFailed,
}

/// How a store keeps tokens at rest: encrypted with a key ring, or in plain text because the app
/// opted in (see [`crate::ConfigBuilder::plaintext_tokens`]).
#[derive(Clone, Debug)]
pub enum TokenProtection {
    /// Sealed with the ring's current key.
    Encrypted(TokenKeyRing),
    /// In plain text, as the app explicitly chose. The compliance report flags it.
    Plaintext,
}

impl TokenProtection {
    /// The ring, when encrypting.
    pub fn ring(&self) -> Option<&TokenKeyRing> {
        match self {
            TokenProtection::Encrypted(ring) => Some(ring),
            TokenProtection::Plaintext => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: TokenBinding<'static> = TokenBinding::Session { line_user_id: "U1" };

    fn link(member_id: &'static str) -> TokenBinding<'static> {
        TokenBinding::Link {
            member_id,
            line_user_id: "U1",
        }
    }

    #[test]
    fn sealed_values_open_only_for_their_own_record() {
        let ring = TokenKeyRing::new(TokenKey::generate().unwrap());
        let sealed = ring.seal(link("1001"), b"secret-token").unwrap();
        assert!(!sealed.ciphertext.contains("secret-token"));
        assert_eq!(ring.open(&sealed, link("1001")).unwrap(), b"secret-token");
        assert_eq!(
            ring.open(&sealed, link("1002")),
            Err(TokenCryptoError::Undecryptable)
        );
        assert_eq!(
            ring.open(&sealed, SESSION),
            Err(TokenCryptoError::Undecryptable)
        );
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let ring = TokenKeyRing::new(TokenKey::generate().unwrap());
        let a = ring.seal(SESSION, b"same").unwrap();
        let b = ring.seal(SESSION, b"same").unwrap();
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn rotation_seals_with_the_newest_and_opens_with_any() {
        let old = TokenKey::generate().unwrap();
        let before = TokenKeyRing::new(old.clone());
        let sealed_before = before.seal(SESSION, b"t").unwrap();
        let new = TokenKey::generate().unwrap();
        let after = TokenKeyRing::new(new.clone()).with_old_key(old).unwrap();
        assert_eq!(after.open(&sealed_before, SESSION).unwrap(), b"t");
        assert!(after.is_stale(&sealed_before));
        let sealed_after = after.seal(SESSION, b"t").unwrap();
        assert_eq!(sealed_after.key_id, new.id());
        assert!(!after.is_stale(&sealed_after));
        // Once the old key is retired, its values are unknown, not a crash.
        let retired = TokenKeyRing::new(new);
        assert_eq!(
            retired.open(&sealed_before, SESSION),
            Err(TokenCryptoError::UnknownKey)
        );
    }

    #[test]
    fn a_wrong_key_with_a_forged_id_does_not_open() {
        let ring = TokenKeyRing::new(TokenKey::generate().unwrap());
        let other = TokenKeyRing::new(TokenKey::generate().unwrap());
        let mut sealed = ring.seal(SESSION, b"t").unwrap();
        sealed.key_id = other.current_id().to_owned();
        assert_eq!(
            other.open(&sealed, SESSION),
            Err(TokenCryptoError::Undecryptable)
        );
    }

    #[test]
    fn damaged_values_are_errors_not_panics() {
        let ring = TokenKeyRing::new(TokenKey::generate().unwrap());
        let id = ring.current_id().to_owned();
        for ciphertext in ["", "!!", "AAAA", &"A".repeat(40)] {
            let sealed = SealedToken {
                key_id: id.clone(),
                ciphertext: ciphertext.to_owned(),
            };
            assert_eq!(
                ring.open(&sealed, SESSION),
                Err(TokenCryptoError::Undecryptable)
            );
        }
    }

    #[test]
    fn keys_parse_from_base64_and_refuse_other_lengths() {
        let bytes = [7u8; 32];
        let text = STANDARD.encode(bytes);
        let key = TokenKey::from_base64(&format!(" {text}\n")).unwrap();
        assert_eq!(key.id(), TokenKey::from_bytes(&bytes).unwrap().id());
        assert_eq!(key.id().len(), 8);
        assert_eq!(
            TokenKey::from_base64(&URL_SAFE_NO_PAD.encode(bytes))
                .unwrap()
                .id(),
            key.id()
        );
        assert_eq!(
            TokenKey::from_base64(&STANDARD.encode([1u8; 16])).unwrap_err(),
            TokenKeyError::WrongLength(16)
        );
        assert_eq!(
            TokenKey::from_base64("not base64 at all").unwrap_err(),
            TokenKeyError::NotBase64
        );
        let ring = TokenKeyRing::new(key.clone());
        assert_eq!(
            ring.with_old_key(key).unwrap_err(),
            TokenKeyError::Duplicate
        );
    }

    #[test]
    fn debug_shows_key_ids_only() {
        let bytes = [9u8; 32];
        let key = TokenKey::from_bytes(&bytes).unwrap();
        let ring = TokenKeyRing::new(key.clone());
        for text in [format!("{key:?}"), format!("{ring:?}")] {
            assert!(text.contains(key.id()), "{text}");
            assert!(!text.contains(&STANDARD.encode(bytes)), "{text}");
            assert!(!text.contains("9, 9"), "{text}");
        }
    }
}
