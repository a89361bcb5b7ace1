//! The inbox port on DynamoDB: inbound items (`CONV#…`/`EVT#…`) and the `DEFERRED` partition.
//! Every rule is a condition expression, so each call is one atomic request.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::DynamoStore;
use super::codec::*;
use super::error::{SdkResult, is_conditional_failure};
use super::item::*;
use crate::domain::{ConversationKey, EventId, InboundRecord, InboundStatus};
use crate::store::{AttemptMark, ClaimOutcome, Inbox, PutOutcome, StoreError, rules};

impl Inbox for DynamoStore {
    async fn put_inbound(&self, record: &InboundRecord) -> Result<PutOutcome, StoreError> {
        let item = encode_inbound(record)?;
        let result = self
            .client
            .put_item()
            .table_name(self.table_name())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", ATTR_PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutOutcome::Inserted),
            Err(e) if is_conditional_failure(&e) => Ok(PutOutcome::Duplicate),
            Err(e) => Err(self.sdk_error("PutItem", e)),
        }
    }

    async fn get_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> Result<Option<InboundRecord>, StoreError> {
        self.get(conversation_pk(conversation), inbound_sk(event))
            .await?
            .map(|item| decode_inbound_item(&item))
            .transpose()
    }

    async fn claim_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        now_ms: u64,
        lease_ms: u64,
    ) -> Result<ClaimOutcome, StoreError> {
        let pk = conversation_pk(conversation);
        let sk = inbound_sk(event);
        let result = self
            .client
            .update_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(pk.clone(), sk.clone())))
            .update_expression("SET #lease = :until REMOVE #redrive")
            .condition_expression(
                "attribute_exists(#pk) AND #status = :pending \
                 AND (attribute_not_exists(#lease) OR #lease <= :now)",
            )
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#status", ATTR_STATUS)
            .expression_attribute_names("#lease", ATTR_LEASE_UNTIL_MS)
            .expression_attribute_names("#redrive", ATTR_REDRIVE)
            .expression_attribute_values(":until", n(now_ms.saturating_add(lease_ms)))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":pending", s(STATUS_PENDING))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                Ok(ClaimOutcome::Claimed(decode_inbound_item(&item)?))
            }
            Err(e) if is_conditional_failure(&e) => {
                // Find out why: gone, finished, or someone else's live lease.
                match self.get(pk, sk).await? {
                    None => Ok(ClaimOutcome::Missing),
                    Some(item) => {
                        let record = decode_inbound_item(&item)?;
                        if record.status == InboundStatus::Pending {
                            Ok(ClaimOutcome::Busy)
                        } else {
                            Ok(ClaimOutcome::Done(record.status))
                        }
                    }
                }
            }
            Err(e) => Err(self.sdk_error("UpdateItem", e)),
        }
    }

    async fn set_inbound_status(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        status: &InboundStatus,
    ) -> Result<(), StoreError> {
        let req = self
            .client
            .update_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(
                conversation_pk(conversation),
                inbound_sk(event),
            )))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#status", ATTR_STATUS)
            .expression_attribute_names("#lease", ATTR_LEASE_UNTIL_MS)
            .expression_attribute_names("#redrive", ATTR_REDRIVE)
            .expression_attribute_names("#at", ATTR_STATUS_AT_MS)
            .expression_attribute_names("#reply", ATTR_REPLY_EVENT_ID)
            .expression_attribute_names("#reason", ATTR_FAILURE_REASON);
        let req = match status {
            InboundStatus::Pending => req
                .update_expression(
                    "SET #status = :status, #redrive = :redrive REMOVE #lease, #at, #reply, #reason, #nb",
                )
                .expression_attribute_names("#nb", ATTR_NOT_BEFORE_MS)
                .expression_attribute_values(":status", s(STATUS_PENDING))
                .expression_attribute_values(":redrive", s(REDRIVE_REQUESTED)),
            InboundStatus::Answered {
                reply_event_id: Some(reply),
                at_ms,
            } => req
                .update_expression(
                    "SET #status = :status, #at = :at, #reply = :reply REMOVE #lease, #redrive, #reason",
                )
                .expression_attribute_values(":status", s(STATUS_ANSWERED))
                .expression_attribute_values(":at", n(*at_ms))
                .expression_attribute_values(":reply", s(reply.as_str())),
            InboundStatus::Answered {
                reply_event_id: None,
                at_ms,
            } => req
                .update_expression(
                    "SET #status = :status, #at = :at REMOVE #lease, #redrive, #reply, #reason",
                )
                .expression_attribute_values(":status", s(STATUS_ANSWERED))
                .expression_attribute_values(":at", n(*at_ms)),
            InboundStatus::Failed { reason, at_ms } => req
                .update_expression(
                    "SET #status = :status, #at = :at, #reason = :reason REMOVE #lease, #redrive, #reply",
                )
                .expression_attribute_values(":status", s(STATUS_FAILED))
                .expression_attribute_values(":at", n(*at_ms))
                .expression_attribute_values(":reason", s(reason.as_str())),
        };
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_failure(&e) => Err(StoreError::Rejected(format!(
                "no inbound message {event} in conversation {conversation}"
            ))),
            Err(e) => Err(self.sdk_error("UpdateItem", e)),
        }
    }

    /// One Query of the conversation's partition: its `EVT#` items, highest key first, at most
    /// `limit`; then the shared rule (pending only, oldest event id first). Undecodable items
    /// are logged and left out.
    async fn pending_in_conversation(
        &self,
        conversation: &ConversationKey,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let out = self
            .client
            .query()
            .table_name(self.table_name())
            .consistent_read(true)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :evt)")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#sk", ATTR_SK)
            .expression_attribute_values(":pk", s(conversation_pk(conversation)))
            .expression_attribute_values(":evt", s(INBOUND_SK_PREFIX))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .sdk(self, "Query")?;
        let items = out.items.unwrap_or_default();
        let records = decode_listed_inbound(&items, "pending in conversation");
        Ok(rules::pending_of_latest(records, limit))
    }

    /// A Scan of the whole table with a filter: this backs the operator command
    /// `dmbot failures list`, not a hot path, so no index is kept for it. Items that cannot be
    /// decoded are logged and left out rather than hiding every other failure.
    async fn list_failed(&self, limit: usize) -> Result<Vec<InboundRecord>, StoreError> {
        let items = self
            .scan_all(
                "#kind = :kind AND #status = :failed",
                &[("#kind", ATTR_KIND), ("#status", ATTR_STATUS)],
                &[(":kind", s(KIND_INBOUND)), (":failed", s(STATUS_FAILED))],
                None,
            )
            .await?;
        let mut failed = decode_listed_inbound(&items, "failed");
        rules::sort_failed(&mut failed);
        failed.truncate(limit);
        Ok(failed)
    }

    async fn mark_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        mark: &AttemptMark,
    ) -> Result<bool, StoreError> {
        let req = self
            .client
            .update_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(
                conversation_pk(conversation),
                inbound_sk(event),
            )))
            .condition_expression("attribute_exists(#pk) AND #status = :pending")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#status", ATTR_STATUS)
            .expression_attribute_values(":pending", s(STATUS_PENDING));
        let req = match mark {
            AttemptMark::Sending { at_ms } => req
                .update_expression("SET #sending = if_not_exists(#sending, :at) REMOVE #slot")
                .expression_attribute_names("#sending", ATTR_SENDING_MS)
                .expression_attribute_names("#slot", ATTR_SLOT_MS)
                .expression_attribute_values(":at", n(*at_ms)),
            AttemptMark::Replied { reply } => req
                .update_expression("SET #reply = :reply")
                .expression_attribute_names("#reply", ATTR_SENT_REPLY_ID)
                .expression_attribute_values(":reply", s(reply.as_str())),
            AttemptMark::Deferred {
                until_ms,
                reason,
                release_lease,
                slot_ms,
            } => {
                let mut set = "SET #nb = :until, #reason = :reason, \
                               #count = if_not_exists(#count, :zero) + :one"
                    .to_string();
                let mut remove = Vec::new();
                let mut req = req
                    .expression_attribute_names("#nb", ATTR_NOT_BEFORE_MS)
                    .expression_attribute_names("#reason", ATTR_DEFER_REASON)
                    .expression_attribute_names("#count", ATTR_DEFERRALS)
                    .expression_attribute_names("#slot", ATTR_SLOT_MS)
                    .expression_attribute_values(":until", n(*until_ms))
                    .expression_attribute_values(":reason", s(reason.as_str()))
                    .expression_attribute_values(":zero", n(0))
                    .expression_attribute_values(":one", n(1));
                match slot_ms {
                    Some(at) => {
                        set.push_str(", #slot = :slot");
                        req = req.expression_attribute_values(":slot", n(*at));
                    }
                    None => remove.push("#slot"),
                }
                if *release_lease {
                    remove.push("#lease");
                    req = req.expression_attribute_names("#lease", ATTR_LEASE_UNTIL_MS);
                }
                if !remove.is_empty() {
                    set = format!("{set} REMOVE {}", remove.join(", "));
                }
                req.update_expression(set)
            }
        };
        match req.send().await {
            Ok(_) => {}
            Err(e) if is_conditional_failure(&e) => return Ok(false),
            Err(e) => return Err(self.sdk_error("UpdateItem", e)),
        }
        if let AttemptMark::Deferred { until_ms, .. } = mark {
            // The scheduled re-drive finds it through this entry. Written after the message's
            // own mark: an entry whose message is answered meanwhile is dropped by the re-drive.
            let item = HashMap::from([
                (ATTR_PK.to_string(), s(PK_DEFERRED)),
                (
                    ATTR_SK.to_string(),
                    s(deferred_sk(*until_ms, conversation, event)),
                ),
                (ATTR_KIND.to_string(), s(KIND_DEFERRED)),
                (
                    ATTR_INBOUND_PK.to_string(),
                    s(conversation_pk(conversation)),
                ),
                (ATTR_INBOUND_SK.to_string(), s(inbound_sk(event))),
                (ATTR_EXPIRES_AT.to_string(), n(expires_at(*until_ms))),
            ]);
            self.client()
                .put_item()
                .table_name(self.table_name())
                .set_item(Some(item))
                .send()
                .await
                .sdk(self, "PutItem")?;
        }
        Ok(true)
    }

    /// One Query of the `DEFERRED` partition up to `now_ms`; for each entry an UpdateItem on
    /// the message (`redrive`, due time removed; only while pending and due) and a DeleteItem of
    /// the entry.
    async fn take_due_deferred(
        &self,
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(self.table_name())
            .consistent_read(true)
            .key_condition_expression("#pk = :pk AND #sk <= :due")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#sk", ATTR_SK)
            .expression_attribute_values(":pk", s(PK_DEFERRED))
            .expression_attribute_values(":due", s(format!("{now_ms:020}#~")))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .sdk(self, "Query")?;
        let mut taken = Vec::new();
        for entry in out.items.unwrap_or_default() {
            let (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) =
                (entry.get(ATTR_INBOUND_PK), entry.get(ATTR_INBOUND_SK))
            else {
                tracing::warn!("dropping a deferred entry without its message's keys");
                self.delete_entry(&entry).await?;
                continue;
            };
            let result = self
                .client
                .update_item()
                .table_name(self.table_name())
                .set_key(Some(Self::key(pk.clone(), sk.clone())))
                .update_expression("SET #redrive = :requested REMOVE #nb")
                .condition_expression(
                    "attribute_exists(#pk) AND #status = :pending AND #nb <= :now",
                )
                .expression_attribute_names("#pk", ATTR_PK)
                .expression_attribute_names("#status", ATTR_STATUS)
                .expression_attribute_names("#nb", ATTR_NOT_BEFORE_MS)
                .expression_attribute_names("#redrive", ATTR_REDRIVE)
                .expression_attribute_values(":requested", s(REDRIVE_REQUESTED))
                .expression_attribute_values(":pending", s(STATUS_PENDING))
                .expression_attribute_values(":now", n(now_ms))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match result {
                Ok(out) => {
                    let item = out.attributes.unwrap_or_default();
                    taken.push(decode_inbound_item(&item)?);
                }
                // Answered, gone, or put off again (a later entry brings it back).
                Err(e) if is_conditional_failure(&e) => {}
                Err(e) => return Err(self.sdk_error("UpdateItem", e)),
            }
            self.delete_entry(&entry).await?;
        }
        Ok(taken)
    }

    /// A filtered Scan, like [`Inbox::list_failed`]: an operator command, not a hot path.
    async fn list_unfinished(
        &self,
        received_before_ms: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        let items = self
            .scan_all(
                "#kind = :kind AND #status = :pending AND #received < :before",
                &[
                    ("#kind", ATTR_KIND),
                    ("#status", ATTR_STATUS),
                    ("#received", ATTR_RECEIVED_MS),
                ],
                &[
                    (":kind", s(KIND_INBOUND)),
                    (":pending", s(STATUS_PENDING)),
                    (":before", n(received_before_ms)),
                ],
                None,
            )
            .await?;
        let mut pending = decode_listed_inbound(&items, "pending");
        rules::sort_unfinished(&mut pending);
        pending.truncate(limit);
        Ok(pending)
    }
}
