//! Welcome messages, their rules, and the deep link that opens one.

use serde::Deserialize;

use super::{ReceivedMessageData, WelcomeMessageId, WelcomeRuleId};
use crate::domain::UserId;
/// A welcome message. `name` comes beside the object on create/show and inside it in lists.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WelcomeMessage {
    pub id: WelcomeMessageId,
    #[serde(default)]
    pub created_timestamp: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub message_data: ReceivedMessageData,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WelcomeMessagePage {
    #[serde(default)]
    pub welcome_messages: Vec<WelcomeMessage>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// A welcome message rule: which welcome message is the default. The newest rule wins.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WelcomeRule {
    pub id: WelcomeRuleId,
    #[serde(default)]
    pub created_timestamp: Option<String>,
    pub welcome_message_id: WelcomeMessageId,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WelcomeRulePage {
    #[serde(default)]
    pub welcome_message_rules: Vec<WelcomeRule>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// The deep link that opens a conversation with `account` showing the chosen welcome message
/// (instead of the default one), for a website or a Tweet.
pub fn welcome_message_deep_link(account: &UserId, welcome: &WelcomeMessageId) -> String {
    format!(
        "https://twitter.com/messages/compose?recipient_id={}&welcome_message_id={}",
        account.as_str(),
        welcome.as_str()
    )
}
