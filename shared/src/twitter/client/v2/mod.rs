//! X API v2 (`docs/X-API-V2.md`): what a self-serve (Pay-Per-Use) business can call, as methods
//! of the same [`TwitterClient`], under the same `api_base` (`https://api.x.com` for v2; the
//! caller passes it). Media upload lives there too (`upload_base` is not used).
//!
//! [`dm`] (send, conversation lookup), [`media`] (initialize → append → finalize → status),
//! [`webhooks`] (app bearer), [`subscriptions`] (X Activity API and Account Activity API v2).
//! Calls as an account are OAuth 1.0a user context (JSON bodies, so only the query is signed);
//! errors are v2 problem documents, mapped by `errors::classify_v2` (see `call.rs`).

pub mod dm;
pub mod media;
pub mod subscriptions;
pub mod webhooks;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Call, TwitterClient};
use crate::twitter::errors::TwitterError;

pub use dm::{DmEventPageV2, DmEventV2, SentDmV2};
pub use media::V2_CHUNK_BYTES;
pub use subscriptions::{AccountActivitySubscriptionsV2, ActivitySubscriptionV2, DM_EVENT_TYPES};
pub use webhooks::WebhookV2;

/// v2 success answers: the object under `data` (absent on an empty list).
#[derive(Deserialize)]
pub(crate) struct Data<T> {
    pub(crate) data: Option<T>,
}

impl TwitterClient {
    /// Sends `call` and returns the `data` of its answer; `Decode` when there is none.
    pub(crate) async fn v2_data<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<T, TwitterError> {
        let name = call.endpoint.name();
        let answer: Data<T> = self.json(call).await?;
        answer
            .data
            .ok_or_else(|| TwitterError::decode(name, "the answer has no `data`"))
    }

    /// Sends `call` and returns its `data`, or `default` when the answer has none (an empty
    /// list).
    pub(crate) async fn v2_data_or<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
        default: T,
    ) -> Result<T, TwitterError> {
        let answer: Data<T> = self.json(call).await?;
        Ok(answer.data.unwrap_or(default))
    }
}

/// A path segment from an id the caller gave: digits only, so nothing can change the path.
pub(crate) fn id_segment<'a>(
    endpoint: super::Endpoint,
    what: &str,
    id: &'a str,
) -> Result<&'a str, TwitterError> {
    if crate::domain::is_digit_id(id) {
        Ok(id)
    } else {
        Err(TwitterError::invalid(
            endpoint.name(),
            format!("the {what} must be an id made of digits"),
        ))
    }
}
