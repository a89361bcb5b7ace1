//! Reading a media file next to the flow: its category, size and SHA-256.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::super::{MediaCategory, MediaFile};

/// Reads a media file next to the flow: category from the extension, size within Twitter's
/// limit for it, SHA-256 of the content. Errors are the problem text for the field.
pub(in crate::flow) fn media_from_disk(base_dir: &Path, path: &str) -> Result<MediaFile, String> {
    let category = MediaCategory::from_path(path).ok_or_else(|| {
        format!(
            "{path:?} has an extension Twitter does not take in Direct Messages; use .png, .jpg, \
             .jpeg or .webp (dm_image), .gif (dm_gif) or .mp4 (dm_video)"
        )
    })?;
    let full = base_dir.join(path);
    let meta = std::fs::metadata(&full).map_err(|e| {
        format!(
            "file {} cannot be read ({e}); paths are relative to the flow file",
            full.display()
        )
    })?;
    if !meta.is_file() {
        return Err(format!("{} is not a file", full.display()));
    }
    let bytes = meta.len();
    if bytes == 0 {
        return Err(format!("{} is empty", full.display()));
    }
    if bytes > category.max_bytes() {
        return Err(format!(
            "{} is {bytes} bytes; Twitter takes at most {} bytes for {}",
            full.display(),
            category.max_bytes(),
            category.as_str()
        ));
    }
    let mut file = std::fs::File::open(&full)
        .map_err(|e| format!("file {} cannot be opened ({e})", full.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("file {} cannot be read ({e})", full.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(MediaFile {
        path: path.to_string(),
        category,
        sha256: super::super::hex(&hasher.finalize()),
        bytes,
    })
}
