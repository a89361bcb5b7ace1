//! The conversations port: each conversation's engine state under optimistic locking, and the
//! time a person last wrote from the account (the hand-over signal).

use std::future::Future;

use super::StoreError;
use crate::domain::{AgentActivity, ConversationKey, ConversationState};

/// A conversation as stored: the engine's state plus the optimistic-locking version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conversation {
    pub state: ConversationState,
    /// 0 when the conversation has never been saved.
    pub version: u64,
    /// When a person last wrote from the account in this conversation (ms since epoch).
    pub agent_last_active_ms: Option<u64>,
}

/// Conversation state with optimistic locking, and the hand-over signal from human agents.
pub trait Conversations: Send + Sync {
    /// The conversation, or a fresh one (version 0) when none is stored.
    fn load_conversation(
        &self,
        conversation: &ConversationKey,
    ) -> impl Future<Output = Result<Conversation, StoreError>> + Send;

    /// Saves the state if the stored version is still `expected_version` (0: must not exist),
    /// returning the new version; [`StoreError::Conflict`] otherwise.
    fn save_conversation(
        &self,
        conversation: &ConversationKey,
        state: &ConversationState,
        expected_version: u64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Records that a person wrote from the account (keeps the latest time).
    fn record_agent_activity(
        &self,
        activity: &AgentActivity,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
