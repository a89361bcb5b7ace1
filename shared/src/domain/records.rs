//! An inbound message as the store keeps it: its status and what dispatch attempts wrote.

use serde::{Deserialize, Serialize};

use super::{EventId, InboundMessage};
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
    /// A send slot reserved for it in the budget windows containing this time (ms since
    /// epoch), written by its latest deferral ([`AttemptMark::Deferred`](crate::store::AttemptMark::Deferred));
    /// `None`: no reservation. Finishing the message does not clear it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_ms: Option<u64>,
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
