//! The pending sign-ins port on the embedded store: table `signins`, key the request token,
//! with expiry entries.

use super::error::Db;
use super::expiry::{add_expiry, signin_expiry};
use super::schema::SIGNINS;
use super::{EmbeddedStore, decode, encode};
use crate::store::StoreError;
use crate::store::signin::{PendingSignin, PendingSignins};
use redb::ReadableDatabase;

impl PendingSignins for EmbeddedStore {
    async fn put_pending_signin(&self, pending: &PendingSignin) -> Result<(), StoreError> {
        let key = pending.request_token.clone();
        let value = encode("pending sign-in", pending)?;
        let expires = signin_expiry(pending);
        self.write(move |txn, path| {
            let mut table = txn.open_table(SIGNINS).db(path)?;
            table.insert(key.as_str(), value.as_str()).db(path)?;
            drop(table);
            add_expiry(txn, path, expires, "signins", &key)
        })
        .await
    }

    async fn get_pending_signin(
        &self,
        request_token: &str,
        now_ms: u64,
    ) -> Result<Option<PendingSignin>, StoreError> {
        let key = request_token.to_string();
        let found: Option<PendingSignin> = self.lookup(move |db, path| {
            let txn = db.begin_read().db(path)?;
            let table = txn.open_table(SIGNINS).db(path)?;
            table
                .get(key.as_str())
                .db(path)?
                .map(|raw| decode("pending sign-in", "(token)", raw.value()))
                .transpose()
        })?;
        Ok(found.filter(|p| p.is_live(now_ms)))
    }

    async fn take_pending_signin(
        &self,
        request_token: &str,
        now_ms: u64,
    ) -> Result<Option<PendingSignin>, StoreError> {
        let key = request_token.to_string();
        let taken: Option<PendingSignin> = self
            .write(move |txn, path| {
                let mut table = txn.open_table(SIGNINS).db(path)?;
                let removed = table.remove(key.as_str()).db(path)?;
                removed
                    .map(|raw| decode("pending sign-in", &key, raw.value()))
                    .transpose()
            })
            .await?;
        Ok(taken.filter(|p| p.is_live(now_ms)))
    }
}
