//! The media files a flow sends and the Twitter ids synced for them.

use std::collections::BTreeMap;
use std::path::Path;

/// Twitter's upload category for a media file: the same type the API client uploads with.
pub use crate::twitter::api_types::MediaCategory;
use serde::{Deserialize, Serialize};

/// A media file a flow sends (a node's attachment or a profile's avatar).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MediaFile {
    /// The path as the flow file wrote it, relative to the flow file. It is also the key of the
    /// file's synced media id; [`Flow::media_path`] resolves it on disk.
    pub path: String,
    pub category: MediaCategory,
    /// SHA-256 of the content, lower-case hex: a changed file gets a new upload.
    pub sha256: String,
    pub bytes: u64,
}

impl MediaFile {
    /// The MIME type for the upload `INIT` call's `media_type`.
    pub fn media_type(&self) -> &'static str {
        let ext = Path::new(&self.path)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        match ext.as_str() {
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "webp" => "image/webp",
            "gif" => "image/gif",
            _ => "video/mp4",
        }
    }
}

/// How long a media id is used after its upload. Twitter says a media id must be attached within
/// 24 hours of upload; we stop an hour early so a send never races the expiry.
pub const MEDIA_ID_USABLE_MS: u64 = 23 * 3600 * 1000;

/// A media id `flow sync` (or the dispatcher) got for a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedMedia {
    pub media_id: String,
    pub uploaded_ms: u64,
    /// The content hash that was uploaded: if the file changed since, the id is not reused.
    pub sha256: String,
}

/// The Twitter ids created for a flow. Empty locally; the engine never needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedIds {
    /// Welcome message id by welcome message name.
    #[serde(default)]
    pub welcome_messages: BTreeMap<String, String>,
    /// Custom profile id by profile name.
    #[serde(default)]
    pub custom_profiles: BTreeMap<String, String>,
    /// Uploaded media by file path (as written in the flow).
    #[serde(default)]
    pub media: BTreeMap<String, SyncedMedia>,
}
