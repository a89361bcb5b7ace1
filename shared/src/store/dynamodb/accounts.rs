//! The accounts port on DynamoDB: `ACCOUNT#<id>`/`PROFILE` items.

use std::collections::HashMap;

use super::DynamoStore;
use super::codec::{decode_account, s, to_json};
use super::error::SdkResult;
use super::item::*;
use crate::domain::AccountId;
use crate::store::{AccountRecord, Accounts, StoreError};

impl Accounts for DynamoStore {
    async fn put_account(&self, account: &AccountRecord) -> Result<(), StoreError> {
        let item = HashMap::from([
            (ATTR_PK.to_string(), s(account_pk(&account.id))),
            (ATTR_SK.to_string(), s(SK_PROFILE)),
            (ATTR_KIND.to_string(), s(KIND_ACCOUNT)),
            (ATTR_ACCOUNT_ID.to_string(), s(account.id.as_str())),
            (ATTR_ACCOUNT.to_string(), s(to_json("account", account)?)),
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

    async fn get_account(&self, id: &AccountId) -> Result<Option<AccountRecord>, StoreError> {
        self.get(account_pk(id), SK_PROFILE.to_string())
            .await?
            .map(|item| decode_account(&item))
            .transpose()
    }

    /// A Scan with a filter: accounts are few and this backs operator commands and start-up,
    /// not the per-message path. Sorted by id.
    async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        let items = self
            .scan_all(
                "#kind = :kind",
                &[("#kind", ATTR_KIND)],
                &[(":kind", s(KIND_ACCOUNT))],
                None,
            )
            .await?;
        let mut accounts = items
            .iter()
            .map(decode_account)
            .collect::<Result<Vec<_>, _>>()?;
        accounts.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(accounts)
    }
}
