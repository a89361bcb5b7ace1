//! v2 chunked media upload (`docs/X-API-V2.md` §6), on the API host: `initialize` (JSON) →
//! `append` each chunk as JSON with the bytes in base64 (X and the simulator take it, and it
//! needs no multipart fields) → `finalize` → `STATUS` polls while X processes it (videos, GIFs),
//! bounded by [`UploadOptions`]. The id can be attached by the uploading account for 24 hours.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::json;

use super::super::{Auth, Body, Call, Endpoint, TwitterClient, UploadOptions};
use crate::twitter::api_types::{MediaCategory, ProcessingInfo, UploadedMedia};
use crate::twitter::errors::TwitterError;
use crate::twitter::limits::MediaId;
use crate::twitter::oauth1::TokenCredentials;

/// Bytes per `append` (1 MiB: about 1.4 MB of JSON once in base64).
pub const V2_CHUNK_BYTES: usize = 1024 * 1024;

/// The `data` of `initialize`, `finalize` and `STATUS`.
#[derive(Debug, Deserialize)]
struct MediaState {
    id: String,
    #[serde(default)]
    expires_after_secs: Option<u64>,
    #[serde(default)]
    processing_info: Option<ProcessingInfo>,
}

impl MediaState {
    fn media_id(&self, endpoint: Endpoint) -> Result<MediaId, TwitterError> {
        MediaId::new(self.id.clone())
            .map_err(|e| TwitterError::decode(endpoint.name(), format!("media id: {e}")))
    }
}

impl TwitterClient {
    /// Uploads `bytes` as the account in [`V2_CHUNK_BYTES`] chunks and returns the media id
    /// to attach to [`TwitterClient::send_dm_v2`].
    pub async fn upload_media_v2(
        &self,
        account: &TokenCredentials,
        bytes: &[u8],
        media_type: &str,
        category: MediaCategory,
    ) -> Result<MediaId, TwitterError> {
        let options = UploadOptions {
            chunk_size: V2_CHUNK_BYTES,
            ..UploadOptions::default()
        };
        self.upload_media_v2_with(account, bytes, media_type, category, &options)
            .await
            .map(|m| m.media_id)
    }

    /// [`TwitterClient::upload_media_v2`] with the chunk size and processing waits given.
    pub async fn upload_media_v2_with(
        &self,
        account: &TokenCredentials,
        bytes: &[u8],
        media_type: &str,
        category: MediaCategory,
        options: &UploadOptions,
    ) -> Result<UploadedMedia, TwitterError> {
        let init = Endpoint::MediaInitializeV2;
        let total = bytes.len() as u64;
        if options.chunk_size == 0 || options.chunk_size > V2_CHUNK_BYTES {
            let why = format!("chunk size must be 1 to {V2_CHUNK_BYTES} bytes");
            return Err(TwitterError::invalid(init.name(), why));
        }
        if total == 0 || total > category.max_bytes() {
            let why = format!(
                "{} media must be 1 to {} bytes (this is {total})",
                category.as_str(),
                category.max_bytes()
            );
            return Err(TwitterError::invalid(init.name(), why));
        }
        let body = json!({
            "media_category": category.as_str(),
            "media_type": media_type,
            "total_bytes": total,
        });
        let call = Call {
            endpoint: init,
            url: self.api_url("2/media/upload/initialize", &[])?,
            auth: Auth::user(account),
            body: Body::Json(body),
        };
        let started: MediaState = self.v2_data(call).await?;
        let media_id = started.media_id(init)?;
        for (index, chunk) in bytes.chunks(options.chunk_size).enumerate() {
            self.media_append_v2(account, &media_id, index, chunk)
                .await?;
        }
        let call = Call {
            endpoint: Endpoint::MediaFinalizeV2,
            url: self.api_url(
                &format!("2/media/upload/{}/finalize", media_id.as_str()),
                &[],
            )?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        let state: MediaState = self.v2_data(call).await?;
        let state = self
            .wait_for_processing(account, &media_id, state, options)
            .await?;
        Ok(UploadedMedia {
            media_id,
            expires_after_secs: state.expires_after_secs.or(started.expires_after_secs),
        })
    }

    async fn media_append_v2(
        &self,
        account: &TokenCredentials,
        media_id: &MediaId,
        index: usize,
        chunk: &[u8],
    ) -> Result<(), TwitterError> {
        let call = Call {
            endpoint: Endpoint::MediaAppendV2,
            url: self.api_url(&format!("2/media/upload/{}/append", media_id.as_str()), &[])?,
            auth: Auth::user(account),
            body: Body::Json(json!({"media": B64.encode(chunk), "segment_index": index})),
        };
        self.no_content(call).await
    }

    /// Polls `STATUS` while processing is pending, within `options`' bounds.
    async fn wait_for_processing(
        &self,
        account: &TokenCredentials,
        media_id: &MediaId,
        state: MediaState,
        options: &UploadOptions,
    ) -> Result<MediaState, TwitterError> {
        let status = || async {
            let query = [("command", "STATUS"), ("media_id", media_id.as_str())];
            let call = Call {
                endpoint: Endpoint::MediaStatusV2,
                url: self.api_url("2/media/upload", &query)?,
                auth: Auth::user(account),
                body: Body::Empty,
            };
            self.v2_data(call).await
        };
        super::super::media::wait_for_processing(
            media_id,
            state,
            options,
            |s: &MediaState| s.processing_info.as_ref(),
            status,
        )
        .await
    }
}
