//! What handling a message comes to: [`Handled`], [`DispatchError`], and the internal
//! [`Failure`] a step decides before it is written down.

use super::recovery::Verdict;
use crate::domain::{EventId, InboundStatus};
use crate::store::StoreError;
use crate::twitter::errors::TwitterError;
/// What happened to a message that needs nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// The reply went out (or, with `recovered`, an earlier attempt's unrecorded reply was found
    /// on Twitter and adopted instead of sending again).
    Replied {
        reply_event_id: EventId,
        recovered: bool,
    },
    /// The engine chose silence (a hand-over); the state is saved and the message answered.
    Silent,
    /// The customer wrote again since (`into`, a later message): the engine walked this one
    /// (its state is saved, it is answered) and the reply goes to the later one (the flow's
    /// `coalesce`, on by default).
    Coalesced { into: EventId },
    /// It was already answered or failed (a redelivery): nothing was done.
    AlreadyDone(InboundStatus),
    /// The store has no such message (e.g. the account was forgotten since).
    Missing,
    /// Another dispatcher holds a live lease on it until after our deadline. Nothing was done;
    /// a stream consumer reports it as a batch item failure so it comes back.
    Busy,
    /// It cannot be answered before `until_ms` (a rate limit resetting then): the time and the
    /// reason are written on the message, which comes back by itself after it (the scheduled
    /// re-drive in AWS, the lane's timer in `dmbot serve`). Not a batch item failure.
    Deferred { until_ms: u64, reason: String },
}

impl Handled {
    /// Whether the message must come back later (a stream batch item failure).
    pub fn needs_retry(&self) -> bool {
        matches!(self, Handled::Busy)
    }
}

/// What a send came to.
pub(super) enum Sent {
    /// Twitter took it: the new reply's id.
    New(EventId),
    /// Before sending again after an unknown outcome, the receipts (or Twitter) decided.
    Found(Verdict),
}

/// Why a message was not handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    /// It may work later (Twitter or the store unavailable, rate limited beyond the deadline,
    /// or an earlier message of the conversation not done yet). Report a batch item failure.
    #[error("message {event} in {conversation} can be retried later: {reason}")]
    Retryable {
        conversation: String,
        event: String,
        reason: String,
    },
    /// It will fail again as it is; the reason is recorded on the message as `failed` (when the
    /// store allowed). `dmbot failures redrive` retries it once the cause is fixed.
    #[error("message {event} in {conversation} failed permanently: {reason}")]
    Permanent {
        conversation: String,
        event: String,
        reason: String,
    },
}

impl DispatchError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, DispatchError::Retryable { .. })
    }
}

/// What one step of handling decided, before it is written down.
pub(super) enum Failure {
    Retry(String),
    Permanent(String),
    /// Not before `until_ms` (ms since epoch), for `reason`; `slot_ms`: a send slot reserved
    /// in the budget windows containing that time (see `send_budget.rs`).
    Defer {
        until_ms: u64,
        reason: String,
        slot_ms: Option<u64>,
    },
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt { .. } => Failure::Permanent(e.to_string()),
            _ => Failure::Retry(e.to_string()),
        }
    }
}

pub(super) fn twitter_failure(what: &str, e: &TwitterError) -> Failure {
    if e.is_retryable() {
        Failure::Retry(format!("{what}: {e}"))
    } else {
        Failure::Permanent(format!("{what}: {e}"))
    }
}
