//! The conversations port on DynamoDB: the `STATE` item (optimistic locking on `version`) and
//! the `AGENT` item of each conversation partition.

use std::collections::HashMap;

use super::DynamoStore;
use super::codec::*;
use super::error::is_conditional_failure;
use super::item::*;
use crate::domain::{AgentActivity, ConversationKey, ConversationState};
use crate::store::{Conversation, Conversations, StoreError};

impl Conversations for DynamoStore {
    async fn load_conversation(
        &self,
        conversation: &ConversationKey,
    ) -> Result<Conversation, StoreError> {
        let pk = conversation_pk(conversation);
        let (state_item, agent_item) = futures::future::try_join(
            self.get(pk.clone(), SK_STATE.to_string()),
            self.get(pk, SK_AGENT.to_string()),
        )
        .await?;
        let (state, version) = match state_item {
            None => (ConversationState::default(), 0),
            Some(item) => (
                json(&item, "conversation", ATTR_STATE)?,
                req_n(&item, "conversation", ATTR_VERSION)?,
            ),
        };
        let agent_last_active_ms = match agent_item {
            None => None,
            Some(item) => opt_n(&item, "agent activity", ATTR_AGENT_LAST_ACTIVE_MS)?,
        };
        Ok(Conversation {
            state,
            version,
            agent_last_active_ms,
        })
    }

    async fn save_conversation(
        &self,
        conversation: &ConversationKey,
        state: &ConversationState,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        let next = expected_version.checked_add(1).ok_or_else(|| {
            StoreError::Rejected(format!("conversation {conversation}: version overflow"))
        })?;
        let item = HashMap::from([
            (ATTR_PK.to_string(), s(conversation_pk(conversation))),
            (ATTR_SK.to_string(), s(SK_STATE)),
            (ATTR_KIND.to_string(), s(KIND_CONVERSATION)),
            (
                ATTR_ACCOUNT_ID.to_string(),
                s(conversation.account.as_str()),
            ),
            (
                ATTR_CUSTOMER_ID.to_string(),
                s(conversation.customer.as_str()),
            ),
            (ATTR_VERSION.to_string(), n(next)),
            (
                ATTR_STATE.to_string(),
                s(to_json("conversation state", state)?),
            ),
            // Kept 30 days after the last save, as the messages are.
            (
                ATTR_EXPIRES_AT.to_string(),
                n(expires_at(crate::domain::now_ms())),
            ),
        ]);
        let req = self
            .client
            .put_item()
            .table_name(self.table_name())
            .set_item(Some(item));
        let req = if expected_version == 0 {
            req.condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", ATTR_PK)
        } else {
            req.condition_expression("#version = :expected")
                .expression_attribute_names("#version", ATTR_VERSION)
                .expression_attribute_values(":expected", n(expected_version))
        };
        match req.send().await {
            Ok(_) => Ok(next),
            Err(e) if is_conditional_failure(&e) => Err(StoreError::Conflict {
                what: format!("conversation {conversation}"),
            }),
            Err(e) => Err(self.sdk_error("PutItem", e)),
        }
    }

    async fn record_agent_activity(&self, activity: &AgentActivity) -> Result<(), StoreError> {
        let conversation = &activity.conversation;
        let result = self
            .client
            .update_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(
                conversation_pk(conversation),
                SK_AGENT.to_string(),
            )))
            .update_expression(
                "SET #agent = :at, #kind = :kind, #account = :account, #customer = :customer, \
                 #expires = :expires",
            )
            .condition_expression("attribute_not_exists(#agent) OR #agent < :at")
            .expression_attribute_names("#expires", ATTR_EXPIRES_AT)
            .expression_attribute_values(":expires", n(expires_at(activity.created_ms)))
            .expression_attribute_names("#agent", ATTR_AGENT_LAST_ACTIVE_MS)
            .expression_attribute_names("#kind", ATTR_KIND)
            .expression_attribute_names("#account", ATTR_ACCOUNT_ID)
            .expression_attribute_names("#customer", ATTR_CUSTOMER_ID)
            .expression_attribute_values(":at", n(activity.created_ms))
            .expression_attribute_values(":kind", s(KIND_AGENT_ACTIVITY))
            .expression_attribute_values(":account", s(conversation.account.as_str()))
            .expression_attribute_values(":customer", s(conversation.customer.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A later activity is already stored: keep it.
            Err(e) if is_conditional_failure(&e) => Ok(()),
            Err(e) => Err(self.sdk_error("UpdateItem", e)),
        }
    }
}
