//! The OAuth `state` comparison: the callback's `state` against the one saved with the login
//! attempt, in constant time and with a length bound. Generating and storing the state belongs
//! to the login-attempt code; this module only compares.

use subtle::ConstantTimeEq;

use crate::secret::State;

/// Longest `state` accepted, in bytes. Ours are far shorter; anything longer is not ours and is
/// rejected before any comparison work.
pub const STATE_MAX_BYTES: usize = 256;

/// Why a callback's `state` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// One of the two values is empty: the callback carried no `state`, or no login attempt
    /// was waiting for one.
    #[error("the state is missing: the callback has no state or no login attempt is pending")]
    Missing,
    /// One of the two values is longer than 256 bytes (`STATE_MAX_BYTES`).
    #[error("the state is longer than {STATE_MAX_BYTES} bytes: it cannot be one we issued")]
    TooLong,
    /// The values differ: the callback belongs to another attempt, or is forged (CSRF).
    #[error("the state does not match the pending login attempt (possible CSRF)")]
    Mismatch,
}

/// Compares the `state` saved with a login attempt (`expected`, a [`State`], so a nonce or a
/// verifier cannot be passed by mistake) with the text LINE sent back to the callback
/// (`received`, untrusted).
///
/// The comparison takes time that depends only on the lengths, never on where the values first
/// differ. Errors: [`StateError::Missing`] when either is empty, [`StateError::TooLong`] when
/// either is longer than 256 bytes, [`StateError::Mismatch`] otherwise when they
/// differ. No value is ever echoed in an error.
///
/// ```
/// use line_login::{State, StateError, verify_state};
///
/// let saved = State::new("q7Jx3kLw");
/// assert_eq!(verify_state(&saved, "q7Jx3kLw"), Ok(()));
/// assert_eq!(verify_state(&saved, "q7Jx3kLv"), Err(StateError::Mismatch));
/// assert_eq!(verify_state(&saved, ""), Err(StateError::Missing));
/// assert_eq!(verify_state(&saved, &"a".repeat(257)), Err(StateError::TooLong));
/// ```
///
/// A nonce (or any other secret type) is not a state, so mixing them up does not compile:
///
/// ```compile_fail
/// use line_login::{Nonce, verify_state};
/// let _ = verify_state(&Nonce::new("n-1"), "n-1");
/// ```
pub fn verify_state(expected: &State, received: &str) -> Result<(), StateError> {
    let expected = expected.expose_secret();
    if expected.is_empty() || received.is_empty() {
        return Err(StateError::Missing);
    }
    if expected.len() > STATE_MAX_BYTES || received.len() > STATE_MAX_BYTES {
        return Err(StateError::TooLong);
    }
    // `ct_eq` on slices of different lengths returns false at once; the length of our own
    // state is not a secret.
    if bool::from(expected.as_bytes().ct_eq(received.as_bytes())) {
        Ok(())
    } else {
        Err(StateError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(expected: &str, received: &str) -> Result<(), StateError> {
        verify_state(&State::new(expected), received)
    }

    #[test]
    fn equal_states_match() {
        let expected = "3n4Zr8Pq-_x".to_owned();
        let received = String::from("3n4Zr8Pq-_x");
        assert_eq!(check(&expected, &received), Ok(()));
    }

    #[test]
    fn one_changed_byte_anywhere_is_a_mismatch() {
        let expected = "abcdefghijklmnop";
        for i in 0..expected.len() {
            let mut received = expected.as_bytes().to_vec();
            received[i] = b'Z';
            let received = String::from_utf8(received).unwrap();
            assert_eq!(check(expected, &received), Err(StateError::Mismatch), "{i}");
        }
    }

    #[test]
    fn prefix_or_extension_is_a_mismatch() {
        assert_eq!(check("abcdef", "abc"), Err(StateError::Mismatch));
        assert_eq!(check("abc", "abcdef"), Err(StateError::Mismatch));
    }

    #[test]
    fn empty_values_are_missing() {
        assert_eq!(check("", "abc"), Err(StateError::Missing));
        assert_eq!(check("abc", ""), Err(StateError::Missing));
        assert_eq!(check("", ""), Err(StateError::Missing));
    }

    #[test]
    fn length_is_bounded_on_both_sides() {
        let max = "a".repeat(STATE_MAX_BYTES);
        assert_eq!(check(&max, &max), Ok(()));
        let long = "a".repeat(STATE_MAX_BYTES + 1);
        assert_eq!(check("abc", &long), Err(StateError::TooLong));
        assert_eq!(check(&long, &long), Err(StateError::TooLong));
    }
}
