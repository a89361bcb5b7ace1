//! The media port on DynamoDB: `MEDIA#<account>`/`<sha256>` items with a TTL.

use std::collections::HashMap;

use super::DynamoStore;
use super::codec::{n, req_n, req_s, s};
use super::error::SdkResult;
use super::item::*;
use crate::domain::AccountId;
use crate::store::{MediaCache, MediaRef, StoreError};

impl MediaCache for DynamoStore {
    async fn get_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
    ) -> Result<Option<MediaRef>, StoreError> {
        const WHAT: &str = "media";
        let Some(item) = self
            .get(media_pk(account), content_sha256.to_string())
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(MediaRef {
            media_id: req_s(&item, WHAT, ATTR_MEDIA_ID)?.to_string(),
            expires_ms: req_n(&item, WHAT, ATTR_EXPIRES_MS)?,
        }))
    }

    async fn put_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
        media: &MediaRef,
    ) -> Result<(), StoreError> {
        if content_sha256.is_empty() {
            return Err(StoreError::Rejected(
                "media content hash is empty: pass the file's sha256".to_string(),
            ));
        }
        let item = HashMap::from([
            (ATTR_PK.to_string(), s(media_pk(account))),
            (ATTR_SK.to_string(), s(content_sha256)),
            (ATTR_KIND.to_string(), s(KIND_MEDIA)),
            (ATTR_ACCOUNT_ID.to_string(), s(account.as_str())),
            (ATTR_MEDIA_ID.to_string(), s(media.media_id.as_str())),
            (ATTR_EXPIRES_MS.to_string(), n(media.expires_ms)),
            // Twitter forgets the media id a day after upload; let DynamoDB drop the entry then.
            (ATTR_EXPIRES_AT.to_string(), n(media.expires_ms / 1000)),
        ]);
        self.client()
            .put_item()
            .table_name(self.table_name())
            .set_item(Some(item))
            .send()
            .await
            .sdk(self, "PutItem")?;
        Ok(())
    }
}
