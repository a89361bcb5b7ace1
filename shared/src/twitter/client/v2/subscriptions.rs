//! Who X delivers to a v2 webhook (`docs/X-API-V2.md` §3–§4): X Activity API subscriptions
//! (create with the account's user token, since DM events are private; list and delete with the
//! app's bearer) and Account Activity API v2 subscriptions (subscribe with the account's user
//! token; list and remove with the bearer).

use serde::Deserialize;
use serde_json::json;

use super::super::{Auth, Body, Call, Endpoint, TwitterClient};
use super::id_segment;
use crate::domain::UserId;
use crate::twitter::api_types::WebhookId;
use crate::twitter::errors::TwitterError;
use crate::twitter::oauth1::TokenCredentials;

/// Pages read at most by [`TwitterClient::list_activity_subscriptions_v2`] (1,000 each; a
/// self-serve app has at most 1,500 subscriptions).
const MAX_SUBSCRIPTION_PAGES: usize = 10;

/// An X Activity API subscription.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ActivitySubscriptionV2 {
    pub subscription_id: String,
    /// `dm.received`, `dm.sent`, `oauth.revoke`, ...
    pub event_type: String,
    #[serde(default)]
    pub filter: ActivityFilterV2,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub webhook_id: Option<WebhookId>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// A subscription's `filter`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ActivityFilterV2 {
    #[serde(default)]
    pub user_id: Option<UserId>,
}

/// The accounts an Account Activity v2 webhook delivers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountActivitySubscriptionsV2 {
    pub webhook_url: Option<String>,
    pub user_ids: Vec<UserId>,
}

#[derive(Deserialize)]
struct SubscriptionPage {
    #[serde(default)]
    data: Vec<ActivitySubscriptionV2>,
    #[serde(default)]
    meta: Option<PageMeta>,
}

#[derive(Deserialize)]
struct PageMeta {
    #[serde(default)]
    next_token: Option<String>,
}

#[derive(Deserialize)]
struct AaaList {
    #[serde(default)]
    webhook_url: Option<String>,
    #[serde(default)]
    subscriptions: Vec<AaaUser>,
}

#[derive(Deserialize)]
struct AaaUser {
    user_id: UserId,
}

/// The X Activity API event types that carry an account's Direct Messages: the ones it
/// receives (customers writing) and the ones it sends (the bot's echoes, a person answering).
pub const DM_EVENT_TYPES: [&str; 2] = ["dm.received", "dm.sent"];

impl TwitterClient {
    /// Subscribes `user_id` to [`DM_EVENT_TYPES`] on `webhook_id`, tagged `tag`, creating only
    /// the subscriptions it does not have yet (so running it again creates nothing). Returns
    /// one subscription per event type. Used by `dmbot subscription add`, Twitter Sign-in and
    /// `dmbot serve`'s simulator set-up.
    pub async fn subscribe_dm_events_v2(
        &self,
        account: &TokenCredentials,
        user_id: &UserId,
        webhook_id: &WebhookId,
        tag: &str,
    ) -> Result<Vec<ActivitySubscriptionV2>, TwitterError> {
        let existing = self.list_activity_subscriptions_v2().await?;
        let mut subscriptions = Vec::new();
        for event_type in DM_EVENT_TYPES {
            let have = existing.iter().find(|s| {
                s.event_type == event_type
                    && s.filter.user_id.as_ref() == Some(user_id)
                    && s.webhook_id.as_ref() == Some(webhook_id)
            });
            subscriptions.push(match have {
                Some(s) => s.clone(),
                None => {
                    self.subscribe_activity_v2(account, event_type, user_id, webhook_id, Some(tag))
                        .await?
                }
            });
        }
        Ok(subscriptions)
    }

