//! The revocations port on DynamoDB: the `FORGET` partition, and forget steps that find an
//! account's items through the `by_account` index.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

use super::DynamoStore;
use super::codec::{corrupt, n, req_n, req_s, s};
use super::error::SdkResult;
use super::item::*;
use crate::domain::AccountId;
use crate::store::{ForgetStep, PendingForget, Revocations, StoreError};

impl Revocations for DynamoStore {
    /// One transaction: delete `ACCOUNT#<id>` (the tokens) and put `FORGET`/`<id>`. Both are
    /// unconditional, so an unknown account costs the same two writes and a repeat only moves
    /// `requested_ms`.
    async fn revoke_account(&self, id: &AccountId, now_ms: u64) -> Result<(), StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| {
            StoreError::Rejected(format!("revoke transaction could not be built: {e}"))
        };
        let delete = Delete::builder()
            .table_name(self.table_name())
            .set_key(Some(Self::key(account_pk(id), SK_PROFILE.to_string())))
            .build()
            .map_err(build)?;
        let pending = Put::builder()
            .table_name(self.table_name())
            .set_item(Some(HashMap::from([
                (ATTR_PK.to_string(), s(PK_FORGET)),
                (ATTR_SK.to_string(), s(id.as_str())),
                (ATTR_KIND.to_string(), s(KIND_FORGET)),
                (ATTR_REQUESTED_MS.to_string(), n(now_ms)),
            ])))
            .build()
            .map_err(build)?;
        self.client()
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().put(pending).build())
            .send()
            .await
            .sdk(self, "TransactWriteItems")?;
        tracing::info!(account = %id, "account revoked: record removed, data removal queued");
        Ok(())
    }

    async fn pending_forgets(&self, limit: usize) -> Result<Vec<PendingForget>, StoreError> {
        const WHAT: &str = "pending removal";
        let out = self
            .client
            .query()
            .table_name(self.table_name())
            .consistent_read(true)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_values(":pk", s(PK_FORGET))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .sdk(self, "Query")?;
        let mut pending = out
            .items
            .unwrap_or_default()
            .iter()
            .map(|item| {
                let account = AccountId::parse(req_s(item, WHAT, ATTR_SK)?)
                    .map_err(|e| corrupt(item, WHAT, e.to_string()))?;
                Ok(PendingForget {
                    account,
                    requested_ms: req_n(item, WHAT, ATTR_REQUESTED_MS)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        pending.sort_by_key(|p| p.requested_ms);
        Ok(pending)
    }

    /// The account's conversation items come from the [`INDEX_BY_ACCOUNT`] index (a Query on
    /// its id, sort key beginning with `CONV#<id>#`), its media references from the `MEDIA#<id>`
    /// partition; up to `max_entries` of them are deleted with BatchWriteItem. A step that finds
    /// nothing deletes the `FORGET` item. The index is eventually consistent: a key deleted a
    /// moment ago may come back once more (deleting it again is harmless).
    async fn forget_step(
        &self,
        id: &AccountId,
        max_entries: usize,
    ) -> Result<ForgetStep, StoreError> {
        let max_entries = max_entries.max(1);
        let (mut keys, _) = self
            .query_keys(
                Some(INDEX_BY_ACCOUNT),
                "#account = :account AND begins_with(#pk, :prefix)",
                &[
                    (":account", s(id.as_str())),
                    (":prefix", s(account_conversations_prefix(id))),
                ],
                max_entries,
            )
            .await?;
        if keys.len() < max_entries {
            let (media, _) = self
                .query_keys(
                    None,
                    "#pk = :pk",
                    &[(":pk", s(media_pk(id)))],
                    max_entries - keys.len(),
                )
                .await?;
            keys.extend(media);
        }
        let removed = keys.len() as u64;
        if removed > 0 {
            self.delete_keys(keys).await?;
            return Ok(ForgetStep {
                removed,
                done: false,
            });
        }
        self.client()
            .delete_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(PK_FORGET.to_string(), id.to_string())))
            .send()
            .await
            .sdk(self, "DeleteItem")?;
        tracing::info!(account = %id, "revoked account's data removed");
        Ok(ForgetStep {
            removed: 0,
            done: true,
        })
    }
}
