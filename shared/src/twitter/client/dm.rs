//! Direct Messages (`docs/TWITTER-API.md` §3): send, show, list, destroy, the typing indicator and
//! read receipts. All in user context: the account's own tokens.

use serde::Deserialize;

use super::{Auth, Body, Call, Endpoint, TwitterClient, page_query};
use crate::domain::{EventId, UserId};
use crate::twitter::api_types::{DmEvent, DmEventPage, PageSize};
use crate::twitter::errors::{Observed, TwitterError};
use crate::twitter::limits::DirectMessage;
use crate::twitter::oauth1::TokenCredentials;

#[derive(Deserialize)]
struct EventEnvelope {
    event: DmEvent,
}

impl TwitterClient {
    /// `POST direct_messages/events/new.json`: sends `message` as the account. The JSON body is
    /// not signed. Returns the created event; keep its `id`, it is how the bot recognises its own
    /// message when the webhook echoes it back.
    pub async fn send_direct_message(
        &self,
        account: &TokenCredentials,
        message: &DirectMessage,
    ) -> Result<DmEvent, TwitterError> {
        self.send_direct_message_observed(account, message)
            .await
            .map(|o| o.value)
    }

    /// [`Self::send_direct_message`], with the rate-limit windows X reported on the answer
    /// (for the dispatcher's send budget).
    pub async fn send_direct_message_observed(
        &self,
        account: &TokenCredentials,
        message: &DirectMessage,
    ) -> Result<Observed<DmEvent>, TwitterError> {
        let call = Call {
            endpoint: Endpoint::SendDirectMessage,
            url: self.api_url("1.1/direct_messages/events/new.json", &[])?,
            auth: Auth::user(account),
            body: Body::Json(message.to_request_body()),
        };
        let created: Observed<EventEnvelope> = self.json_observed(call).await?;
        Ok(Observed {
            value: created.value.event,
            windows: created.windows,
        })
    }

    /// `GET direct_messages/events/show.json?id=`: one event the account sent or received.
    pub async fn show_direct_message(
        &self,
        account: &TokenCredentials,
        id: &EventId,
    ) -> Result<DmEvent, TwitterError> {
        let call = Call {
            endpoint: Endpoint::ShowDirectMessage,
            url: self.api_url(
                "1.1/direct_messages/events/show.json",
                &[("id", id.as_str())],
            )?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        let shown: EventEnvelope = self.json(call).await?;
        Ok(shown.event)
    }

    /// `GET direct_messages/events/list.json`: one page of the last 30 days' events, newest
    /// first. Pass the page's `next_cursor` back as `cursor` for the next one.
    pub async fn list_direct_messages(
        &self,
        account: &TokenCredentials,
        count: Option<PageSize>,
        cursor: Option<&str>,
    ) -> Result<DmEventPage, TwitterError> {
        let count = count.map(|c| c.get().to_string());
        let query = page_query(&count, cursor);
        let call = Call {
            endpoint: Endpoint::ListDirectMessages,
            url: self.api_url("1.1/direct_messages/events/list.json", &query)?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.json(call).await
    }

    /// `DELETE direct_messages/events/destroy.json?id=`: removes the event from the account's
    /// view only (the other person keeps it). Twitter answers 204.
    pub async fn destroy_direct_message(
        &self,
        account: &TokenCredentials,
        id: &EventId,
    ) -> Result<(), TwitterError> {
        let call = Call {
            endpoint: Endpoint::DestroyDirectMessage,
            url: self.api_url(
                "1.1/direct_messages/events/destroy.json",
                &[("id", id.as_str())],
            )?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.no_content(call).await
    }

    /// `POST direct_messages/indicate_typing.json`: shows the typing dots to `recipient` for
    /// about 3 seconds. Form-encoded (so signed); 204.
    pub async fn indicate_typing(
        &self,
        account: &TokenCredentials,
        recipient: &UserId,
    ) -> Result<(), TwitterError> {
        let call = Call {
            endpoint: Endpoint::IndicateTyping,
            url: self.api_url("1.1/direct_messages/indicate_typing.json", &[])?,
            auth: Auth::user(account),
            body: Body::Form(vec![("recipient_id".into(), recipient.as_str().into())]),
        };
        self.no_content(call).await
    }

    /// `POST direct_messages/mark_read.json`: marks the conversation with `recipient` (the
    /// customer) read up to `last_read`. Form-encoded; 204.
    pub async fn mark_read(
        &self,
        account: &TokenCredentials,
        recipient: &UserId,
        last_read: &EventId,
    ) -> Result<(), TwitterError> {
        let call = Call {
            endpoint: Endpoint::MarkRead,
            url: self.api_url("1.1/direct_messages/mark_read.json", &[])?,
            auth: Auth::user(account),
            body: Body::Form(vec![
                ("last_read_event_id".into(), last_read.as_str().into()),
                ("recipient_id".into(), recipient.as_str().into()),
            ]),
        };
        self.no_content(call).await
    }
}