    /// `POST /2/activity/subscriptions`: delivers `event_type` events of `user_id` to the
    /// webhook, tagged `tag`. As the account itself (`account` must be `user_id`'s token).
    pub async fn subscribe_activity_v2(
        &self,
        account: &TokenCredentials,
        event_type: &str,
        user_id: &UserId,
        webhook_id: &WebhookId,
        tag: Option<&str>,
    ) -> Result<ActivitySubscriptionV2, TwitterError> {
        let mut body = json!({
            "event_type": event_type,
            "filter": {"user_id": user_id.as_str()},
            "webhook_id": webhook_id.as_str(),
        });
        if let Some(tag) = tag {
            body["tag"] = json!(tag);
        }
        let call = Call {
            endpoint: Endpoint::SubscribeActivityV2,
            url: self.api_url("2/activity/subscriptions", &[])?,
            auth: Auth::user(account),
            body: Body::Json(body),
        };
        self.v2_data(call).await
    }

    /// `GET /2/activity/subscriptions`: all of the app's subscriptions (every page).
    pub async fn list_activity_subscriptions_v2(
        &self,
    ) -> Result<Vec<ActivitySubscriptionV2>, TwitterError> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_SUBSCRIPTION_PAGES {
            let mut query = vec![("max_results", "1000")];
            if let Some(t) = &token {
                query.push(("pagination_token", t));
            }
            let call = Call {
                endpoint: Endpoint::ListActivitySubscriptionsV2,
                url: self.api_url("2/activity/subscriptions", &query)?,
                auth: Auth::Bearer,
                body: Body::Empty,
            };
            let page: SubscriptionPage = self.json(call).await?;
            all.extend(page.data);
            token = page.meta.and_then(|m| m.next_token);
            if token.is_none() {
                break;
            }
        }
        Ok(all)
    }

    /// `DELETE /2/activity/subscriptions/:subscription_id`.
    pub async fn delete_activity_subscription_v2(&self, id: &str) -> Result<(), TwitterError> {
        let endpoint = Endpoint::DeleteActivitySubscriptionV2;
        let id = id_segment(endpoint, "subscription id", id)?;
        let call = Call {
            endpoint,
            url: self.api_url(&format!("2/activity/subscriptions/{id}"), &[])?,
            auth: Auth::Bearer,
            body: Body::Empty,
        };
        self.no_content(call).await
    }

    /// `POST /2/account_activity/webhooks/:webhook_id/subscriptions/all`: the account (whose
    /// token this is) gets its activity delivered to the webhook in the v1.1 envelope.
    pub async fn subscribe_account_activity_v2(
        &self,
        account: &TokenCredentials,
        webhook_id: &WebhookId,
    ) -> Result<(), TwitterError> {
        let path = format!("2/account_activity/webhooks/{webhook_id}/subscriptions/all");
        let call = Call {
            endpoint: Endpoint::SubscribeAccountActivityV2,
            url: self.api_url(&path, &[])?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.no_content(call).await
    }

    /// `GET /2/account_activity/webhooks/:webhook_id/subscriptions/all/list`.
    pub async fn list_account_activity_subscriptions_v2(
        &self,
        webhook_id: &WebhookId,
    ) -> Result<AccountActivitySubscriptionsV2, TwitterError> {
        let path = format!("2/account_activity/webhooks/{webhook_id}/subscriptions/all/list");
        let call = Call {
            endpoint: Endpoint::ListAccountActivitySubscriptionsV2,
            url: self.api_url(&path, &[])?,
            auth: Auth::Bearer,
            body: Body::Empty,
        };
        let list: AaaList = self.v2_data(call).await?;
        Ok(AccountActivitySubscriptionsV2 {
            webhook_url: list.webhook_url,
            user_ids: list.subscriptions.into_iter().map(|s| s.user_id).collect(),
        })
    }

    /// `DELETE /2/account_activity/webhooks/:webhook_id/subscriptions/:user_id/all`.
    pub async fn delete_account_activity_subscription_v2(
        &self,
        webhook_id: &WebhookId,
        user_id: &UserId,
    ) -> Result<(), TwitterError> {
        let path = format!("2/account_activity/webhooks/{webhook_id}/subscriptions/{user_id}/all");
        let call = Call {
            endpoint: Endpoint::DeleteAccountActivitySubscriptionV2,
            url: self.api_url(&path, &[])?,
            auth: Auth::Bearer,
            body: Body::Empty,
        };
        self.no_content(call).await
    }
}
