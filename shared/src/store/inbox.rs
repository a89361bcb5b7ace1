//! The inbox port: inbound customer messages, stored once, claimed for dispatch, finished.
//!
//! One conditional write per message is at once the de-duplication record, the durable inbox and
//! (through the DynamoDB stream, or the embedded store's notifications) the dispatcher's queue.
//! A claim holds a message for a lease; what a dispatch attempt did is written on the message
//! while it is pending ([`AttemptMark`]). The in-process stores share their rules in
//! [`super::rules`].

use std::future::Future;

use super::{ClaimOutcome, PutOutcome, StoreError};
use crate::domain::{ConversationKey, EventId, InboundRecord, InboundStatus};

/// What a dispatch attempt writes on a pending message ([`Inbox::mark_inbound`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptMark {
    /// A send begins (`sending_ms`; the first attempt's time is kept). A reserved send slot
    /// (`slot_ms`) is spent by it and removed: an attempt after this one takes a new slot.
    Sending { at_ms: u64 },
    /// Twitter accepted the reply: its id, before anything else is written.
    Replied { reply: EventId },
    /// Not before `until_ms`, for `reason`; counts a deferral. `release_lease`: the caller
    /// holds the claim and gives it up (never set by a caller that does not hold it: another
    /// dispatcher's live lease must stay). `slot_ms`: a send slot reserved in the budget
    /// windows containing `slot_ms` (ms since epoch); `None`: no reservation. Stored on the
    /// message as [`DispatchAttempt::slot_ms`](crate::domain::DispatchAttempt::slot_ms) (set
    /// when `Some`, removed when `None`).
    Deferred {
        until_ms: u64,
        reason: String,
        release_lease: bool,
        slot_ms: Option<u64>,
    },
}

/// Inbound customer messages: at once the de-duplication record, the durable inbox and (through
/// the DynamoDB stream, or the embedded store's notifications) the dispatcher's queue.
pub trait Inbox: Send + Sync {
    /// Stores a new inbound message with a conditional write keyed on its event id. A
    /// redelivery of the same event returns [`PutOutcome::Duplicate`] and changes nothing.
    /// Returns only once the write is durable.
    fn put_inbound(
        &self,
        record: &InboundRecord,
    ) -> impl Future<Output = Result<PutOutcome, StoreError>> + Send;

    fn get_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> impl Future<Output = Result<Option<InboundRecord>, StoreError>> + Send;

    /// Claims a pending message for dispatch for `lease_ms`. A message whose lease has run out
    /// (a dispatcher died) can be claimed again.
    fn claim_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        now_ms: u64,
        lease_ms: u64,
    ) -> impl Future<Output = Result<ClaimOutcome, StoreError>> + Send;

    /// Records the final status of a message (answered or failed), or puts one back to pending
    /// for a redrive (now: a due time it was put off until is cleared).
    fn set_inbound_status(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        status: &InboundStatus,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The pending (not answered, not failed) messages of `conversation`, oldest first (by numeric
    /// event id), looking only at its `limit` most recently stored messages.
    ///
    /// "Most recently stored" is the highest event ids ([`rules::pending_of_latest`](super::rules::pending_of_latest));
    /// DynamoDB reads them in its key order (`EVT#<event id>`, not padded), which is the same
    /// for event ids of one length (X's snowflakes: 19 digits).
    fn pending_in_conversation(
        &self,
        conversation: &ConversationKey,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<InboundRecord>, StoreError>> + Send;

    /// Messages that failed permanently, newest first, at most `limit`.
    fn list_failed(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<InboundRecord>, StoreError>> + Send;

    /// Writes what a dispatch attempt did on a message that is still pending. `Ok(false)` (and
    /// nothing written) when it is missing or no longer pending: a [`AttemptMark::Sending`]
    /// caller must then not send.
    fn mark_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        mark: &AttemptMark,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Messages put off until `now_ms` or earlier ([`AttemptMark::Deferred`]), at most `limit`,
    /// oldest due time first: their due time is cleared and a dispatch is requested (in
    /// DynamoDB the `redrive` attribute, which the stream filter passes to the dispatcher).
    /// Returns them, for a caller that dispatches them itself.
    fn take_due_deferred(
        &self,
        now_ms: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<InboundRecord>, StoreError>> + Send;

    /// Messages still pending that were stored before `received_before_ms` (deferred, or stuck),
    /// oldest first, at most `limit`: what `dmbot failures list` shows besides the failed ones.
    fn list_unfinished(
        &self,
        received_before_ms: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<InboundRecord>, StoreError>> + Send;
}
