//! The revocations port on the embedded store: table `forgets`; a forget step removes all of an
//! account's data in one transaction.

use super::EmbeddedStore;
use super::error::Db;
use super::schema::{
    ACCOUNTS, AGENT_ACTIVITY, CONVERSATIONS, EXPIRY, FAILED, FORGETS, INBOUND, MEDIA, PENDING,
    RECEIPTS, SENT, account_prefix,
};
use crate::domain::AccountId;
use crate::store::{ForgetStep, PendingForget, Revocations, StoreError};
use redb::{ReadableDatabase, ReadableTable};

impl Revocations for EmbeddedStore {
    async fn revoke_account(&self, id: &AccountId, now_ms: u64) -> Result<(), StoreError> {
        let key = id.to_string();
        self.write(move |txn, path| {
            txn.open_table(ACCOUNTS)
                .db(path)?
                .remove(key.as_str())
                .db(path)?;
            txn.open_table(FORGETS)
                .db(path)?
                .insert(key.as_str(), now_ms)
                .db(path)?;
            Ok(())
        })
        .await
    }

    async fn pending_forgets(&self, limit: usize) -> Result<Vec<PendingForget>, StoreError> {
        self.read(move |db, path| {
            let txn = db.begin_read().db(path)?;
            let table = txn.open_table(FORGETS).db(path)?;
            let mut pending = Vec::new();
            for entry in table.iter().db(path)? {
                let (k, v) = entry.db(path)?;
                let account = AccountId::parse(k.value()).map_err(|e| StoreError::Corrupt {
                    what: format!("pending removal {:?}", k.value()),
                    detail: e.to_string(),
                })?;
                pending.push(PendingForget {
                    account,
                    requested_ms: v.value(),
                });
            }
            pending.sort_by_key(|p| p.requested_ms);
            pending.truncate(limit);
            Ok(pending)
        })
        .await
    }

    /// Everything in one transaction: the file is local, so there is no request to bound.
    async fn forget_step(
        &self,
        id: &AccountId,
        _max_entries: usize,
    ) -> Result<ForgetStep, StoreError> {
        let key = id.to_string();
        let prefix = account_prefix(id);
        self.write(move |txn, path| {
            let mut removed = 0u64;
            txn.open_table(FORGETS)
                .db(path)?
                .remove(key.as_str())
                .db(path)?;
            let mut count = |keep: bool| {
                if !keep {
                    removed += 1;
                }
                keep
            };
            txn.open_table(INBOUND)
                .db(path)?
                .retain(|k, _| count(!k.starts_with(&prefix)))
                .db(path)?;
            txn.open_table(SENT)
                .db(path)?
                .retain(|k, _| count(!k.starts_with(&prefix)))
                .db(path)?;
            txn.open_table(RECEIPTS)
                .db(path)?
                .retain(|(k, _), _| count(!k.starts_with(&prefix)))
                .db(path)?;
            txn.open_table(CONVERSATIONS)
                .db(path)?
                .retain(|k, _| count(!k.starts_with(&prefix)))
                .db(path)?;
            txn.open_table(AGENT_ACTIVITY)
                .db(path)?
                .retain(|k, _| count(!k.starts_with(&prefix)))
                .db(path)?;
            txn.open_table(MEDIA)
                .db(path)?
                .retain(|(account, _), _| count(account != key))
                .db(path)?;
            // The indexes' entries for what went (not counted: they are not items).
            txn.open_table(PENDING)
                .db(path)?
                .retain(|(_, _, k), ()| !k.starts_with(&prefix))
                .db(path)?;
            txn.open_table(FAILED)
                .db(path)?
                .retain(|(_, k), ()| !k.starts_with(&prefix))
                .db(path)?;
            txn.open_table(EXPIRY)
                .db(path)?
                .retain(|(_, table, k), ()| table == "signins" || !k.starts_with(&prefix))
                .db(path)?;
            Ok(ForgetStep {
                removed,
                done: true,
            })
        })
        .await
    }
}
