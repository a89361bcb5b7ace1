//! The invites port on the embedded store: table `invites`, key the invite id, with expiry
//! entries so the sweep removes invites past their time.

use super::error::Db;
use super::expiry::{add_expiry, invite_expiry};
use super::schema::INVITES;
use super::{EmbeddedStore, decode, encode};
use crate::invite::InviteId;
use crate::store::StoreError;
use crate::store::invites::{InviteRecord, Invites, sort_for_listing};
use redb::{ReadableDatabase, ReadableTable};

impl EmbeddedStore {
    /// The invite stored under `id`, whatever its expiry.
    fn read_invite(&self, id: &InviteId) -> Result<Option<InviteRecord>, StoreError> {
        let key = id.as_str().to_string();
        self.lookup(move |db, path| {
            let txn = db.begin_read().db(path)?;
            let table = txn.open_table(INVITES).db(path)?;
            table
                .get(key.as_str())
                .db(path)?
                .map(|raw| decode("invite", &key, raw.value()))
                .transpose()
        })
    }
}

impl Invites for EmbeddedStore {
    async fn put_invite(&self, invite: &InviteRecord) -> Result<(), StoreError> {
        let key = invite.id.as_str().to_string();
        let value = encode("invite", invite)?;
        let expires = invite_expiry(invite);
        self.write(move |txn, path| {
            txn.open_table(INVITES)
                .db(path)?
                .insert(key.as_str(), value.as_str())
                .db(path)?;
            add_expiry(txn, path, expires, "invites", &key)
        })
        .await
    }

    async fn get_invite(
        &self,
        id: &InviteId,
        now_ms: u64,
    ) -> Result<Option<InviteRecord>, StoreError> {
        Ok(self.read_invite(id)?.filter(|i| i.is_live(now_ms)))
    }

    async fn take_invite(
        &self,
        id: &InviteId,
        now_ms: u64,
    ) -> Result<Option<InviteRecord>, StoreError> {
        let key = id.as_str().to_string();
        self.write(move |txn, path| {
            let mut table = txn.open_table(INVITES).db(path)?;
            let Some(invite) = table
                .get(key.as_str())
                .db(path)?
                .map(|raw| decode::<InviteRecord>("invite", &key, raw.value()))
                .transpose()?
            else {
                return Ok(None);
            };
            if !invite.is_live(now_ms) {
                return Ok(None);
            }
            table.remove(key.as_str()).db(path)?;
            Ok(Some(invite))
        })
        .await
    }

    async fn list_invites(&self, now_ms: u64) -> Result<Vec<InviteRecord>, StoreError> {
        let mut live = self
            .read(move |db, path| {
                let txn = db.begin_read().db(path)?;
                let table = txn.open_table(INVITES).db(path)?;
                let mut live = Vec::new();
                for entry in table.iter().db(path)? {
                    let (k, v) = entry.db(path)?;
                    let invite: InviteRecord = decode("invite", k.value(), v.value())?;
                    if invite.is_live(now_ms) {
                        live.push(invite);
                    }
                }
                Ok(live)
            })
            .await?;
        sort_for_listing(&mut live);
        Ok(live)
    }

    async fn revoke_invite(&self, id: &InviteId) -> Result<bool, StoreError> {
        let key = id.as_str().to_string();
        self.write(move |txn, path| {
            let removed = txn
                .open_table(INVITES)
                .db(path)?
                .remove(key.as_str())
                .db(path)?
                .is_some();
            Ok(removed)
        })
        .await
    }
}
