//! Chunked media upload on the upload host (`docs/TWITTER-API.md` §4).
//!
//! `INIT` (`total_bytes`, `media_type`, `media_category`, `shared`) → `APPEND` each chunk of at
//! most 5 MB with its `segment_index` → `FINALIZE` → while `processing_info.state` is `pending`
//! or `in_progress`, wait `check_after_secs` and ask `STATUS`. INIT and FINALIZE are
//! form-encoded (signed); APPEND carries the bytes as `multipart/form-data`, which is not part
//! of the signature, so its `command`, `media_id` and `segment_index` go in the query string,
//! which is. A media id must be attached within 24 hours.

use std::future::Future;
use std::time::Duration;

use super::{Auth, Body, Call, Endpoint, TwitterClient};
use crate::twitter::api_types::{
    MediaCategory, MediaUploadResponse, ProcessingInfo, ProcessingState, UploadedMedia,
};
use crate::twitter::errors::TwitterError;
use crate::twitter::limits::MediaId;
use crate::twitter::oauth1::TokenCredentials;

/// Twitter's largest APPEND chunk: 5 MB.
pub const MAX_CHUNK_BYTES: usize = 5 * 1024 * 1024;

/// Polls after which a still-processing upload is given up, whatever `check_after_secs` says.
const MAX_STATUS_POLLS: u32 = 120;

const UPLOAD_PATH: &str = "1.1/media/upload.json";

/// Something to upload.
#[derive(Debug, Clone, Copy)]
pub struct MediaUpload<'a> {
    pub bytes: &'a [u8],
    /// The MIME type, e.g. `image/png`, `image/gif`, `video/mp4`.
    pub media_type: &'a str,
    pub category: MediaCategory,
    /// `shared=true` lets the id be used in several messages; welcome messages need it.
    pub shared: bool,
}

/// How to upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadOptions {
    /// Bytes per APPEND, 1 to [`MAX_CHUNK_BYTES`].
    pub chunk_size: usize,
    /// The longest single wait between STATUS polls (Twitter's `check_after_secs` is
    /// honoured up to this).
    pub max_poll_interval: Duration,
    /// The longest total wait for processing before giving up.
    pub max_processing_wait: Duration,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            chunk_size: MAX_CHUNK_BYTES,
            max_poll_interval: Duration::from_secs(30),
            max_processing_wait: Duration::from_secs(300),
        }
    }
}

fn valid_media_type(t: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    matches!(t.split_once('/'), Some((a, b)) if token(a) && token(b))
}

