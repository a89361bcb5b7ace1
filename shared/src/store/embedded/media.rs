//! The media port on the embedded store: table `media`, with expiry entries.

use super::error::Db;
use super::expiry::{add_expiry, media_expiry, media_expiry_key};
use super::schema::MEDIA;
use super::{EmbeddedStore, decode, encode};
use crate::domain::AccountId;
use crate::store::{MediaCache, MediaRef, StoreError};
use redb::ReadableDatabase;

impl MediaCache for EmbeddedStore {
    async fn get_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
    ) -> Result<Option<MediaRef>, StoreError> {
        let account = account.to_string();
        let sha = content_sha256.to_string();
        self.lookup(move |db, path| {
            let txn = db.begin_read().db(path)?;
            let table = txn.open_table(MEDIA).db(path)?;
            table
                .get((account.as_str(), sha.as_str()))
                .db(path)?
                .map(|raw| decode("media", &sha, raw.value()))
                .transpose()
        })
    }

    async fn put_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
        media: &MediaRef,
    ) -> Result<(), StoreError> {
        let account = account.to_string();
        let sha = content_sha256.to_string();
        let value = encode("media", media)?;
        let expires = media_expiry(media);
        self.write(move |txn, path| {
            let mut table = txn.open_table(MEDIA).db(path)?;
            table
                .insert((account.as_str(), sha.as_str()), value.as_str())
                .db(path)?;
            drop(table);
            let key = media_expiry_key(&account, &sha);
            add_expiry(txn, path, expires, "media", &key)
        })
        .await
    }
}
