//! The project's own vocabulary. Twitter's wire names (`for_user_id`, `message_create`, ...)
//! stop at [`crate::twitter`]; from here on the code speaks of accounts, customers, inbound
//! messages and conversations.

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

/// Media a customer attached to a message (Twitter hosts it; fetching needs an OAuth-signed GET).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMedia {
    pub id: String,
    pub url: String,
    /// `photo`, `animated_gif` or `video`.
    pub kind: String,
}

/// A Direct Message a customer sent to a subscribed account: the bot's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub event_id: EventId,
    pub conversation: ConversationKey,
    /// Milliseconds since the epoch, as Twitter stamped it.
    pub created_ms: u64,
    pub text: String,
    /// `quick_reply_response.metadata` when the customer tapped a quick-reply option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_reply_metadata: Option<String>,
    /// `initiated_via.welcome_message_id` when the conversation was opened from a welcome message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<InboundMedia>,
    /// The customer's screen name and display name when the delivery's `users` map had them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_screen_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
}

impl InboundMessage {
    /// A plain text message, none of the optional parts set (no quick reply, welcome message,
    /// media or customer names).
    pub fn text(
        event_id: EventId,
        conversation: ConversationKey,
        created_ms: u64,
        text: impl Into<String>,
    ) -> Self {
        Self {
            event_id,
            conversation,
            created_ms,
            text: text.into(),
            quick_reply_metadata: None,
            welcome_message_id: None,
            media: None,
            customer_screen_name: None,
            customer_name: None,
        }
    }
}

/// A message a person sent from the business account (not through our bot): a human agent has
/// taken over. Ingestion records it as a hand-over signal for the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentActivity {
    pub event_id: EventId,
    pub conversation: ConversationKey,
    pub created_ms: u64,
}

/// A message sent from the account to a customer (the bot's reply, or a person's message), as
/// Twitter echoes it to the webhook: the durable receipt of a send (see `docs/DISPATCH.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEcho {
    pub event_id: EventId,
    pub conversation: ConversationKey,
    /// When Twitter created the message (ms since epoch, Twitter's clock).
    pub created_ms: u64,
    /// Whether it was sent through our app (`source_app_id` is `TWITTER_APP_ID`, or our outbox
    /// already had the id); false for a person writing from the account, or when unknown.
    pub from_our_app: bool,
}

/// Where a stored inbound message is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum InboundStatus {
    /// Stored, waiting for the dispatcher.
    Pending,
    /// The dispatcher handled it. `reply_event_id` is the id Twitter gave our reply (absent
    /// when the engine decided not to answer, e.g. during a hand-over).
    Answered {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_event_id: Option<EventId>,
        at_ms: u64,
    },
    /// A permanent failure: the reason says what went wrong; `dmbot failures redrive` retries.
    Failed { reason: String, at_ms: u64 },
}

/// An inbound message as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundRecord {
    pub message: InboundMessage,
    pub status: InboundStatus,
    /// When ingestion stored it (ms since epoch).
    pub received_ms: u64,
    /// What dispatch attempts left on it while it is pending (empty for a fresh message).
    #[serde(default, skip_serializing_if = "DispatchAttempt::is_empty")]
    pub attempt: DispatchAttempt,
}

/// What dispatch attempts wrote on a message that is still pending. This is what lets a later
/// attempt tell "never sent" from "may have been sent" without asking Twitter (`docs/DISPATCH.md`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchAttempt {
    /// When a dispatcher first began sending a reply (ms since epoch, our clock): from then on
    /// a reply may exist on Twitter. Kept from the first attempt on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_ms: Option<u64>,
    /// The id Twitter gave the reply, written right after the send and before anything else
    /// (the state save, the answered marker) can fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_event_id: Option<EventId>,
    /// The message is not to be tried before this time (ms since epoch): a rate limit whose
    /// reset is beyond the invocation, or a message busy past its retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before_ms: Option<u64>,
    /// Why it waits (with `not_before_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defer_reason: Option<String>,
    /// How many times it was put off.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub deferrals: u32,
}

impl DispatchAttempt {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

impl InboundRecord {
    /// `message` as ingestion stores it: pending, received at `received_ms`.
    pub fn pending(message: InboundMessage, received_ms: u64) -> Self {
        Self {
            message,
            status: InboundStatus::Pending,
            received_ms,
            attempt: DispatchAttempt::default(),
        }
    }
}

/// Why the bot is paused in a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    /// The flow reached a hand-over node (the customer asked for a person).
    FlowNode,
    /// A person wrote from the account.
    AgentWrote,
}

/// A hand-over in progress: the bot stays quiet until it resumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    pub since_ms: u64,
    pub reason: HandoffReason,
}

/// What the engine remembers about a conversation between messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationState {
    /// The flow node the conversation is at (None: not started).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Free-form variables a flow may keep.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub vars: std::collections::BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<Handoff>,
    /// The last customer message the bot answered (guards against answering twice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_answered: Option<EventId>,
    /// When the customer or an agent last wrote (ms since epoch).
    #[serde(default)]
    pub last_activity_ms: u64,
    /// When the bot last resumed after a hand-over (ms since epoch; 0: never). Agent messages
    /// older than this do not pause the bot again.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resumed_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Milliseconds since the Unix epoch, from the system clock.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflake_ids_accept_digits_only() {
        assert!(UserId::parse("4337869213").is_ok());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("12#34").is_err());
        assert!(EventId::parse("9544918301161553960000000000000000000").is_err());
    }

    #[test]
    fn event_ids_order_numerically() {
        let a = EventId::parse("999").unwrap();
        let b = EventId::parse("1000").unwrap();
        assert!(a.numeric() < b.numeric());
    }

    #[test]
    fn ids_deserialize_through_validation() {
        let ok: Result<UserId, _> = serde_json::from_str("\"123\"");
        assert!(ok.is_ok());
        let bad: Result<UserId, _> = serde_json::from_str("\"abc\"");
        assert!(bad.is_err());
    }
}
