//! Account Activity API: webhooks and subscriptions (`docs/TWITTER-API.md` §5), each call with the
//! authentication given there:
//!
//! | Call | Auth |
//! | --- | --- |
//! | register, trigger CRC, delete a webhook | the app owner's user context |
//! | list webhooks (one env, all envs) | app-only bearer |
//! | subscribe, check a subscription | **that account's** user context |
//! | list, count subscriptions; unsubscribe | app-only bearer |
//!
//! Webhook management allows 15 calls per 15 minutes; registering (and the `PUT` re-validation)
//! makes Twitter run a CRC against the URL, and code 214 then means the CRC failed.

use super::{Auth, Body, Call, Endpoint, TwitterClient};
use crate::domain::UserId;
use crate::twitter::api_types::{
    EnvName, EnvironmentWebhooks, SubscriptionCount, SubscriptionList, Webhook, WebhookId,
    WebhookUrl,
};
use crate::twitter::errors::TwitterError;
use crate::twitter::oauth1::TokenCredentials;

fn env_path(env: &EnvName, rest: &str) -> String {
    format!("1.1/account_activity/all/{}/{rest}", env.as_str())
}

impl TwitterClient {
    /// `POST account_activity/all/:env_name/webhooks.json?url=`: Twitter sends a CRC GET to
    /// `url` before answering; a failed CRC is [`TwitterError::CrcFailed`].
    pub async fn register_webhook(
        &self,
        owner: &TokenCredentials,
        env: &EnvName,
        url: &WebhookUrl,
    ) -> Result<Webhook, TwitterError> {
        let call = Call {
            endpoint: Endpoint::RegisterWebhook,
            url: self.api_url(&env_path(env, "webhooks.json"), &[("url", url.as_str())])?,
            auth: Auth::user(owner),
            body: Body::Empty,
        };
        self.json(call).await
    }

    /// `GET account_activity/all/:env_name/webhooks.json` (bearer): the environment's webhooks
    /// (at most one in the sandbox tier). `valid: false` means delivery is stopped.
    pub async fn list_webhooks(&self, env: &EnvName) -> Result<Vec<Webhook>, TwitterError> {
        let call = Call {
            endpoint: Endpoint::ListWebhooks,
            url: self.api_url(&env_path(env, "webhooks.json"), &[])?,
            auth: Auth::Bearer,
            body: Body::Empty,
        };
        self.json(call).await
    }

    /// `GET account_activity/all/webhooks.json` (bearer): the webhooks of every environment.
    pub async fn list_all_webhooks(&self) -> Result<Vec<EnvironmentWebhooks>, TwitterError> {
        #[derive(serde::Deserialize)]
        struct All {
            #[serde(default)]
            environments: Vec<EnvironmentWebhooks>,
        }
        let call = Call {
            endpoint: Endpoint::ListAllWebhooks,
            url: self.api_url("1.1/account_activity/all/webhooks.json", &[])?,
            auth: Auth::Bearer,
            body: Body::Empty,
        };
        let all: All = self.json(call).await?;
        Ok(all.environments)
    }

    /// `PUT account_activity/all/:env_name/webhooks/:webhook_id.json` (204): makes Twitter run
    /// the CRC again; on success a disabled webhook (`valid: false`) is re-enabled.
    pub async fn trigger_crc(
        &self,
        owner: &TokenCredentials,
        env: &EnvName,
        webhook: &WebhookId,
    ) -> Result<(), TwitterError> {
        let call = Call {
            endpoint: Endpoint::TriggerCrc,
            url: self.api_url(
                &env_path(env, &format!("webhooks/{}.json", webhook.as_str())),
                &[],
            )?,
            auth: Auth::user(owner),
            body: Body::Empty,
        };
        self.no_content(call).await
    }

    /// `DELETE account_activity/all/:env_name/webhooks/:webhook_id.json` (204). Subscriptions
    /// go with it: changing the URL means delete, register, subscribe again.
    pub async fn delete_webhook(
        &self,
        owner: &TokenCredentials,
        env: &EnvName,
        webhook: &WebhookId,
    ) -> Result<(), TwitterError> {
        let call = Call {
            endpoint: Endpoint::DeleteWebhook,
            url: self.api_url(
                &env_path(env, &format!("webhooks/{}.json", webhook.as_str())),
                &[],
            )?,
            auth: Auth::user(owner),
            body: Body::Empty,
        };
        self.no_content(call).await
    }

    /// `POST account_activity/all/:env_name/subscriptions.json` (204) as **the account being
    /// subscribed**. Without a registered webhook this is [`TwitterError::NoWebhook`]. Events
    /// may take up to 10 s to start flowing.
    pub async fn subscribe(
        &self,
        account: &TokenCredentials,
        env: &EnvName,
    ) -> Result<(), TwitterError> {
        let call = Call {
            endpoint: Endpoint::Subscribe,
            url: self.api_url(&env_path(env, "subscriptions.json"), &[])?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.no_content(call).await
    }

    /// `GET account_activity/all/:env_name/subscriptions.json` as the account: 204 means
    /// subscribed; Twitter's "not found" (code 34) means not subscribed.
    pub async fn is_subscribed(
        &self,
        account: &TokenCredentials,
        env: &EnvName,
    ) -> Result<bool, TwitterError> {
        let call = Call {
            endpoint: Endpoint::CheckSubscription,
            url: self.api_url(&env_path(env, "subscriptions.json"), &[])?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        match self.no_content(call).await {
            Ok(()) => Ok(true),
            Err(TwitterError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET account_activity/all/:env_name/subscriptions/list.json` (bearer).
    pub async fn list_subscriptions(
        &self,
        env: &EnvName,
    ) -> Result<SubscriptionList, TwitterError> {
        let call = Call {
            endpoint: Endpoint::ListSubscriptions,
            url: self.api_url(&env_path(env, "subscriptions/list.json"), &[])?,
            auth: Auth::Bearer,
            body: Body::Empty,
        };
        self.json(call).await
    }

    /// `GET account_activity/all/subscriptions/count.json` (bearer). One of Twitter's samples
    /// uses `account_activity/all/count.json` instead; when the first answers "not found" the
    /// second is tried.
    pub async fn count_subscriptions(&self) -> Result<SubscriptionCount, TwitterError> {
        let mut last = None;
        for path in [
            "1.1/account_activity/all/subscriptions/count.json",
            "1.1/account_activity/all/count.json",
        ] {
            let call = Call {
                endpoint: Endpoint::CountSubscriptions,
                url: self.api_url(path, &[])?,
                auth: Auth::Bearer,
                body: Body::Empty,
            };
            match self.json(call).await {
                Err(e @ TwitterError::NotFound { .. }) => last = Some(e),
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| {
            TwitterError::decode(
                Endpoint::CountSubscriptions.name(),
                "no count path answered",
            )
        }))
    }

    /// `DELETE account_activity/all/:env_name/subscriptions/:user_id.json` (bearer, 204):
    /// stops deliveries for `user`.
    pub async fn unsubscribe(&self, env: &EnvName, user: &UserId) -> Result<(), TwitterError> {
        let call = Call {
            endpoint: Endpoint::Unsubscribe,
            url: self.api_url(
                &env_path(env, &format!("subscriptions/{}.json", user.as_str())),
                &[],
            )?,
            auth: Auth::Bearer,
            body: Body::Empty,
        };
        self.no_content(call).await
    }
}
