//! Sign-in invites (see [`crate::invite`]): what the store keeps of each one.
//!
//! Only the token's hash (the [`InviteId`]) is stored, never the token. An invite is valid until
//! `expires_ms`; it is consumed ([`Invites::take_invite`], atomic) when the account it let in is
//! connected, or revoked by the operator.
//!
//! Implementations: [`crate::store::memory::MemoryStore`] and (feature `embedded`)
//! `EmbeddedStore` at the end of their own files (the embedded store's table `invites`, with
//! expiry entries so `sweep_expired` removes expired invites); `DynamoStore` (feature
//! `dynamodb`) below: item `pk = INVITE#<id>`, `sk = INVITE`, `kind = invite`, `created_ms` and
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

// ---------------------------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "dynamodb")]
mod dynamo {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

    use super::{InviteId, InviteRecord, Invites, StoreError, sort_for_listing};
    use crate::store::dynamodb::{
        ATTR_CREATED_MS, ATTR_EXPIRES_AT, ATTR_EXPIRES_MS, ATTR_KIND, ATTR_PK, ATTR_SK,
        DynamoStore, ItemView, Op, is_conditional_failure,
    };

    pub const KIND_INVITE: &str = "invite";
    pub const SK_INVITE: &str = "INVITE";
    pub const ATTR_NOTE: &str = "note";

    /// `INVITE#<id>`.
    pub fn invite_pk(id: &InviteId) -> String {
        format!("INVITE#{id}")
    }

    fn key(id: &InviteId) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (ATTR_PK.to_string(), AttributeValue::S(invite_pk(id))),
            (ATTR_SK.to_string(), AttributeValue::S(SK_INVITE.into())),
        ])
    }

    fn corrupt(detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            what: "invite".into(),
            detail: detail.into(),
        }
    }

    fn decode(item: &HashMap<String, AttributeValue>) -> Result<InviteRecord, StoreError> {
        let pk = item.string_attr(ATTR_PK).unwrap_or_default();
        let id = pk
            .strip_prefix("INVITE#")
            .and_then(InviteId::parse)
            .ok_or_else(|| corrupt(format!("bad key {pk:?}")))?;
        let number = |name: &str| {
            item.number_attr(name)
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| corrupt(format!("invite {} has no {name}", id.short())))
        };
        Ok(InviteRecord {
            created_ms: number(ATTR_CREATED_MS)?,
            expires_ms: number(ATTR_EXPIRES_MS)?,
            note: item.string_attr(ATTR_NOTE).map(str::to_string),
            id,
        })
    }

    impl Invites for DynamoStore {
        async fn put_invite(&self, invite: &InviteRecord) -> Result<(), StoreError> {
            let n = |v: u64| AttributeValue::N(v.to_string());
            let mut item = key(&invite.id);
            item.insert(ATTR_KIND.into(), AttributeValue::S(KIND_INVITE.into()));
            item.insert(ATTR_CREATED_MS.into(), n(invite.created_ms));
            item.insert(ATTR_EXPIRES_MS.into(), n(invite.expires_ms));
            item.insert(ATTR_EXPIRES_AT.into(), n(invite.expires_ms / 1000 + 1));
            if let Some(note) = &invite.note {
                item.insert(ATTR_NOTE.into(), AttributeValue::S(note.clone()));
            }
            self.client()
                .put_item()
                .table_name(self.table_name())
                .set_item(Some(item))
                .send()
                .await
                .map_err(|e| self.sdk_error(Op("PutItem"), e))?;
            Ok(())
        }

        async fn get_invite(
            &self,
            id: &InviteId,
            now_ms: u64,
        ) -> Result<Option<InviteRecord>, StoreError> {
            let out = self
                .client()
                .get_item()
                .table_name(self.table_name())
                .set_key(Some(key(id)))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| self.sdk_error(Op("GetItem"), e))?;
            match out.item {
                Some(item) => Ok(Some(decode(&item)?).filter(|i| i.is_live(now_ms))),
                None => Ok(None),
            }
        }

        async fn take_invite(
            &self,
            id: &InviteId,
            now_ms: u64,
        ) -> Result<Option<InviteRecord>, StoreError> {
            let result = self
                .client()
                .delete_item()
                .table_name(self.table_name())
                .set_key(Some(key(id)))
                .condition_expression("attribute_exists(#pk) AND #exp > :now")
                .expression_attribute_names("#pk", ATTR_PK)
                .expression_attribute_names("#exp", ATTR_EXPIRES_MS)
                .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()))
                .return_values(ReturnValue::AllOld)
                .send()
                .await;
            match result {
                Ok(out) => out.attributes.as_ref().map(decode).transpose(),
                Err(e) if is_conditional_failure(&e) => Ok(None),
                Err(e) => Err(self.sdk_error(Op("DeleteItem"), e)),
            }
        }

        async fn list_invites(&self, now_ms: u64) -> Result<Vec<InviteRecord>, StoreError> {
            let items = self
                .scan_all(
                    "#kind = :kind AND #exp > :now",
                    &[("#kind", ATTR_KIND), ("#exp", ATTR_EXPIRES_MS)],
                    &[
                        (":kind", AttributeValue::S(KIND_INVITE.into())),
                        (":now", AttributeValue::N(now_ms.to_string())),
                    ],
                    None,
                )
                .await?;
            let mut invites = items.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
            sort_for_listing(&mut invites);
            Ok(invites)
        }

        async fn revoke_invite(&self, id: &InviteId) -> Result<bool, StoreError> {
            let out = self
                .client()
                .delete_item()
                .table_name(self.table_name())
                .set_key(Some(key(id)))
                .return_values(ReturnValue::AllOld)
                .send()
                .await
                .map_err(|e| self.sdk_error(Op("DeleteItem"), e))?;
            Ok(out.attributes.is_some_and(|a| !a.is_empty()))
        }
    }
}

#[cfg(feature = "dynamodb")]
pub use dynamo::{ATTR_NOTE, KIND_INVITE, SK_INVITE, invite_pk};
