//! A batch of messages: one conversation's messages in order, conversations concurrently.

use std::collections::BTreeMap;
use std::time::Instant;

use super::{DispatchError, Dispatcher, Handled, Store};
use crate::domain::{ConversationKey, InboundRecord};

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    /// Handles many messages before `deadline`: results in input order. Messages of one
    /// conversation run one after the other in event-id order (snowflakes grow with time);
    /// conversations run concurrently. Once a message of a conversation cannot be finished now
    /// (retryable, or busy), its later messages are not touched and come back retryable too,
    /// so the customer never gets the answer to a later message before an earlier one.
    pub async fn handle_batch(
        &self,
        records: Vec<InboundRecord>,
        deadline: Instant,
    ) -> Vec<Result<Handled, DispatchError>> {
        let mut groups: BTreeMap<ConversationKey, Vec<(usize, InboundRecord)>> = BTreeMap::new();
        let total = records.len();
        for (i, r) in records.into_iter().enumerate() {
            groups
                .entry(r.message.conversation.clone())
                .or_default()
                .push((i, r));
        }
        let runs = groups.into_values().map(|mut group| async move {
            group.sort_by_key(|(i, r)| (r.message.event_id.numeric(), *i));
            let mut out = Vec::with_capacity(group.len());
            // The first message of the conversation that could not be finished now, and
            // until when it is put off (None: it is retried).
            let mut blocked: Option<(String, Option<u64>)> = None;
            for (i, record) in group {
                let result = match &blocked {
                    Some((earlier, Some(until_ms))) => {
                        let reason = format!(
                            "waits behind an earlier message ({earlier}) of the conversation, \
                             which is put off"
                        );
                        self.put_off(&record, *until_ms, reason, deadline).await
                    }
                    Some((earlier, None)) => Err(DispatchError::Retryable {
                        conversation: record.message.conversation.to_string(),
                        event: record.message.event_id.to_string(),
                        reason: format!(
                            "an earlier message ({earlier}) of the conversation is not done yet; \
                             it keeps its place in line"
                        ),
                    }),
                    None => self.handle(&record, deadline).await,
                };
                let stuck = match &result {
                    Ok(Handled::Deferred { until_ms, .. }) => Some(Some(*until_ms)),
                    Ok(h) if h.needs_retry() => Some(None),
                    Err(e) if e.is_retryable() => Some(None),
                    _ => None,
                };
                if let (Some(until), None) = (stuck, &blocked) {
                    blocked = Some((record.message.event_id.to_string(), until));
                }
                out.push((i, result));
            }
            out
        });
        let mut results: Vec<Option<Result<Handled, DispatchError>>> =
            (0..total).map(|_| None).collect();
        for group in futures::future::join_all(runs).await {
            for (i, r) in group {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(r);
                }
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(DispatchError::Retryable {
                        conversation: String::new(),
                        event: String::new(),
                        reason: "the message was not handled".into(),
                    })
                })
            })
            .collect()
    }

    /// Puts `record` off until `until_ms` without trying it (an earlier message of its
    /// conversation is put off until then): it comes back with, and after, that message.
    #[tracing::instrument(
        skip_all,
        fields(conversation = %record.message.conversation, event = %record.message.event_id)
    )]
    pub(super) async fn put_off(
        &self,
        record: &InboundRecord,
        until_ms: u64,
        reason: String,
        deadline: Instant,
    ) -> Result<Handled, DispatchError> {
        let key = &record.message.conversation;
        let event = &record.message.event_id;
        let slot = record.attempt.slot_ms;
        self.defer(key, event, until_ms, reason, false, slot, deadline)
            .await
    }
}
