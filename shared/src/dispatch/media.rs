//! The media id for a reply's attachment.
//!
//! Twitter: "a media id must be attached within 24 hours of upload", and a media id belongs
//! to the account that uploaded it. So, in order:
//! 1. the store's [`crate::store::MediaCache`] for (account, content sha256), while usable;
//! 2. for the app owner, the id `dmbot flow sync` uploaded (it syncs with the owner's tokens),
//!    while usable ([`Flow::media_id`]);
//! 3. a fresh upload of the file, when the flow was loaded from disk (`dmbot serve`), cached
//!    for next time ([`MEDIA_ID_USABLE_MS`]: we stop an hour before Twitter's 24 h);
//! 4. otherwise the reply goes without its attachment, with a warning (a flow from the store
//!    has no file bytes; run `dmbot flow sync` to refresh its ids).

use std::time::Instant;

use sha2::{Digest, Sha256};

use super::{Dispatcher, ResolvedAccount, Store};
use crate::domain::now_ms;
use crate::flow::{Flow, MEDIA_ID_USABLE_MS, MediaFile, hex};
use crate::store::MediaRef;
use crate::store::usage::BillableKind;
use crate::twitter::client::{MediaUpload, UploadOptions};
use crate::twitter::errors::TwitterError;
use crate::twitter::limits::MediaId;
use crate::twitter::retry::{TokioTimer, retry_with};

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    /// See the module documentation. `Err` only for a failed upload.
    pub(super) async fn media_id(
        &self,
        account: &ResolvedAccount,
        flow: &Flow,
        file: &MediaFile,
        budget: Instant,
    ) -> Result<Option<MediaId>, TwitterError> {
        let now = now_ms();
        match self.store.get_media(&account.id, &file.sha256).await {
            Ok(Some(cached)) if cached.expires_ms > now => {
                if let Ok(id) = MediaId::new(cached.media_id) {
                    return Ok(Some(id));
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "media cache unavailable; uploading"),
        }
        if self.owner_id.as_ref().is_none_or(|o| o == &account.id) {
            if let Some(id) = flow.media_id(file, now) {
                return Ok(Some(id));
            }
        }
        let Some(path) = flow.media_path(file) else {
            tracing::warn!(file = %file.path, "no usable media id and no file to upload; replying without the attachment (run `dmbot flow sync`)");
            return Ok(None);
        };
        let read_path = path.clone();
        let read = tokio::task::spawn_blocking(move || std::fs::read(read_path)).await;
        let bytes = match read.map_err(std::io::Error::other).and_then(|r| r) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot read the media file; replying without the attachment");
                return Ok(None);
            }
        };
        let sha256 = hex(&Sha256::digest(&bytes));
        let upload = MediaUpload {
            bytes: &bytes,
            media_type: file.media_type(),
            category: file.category,
            shared: false,
        };
        let options = UploadOptions::default();
        let uploaded = retry_with(
            &self.config.retry,
            &TokioTimer,
            tokio::time::Instant::from_std(budget),
            || self.upload_once(&account.tokens, &upload, &options),
        )
        .await?;
        self.count(&account.id, BillableKind::MediaUpload, 1).await;
        let usable_ms = uploaded
            .expires_after_secs
            .map(|s| s.saturating_mul(1000).min(MEDIA_ID_USABLE_MS))
            .unwrap_or(MEDIA_ID_USABLE_MS);
        let cached = MediaRef {
            media_id: uploaded.media_id.as_str().to_string(),
            expires_ms: now.saturating_add(usable_ms),
        };
        if let Err(e) = self.store.put_media(&account.id, &sha256, &cached).await {
            tracing::warn!(error = %e, "could not cache the media id; the next reply uploads again");
        }
        Ok(Some(uploaded.media_id))
    }
}
