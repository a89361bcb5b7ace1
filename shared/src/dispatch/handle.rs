//! One message end to end: its tracing span, and the outcome written down (answered, put
//! off, failed).

use std::time::Instant;

use super::{DispatchError, Dispatcher, Failure, Handled, Store};
use crate::domain::{ConversationKey, EventId, InboundRecord, InboundStatus, now_ms};
use crate::store::AttemptMark;

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    /// Writes that the message is put off until `until_ms` (see [`AttemptMark::Deferred`]).
    /// When that write fails nothing would bring the message back, so it is a retryable error
    /// (a batch item failure: the stream delivers it again).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn defer(
        &self,
        key: &ConversationKey,
        event: &EventId,
        until_ms: u64,
        reason: String,
        release_lease: bool,
        slot_ms: Option<u64>,
        budget: Instant,
    ) -> Result<Handled, DispatchError> {
        let mark = AttemptMark::Deferred {
            until_ms,
            reason: reason.clone(),
            release_lease,
            slot_ms,
        };
        match self
            .store_retry(budget, || self.store.mark_inbound(key, event, &mark))
            .await
        {
            Ok(_) => {
                tracing::warn!(until_ms, %reason, "message put off");
                Ok(Handled::Deferred { until_ms, reason })
            }
            Err(e) => {
                tracing::error!(error = %e, "could not put the message off; it will be retried");
                Err(DispatchError::Retryable {
                    conversation: key.to_string(),
                    event: event.to_string(),
                    reason: format!("{reason}; putting it off failed: {e}"),
                })
            }
        }
    }

    /// Handles one message end to end before `deadline` (see the module documentation). Its
    /// span carries the conversation and the event id, so every line logged while handling it
    /// (retries, media, the client) says which message it is about.
    #[tracing::instrument(
        skip_all,
        fields(conversation = %record.message.conversation, event = %record.message.event_id)
    )]
    pub async fn handle(
        &self,
        record: &InboundRecord,
        deadline: Instant,
    ) -> Result<Handled, DispatchError> {
        let budget = deadline
            .checked_sub(self.config.deadline_margin)
            .unwrap_or(deadline);
        // Boxed: the steps make a large future, kept off the caller's stack.
        let steps = Box::pin(self.handle_inner(record, budget));
        let (result, tally) = super::metrics::measured(steps).await;
        let outcome = self.write_down(record, result, budget).await;
        self.publish(record, &outcome, &tally);
        outcome
    }

    /// Writes down what handling `record` came to (put off, failed) and says what it was.
    async fn write_down(
        &self,
        record: &InboundRecord,
        result: Result<Handled, Failure>,
        budget: Instant,
    ) -> Result<Handled, DispatchError> {
        let key = &record.message.conversation;
        let event = &record.message.event_id;
        match result {
            Ok(Handled::Busy) => {
                // If its holder died, nothing would bring the message back: put it off until
                // that lease must have run out. The holder's lease stays.
                let until_ms = now_ms() + self.config.busy_defer.as_millis() as u64;
                let reason = "another dispatcher held it".to_string();
                let slot = record.attempt.slot_ms;
                self.defer(key, event, until_ms, reason, false, slot, budget)
                    .await
            }
            Ok(handled) => {
                tracing::info!(outcome = ?handled, "message handled");
                Ok(handled)
            }
            Err(Failure::Retry(reason)) => {
                // Not now: back off, doubling with each deferral, and come back by itself.
                let (deferrals, slot) = match self.store.get_inbound(key, event).await {
                    Ok(Some(r)) => (r.attempt.deferrals, r.attempt.slot_ms),
                    _ => (0, record.attempt.slot_ms),
                };
                let wait = self
                    .config
                    .retry_defer
                    .saturating_mul(1 << deferrals.min(10));
                let until_ms = now_ms() + wait.min(self.config.max_retry_defer).as_millis() as u64;
                self.defer(key, event, until_ms, reason, true, slot, budget)
                    .await
            }
            Err(Failure::Defer {
                until_ms,
                reason,
                slot_ms,
            }) => {
                self.defer(key, event, until_ms, reason, true, slot_ms, budget)
                    .await
            }
            Err(Failure::Permanent(reason)) => {
                tracing::error!(%reason, "message failed permanently");
                let status = InboundStatus::Failed {
                    reason: reason.clone(),
                    at_ms: now_ms(),
                };
                match self
                    .store_retry(budget, || {
                        self.store.set_inbound_status(key, event, &status)
                    })
                    .await
                {
                    Ok(()) => Err(DispatchError::Permanent {
                        conversation: key.to_string(),
                        event: event.to_string(),
                        reason,
                    }),
                    Err(e) => {
                        // Unrecorded, it would stay pending with nothing to bring it back and
                        // out of `dmbot failures list`: have it delivered again instead.
                        tracing::error!(error = %e, "could not record the failure; it will be retried");
                        Err(DispatchError::Retryable {
                            conversation: key.to_string(),
                            event: event.to_string(),
                            reason: format!("{reason}; recording the failure failed: {e}"),
                        })
                    }
                }
            }
        }
    }
}
