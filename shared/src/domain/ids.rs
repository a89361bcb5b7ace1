//! Twitter ids as types: user and event ids (snowflakes) and the conversation key.

use std::fmt;

use serde::{Deserialize, Serialize};
/// Errors raised when a value from the network is not a well-formed identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error(
        "{what} must be a non-empty string of ASCII digits (a Twitter snowflake id), got {got:?}"
    )]
    NotASnowflake { what: &'static str, got: String },
}

/// Whether `s` can be a Twitter id: 1 to 32 ASCII digits. Twitter ids are decimal strings
/// (snowflakes), kept as strings on the wire because they do not fit in a JavaScript number; the
/// check makes them safe inside storage keys (`CONV#<account>#<customer>`).
pub(crate) fn is_digit_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_digit())
}

fn check_snowflake(what: &'static str, s: &str) -> Result<(), IdError> {
    if !is_digit_id(s) {
        return Err(IdError::NotASnowflake {
            what,
            got: s.chars().take(64).collect(),
        });
    }
    Ok(())
}

/// Declares a newtype over a decimal id string: `$ctor` validates with `$check(what, &str)`
/// (which returns `Result<(), $err>`), serde reads and writes it as a string, and `Display`,
/// `FromStr` and `From<.. > for String` come with it. Used for the domain's ids here and for the
/// ids of Twitter's objects in `twitter::api_types`.
macro_rules! digit_id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $ctor:ident, $err:ty, $check:path) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Accepts a decimal id (1 to 32 digits); anything else is refused.
            pub fn $ctor(value: impl Into<String>) -> Result<Self, $err> {
                let value = value.into();
                $check($what, &value)?;
                Ok(Self(value))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, $err> {
                Self::$ctor(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, $err> {
                Self::$ctor(s)
            }
        }
    };
}
pub(crate) use digit_id_type;

digit_id_type!(
    /// A Twitter user id: a subscribed business account or a customer.
    UserId,
    "user id",
    parse,
    IdError,
    check_snowflake
);
digit_id_type!(
    /// A Direct Message event id. Snowflakes grow with time, so ids of one conversation sort
    /// in the order Twitter created them (compare numerically, see [`EventId::numeric`]).
    EventId,
    "event id",
    parse,
    IdError,
    check_snowflake
);

impl EventId {
    /// The id as a number, for ordering. Snowflakes fit in 64 bits.
    pub fn numeric(&self) -> u128 {
        // check_snowflake guarantees at most 32 digits, which always fits in u128.
        self.0.parse().unwrap_or(u128::MAX)
    }
}

/// The subscribed account (the business) a delivery is for: Twitter's `for_user_id`.
pub type AccountId = UserId;

/// One conversation: a business account talking with one customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConversationKey {
    pub account: AccountId,
    pub customer: UserId,
}

impl ConversationKey {
    pub fn new(account: AccountId, customer: UserId) -> Self {
        Self { account, customer }
    }
}

impl fmt::Display for ConversationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.account, self.customer)
    }
}
