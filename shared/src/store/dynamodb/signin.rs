//! The pending sign-ins port on DynamoDB: item `pk = SIGNIN#<request token>`, `sk = PENDING`,
//! `kind = signin`, the sign-in as JSON in `pending`, and the TTL attribute `expires_at`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::DynamoStore;
use super::error::SdkResult;
use super::item::{ATTR_EXPIRES_AT, ATTR_KIND, ATTR_PK, ATTR_SK};
use crate::store::StoreError;
use crate::store::signin::{PendingSignin, PendingSignins};

pub const KIND_SIGNIN: &str = "signin";
const SK_PENDING: &str = "PENDING";
const ATTR_PENDING: &str = "pending";

/// `SIGNIN#<request token>`.
pub fn signin_pk(request_token: &str) -> String {
    format!("SIGNIN#{request_token}")
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
    let pending: PendingSignin = serde_json::from_str(raw).map_err(|e| StoreError::Corrupt {
        what: "pending sign-in".into(),
        detail: e.to_string(),
    })?;
    Ok(pending.is_live(now_ms).then_some(pending))
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
            .sdk(self, "PutItem")?;
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
            .sdk(self, "GetItem")?;
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
            .sdk(self, "DeleteItem")?;
        decode_live(out.attributes, now_ms)
    }
}
