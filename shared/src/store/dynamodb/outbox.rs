//! The outbox port on DynamoDB: receipt items (`CONV#…`/`OUT#<padded id>`), merged by two
//! UpdateItems in either order.

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;

use super::DynamoStore;
use super::codec::*;
use super::error::SdkResult;
use super::item::*;
use crate::domain::{AccountEcho, ConversationKey, EventId};
use crate::store::{Outbox, RECEIPTS_LIMIT, Receipt, StoreError};

impl DynamoStore {
    /// The UpdateItem that creates or merges into the receipt of `event` in `conversation`:
    /// its key attributes and expiry (kept from the first write), the caller adds the rest.
    fn receipt_update(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        at_ms: u64,
        set: &str,
    ) -> UpdateItemFluentBuilder {
        self.client()
            .update_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(
                conversation_pk(conversation),
                sent_sk(event),
            )))
            .update_expression(format!(
                "SET #kind = :kind, #event = :event, #account = :account, #customer = :customer, \
                 #expires = if_not_exists(#expires, :expires), {set}"
            ))
            .expression_attribute_names("#kind", ATTR_KIND)
            .expression_attribute_names("#event", ATTR_EVENT_ID)
            .expression_attribute_names("#account", ATTR_ACCOUNT_ID)
            .expression_attribute_names("#customer", ATTR_CUSTOMER_ID)
            .expression_attribute_names("#expires", ATTR_EXPIRES_AT)
            .expression_attribute_values(":kind", s(KIND_SENT))
            .expression_attribute_values(":event", s(event.as_str()))
            .expression_attribute_values(":account", s(conversation.account.as_str()))
            .expression_attribute_values(":customer", s(conversation.customer.as_str()))
            .expression_attribute_values(":expires", n(expires_at(at_ms)))
    }
}

impl Outbox for DynamoStore {
    async fn record_sent(
        &self,
        conversation: &ConversationKey,
        sent: &EventId,
        in_reply_to: &EventId,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        self.receipt_update(
            conversation,
            sent,
            at_ms,
            "#reply_to = :reply_to, #sent = if_not_exists(#sent, :at)",
        )
        .expression_attribute_names("#reply_to", ATTR_IN_REPLY_TO)
        .expression_attribute_names("#sent", ATTR_SENT_MS)
        .expression_attribute_values(":reply_to", s(in_reply_to.as_str()))
        .expression_attribute_values(":at", n(at_ms))
        .send()
        .await
        .sdk(self, "UpdateItem")?;
        Ok(())
    }

    async fn record_echo(&self, echo: &AccountEcho, at_ms: u64) -> Result<(), StoreError> {
        let from_app = if echo.from_our_app { "true" } else { "false" };
        self.receipt_update(
            &echo.conversation,
            &echo.event_id,
            at_ms,
            "#created = :created, #from_app = :from_app",
        )
        .expression_attribute_names("#created", ATTR_ECHO_CREATED_MS)
        .expression_attribute_names("#from_app", ATTR_ECHO_FROM_APP)
        .expression_attribute_values(":created", n(echo.created_ms))
        .expression_attribute_values(":from_app", s(from_app))
        .send()
        .await
        .sdk(self, "UpdateItem")?;
        Ok(())
    }

    /// One Query in the conversation's partition: `OUT#` keys after `after`'s, in key order
    /// (event id order, the keys being zero-padded).
    async fn receipts_after(
        &self,
        conversation: &ConversationKey,
        after: &EventId,
    ) -> Result<Vec<Receipt>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(self.table_name())
            .consistent_read(true)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#sk", ATTR_SK)
            .expression_attribute_values(":pk", s(conversation_pk(conversation)))
            .expression_attribute_values(
                ":from",
                s(format!("OUT#{:0>32}", after.numeric().saturating_add(1))),
            )
            .expression_attribute_values(":to", s(format!("OUT#{}", "9".repeat(32))))
            .limit(RECEIPTS_LIMIT as i32)
            .send()
            .await
            .sdk(self, "Query")?;
        let mut found = Vec::new();
        for item in out.items.unwrap_or_default() {
            let receipt = decode_receipt(&item)?;
            // Markers written before the keys were padded sort among these; keep only ids after.
            if receipt.event_id.numeric() > after.numeric() {
                found.push(receipt);
            }
        }
        found.sort_by_key(|r| r.event_id.numeric());
        Ok(found)
    }

    async fn is_sent_by_bot(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> Result<bool, StoreError> {
        let pk = conversation_pk(conversation);
        if let Some(item) = self.get(pk.clone(), sent_sk(event)).await? {
            if decode_receipt(&item)?.is_recorded_send() {
                return Ok(true);
            }
        }
        if sent_sk(event) == legacy_sent_sk(event) {
            return Ok(false);
        }
        Ok(self.get(pk, legacy_sent_sk(event)).await?.is_some())
    }
}
