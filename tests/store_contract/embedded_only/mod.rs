//! What only the embedded store does: survive restarts, notify the local dispatcher, keep its
//! status indexes, sweep what expired, upgrade an older data file.

use super::data::*;
use super::*;
use dmbot_shared::store::signin::{PendingSignin, PendingSignins};
use dmbot_shared::store::{Accounts, Conversations, Flows, Inbox, MediaCache, Outbox, Revocations};
use tokio::sync::broadcast::error::TryRecvError;

mod budget;
mod restart;
mod schema;
mod sweep;

pub(super) async fn pending_ids(store: &EmbeddedStore) -> Vec<String> {
    let pending = store.pending_inbound().await.unwrap();
    pending
        .into_iter()
        .map(|r| r.message.event_id.to_string())
        .collect()
}

pub(super) async fn failed_ids(store: &EmbeddedStore) -> Vec<String> {
    let failed = store.list_failed(100).await.unwrap();
    failed
        .into_iter()
        .map(|r| r.message.event_id.to_string())
        .collect()
}

pub(super) fn answered() -> InboundStatus {
    InboundStatus::Answered {
        reply_event_id: None,
        at_ms: 1,
    }
}

pub(super) const DAY_MS: u64 = 24 * 3600 * 1000;
pub(super) const TTL_MS: u64 = dmbot_shared::store::EVENT_TTL_SECS * 1000;

pub(super) fn media(expires_ms: u64) -> MediaRef {
    MediaRef {
        media_id: "710511363345354753".to_string(),
        expires_ms,
    }
}

pub(super) fn signin(token: &str, expires_ms: u64) -> PendingSignin {
    PendingSignin {
        request_token: token.to_string(),
        request_token_secret: "request-secret".to_string(),
        state: "state".to_string(),
        expires_ms,
        invite: None,
    }
}
