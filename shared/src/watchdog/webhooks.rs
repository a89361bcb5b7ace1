//! The one place where the watchdog's calls depend on the X API version (`TWITTER_API`):
//!
//! | step | v1.1 | v2 |
//! |---|---|---|
//! | list | `GET account_activity/all/:env/webhooks.json` | `GET /2/webhooks` (bearer) |
//! | re-validate | `PUT .../webhooks/:id.json` (owner's token) | `PUT /2/webhooks/:id` (bearer) |
//! | are deliveries expected | `GET .../subscriptions/count.json` | `GET /2/activity/subscriptions`: X Activity API subscriptions delivering to our webhook |
//!
//! Everything else (budget, outcome, metrics, health record) is the same for both.

use crate::config::ApiVersion;
use crate::twitter::api_types::{Webhook, WebhookId};
use crate::twitter::client::{Endpoint, TwitterClient};
use crate::twitter::errors::TwitterError;
use crate::twitter::oauth1::TokenCredentials;

use super::WatchdogConfig;

/// The endpoint that lists the webhooks.
pub(super) fn list_endpoint(api: ApiVersion) -> Endpoint {
    match api {
        ApiVersion::V1_1 => Endpoint::ListWebhooks,
        ApiVersion::V2 => Endpoint::ListWebhooksV2,
    }
}

/// The endpoint that re-runs the CRC.
pub(super) fn revalidate_endpoint(api: ApiVersion) -> Endpoint {
    match api {
        ApiVersion::V1_1 => Endpoint::TriggerCrc,
        ApiVersion::V2 => Endpoint::ValidateWebhookV2,
    }
}

/// The documented limit of both webhook calls, for the run's detail.
pub(super) fn limit_text(api: ApiVersion) -> &'static str {
    match api {
        ApiVersion::V1_1 => "15 per 15 minutes",
        ApiVersion::V2 => "450 per 15 minutes",
    }
}

/// Where the webhooks were looked for, for the run's detail ("in environment prod").
pub(super) fn place(config: &WatchdogConfig) -> String {
    match config.api {
        ApiVersion::V1_1 => format!("in environment {}", config.env.as_str()),
        ApiVersion::V2 => "among the app's v2 webhooks (GET /2/webhooks)".to_string(),
    }
}

/// The webhooks X knows (v2 ones in the v1.1 shape: both have `id`, `url`, `valid`).
pub(super) async fn list(
    client: &TwitterClient,
    config: &WatchdogConfig,
) -> Result<Vec<Webhook>, TwitterError> {
    match config.api {
        ApiVersion::V1_1 => client.list_webhooks(&config.env).await,
        ApiVersion::V2 => Ok(client
            .list_webhooks_v2()
            .await?
            .into_iter()
            .map(|w| Webhook {
                id: w.id,
                url: w.url,
                valid: w.valid,
                created_at: w.created_at,
            })
            .collect()),
    }
}

/// Re-runs the CRC of webhook `id`; `Ok(true)` when X says it is valid again. A failing CRC
/// is an error ([`TwitterError::CrcFailed`]).
pub(super) async fn revalidate(
    client: &TwitterClient,
    owner: &TokenCredentials,
    config: &WatchdogConfig,
    id: &WebhookId,
) -> Result<bool, TwitterError> {
    match config.api {
        ApiVersion::V1_1 => client
            .trigger_crc(owner, &config.env, id)
            .await
            .map(|()| true),
        ApiVersion::V2 => client.validate_webhook_v2(id).await,
    }
}

/// Whether X should be delivering: accounts are subscribed (v1.1), or X Activity API
/// subscriptions deliver to our webhook `ours` (v2; to any webhook when `ours` is unknown).
pub(super) async fn deliveries_expected(
    client: &TwitterClient,
    config: &WatchdogConfig,
    ours: Option<&WebhookId>,
) -> Result<bool, TwitterError> {
    match config.api {
        ApiVersion::V1_1 => Ok(client.count_subscriptions().await?.subscriptions_count_all > 0),
        ApiVersion::V2 => {
            Ok(client
                .list_activity_subscriptions_v2()
                .await?
                .iter()
                .any(|s| match (ours, &s.webhook_id) {
                    (Some(ours), Some(theirs)) => ours == theirs,
                    _ => true,
                }))
        }
    }
}
