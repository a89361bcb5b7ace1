//! The message's place among its conversation's other pending messages, across batches and
//! invocations (`batch.rs` orders those that arrive together):
//!
//! - an **earlier** message of the conversation is put off (waiting for the send budget, say)
//!   until a time still to come, or due but not back yet: this one waits behind it, to the same
//!   time, so the customer never gets the answer to a later message first;
//! - a **later** message of the customer is already stored: with the flow's `coalesce` (on by
//!   default) this one gets no reply of its own. The engine still walks it (its state is saved,
//!   so routing and hand-over stay right) and the reply goes to the latest: one reply, one
//!   billable send, for a customer who wrote several times while waiting.

use std::time::Instant;

use super::{Dispatcher, Failure, Store};
use crate::domain::{EventId, InboundRecord, now_ms};

/// How many of the conversation's most recent messages are looked at.
const LOOK_BACK: usize = 25;

/// An earlier message whose time has come but that is not back yet (the re-drive runs every
/// minute) is still waited for, this long after its time: the two come back together, in
/// order. Past it, something else holds that message up, and this one goes on without it.
const DUE_GRACE_MS: u64 = 5 * 60 * 1000;

/// Where the message stands among the conversation's pending messages.
pub(super) enum Place {
    /// Nothing holds it back; `later` is the newest later pending message, if any.
    Free { later: Option<EventId> },
    /// An earlier message is put off until `until_ms`: wait behind it.
    Behind { earlier: EventId, until_ms: u64 },
}

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    pub(super) async fn place(
        &self,
        record: &InboundRecord,
        budget: Instant,
    ) -> Result<Place, Failure> {
        let key = &record.message.conversation;
        let me = record.message.event_id.numeric();
        let pending = self
            .store_retry(budget, || {
                self.store.pending_in_conversation(key, LOOK_BACK)
            })
            .await?;
        let now = now_ms();
        let earlier = pending
            .iter()
            .filter(|r| r.message.event_id.numeric() < me)
            .filter_map(|r| {
                r.attempt
                    .not_before_ms
                    .filter(|t| t.saturating_add(DUE_GRACE_MS) > now)
                    .map(|t| (r.message.event_id.clone(), t.max(now)))
            })
            .max_by_key(|(_, t)| *t);
        if let Some((earlier, until_ms)) = earlier {
            return Ok(Place::Behind { earlier, until_ms });
        }
        let later = pending
            .iter()
            .filter(|r| r.message.event_id.numeric() > me)
            .max_by_key(|r| r.message.event_id.numeric())
            .map(|r| r.message.event_id.clone());
        Ok(Place::Free { later })
    }
}
