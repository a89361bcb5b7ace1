//! The media upload's answers.

use serde::Deserialize;

use super::super::limits::MediaId;
use super::de_media_id;
/// The media upload's answer to INIT, FINALIZE and STATUS.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MediaUploadResponse {
    #[serde(deserialize_with = "de_media_id")]
    pub media_id_string: MediaId,
    #[serde(default)]
    pub size: Option<u64>,
    /// The id must be attached within this many seconds (24 hours).
    #[serde(default)]
    pub expires_after_secs: Option<u64>,
    #[serde(default)]
    pub processing_info: Option<ProcessingInfo>,
}

/// Server-side processing (videos, GIFs) after FINALIZE.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProcessingInfo {
    pub state: ProcessingState,
    /// Poll STATUS again after this many seconds.
    #[serde(default)]
    pub check_after_secs: Option<u64>,
    #[serde(default)]
    pub progress_percent: Option<u8>,
    #[serde(default)]
    pub error: Option<ProcessingError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingState {
    Pending,
    InProgress,
    Failed,
    Succeeded,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProcessingError {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// A media upload that finished: the id to attach, and when it stops being attachable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedMedia {
    pub media_id: MediaId,
    pub expires_after_secs: Option<u64>,
}
