//! v2 Direct Messages (`docs/X-API-V2.md` §5): send text and at most one attachment to a
//! participant, and read the conversation with them. OAuth 1.0a user context.

use serde::Deserialize;
use serde_json::json;

use super::super::{Auth, Body, Call, Endpoint, TwitterClient};
use crate::domain::{EventId, UserId};
use crate::twitter::errors::{Observed, TwitterError};
use crate::twitter::limits::{MediaId, MessageText};
use crate::twitter::oauth1::TokenCredentials;

/// The fields asked for on each event of a lookup, beyond the defaults (`id`, `event_type`,
/// `text`), which X always returns (the simulator refuses them as named fields).
const DM_EVENT_FIELDS: &str = "sender_id,created_at,dm_conversation_id";

/// What a v2 send returns. Keep `dm_event_id`: it is how the bot recognises its own message
/// when a delivery echoes it back (X Activity API `dm.sent` has no app id).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SentDmV2 {
    pub dm_event_id: EventId,
    pub dm_conversation_id: String,
}

/// One event of a v2 conversation lookup.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DmEventV2 {
    pub id: EventId,
    /// `MessageCreate`, `ParticipantsJoin`, `ParticipantsLeave`.
    pub event_type: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub sender_id: Option<UserId>,
    /// ISO 8601, e.g. `2026-01-15T12:00:00.000Z`.
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub dm_conversation_id: Option<String>,
}

/// One page of a v2 lookup, newest first. Pass `next_token` back as `pagination_token`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DmEventPageV2 {
    pub events: Vec<DmEventV2>,
    pub next_token: Option<String>,
}

#[derive(Deserialize)]
struct PageAnswer {
    #[serde(default)]
    data: Vec<DmEventV2>,
    #[serde(default)]
    meta: Option<PageMeta>,
}

#[derive(Deserialize)]
struct PageMeta {
    #[serde(default)]
    next_token: Option<String>,
}

/// The send body: `text` and `attachments`, nothing else (X's schema refuses other keys).
pub(crate) fn send_body(text: &MessageText, media: Option<&MediaId>) -> serde_json::Value {
    let mut body = json!({ "text": text.as_str() });
    if let Some(id) = media {
        body["attachments"] = json!([{ "media_id": id.as_str() }]);
    }
    body
}

impl TwitterClient {
    /// `POST /2/dm_conversations/with/:participant_id/messages` as the account. X refuses it
    /// with [`TwitterError::NotAllowedToDm`] until the participant has written to the account;
    /// `media` must be the account's own upload, less than 24 hours old.
    pub async fn send_dm_v2(
        &self,
        account: &TokenCredentials,
        participant: &UserId,
        text: &MessageText,
        media: Option<&MediaId>,
    ) -> Result<SentDmV2, TwitterError> {
        self.send_dm_v2_observed(account, participant, text, media)
            .await
            .map(|o| o.value)
    }

    /// [`Self::send_dm_v2`], with the rate-limit windows X reported on the answer (the
    /// 15-minute one and the 24-hour ones per user and per app, for the send budget).
    pub async fn send_dm_v2_observed(
        &self,
        account: &TokenCredentials,
        participant: &UserId,
        text: &MessageText,
        media: Option<&MediaId>,
    ) -> Result<Observed<SentDmV2>, TwitterError> {
        let path = format!("2/dm_conversations/with/{participant}/messages");
        let call = Call {
            endpoint: Endpoint::SendDmV2,
            url: self.api_url(&path, &[])?,
            auth: Auth::user(account),
            body: Body::Json(send_body(text, media)),
        };
        let answer: Observed<super::Data<SentDmV2>> = self.json_observed(call).await?;
        let value = answer.value.data.ok_or_else(|| {
            TwitterError::decode(Endpoint::SendDmV2.name(), "the answer has no `data`")
        })?;
        Ok(Observed {
            value,
            windows: answer.windows,
        })
    }

    /// `GET /2/dm_conversations/with/:participant_id/dm_events`: one page (`max_results` 1 to
    /// 100, X's default 100) of the last 30 days, newest first. Each event read is billed.
    pub async fn dm_events_with_v2(
        &self,
        account: &TokenCredentials,
        participant: &UserId,
        max_results: Option<u8>,
        pagination_token: Option<&str>,
    ) -> Result<DmEventPageV2, TwitterError> {
        let endpoint = Endpoint::DmEventsV2;
        let max = max_results.map(|m| m.to_string());
        if max_results.is_some_and(|m| !(1..=100).contains(&m)) {
            return Err(TwitterError::invalid(
                endpoint.name(),
                "max_results must be 1 to 100",
            ));
        }
        let mut query = vec![("dm_event.fields", DM_EVENT_FIELDS)];
        if let Some(m) = &max {
            query.push(("max_results", m));
        }
        if let Some(t) = pagination_token {
            query.push(("pagination_token", t));
        }
        let path = format!("2/dm_conversations/with/{participant}/dm_events");
        let call = Call {
            endpoint,
            url: self.api_url(&path, &query)?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        let page: PageAnswer = self.json(call).await?;
        Ok(DmEventPageV2 {
            events: page.data,
            next_token: page.meta.and_then(|m| m.next_token),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_body_has_text_and_at_most_one_attachment() {
        let text = MessageText::new("hi").unwrap();
        assert_eq!(send_body(&text, None), json!({"text": "hi"}));
        let media = MediaId::new("42").unwrap();
        assert_eq!(
            send_body(&text, Some(&media)),
            json!({"text": "hi", "attachments": [{"media_id": "42"}]})
        );
    }
}
