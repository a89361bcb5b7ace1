//! The X API as the dispatcher uses it, in one place: which calls answer a message under the
//! configured API version ([`DispatchConfig::api`](super::DispatchConfig), `TWITTER_API`).
//!
//! - **v1.1**: the reply plan goes out as it is (quick replies, buttons, the custom profile) on
//!   `direct_messages/events/new`; read receipts and the typing indicator exist; media through
//!   the v1.1 chunked upload; the recovery look-up reads the account's recent events.
//! - **v2**: the plan is written out as text (`flow::surface::reply_text`: numbered options,
//!   `Label: URL` lines, the flow's signature) and sent with its one attachment on
//!   `/2/dm_conversations/with/:participant_id/messages`; there is no read receipt or typing
//!   indicator for these DMs; media through `/2/media/upload`; the look-up reads the
//!   conversation's own events.
//!
//! The rest of the dispatcher (claims, receipts, recovery, deferral) does not know which API
//! speaks.

use super::{Dispatcher, Failure, Store};
use crate::config::ApiVersion;
use crate::domain::{AccountId, ConversationKey, EventId, now_ms};
use crate::flow::{Flow, ReplyPlan, surface};
use crate::store::usage::{BillableKind, UsageDay, record_billable};
use crate::twitter::api_types::UploadedMedia;
use crate::twitter::client::{MediaUpload, UploadOptions};
use crate::twitter::errors::{Observed, TwitterError};
use crate::twitter::limits::{DirectMessage, MediaId, MessageText};
use crate::twitter::oauth1::TokenCredentials;

/// One reply, ready for the configured API.
pub(super) enum Reply {
    V1(DirectMessage),
    V2 {
        to: crate::domain::UserId,
        text: MessageText,
        media: Option<MediaId>,
    },
}

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    /// Counts `n` billable calls of `kind` made for `account` today (UTC), for the account and
    /// the app (`dmbot usage`, the daily spend cap) and the message's metrics.
    /// Best effort: a failed count is logged and never costs the reply.
    pub(super) async fn count(&self, account: &AccountId, kind: BillableKind, n: u32) {
        if n == 0 {
            return;
        }
        super::metrics::add_call(kind, n);
        let day = UsageDay::from_ms(now_ms());
        if let Err(e) = record_billable(&self.store, account, &day, kind, n).await {
            tracing::warn!(error = %e, kind = %kind, "could not count a billable call; the reply is unaffected");
        }
    }

    /// Whether the customer sees text only (X API v2): options as a numbered list they answer
    /// by typing, no welcome messages, no typing indicator or read receipt.
    pub(super) fn text_only(&self) -> bool {
        self.config.api == ApiVersion::V2
    }

    /// The reply `plan` as the configured API carries it. On v2 a reply too long once written
    /// out (which `dmbot flow check --api v2` refuses) is a permanent failure that says so.
    pub(super) fn reply_for(
        &self,
        key: &ConversationKey,
        plan: &ReplyPlan,
        flow: &Flow,
        media: Option<MediaId>,
    ) -> Result<Reply, Failure> {
        match self.config.api {
            ApiVersion::V1_1 => {
                let profile = plan
                    .custom_profile
                    .as_ref()
                    .and_then(|name| flow.custom_profile_id(name));
                Ok(Reply::V1(plan.direct_message(
                    key.customer.clone(),
                    media,
                    profile,
                )))
            }
            ApiVersion::V2 => {
                let text = surface::reply_text(flow, plan).map_err(|e| {
                    Failure::Permanent(format!(
                        "node {:?} does not fit a Direct Message on X API v2 ({e}); run \
                         `dmbot flow check --api v2` and shorten it",
                        plan.node
                    ))
                })?;
                Ok(Reply::V2 {
                    to: key.customer.clone(),
                    text,
                    media,
                })
            }
        }
    }

    /// One send of `reply`: the id of the message Twitter created, with the rate-limit windows
    /// X reported on its answer.
    pub(super) async fn send_once(
        &self,
        tokens: &TokenCredentials,
        reply: &Reply,
    ) -> Result<Observed<EventId>, TwitterError> {
        match reply {
            Reply::V1(dm) => {
                let sent = self.client.send_direct_message_observed(tokens, dm).await?;
                Ok(Observed {
                    value: sent.value.id,
                    windows: sent.windows,
                })
            }
            Reply::V2 { to, text, media } => {
                let sent = self
                    .client
                    .send_dm_v2_observed(tokens, to, text, media.as_ref())
                    .await?;
                Ok(Observed {
                    value: sent.value.dm_event_id,
                    windows: sent.windows,
                })
            }
        }
    }

    /// One upload of a reply's media file.
    pub(super) async fn upload_once(
        &self,
        tokens: &TokenCredentials,
        upload: &MediaUpload<'_>,
        options: &UploadOptions,
    ) -> Result<UploadedMedia, TwitterError> {
        match self.config.api {
            ApiVersion::V1_1 => {
                self.client
                    .upload_media(tokens, upload, options, |_, _| {})
                    .await
            }
            ApiVersion::V2 => {
                self.client
                    .upload_media_v2_with(
                        tokens,
                        upload.bytes,
                        upload.media_type,
                        upload.category,
                        &UploadOptions {
                            chunk_size: options
                                .chunk_size
                                .min(crate::twitter::client::V2_CHUNK_BYTES),
                            ..*options
                        },
                    )
                    .await
            }
        }
    }
}
