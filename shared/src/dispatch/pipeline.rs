//! The steps of handling one message (claim, account, engine, earlier attempts, cosmetics,
//! media, send, writes), as the module documentation lists them.

use std::time::Instant;

use super::order::Place;
use super::outcome::{Sent, twitter_failure};
use super::recovery::Verdict;
use super::{Dispatcher, Failure, Handled, Store};
use crate::domain::{InboundRecord, InboundStatus, now_ms};
use crate::flow::{EngineInput, Outcome, step};
use crate::store::usage::BillableKind;
use crate::store::{AttemptMark, ClaimOutcome};

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    pub(super) async fn handle_inner(
        &self,
        record: &InboundRecord,
        budget: Instant,
    ) -> Result<Handled, Failure> {
        let key = &record.message.conversation;
        let event = &record.message.event_id;

        // 1. Claim.
        let record = loop {
            let left = budget.saturating_duration_since(Instant::now());
            let lease_ms = (left + self.config.lease_margin).as_millis() as u64;
            match self
                .store_retry(budget, || {
                    self.store.claim_inbound(key, event, now_ms(), lease_ms)
                })
                .await?
            {
                ClaimOutcome::Claimed(r) => break r,
                ClaimOutcome::Done(status) => return Ok(Handled::AlreadyDone(status)),
                ClaimOutcome::Missing => return Ok(Handled::Missing),
                ClaimOutcome::Busy => {
                    if Instant::now() + self.config.busy_poll >= budget {
                        return Ok(Handled::Busy);
                    }
                    tokio::time::sleep(self.config.busy_poll).await;
                }
            }
        };
        if let Some(until_ms) = record.attempt.not_before_ms.filter(|t| *t > now_ms()) {
            // Put off by an earlier attempt and back early (a redelivery): not yet.
            let reason = record.attempt.defer_reason.clone().unwrap_or_default();
            let slot_ms = record.attempt.slot_ms;
            return Err(Failure::Defer {
                until_ms,
                reason,
                slot_ms,
            });
        }
        let message = &record.message;

        // Behind an earlier message of the conversation that is put off: wait for it (order.rs).
        let later = match self.place(&record, budget).await? {
            Place::Behind { earlier, until_ms } => {
                return Err(Failure::Defer {
                    until_ms,
                    reason: format!(
                        "waits behind an earlier message ({earlier}) of the conversation, which \
                         is put off"
                    ),
                    slot_ms: record.attempt.slot_ms,
                });
            }
            Place::Free { later } => later,
        };

        // 2. Account and flow.
        let account = self.resolve_account(&key.account, budget).await?;
        let flow = self.flow_for(&account, budget).await?;

        // 3. Conversation and engine.
        let conversation = self
            .store_retry(budget, || self.store.load_conversation(key))
            .await?;
        if conversation.state.last_answered.as_ref() == Some(event) {
            // The state was saved but the answered marker was not: finish the job.
            let reply = record.attempt.reply_event_id.clone();
            self.finish(key, event, reply, budget).await?;
            return Ok(Handled::AlreadyDone(InboundStatus::Answered {
                reply_event_id: None,
                at_ms: now_ms(),
            }));
        }
        let input = EngineInput::from_message(message, conversation.agent_last_active_ms)
            .on_text_only_surface(self.text_only());
        let first = step(&flow, &conversation.state, &input);

        // 4. An earlier attempt's reply, recorded on the message right after Twitter took it:
        // only the writes after it are missing.
        if let Some(sent) = record.attempt.reply_event_id.clone() {
            tracing::warn!(reply = %sent, "the reply went out on an earlier attempt; finishing its writes");
            self.after_send(key, event, &flow, conversation, first.state, &sent, budget)
                .await?;
            return Ok(Handled::Replied {
                reply_event_id: sent,
                recovered: true,
            });
        }

        let plan = match first.outcome {
            Outcome::Silent { reason } => {
                tracing::info!(reason = ?reason, "the bot stays silent");
                self.save(key, event, &flow, conversation, first.state, budget)
                    .await?;
                self.finish(key, event, None, budget).await?;
                return Ok(Handled::Silent);
            }
            Outcome::Reply(plan) => plan,
        };

        // 5. An earlier attempt began sending: did its reply go out? The receipts decide.
        if let Some(sending_ms) = record.attempt.sending_ms {
            match self
                .earlier_reply(&account, &record, sending_ms, budget)
                .await?
            {
                Verdict::Ours(found) => {
                    tracing::warn!(reply = %found, "an earlier attempt's reply went out; not sending again");
                    self.after_send(key, event, &flow, conversation, first.state, &found, budget)
                        .await?;
                    return Ok(Handled::Replied {
                        reply_event_id: found,
                        recovered: true,
                    });
                }
                Verdict::Person(found) => {
                    tracing::warn!(message = %found, "a person wrote from the account after this message; the bot stays quiet");
                    self.person_answered(key, event, &flow, budget).await?;
                    return Ok(Handled::Silent);
                }
                Verdict::Undecided => {}
            }
        }

        // 6. Coalescing (order.rs): this message had to wait (it was put off), the customer
        //    wrote again meanwhile, and no earlier attempt began sending: its effect is saved,
        //    the later message gets the reply.
        let waited = record.attempt.deferrals > 0 && record.attempt.sending_ms.is_none();
        if let Some(later) = later.filter(|_| waited && flow.coalesce()) {
            tracing::info!(%later, "the customer wrote again since; only the latest message gets a reply");
            self.save(key, event, &flow, conversation, first.state, budget)
                .await?;
            self.finish(key, event, None, budget).await?;
            self.hand_over_slot(&record, &later).await;
            return Ok(Handled::Coalesced { into: later });
        }

        // 7. Within the daily spend cap (spend_cap.rs), then a send slot (send_budget.rs):
        //    now, or put off to the window where one is reserved for it. Nothing below costs a
        //    call X would refuse.
        self.within_spend_cap().await?;
        let grant = self.send_slot(&record).await?;

        // 8. Read receipt and typing indicator: cosmetic, never worth failing the reply for,
        //    only with room in their own budget (and absent from X API v2's DMs).
        if plan.mark_read && !self.text_only() && self.cosmetic_slot(&key.account).await {
            let call = self.client.mark_read(&account.tokens, &key.customer, event);
            match self.bounded(budget, call).await {
                Ok(_) => self.count(&key.account, BillableKind::ReadReceipt, 1).await,
                Err(e) => tracing::warn!(error = %e, "mark read failed; replying anyway"),
            }
        }
        if plan.typing && !self.text_only() && self.cosmetic_slot(&key.account).await {
            let call = self.client.indicate_typing(&account.tokens, &key.customer);
            match self.bounded(budget, call).await {
                Ok(_) => {
                    self.count(&key.account, BillableKind::TypingIndicator, 1)
                        .await
                }
                Err(e) => tracing::warn!(error = %e, "typing indicator failed; replying anyway"),
            }
        }

        // 9. Media, the mark that a send begins, and the send. The slot goes back if the send
        //    is not made.
        let media_id = match &plan.media {
            Some(file) => match self.media_id(&account, &flow, file, budget).await {
                Ok(id) => id,
                Err(e) => {
                    self.give_back(grant).await;
                    return Err(twitter_failure("uploading the reply's media", &e));
                }
            },
            None => None,
        };
        let sending_ms = now_ms();
        let mark = AttemptMark::Sending { at_ms: sending_ms };
        let marked = match self
            .store_retry(budget, || self.store.mark_inbound(key, event, &mark))
            .await
        {
            Ok(marked) => marked,
            Err(e) => {
                self.give_back(grant).await;
                return Err(e.into());
            }
        };
        if !marked {
            // Finished (or gone) meanwhile, by a dispatcher that outlived our lease.
            self.give_back(grant).await;
            return Ok(Handled::AlreadyDone(InboundStatus::Pending));
        }
        let sending_ms = record.attempt.sending_ms.unwrap_or(sending_ms);
        let sent = match self
            .send(
                &account, &record, sending_ms, &plan, media_id, &flow, budget,
            )
            .await?
        {
            Sent::New(id) => id,
            Sent::Found(Verdict::Ours(id)) => {
                self.after_send(key, event, &flow, conversation, first.state, &id, budget)
                    .await?;
                return Ok(Handled::Replied {
                    reply_event_id: id,
                    recovered: true,
                });
            }
            Sent::Found(_) => {
                self.person_answered(key, event, &flow, budget).await?;
                return Ok(Handled::Silent);
            }
        };

        // 10. Write it all down: the reply on the message first, so that whatever fails next,
        // a later attempt knows it went out.
        let mark = AttemptMark::Replied {
            reply: sent.clone(),
        };
        self.store_retry(budget, || self.store.mark_inbound(key, event, &mark))
            .await
        .map_err(|e| {
            tracing::error!(reply = %sent, error = %e, "the reply was sent but could not be recorded on the message; its echo will tell");
            Failure::Retry(format!("recording the sent reply {sent}: {e}"))
        })?;
        self.after_send(key, event, &flow, conversation, first.state, &sent, budget)
            .await?;
        Ok(Handled::Replied {
            reply_event_id: sent,
            recovered: false,
        })
    }
}
