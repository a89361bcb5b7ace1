//! The project's own vocabulary. Twitter's wire names (`for_user_id`, `message_create`, ...)
//! stop at [`crate::twitter`]; from here on the code speaks of accounts, customers, inbound
//! messages and conversations.
//!
//! `ids.rs` (user and event ids, conversation keys), `messages.rs` (what customers and the
//! account send), `records.rs` (an inbound message as stored, its status and attempts),
//! `conversation.rs` (the engine's memory of a conversation).

mod conversation;
mod ids;
mod messages;
mod records;
#[cfg(test)]
mod tests;

pub use conversation::{ConversationState, Handoff, HandoffReason};
pub use ids::{AccountId, ConversationKey, EventId, IdError, UserId};
pub(crate) use ids::{digit_id_type, is_digit_id};
pub use messages::{AccountEcho, AgentActivity, InboundMedia, InboundMessage};
pub use records::{DispatchAttempt, InboundRecord, InboundStatus};

/// Milliseconds since the Unix epoch, from the system clock.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
