//! Pending Twitter Sign-ins: the request tokens between `GET /auth/start` and
//! `GET /auth/callback`.
//!
//! A request token is the first leg of 3-legged OAuth (`docs/TWITTER-API.md` §6). Its secret signs
//! the `oauth/access_token` call that finishes the sign-in, so it has to be kept until the person
//! comes back from Twitter's authorize page — but not longer: a pending sign-in lives
//! [`PENDING_SIGNIN_TTL_MS`] (10 minutes) and can be taken **once**. Taking it removes it, so a
//! replayed callback (the same `oauth_token` twice) finds nothing. Each pending sign-in also
//! remembers the random `state` set as a cookie in the browser that started it, and the invite
//! it was started with; the callback first *reads* it ([`PendingSignins::get_pending_signin`])
//! and compares the two, so that a callback (or a cancel) forged or replayed from another
//! browser is refused without removing anything, and only then takes it.
//!
//! Implementations: [`crate::store::memory::MemoryStore`] and (feature `embedded`)
//! `EmbeddedStore` implement it at the end of their own files; `DynamoStore` (feature
//! `dynamodb`) below: item `pk = SIGNIN#<request token>`, `sk = PENDING`, `kind = signin`,
//! with the DynamoDB TTL attribute `expires_at` so the table forgets abandoned sign-ins by itself
//! (TTL deletion is lazy, so [`PendingSignins::take_pending_signin`] checks the expiry too).

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::StoreError;

/// How long a started sign-in may take: 10 minutes.
pub const PENDING_SIGNIN_TTL_MS: u64 = 10 * 60 * 1000;

/// A sign-in waiting for its callback. `Debug` never shows the token secret or the state.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignin {
    /// The request token (`oauth_token`): the key the callback brings back.
    pub request_token: String,
    /// Its secret: signs the `oauth/access_token` call.
    pub request_token_secret: String,
    /// The random value of the browser's state cookie.
    pub state: String,
    /// After this (ms since epoch) the sign-in is void.
    pub expires_ms: u64,
    /// The invite the sign-in was started with, consumed when it succeeds. `None` only for an
    /// entry written before invites existed, which the callback refuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<crate::invite::InviteId>,
}

impl std::fmt::Debug for PendingSignin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignin")
            .field("request_token", &self.request_token)
            .field("request_token_secret", &"<redacted>")
            .field("state", &"<redacted>")
            .field("expires_ms", &self.expires_ms)
            .field("invite", &self.invite)
            .finish()
    }
}

/// Where pending sign-ins are kept.
pub trait PendingSignins: Send + Sync {
    /// Stores a pending sign-in (replacing one with the same request token).
    fn put_pending_signin(
        &self,
        pending: &PendingSignin,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The pending sign-in for `request_token` if it has not expired at `now_ms`. Changes
    /// nothing: the callback checks the browser's cookie against it before taking it.
    fn get_pending_signin(
        &self,
        request_token: &str,
        now_ms: u64,
    ) -> impl Future<Output = Result<Option<PendingSignin>, StoreError>> + Send;

    /// Removes the pending sign-in for `request_token` and returns it if it had not expired at
    /// `now_ms`. Atomic: of two concurrent takes, at most one gets it; any later take gets
    /// `None`.
    fn take_pending_signin(
        &self,
        request_token: &str,
        now_ms: u64,
    ) -> impl Future<Output = Result<Option<PendingSignin>, StoreError>> + Send;
}

// ---------------------------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "dynamodb")]
mod dynamo {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::error::DisplayErrorContext;
    use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

    use super::{PendingSignin, PendingSignins, StoreError};
    use crate::store::dynamodb::{ATTR_EXPIRES_AT, ATTR_KIND, ATTR_PK, ATTR_SK, DynamoStore};

    pub const KIND_SIGNIN: &str = "signin";
    const SK_PENDING: &str = "PENDING";
    const ATTR_PENDING: &str = "pending";

    /// `SIGNIN#<request token>`.
    pub fn signin_pk(request_token: &str) -> String {
        format!("SIGNIN#{request_token}")
    }

    fn unavailable(op: &str, e: impl std::error::Error) -> StoreError {
        StoreError::Unavailable(format!(
            "DynamoDB {op} (pending sign-in) failed: {}",
            DisplayErrorContext(e)
        ))
    }

    /// The pending sign-in in `item`, if there is one and it is still valid at `now_ms`.
    fn decode_live(
        item: Option<HashMap<String, AttributeValue>>,
        now_ms: u64,
    ) -> Result<Option<PendingSignin>, StoreError> {
        let Some(item) = item else {
            return Ok(None);
        };
        let raw = match item.get(ATTR_PENDING) {
            Some(AttributeValue::S(s)) => s,
            _ => {
                return Err(StoreError::Corrupt {
                    what: "pending sign-in".into(),
                    detail: "no pending attribute".into(),
                });
            }
        };
        let pending: PendingSignin =
            serde_json::from_str(raw).map_err(|e| StoreError::Corrupt {
                what: "pending sign-in".into(),
                detail: e.to_string(),
            })?;
        Ok((pending.expires_ms > now_ms).then_some(pending))
    }

    impl PendingSignins for DynamoStore {
        async fn put_pending_signin(&self, pending: &PendingSignin) -> Result<(), StoreError> {
            let json = serde_json::to_string(pending)
                .map_err(|e| StoreError::Rejected(format!("pending sign-in encoding: {e}")))?;
            self.client()
                .put_item()
                .table_name(self.table_name())
                .item(
                    ATTR_PK,
                    AttributeValue::S(signin_pk(&pending.request_token)),
                )
                .item(ATTR_SK, AttributeValue::S(SK_PENDING.into()))
                .item(ATTR_KIND, AttributeValue::S(KIND_SIGNIN.into()))
                .item(ATTR_PENDING, AttributeValue::S(json))
                .item(
                    ATTR_EXPIRES_AT,
                    AttributeValue::N((pending.expires_ms / 1000 + 1).to_string()),
                )
                .send()
                .await
                .map_err(|e| unavailable("PutItem", e))?;
            Ok(())
        }

        async fn get_pending_signin(
            &self,
            request_token: &str,
            now_ms: u64,
        ) -> Result<Option<PendingSignin>, StoreError> {
            let out = self
                .client()
                .get_item()
                .table_name(self.table_name())
                .key(ATTR_PK, AttributeValue::S(signin_pk(request_token)))
                .key(ATTR_SK, AttributeValue::S(SK_PENDING.into()))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| unavailable("GetItem", e))?;
            decode_live(out.item, now_ms)
        }

        async fn take_pending_signin(
            &self,
            request_token: &str,
            now_ms: u64,
        ) -> Result<Option<PendingSignin>, StoreError> {
            let out = self
                .client()
                .delete_item()
                .table_name(self.table_name())
                .key(ATTR_PK, AttributeValue::S(signin_pk(request_token)))
                .key(ATTR_SK, AttributeValue::S(SK_PENDING.into()))
                .return_values(ReturnValue::AllOld)
                .send()
                .await
                .map_err(|e| unavailable("DeleteItem", e))?;
            decode_live(out.attributes, now_ms)
        }
    }
}

#[cfg(feature = "dynamodb")]
pub use dynamo::{KIND_SIGNIN, signin_pk};
