//! Request parameters that refuse what Twitter would refuse.

use std::fmt;

use super::super::limits::LimitError;
/// An Account Activity environment name (the "dev environment label" set in the developer
/// portal). It is part of every `account_activity/all/:env_name/...` path, so it is limited to
/// letters, digits, `-` and `_`; Twitter compares it **case-sensitively** (a wrong case is error
/// 200, forbidden).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EnvName(String);

impl EnvName {
    pub fn new(value: impl Into<String>) -> Result<Self, LimitError> {
        let value = value.into();
        let ok = !value.is_empty()
            && value.len() <= 64
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(LimitError {
                field: "env_name".into(),
                problem:
                    "must be 1 to 64 letters, digits, '-' or '_' (as set in the developer portal)"
                        .into(),
            });
        }
        Ok(Self(value))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EnvName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The URL Twitter will POST account activity to. Twitter requires `https` and runs a CRC GET
/// against it before registering it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    /// An absolute `https` URL without a fragment.
    pub fn new(value: &str) -> Result<Self, LimitError> {
        let url = Self::parse(value)?;
        if url.scheme() != "https" {
            return Err(LimitError {
                field: "url".into(),
                problem: "must be an https URL (Twitter refuses plain http webhooks)".into(),
            });
        }
        Ok(Self(url))
    }

    /// Like [`WebhookUrl::new`] but also accepts `http`: for the local simulator and tests,
    /// which do not run TLS. Real Twitter refuses such a URL.
    pub fn new_allowing_http(value: &str) -> Result<Self, LimitError> {
        Self::parse(value).map(Self)
    }

    fn parse(value: &str) -> Result<url::Url, LimitError> {
        let err = |problem: String| LimitError {
            field: "url".into(),
            problem,
        };
        let url = url::Url::parse(value).map_err(|e| err(format!("is not a valid URL ({e})")))?;
        if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
            return Err(err("must be an absolute http(s) URL".into()));
        }
        if url.fragment().is_some() {
            return Err(err("must not have a #fragment".into()));
        }
        Ok(url)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// `count` for the paginated list endpoints: 1 to 50.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u8);

impl PageSize {
    pub const MAX: u8 = 50;

    pub fn new(n: u8) -> Result<Self, LimitError> {
        if n == 0 || n > Self::MAX {
            return Err(LimitError {
                field: "count".into(),
                problem: format!("must be between 1 and {} (is {n})", Self::MAX),
            });
        }
        Ok(Self(n))
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

/// `media_category` of an upload: what the media will be attached to. DMs and welcome
/// messages need the `dm_*` categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaCategory {
    /// `.png`, `.jpg`, `.jpeg`, `.webp`: at most 5 MB.
    DmImage,
    /// `.gif`: at most 15 MB.
    DmGif,
    /// `.mp4`: at most 512 MB.
    DmVideo,
}

impl MediaCategory {
    /// The category for a file name's extension (case-insensitive), if Twitter takes it in DMs.
    pub fn from_path(path: &str) -> Option<Self> {
        let ext = std::path::Path::new(path)
            .extension()?
            .to_str()?
            .to_ascii_lowercase();
        match ext.as_str() {
            "png" | "jpg" | "jpeg" | "webp" => Some(Self::DmImage),
            "gif" => Some(Self::DmGif),
            "mp4" => Some(Self::DmVideo),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DmImage => "dm_image",
            Self::DmGif => "dm_gif",
            Self::DmVideo => "dm_video",
        }
    }

    /// Twitter's size limits: images 5 MB, GIFs 15 MB, videos 512 MB.
    pub fn max_bytes(self) -> u64 {
        match self {
            Self::DmImage => 5 * 1024 * 1024,
            Self::DmGif => 15 * 1024 * 1024,
            Self::DmVideo => 512 * 1024 * 1024,
        }
    }

    /// The category for a MIME type (`image/gif` is a GIF, other `image/*` an image,
    /// `video/*` a video).
    pub fn for_media_type(media_type: &str) -> Option<Self> {
        let t = media_type.to_ascii_lowercase();
        if t == "image/gif" {
            Some(Self::DmGif)
        } else if t.starts_with("image/") {
            Some(Self::DmImage)
        } else if t.starts_with("video/") {
            Some(Self::DmVideo)
        } else {
            None
        }
    }
}

/// Where Twitter sends the person after they approve the app (sign-in step 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// A URL registered in the app's settings.
    Url(url::Url),
    /// `oob`: the PIN flow (Twitter shows a PIN to type into the CLI).
    OutOfBand,
}

impl Callback {
    pub fn as_param(&self) -> String {
        match self {
            Self::Url(u) => u.as_str().to_string(),
            Self::OutOfBand => "oob".into(),
        }
    }
}

/// An app-only bearer token (`POST oauth2/token`). `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl BearerToken {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}