impl TwitterClient {
    /// Uploads `upload` as the account: INIT, APPEND every chunk (calling `progress(sent,
    /// total)` after each), FINALIZE, and STATUS polling while Twitter processes it.
    pub async fn upload_media(
        &self,
        account: &TokenCredentials,
        upload: &MediaUpload<'_>,
        options: &UploadOptions,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<UploadedMedia, TwitterError> {
        let init_name = Endpoint::MediaInit.name();
        if options.chunk_size == 0 || options.chunk_size > MAX_CHUNK_BYTES {
            return Err(TwitterError::invalid(
                init_name,
                format!(
                    "chunk size must be 1 to {MAX_CHUNK_BYTES} bytes (is {})",
                    options.chunk_size
                ),
            ));
        }
        let total = upload.bytes.len() as u64;
        if total == 0 {
            return Err(TwitterError::invalid(init_name, "the media is empty"));
        }
        if total > upload.category.max_bytes() {
            return Err(TwitterError::invalid(
                init_name,
                format!(
                    "{} media may be at most {} bytes (this is {total})",
                    upload.category.as_str(),
                    upload.category.max_bytes()
                ),
            ));
        }
        let init = self
            .media_init(
                account,
                total,
                upload.media_type,
                upload.category,
                upload.shared,
            )
            .await?;
        let media_id = init.media_id_string;

        let mut sent = 0u64;
        for (index, chunk) in upload.bytes.chunks(options.chunk_size).enumerate() {
            self.media_append(account, &media_id, index as u32, chunk)
                .await?;
            sent += chunk.len() as u64;
            progress(sent, total);
        }

        let state = self.media_finalize(account, &media_id).await?;
        let state = wait_for_processing(
            &media_id,
            state,
            options,
            |s| s.processing_info.as_ref(),
            || self.media_status(account, &media_id),
        )
        .await?;
        Ok(UploadedMedia {
            media_id,
            expires_after_secs: state.expires_after_secs.or(init.expires_after_secs),
        })
    }

    /// `INIT`: announces an upload and gets its media id.
    pub async fn media_init(
        &self,
        account: &TokenCredentials,
        total_bytes: u64,
        media_type: &str,
        category: MediaCategory,
        shared: bool,
    ) -> Result<MediaUploadResponse, TwitterError> {
        if !valid_media_type(media_type) {
            return Err(TwitterError::invalid(
                Endpoint::MediaInit.name(),
                format!("{media_type:?} is not a MIME type such as image/png"),
            ));
        }
        let mut form = vec![
            ("command".to_string(), "INIT".to_string()),
            ("total_bytes".to_string(), total_bytes.to_string()),
            ("media_type".to_string(), media_type.to_string()),
            ("media_category".to_string(), category.as_str().to_string()),
        ];
        if shared {
            form.push(("shared".into(), "true".into()));
        }
        let call = Call {
            endpoint: Endpoint::MediaInit,
            url: self.upload_url(UPLOAD_PATH, &[])?,
            auth: Auth::user(account),
            body: Body::Form(form),
        };
        self.json(call).await
    }

    /// `APPEND`: one chunk (at most 5 MB) as `multipart/form-data`.
    pub async fn media_append(
        &self,
        account: &TokenCredentials,
        media_id: &MediaId,
        segment_index: u32,
        chunk: &[u8],
    ) -> Result<(), TwitterError> {
        if chunk.len() > MAX_CHUNK_BYTES {
            return Err(TwitterError::invalid(
                Endpoint::MediaAppend.name(),
                format!("a chunk may be at most {MAX_CHUNK_BYTES} bytes"),
            ));
        }
        let index = segment_index.to_string();
        let call = Call {
            endpoint: Endpoint::MediaAppend,
            url: self.upload_url(
                UPLOAD_PATH,
                &[
                    ("command", "APPEND"),
                    ("media_id", media_id.as_str()),
                    ("segment_index", &index),
                ],
            )?,
            auth: Auth::user(account),
            body: Body::Multipart {
                field: "media",
                data: bytes::Bytes::copy_from_slice(chunk),
            },
        };
        self.no_content(call).await
    }

    /// `FINALIZE`: ends the upload; the answer may say processing has started.
    pub async fn media_finalize(
        &self,
        account: &TokenCredentials,
        media_id: &MediaId,
    ) -> Result<MediaUploadResponse, TwitterError> {
        let call = Call {
            endpoint: Endpoint::MediaFinalize,
            url: self.upload_url(UPLOAD_PATH, &[])?,
            auth: Auth::user(account),
            body: Body::Form(vec![
                ("command".into(), "FINALIZE".into()),
                ("media_id".into(), media_id.as_str().into()),
            ]),
        };
        self.json(call).await
    }

    /// `STATUS`: where processing is.
    pub async fn media_status(
        &self,
        account: &TokenCredentials,
        media_id: &MediaId,
    ) -> Result<MediaUploadResponse, TwitterError> {
        let call = Call {
            endpoint: Endpoint::MediaStatus,
            url: self.upload_url(
                UPLOAD_PATH,
                &[("command", "STATUS"), ("media_id", media_id.as_str())],
            )?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.json(call).await
    }
}

/// While X is still processing an upload (`info` of the latest `state`), waits what it says
/// (`check_after_secs`, at most `options.max_poll_interval`) and asks again (`status`), within
/// `options.max_processing_wait` and [`MAX_STATUS_POLLS`]: the one polling loop of the v1.1 and
/// v2 uploads. Returns the final state, or why processing failed or took too long.
pub(super) async fn wait_for_processing<S, F, Fut>(
    media_id: &MediaId,
    mut state: S,
    options: &UploadOptions,
    info: impl Fn(&S) -> Option<&ProcessingInfo>,
    mut status: F,
) -> Result<S, TwitterError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<S, TwitterError>>,
{
    let mut waited = Duration::ZERO;
    let mut polls = 0;
    while let Some(info) = info(&state) {
        match info.state {
            ProcessingState::Succeeded => break,
            ProcessingState::Failed => {
                let reason = info
                    .error
                    .as_ref()
                    .and_then(|e| e.message.clone().or_else(|| e.name.clone()))
                    .unwrap_or_else(|| "X reported processing failed".into());
                return Err(TwitterError::MediaProcessing {
                    media_id: media_id.as_str().into(),
                    reason,
                });
            }
            ProcessingState::Pending | ProcessingState::InProgress => {}
        }
        let wait =
            Duration::from_secs(info.check_after_secs.unwrap_or(1)).min(options.max_poll_interval);
        if waited + wait > options.max_processing_wait || polls >= MAX_STATUS_POLLS {
            return Err(TwitterError::MediaProcessing {
                media_id: media_id.as_str().into(),
                reason: format!(
                    "still processing after {} s and {polls} status checks; try a smaller file \
                     or wait and check again",
                    waited.as_secs()
                ),
            });
        }
        tokio::time::sleep(wait).await;
        waited += wait;
        polls += 1;
        state = status().await?;
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_must_look_like_mime_types() {
        assert!(valid_media_type("image/png"));
        assert!(valid_media_type("video/mp4"));
        assert!(!valid_media_type("png"));
        assert!(!valid_media_type("image/"));
        assert!(!valid_media_type("image/png; x=1"));
    }
}
