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
//! Implementations: [`crate::store::memory::MemoryStore`], `embedded/signin.rs` (table
//! `signins`) and `dynamodb/signin.rs`: item `pk = SIGNIN#<request token>`, `sk = PENDING`,
//! `kind = signin`, with the DynamoDB TTL attribute `expires_at` so the table forgets abandoned
//! sign-ins by itself (TTL deletion is lazy, so every read checks the expiry too).

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

impl PendingSignin {
    /// Whether the sign-in may still finish at `now_ms`.
    pub fn is_live(&self, now_ms: u64) -> bool {
        self.expires_ms > now_ms
    }
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

#[cfg(feature = "dynamodb")]
pub use super::dynamodb::signin::{KIND_SIGNIN, signin_pk};
