//! The media port: Twitter media ids of uploaded files, by account and content hash.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::AccountId;

/// A media id Twitter gave an uploaded file, reusable until it expires (24 h after upload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    pub media_id: String,
    pub expires_ms: u64,
}

/// Uploaded media ids by account and content hash, so a file is uploaded once a day at most.
pub trait MediaCache: Send + Sync {
    fn get_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
    ) -> impl Future<Output = Result<Option<MediaRef>, StoreError>> + Send;

    fn put_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
        media: &MediaRef,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
