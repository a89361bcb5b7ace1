//! Sign-in invites (see [`crate::invite`]): what the store keeps of each one.
//!
//! Only the token's hash (the [`InviteId`]) is stored, never the token. An invite is valid until
//! `expires_ms`; it is consumed ([`Invites::take_invite`], atomic) when the account it let in is
//! connected, or revoked by the operator.
//!
//! Implementations: [`crate::store::memory::MemoryStore`], `embedded/invites.rs` (table
//! `invites`, with expiry entries so `sweep_expired` removes expired invites) and
//! `dynamodb/invites.rs`: item `pk = INVITE#<id>`, `sk = INVITE`, `kind = invite`, `created_ms` and
//! `expires_ms` (N), `note` (S, optional) and the TTL attribute `expires_at` (N, seconds), so
//! the table forgets expired invites by itself (TTL deletion is lazy, so reads check the expiry).

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::invite::InviteId;

/// The longest note `dmbot auth invite --note` keeps (characters).
pub const MAX_NOTE_CHARS: usize = 200;

/// An invite as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRecord {
    pub id: InviteId,
    pub created_ms: u64,
    /// After this (ms since epoch) the invite is void.
    pub expires_ms: u64,
    /// Who the invite is for, as the operator wrote it (shown only to operators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl InviteRecord {
    pub fn is_live(&self, now_ms: u64) -> bool {
        self.expires_ms > now_ms
    }
}

/// Where invites are kept.
pub trait Invites: Send + Sync {
    /// Stores a new invite (replacing one with the same id, which a random token never has).
    fn put_invite(
        &self,
        invite: &InviteRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The invite if it exists and is still valid at `now_ms`. Changes nothing.
    fn get_invite(
        &self,
        id: &InviteId,
        now_ms: u64,
    ) -> impl Future<Output = Result<Option<InviteRecord>, StoreError>> + Send;

    /// Removes the invite and returns it, only if it is still valid at `now_ms`. Atomic: of two
    /// concurrent takes at most one gets it; an expired invite is left for the expiry to remove.
    fn take_invite(
        &self,
        id: &InviteId,
        now_ms: u64,
    ) -> impl Future<Output = Result<Option<InviteRecord>, StoreError>> + Send;

    /// The invites still valid at `now_ms`, those expiring first first.
    fn list_invites(
        &self,
        now_ms: u64,
    ) -> impl Future<Output = Result<Vec<InviteRecord>, StoreError>> + Send;

    /// Removes the invite whatever its state; returns whether there was one.
    fn revoke_invite(&self, id: &InviteId)
    -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Sorts invites as [`Invites::list_invites`] returns them.
pub fn sort_for_listing(invites: &mut [InviteRecord]) {
    invites.sort_by(|a, b| (a.expires_ms, &a.id).cmp(&(b.expires_ms, &b.id)));
}

#[cfg(feature = "dynamodb")]
pub use super::dynamodb::invites::{ATTR_NOTE, KIND_INVITE, SK_INVITE, invite_pk};
