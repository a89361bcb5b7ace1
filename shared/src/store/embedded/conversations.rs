//! The conversations port on the embedded store: tables `conversations` and `agent_activity`.

use super::error::Db;
use super::expiry::{add_expiry, event_expiry};
use super::schema::{AGENT_ACTIVITY, CONVERSATIONS, StoredConversation, conversation_key};
use super::{EmbeddedStore, decode, encode};
use crate::domain::{AgentActivity, ConversationKey, ConversationState};
use crate::store::{Conversation, Conversations, StoreError, rules};
use redb::{ReadableDatabase, ReadableTable};

impl Conversations for EmbeddedStore {
    async fn load_conversation(
        &self,
        conversation: &ConversationKey,
    ) -> Result<Conversation, StoreError> {
        let key = conversation_key(conversation);
        self.lookup(move |db, path| {
            let txn = db.begin_read().db(path)?;
            let states = txn.open_table(CONVERSATIONS).db(path)?;
            let agents = txn.open_table(AGENT_ACTIVITY).db(path)?;
            let stored = match states.get(key.as_str()).db(path)? {
                Some(raw) => decode::<StoredConversation>("conversation", &key, raw.value())?,
                None => StoredConversation {
                    state: ConversationState::default(),
                    version: 0,
                    saved_ms: 0,
                },
            };
            let agent_last_active_ms = agents.get(key.as_str()).db(path)?.map(|v| v.value());
            Ok(Conversation {
                state: stored.state,
                version: stored.version,
                agent_last_active_ms,
            })
        })
    }

    async fn save_conversation(
        &self,
        conversation: &ConversationKey,
        state: &ConversationState,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        let key = conversation_key(conversation);
        let state = state.clone();
        let what = format!("conversation {conversation}");
        self.write(move |txn, path| {
            let mut table = txn.open_table(CONVERSATIONS).db(path)?;
            let current = match table.get(key.as_str()).db(path)? {
                Some(raw) => {
                    decode::<StoredConversation>("conversation", &key, raw.value())?.version
                }
                None => 0,
            };
            let version = rules::next_version(current, expected_version, &what)?;
            let saved_ms = crate::domain::now_ms();
            let value = encode(
                "conversation",
                &StoredConversation {
                    state: state.clone(),
                    version,
                    saved_ms,
                },
            )?;
            table.insert(key.as_str(), value.as_str()).db(path)?;
            drop(table);
            add_expiry(txn, path, event_expiry(saved_ms), "conversations", &key)?;
            Ok(version)
        })
        .await
    }

    async fn record_agent_activity(&self, activity: &AgentActivity) -> Result<(), StoreError> {
        let key = conversation_key(&activity.conversation);
        let at = activity.created_ms;
        self.write(move |txn, path| {
            let mut table = txn.open_table(AGENT_ACTIVITY).db(path)?;
            let current = table.get(key.as_str()).db(path)?.map(|v| v.value());
            if rules::is_later(current, at) {
                table.insert(key.as_str(), at).db(path)?;
                drop(table);
                add_expiry(txn, path, event_expiry(at), "agent_activity", &key)?;
            }
            Ok(())
        })
        .await
    }
}
