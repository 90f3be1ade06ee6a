//! LINE Profile+ in the simulator: a channel switch ([`Simulator::set_profile_plus`](super::Simulator::set_profile_plus),
//! off by default, when the scopes are `INVALID_SCOPE` as for a channel that never applied),
//! and made-up Profile+ data for every test user, minted into the ID token by scope.

use serde_json::{Map, Value, json};

use super::state::ScopeSet;

/// The Profile+ claims of test user number `index` (Brown 0, Cony 1, Sally 2) for `scopes`.
pub(crate) fn claims(index: usize, scopes: ScopeSet) -> Map<String, Value> {
    const PEOPLE: [(&str, &str, &str, &str, &str, &str); 3] = [
        (
            "Brown",
            "ブラウン",
            "male",
            "2011-06-23",
            "+81 90-0000-0001",
            "千代田区",
        ),
        (
            "Cony",
            "コニー",
            "female",
            "2011-08-16",
            "+81 90-0000-0002",
            "渋谷区",
        ),
        (
            "Sally",
            "サリー",
            "female",
            "2013-03-02",
            "+81 90-0000-0003",
            "新宿区",
        ),
    ];
    let (given, given_kana, gender, birthdate, phone, locality) = PEOPLE[index % PEOPLE.len()];
    let mut claims = Map::new();
    if scopes.real_name {
        claims.insert("given_name".into(), json!(given));
        claims.insert("family_name".into(), json!("Line"));
        claims.insert("given_name_pronunciation".into(), json!(given_kana));
        claims.insert("family_name_pronunciation".into(), json!("ライン"));
    }
    if scopes.gender {
        claims.insert("gender".into(), json!(gender));
    }
    if scopes.birthdate {
        claims.insert("birthdate".into(), json!(birthdate));
    }
    if scopes.phone {
        claims.insert("phone_number".into(), json!(phone));
    }
    if scopes.address {
        claims.insert(
            "address".into(),
            json!({
                "postal_code": "1000001",
                "region": "東京都",
                "locality": locality,
                "street_address": "1-1-1",
                "country": "JP",
            }),
        );
    }
    claims
}
