//! The invites port on DynamoDB: item `pk = INVITE#<id>`, `sk = INVITE`, `kind = invite`, with
//! `created_ms`, `expires_ms`, an optional `note` and the TTL attribute `expires_at`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::DynamoStore;
use super::codec::ItemView;
use super::error::{SdkResult, is_conditional_failure};
use super::item::{ATTR_CREATED_MS, ATTR_EXPIRES_AT, ATTR_EXPIRES_MS, ATTR_KIND, ATTR_PK, ATTR_SK};
use crate::invite::InviteId;
use crate::store::StoreError;
use crate::store::invites::{InviteRecord, Invites, sort_for_listing};

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
            .sdk(self, "PutItem")?;
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
            .sdk(self, "GetItem")?;
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
            Err(e) => Err(self.sdk_error("DeleteItem", e)),
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
            .sdk(self, "DeleteItem")?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
