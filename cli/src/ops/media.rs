//! `media upload`, and the upload with a progress bar that `profile create` and `flow sync`
//! use too.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use dmbot_shared::flow::sync::{UploadProgress, upload};
use dmbot_shared::twitter::api_types::{MediaCategory, UploadedMedia};
use dmbot_shared::twitter::client::TwitterClient;
use dmbot_shared::twitter::oauth1::TokenCredentials;
use serde_json::json;

use dmbot_shared::config::ApiVersion;

use super::context::{acting, api, client};
use super::{Common, OpsError, Output};

#[derive(Subcommand, Debug)]
pub enum MediaCmd {
    /// Upload a file for Direct Messages (PNG, JPEG, WEBP, GIF, MP4); prints its media id,
    /// usable for 24 hours.
    Upload {
        file: PathBuf,
        /// Upload as not shared (only for a single message; welcome messages need shared).
        #[arg(long)]
        not_shared: bool,
    },
}

pub async fn run(opts: &Common, cmd: MediaCmd) -> Result<Output, OpsError> {
    let client = client()?;
    let who = acting(opts).await?;
    match cmd {
        MediaCmd::Upload { file, .. } if api()? == ApiVersion::V2 => {
            let (bytes, media_type, category) = read_media(&file).await?;
            let id = client
                .upload_media_v2(&who.tokens, &bytes, media_type, category)
                .await?;
            Ok(Output::new(
                json!({ "media_id": id.as_str(), "api": "v2" }),
                format!("media id {} (attach it within 24 hours)", id.as_str()),
            ))
        }
        MediaCmd::Upload { file, not_shared } => {
            let up = upload_file(&client, &who.tokens, &file, !not_shared, opts.json).await?;
            Ok(Output::new(
                json!({
                    "media_id": up.media_id.as_str(),
                    "expires_after_secs": up.expires_after_secs,
                }),
                format!(
                    "media id {} (attach it within 24 hours)",
                    up.media_id.as_str()
                ),
            ))
        }
    }
}

/// The MIME type from a file name's extension.
pub fn media_type_for(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "mp4" => "video/mp4",
        _ => return None,
    })
}

/// A media file's bytes, MIME type and Direct Message category.
async fn read_media(path: &Path) -> Result<(Vec<u8>, &'static str, MediaCategory), OpsError> {
    let media_type = media_type_for(path).ok_or_else(|| {
        OpsError::Usage(format!(
            "{}: Twitter takes .png, .jpg, .jpeg, .webp, .gif and .mp4 in Direct Messages",
            path.display()
        ))
    })?;
    let category = MediaCategory::for_media_type(media_type).unwrap_or(MediaCategory::DmImage);
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| OpsError::Io(format!("cannot read {}: {e}", path.display())))?;
    Ok((bytes, media_type, category))
}

/// Uploads a file with a progress bar on stderr (hidden with `--json` or without a terminal).
pub async fn upload_file(
    client: &TwitterClient,
    tokens: &TokenCredentials,
    path: &Path,
    shared: bool,
    quiet: bool,
) -> Result<UploadedMedia, OpsError> {
    let (bytes, media_type, category) = read_media(path).await?;
    upload_bytes(client, tokens, &bytes, media_type, category, shared, quiet).await
}

/// Uploads `bytes` with a progress bar on stderr (hidden when `quiet`, or without a terminal).
pub async fn upload_bytes(
    client: &TwitterClient,
    tokens: &TokenCredentials,
    bytes: &[u8],
    media_type: &str,
    category: MediaCategory,
    shared: bool,
    quiet: bool,
) -> Result<UploadedMedia, OpsError> {
    let bars = Bar { quiet };
    let mut bar = bars.upload(bytes.len() as u64);
    let uploaded = upload(
        client, tokens, bytes, media_type, category, shared, &mut *bar,
    )
    .await;
    drop(bar);
    Ok(uploaded?)
}

/// A terminal progress bar per upload, cleared when the upload ends (hidden when `quiet`, or
/// without a terminal).
pub struct Bar {
    pub quiet: bool,
}

impl UploadProgress for Bar {
    fn upload(&self, total: u64) -> Box<dyn FnMut(u64) + Send + '_> {
        let bar = if self.quiet {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(total)
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} uploading [{bar:30}] {bytes}/{total_bytes} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        let bar = Clearing(bar);
        Box::new(move |sent| bar.0.set_position(sent))
    }
}

/// Clears its bar when dropped, at the end of the upload.
struct Clearing(indicatif::ProgressBar);

impl Drop for Clearing {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
