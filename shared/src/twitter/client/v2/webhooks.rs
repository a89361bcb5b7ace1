//! v2 webhooks (`docs/X-API-V2.md` §2) with the app's bearer token: register (X runs the CRC
//! first), list, re-validate (`PUT`, runs the CRC again and re-enables) and delete. Refusals
//! carry X's reason (`CrcValidationFailed`, `DuplicateUrlFailed`, ...) mapped to errors that
//! say what to do.

use serde::Deserialize;
use serde_json::json;

use super::super::{Auth, Body, Call, Endpoint, TwitterClient};
use crate::twitter::api_types::{WebhookId, WebhookUrl};
use crate::twitter::errors::TwitterError;

/// A v2 webhook as X lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebhookV2 {
    pub id: WebhookId,
    pub url: String,
    /// False after a failed CRC: X delivers nothing until `validate_webhook_v2` passes.
    pub valid: bool,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Deserialize)]
struct Valid {
    valid: bool,
}

impl TwitterClient {
    /// `POST /2/webhooks {"url"}`: X runs the CRC against `url` before registering it.
    pub async fn register_webhook_v2(&self, url: &WebhookUrl) -> Result<WebhookV2, TwitterError> {
        let call = Call {
            endpoint: Endpoint::CreateWebhookV2,
            url: self.api_url("2/webhooks", &[])?,
            auth: Auth::Bearer,
            body: Body::Json(json!({ "url": url.as_str() })),
        };
        self.v2_data(call).await
    }

    /// `GET /2/webhooks`: the app's v2 webhooks (Pay-Per-Use allows one).
    pub async fn list_webhooks_v2(&self) -> Result<Vec<WebhookV2>, TwitterError> {
        let call = Call {
            endpoint: Endpoint::ListWebhooksV2,
            url: self.api_url("2/webhooks", &[])?,
            auth: Auth::Bearer,
            body: Body::Empty,
        };
        self.v2_data_or(call, Vec::new()).await
    }

    /// `PUT /2/webhooks/:id`: runs the CRC again; a webhook that passes is valid (re-enabled).
    /// A failing CRC is [`TwitterError::CrcFailed`].
    pub async fn validate_webhook_v2(&self, id: &WebhookId) -> Result<bool, TwitterError> {
        let call = Call {
            endpoint: Endpoint::ValidateWebhookV2,
            url: self.api_url(&format!("2/webhooks/{id}"), &[])?,
            auth: Auth::Bearer,
            body: Body::Empty,
        };
        let answer: Valid = self.v2_data(call).await?;
        Ok(answer.valid)
    }

    /// `DELETE /2/webhooks/:id`: the webhook goes, with the subscriptions delivering to it.
    pub async fn delete_webhook_v2(&self, id: &WebhookId) -> Result<(), TwitterError> {
        let call = Call {
            endpoint: Endpoint::DeleteWebhookV2,
            url: self.api_url(&format!("2/webhooks/{id}"), &[])?,
            auth: Auth::Bearer,
            body: Body::Empty,
        };
        self.no_content(call).await
    }
}
