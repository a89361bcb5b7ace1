//! What the engine remembers about a conversation between messages, hand-overs included.

use serde::{Deserialize, Serialize};

use super::EventId;
/// Why the bot is paused in a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    /// The flow reached a hand-over node (the customer asked for a person).
    FlowNode,
    /// A person wrote from the account.
    AgentWrote,
}

/// A hand-over in progress: the bot stays quiet until it resumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    pub since_ms: u64,
    pub reason: HandoffReason,
}

/// What the engine remembers about a conversation between messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationState {
    /// The flow node the conversation is at (None: not started).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Free-form variables a flow may keep.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub vars: std::collections::BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<Handoff>,
    /// The last customer message the bot answered (guards against answering twice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_answered: Option<EventId>,
    /// When the customer or an agent last wrote (ms since epoch).
    #[serde(default)]
    pub last_activity_ms: u64,
    /// When the bot last resumed after a hand-over (ms since epoch; 0: never). Agent messages
    /// older than this do not pause the bot again.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resumed_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
