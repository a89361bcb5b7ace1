//! Twitter's request parameters (beyond the message bodies of [`super::limits`]) and response
//! objects, as the v1.1 endpoints in `docs/TWITTER-API.md` §3–§6 define them.
//!
//! Parameters are types that refuse what Twitter would refuse (an environment name with a
//! slash, a page size over 50, a webhook URL that is not https). Response types read only the
//! fields the project uses and ignore the rest, so that Twitter adding a field breaks nothing.
//!
//! Parameters live in `params.rs`; responses in one file per endpoint family: `dm.rs`,
//! `welcome.rs`, `profiles.rs`, `activity.rs`, `media.rs`, `users.rs`.

mod activity;
mod dm;
mod media;
mod params;
mod profiles;
#[cfg(test)]
mod tests;
mod users;
mod welcome;

use serde::{Deserialize, Deserializer};

use super::limits::{CustomProfileId, LimitError, MediaId};
use crate::domain::digit_id_type;

pub use activity::*;
pub use dm::*;
pub use media::*;
pub use params::*;
pub use profiles::*;
pub use users::*;
pub use welcome::*;

/// The check behind the ids of Twitter's objects: a [`LimitError`] naming the field.
fn check_digits(field: &'static str, value: &str) -> Result<(), LimitError> {
    if crate::domain::is_digit_id(value) {
        Ok(())
    } else {
        Err(LimitError {
            field: field.into(),
            problem: "must be an id made of digits".into(),
        })
    }
}

digit_id_type!(
    /// A welcome message's id.
    WelcomeMessageId,
    "welcome_message_id",
    new,
    LimitError,
    check_digits
);
digit_id_type!(
    /// A welcome message rule's id.
    WelcomeRuleId,
    "welcome_message_rule_id",
    new,
    LimitError,
    check_digits
);
digit_id_type!(
    /// A registered webhook's id.
    WebhookId,
    "webhook_id",
    new,
    LimitError,
    check_digits
);

fn de_media_id<'de, D: Deserializer<'de>>(d: D) -> Result<MediaId, D::Error> {
    MediaId::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn de_profile_id<'de, D: Deserializer<'de>>(d: D) -> Result<CustomProfileId, D::Error> {
    CustomProfileId::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// Twitter sends some counts as strings (`"subscriptions_count_all":"3"`) and some as numbers.
fn de_count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        N(u64),
        S(String),
    }
    match Count::deserialize(d)? {
        Count::N(n) => Ok(n),
        Count::S(s) => s.trim().parse().map_err(serde::de::Error::custom),
    }
}
