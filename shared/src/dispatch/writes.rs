//! The store writes after a decision: the sent reply recorded, the conversation saved (with
//! its version check), the message marked answered; and the store's short retry.

use std::time::{Duration, Instant};

use super::{Dispatcher, Failure, Store};
use crate::domain::{ConversationKey, EventId, InboundStatus, now_ms};
use crate::flow::{EngineInput, Flow, step};
use crate::store::{Conversation, StoreError};

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    /// A person answered from the account after the message (found among the receipts or on
    /// Twitter): the bot stays quiet. Their message stays theirs: the hand-over is recorded
    /// (its echo does the same; recording twice keeps the latest time), never the bot's send.
    pub(super) async fn person_answered(
        &self,
        key: &ConversationKey,
        event: &EventId,
        flow: &Flow,
        budget: Instant,
    ) -> Result<(), Failure> {
        let activity = crate::domain::AgentActivity {
            event_id: event.clone(),
            conversation: key.clone(),
            created_ms: now_ms(),
        };
        self.store_retry(budget, || self.store.record_agent_activity(&activity))
            .await?;
        let conversation = self
            .store_retry(budget, || self.store.load_conversation(key))
            .await?;
        let record = self
            .store_retry(budget, || self.store.get_inbound(key, event))
            .await?;
        let state = match record {
            Some(r) => {
                let input =
                    EngineInput::from_message(&r.message, conversation.agent_last_active_ms)
                        .on_text_only_surface(self.text_only());
                step(flow, &conversation.state, &input).state
            }
            None => conversation.state.clone(),
        };
        self.save(key, event, flow, conversation, state, budget)
            .await?;
        self.finish(key, event, None, budget).await
    }

    /// After a send (or on adopting an earlier attempt's reply): record it against the message
    /// (so its echo is not mistaken for a person, and a later attempt knows what it answers),
    /// save the state, mark the message answered. Failures here are retryable; the next attempt
    /// finds the reply on the message or among the receipts.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn after_send(
        &self,
        key: &ConversationKey,
        event: &EventId,
        flow: &Flow,
        conversation: Conversation,
        state: crate::domain::ConversationState,
        sent: &EventId,
        budget: Instant,
    ) -> Result<(), Failure> {
        let at = now_ms();
        self.store_retry(budget, || self.store.record_sent(key, sent, event, at))
            .await
            .map_err(|e| {
                tracing::error!(reply = %sent, error = %e, "the reply was sent but could not be recorded");
                Failure::Retry(format!("recording the sent reply {sent}: {e}"))
            })?;
        self.save(key, event, flow, conversation, state, budget)
            .await?;
        self.finish(key, event, Some(sent.clone()), budget).await
    }
    /// Saves the state after `event` with the version check. On a conflict (the conversation
    /// changed since it was loaded: an operator resumed it, ...) the engine runs again on the
    /// fresh state and that result is saved: the message has been answered once, its effect on
    /// the state is applied to the newest state.
    pub(super) async fn save(
        &self,
        key: &ConversationKey,
        event: &EventId,
        flow: &Flow,
        mut conversation: Conversation,
        mut state: crate::domain::ConversationState,
        budget: Instant,
    ) -> Result<(), Failure> {
        let mut attempt = 1;
        loop {
            state.last_answered = Some(event.clone());
            let result = self
                .store
                .save_conversation(key, &state, conversation.version)
                .await;
            match result {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict { .. }) if attempt < self.config.save_attempts => {
                    tracing::info!(
                        attempt,
                        "conversation changed meanwhile; applying the message to the fresh state"
                    );
                    conversation = self
                        .store_retry(budget, || self.store.load_conversation(key))
                        .await?;
                    let record = self
                        .store_retry(budget, || self.store.get_inbound(key, event))
                        .await?;
                    state = match record {
                        Some(r) => {
                            let input = EngineInput::from_message(
                                &r.message,
                                conversation.agent_last_active_ms,
                            )
                            .on_text_only_surface(self.text_only());
                            step(flow, &conversation.state, &input).state
                        }
                        None => conversation.state.clone(),
                    };
                    attempt += 1;
                }
                Err(e) if e.is_transient() && Instant::now() < budget => {
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                    attempt += 1;
                    if attempt > self.config.save_attempts + 3 {
                        return Err(e.into());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    pub(super) async fn finish(
        &self,
        key: &ConversationKey,
        event: &EventId,
        reply: Option<EventId>,
        budget: Instant,
    ) -> Result<(), Failure> {
        let status = InboundStatus::Answered {
            reply_event_id: reply,
            at_ms: now_ms(),
        };
        self.store_retry(budget, || {
            self.store.set_inbound_status(key, event, &status)
        })
        .await
        .map_err(Failure::from)
    }

    /// Retries a store call on `Unavailable` with a short backoff while the budget lasts.
    pub(super) async fn store_retry<T, F, Fut>(
        &self,
        budget: Instant,
        mut op: F,
    ) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>>,
    {
        let mut wait = Duration::from_millis(50);
        loop {
            match op().await {
                Err(StoreError::Unavailable(reason)) if Instant::now() + wait < budget => {
                    tracing::warn!(%reason, wait_ms = wait.as_millis() as u64, "store unavailable; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }
}
