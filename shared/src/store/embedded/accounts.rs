//! The accounts port on the embedded store: table `accounts`.

use super::error::Db;
use super::schema::ACCOUNTS;
use super::{EmbeddedStore, decode, encode};
use crate::domain::AccountId;
use crate::store::{AccountRecord, Accounts, StoreError};
use redb::{ReadableDatabase, ReadableTable};

impl Accounts for EmbeddedStore {
    async fn put_account(&self, account: &AccountRecord) -> Result<(), StoreError> {
        let key = account.id.to_string();
        let value = encode("account", account)?;
        self.write(move |txn, path| {
            let mut table = txn.open_table(ACCOUNTS).db(path)?;
            table.insert(key.as_str(), value.as_str()).db(path)?;
            Ok(())
        })
        .await
    }

    async fn get_account(&self, id: &AccountId) -> Result<Option<AccountRecord>, StoreError> {
        let key = id.to_string();
        self.lookup(move |db, path| {
            let txn = db.begin_read().db(path)?;
            let table = txn.open_table(ACCOUNTS).db(path)?;
            table
                .get(key.as_str())
                .db(path)?
                .map(|raw| decode("account", &key, raw.value()))
                .transpose()
        })
    }

    async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        self.read(move |db, path| {
            let txn = db.begin_read().db(path)?;
            let table = txn.open_table(ACCOUNTS).db(path)?;
            let mut accounts = Vec::new();
            for entry in table.iter().db(path)? {
                let (k, v) = entry.db(path)?;
                accounts.push(decode::<AccountRecord>("account", k.value(), v.value())?);
            }
            Ok(accounts)
        })
        .await
    }
}
