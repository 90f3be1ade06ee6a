//! LINE Profile+ (corporate customers in Japan who applied): with the scopes `real_name`,
//! `gender`, `birthdate`, `phone` and `address`, LINE's ID token carries the user's registered
//! real name (and its pronunciation), gender, birth date, phone number and address. They are
//! read from the verified token's claims into typed optional fields; anything missing or not a
//! string is `None`.
//!
//! ```
//! use line_login::profile_plus::ProfilePlus;
//! let claims = serde_json::json!({
//!     "given_name": "太郎", "family_name": "山田",
//!     "given_name_pronunciation": "タロウ", "family_name_pronunciation": "ヤマダ",
//!     "phone_number": "+81 90-1234-5678",
//!     "address": {"postal_code": "1000001", "region": "東京都", "country": "JP"},
//! });
//! let plus = ProfilePlus::from_claims(claims.as_object().unwrap()).unwrap();
//! assert_eq!(plus.family_name.as_deref(), Some("山田"));
//! assert_eq!(plus.address.unwrap().region.as_deref(), Some("東京都"));
//! assert!(ProfilePlus::from_claims(&serde_json::Map::new()).is_none());
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Longest Profile+ text kept from a claim (longer values are dropped, not cut).
const CLAIM_MAX_CHARS: usize = 1024;

/// The Profile+ claims of one ID token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProfilePlus {
    /// `given_name` (scope `real_name`).
    pub given_name: Option<String>,
    /// `middle_name` (scope `real_name`).
    pub middle_name: Option<String>,
    /// `family_name` (scope `real_name`).
    pub family_name: Option<String>,
    /// `given_name_pronunciation` (scope `real_name`).
    pub given_name_pronunciation: Option<String>,
    /// `middle_name_pronunciation` (scope `real_name`).
    pub middle_name_pronunciation: Option<String>,
    /// `family_name_pronunciation` (scope `real_name`).
    pub family_name_pronunciation: Option<String>,
    /// `gender` (scope `gender`), as LINE sends it (e.g. `male`, `female`).
    pub gender: Option<String>,
    /// `birthdate` (scope `birthdate`), as LINE sends it (`YYYY-MM-DD`).
    pub birthdate: Option<String>,
    /// `phone_number` (scope `phone`).
    pub phone_number: Option<String>,
    /// `address` (scope `address`).
    pub address: Option<Address>,
}

/// The `address` claim of LINE Profile+.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Address {
    /// `postal_code`.
    pub postal_code: Option<String>,
    /// `region` (prefecture).
    pub region: Option<String>,
    /// `locality` (city).
    pub locality: Option<String>,
    /// `street_address`.
    pub street_address: Option<String>,
    /// `country`.
    pub country: Option<String>,
}

fn text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.chars().count() <= CLAIM_MAX_CHARS)
        .map(str::to_owned)
}

impl Address {
    fn from_claim(value: &Value) -> Option<Self> {
        let claims = value.as_object()?;
        let address = Self {
            postal_code: text(claims, "postal_code"),
            region: text(claims, "region"),
            locality: text(claims, "locality"),
            street_address: text(claims, "street_address"),
            country: text(claims, "country"),
        };
        (address != Self::default()).then_some(address)
    }
}

impl ProfilePlus {
    /// The Profile+ fields found in `claims`; `None` when the token has none.
    pub fn from_claims(claims: &Map<String, Value>) -> Option<Self> {
        let plus = Self {
            given_name: text(claims, "given_name"),
            middle_name: text(claims, "middle_name"),
            family_name: text(claims, "family_name"),
            given_name_pronunciation: text(claims, "given_name_pronunciation"),
            middle_name_pronunciation: text(claims, "middle_name_pronunciation"),
            family_name_pronunciation: text(claims, "family_name_pronunciation"),
            gender: text(claims, "gender"),
            birthdate: text(claims, "birthdate"),
            phone_number: text(claims, "phone_number"),
            address: claims.get("address").and_then(Address::from_claim),
        };
        (plus != Self::default()).then_some(plus)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_plus_claims_are_typed_and_malformed_ones_are_none() {
        let claims = serde_json::json!({
            "given_name": "Taro",
            "middle_name": 42,
            "family_name": "",
            "gender": "male",
            "birthdate": "1990-01-02",
            "phone_number": "x".repeat(CLAIM_MAX_CHARS + 1),
            "address": {"locality": "Chiyoda", "country": ["JP"]},
        });
        let plus = ProfilePlus::from_claims(claims.as_object().unwrap()).unwrap();
        assert_eq!(plus.given_name.as_deref(), Some("Taro"));
        assert_eq!(plus.middle_name, None, "not a string");
        assert_eq!(plus.family_name, None, "empty");
        assert_eq!(plus.phone_number, None, "too long");
        assert_eq!(plus.gender.as_deref(), Some("male"));
        assert_eq!(plus.birthdate.as_deref(), Some("1990-01-02"));
        let address = plus.address.unwrap();
        assert_eq!(address.locality.as_deref(), Some("Chiyoda"));
        assert_eq!(address.country, None);
        let empty_address = serde_json::json!({"address": {}, "nickname": "x"});
        assert_eq!(
            ProfilePlus::from_claims(empty_address.as_object().unwrap()),
            None
        );
    }
}
