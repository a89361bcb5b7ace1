//! The Account Activity API: webhooks and subscriptions.

use serde::Deserialize;

use super::{WebhookId, de_count};
use crate::domain::UserId;
/// A registered webhook. `valid` is false after a failed CRC: Twitter has stopped delivering.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Webhook {
    pub id: WebhookId,
    pub url: String,
    pub valid: bool,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// The webhooks of one environment (from `account_activity/all/webhooks.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EnvironmentWebhooks {
    pub environment_name: String,
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Subscription {
    pub user_id: UserId,
}

/// `subscriptions/list.json`: the accounts subscribed in an environment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubscriptionList {
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub application_id: Option<String>,
    #[serde(default)]
    pub subscriptions: Vec<Subscription>,
}

/// `subscriptions/count.json`: subscriptions used across the app's environments (the sandbox
/// tier allows 15).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubscriptionCount {
    #[serde(default)]
    pub account_name: Option<String>,
    #[serde(deserialize_with = "de_count")]
    pub subscriptions_count_all: u64,
    #[serde(deserialize_with = "de_count", default)]
    pub subscriptions_count_direct_messages: u64,
}
