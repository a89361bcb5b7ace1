//! Twitter's request parameters (beyond the message bodies of [`super::limits`]) and response
//! objects, as the v1.1 endpoints in `docs/TWITTER-API.md` §3–§6 define them.
//!
//! Parameters are types that refuse what Twitter would refuse (an environment name with a
//! slash, a page size over 50, a webhook URL that is not https). Response types read only the
//! fields the project uses and ignore the rest, so that Twitter adding a field breaks nothing.

use std::fmt;

use serde::{Deserialize, Deserializer};

use super::limits::{CustomProfileId, LimitError, MediaId};
use super::oauth1::TokenCredentials;
use crate::domain::{EventId, UserId, digit_id_type};

/// The check behind the ids of Twitter's objects: a [`LimitError`] naming the field.
fn check_digits(field: &'static str, value: &str) -> Result<(), LimitError> {
    if crate::domain::is_digit_id(value) {
        Ok(())
    } else {
        Err(LimitError {
            field: field.into(),
            problem: "must be an id made of digits".into(),
        })
    }
}

digit_id_type!(
    /// A welcome message's id.
    WelcomeMessageId,
    "welcome_message_id",
    new,
    LimitError,
    check_digits
);
digit_id_type!(
    /// A welcome message rule's id.
    WelcomeRuleId,
    "welcome_message_rule_id",
    new,
    LimitError,
    check_digits
);
digit_id_type!(
    /// A registered webhook's id.
    WebhookId,
    "webhook_id",
    new,
    LimitError,
    check_digits
);

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

// ---------------------------------------------------------------------------------------------
// Responses

fn de_media_id<'de, D: Deserializer<'de>>(d: D) -> Result<MediaId, D::Error> {
    MediaId::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn de_profile_id<'de, D: Deserializer<'de>>(d: D) -> Result<CustomProfileId, D::Error> {
    CustomProfileId::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// Twitter sends some counts as strings (`"subscriptions_count_all":"3"`) and some as numbers.
fn de_count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        N(u64),
        S(String),
    }
    match Count::deserialize(d)? {
        Count::N(n) => Ok(n),
        Count::S(s) => s.trim().parse().map_err(serde::de::Error::custom),
    }
}

/// A Direct Message event as the DM endpoints return it (send, show, list).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DmEvent {
    /// The event id. The id a send returns is how the bot recognises its own message when it
    /// comes back through the webhook.
    pub id: EventId,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub created_timestamp: Option<String>,
    #[serde(default)]
    pub message_create: Option<DmMessageCreate>,
}

/// `message_create` of a [`DmEvent`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DmMessageCreate {
    pub target: DmTarget,
    pub sender_id: UserId,
    #[serde(default)]
    pub source_app_id: Option<String>,
    #[serde(default)]
    pub custom_profile_id: Option<String>,
    pub message_data: ReceivedMessageData,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DmTarget {
    pub recipient_id: UserId,
}

/// `message_data` as Twitter returns it (with `entities`, which we ignore).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReceivedMessageData {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub quick_reply: Option<serde_json::Value>,
    #[serde(default)]
    pub quick_reply_response: Option<QuickReplyResponse>,
    #[serde(default)]
    pub ctas: Option<serde_json::Value>,
    #[serde(default)]
    pub attachment: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QuickReplyResponse {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: Option<String>,
}

/// One page of `direct_messages/events/list` (the last 30 days, newest first).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DmEventPage {
    #[serde(default)]
    pub events: Vec<DmEvent>,
    /// Pass it back as `cursor` for the next page; absent on the last one.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// A welcome message. `name` comes beside the object on create/show and inside it in lists.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WelcomeMessage {
    pub id: WelcomeMessageId,
    #[serde(default)]
    pub created_timestamp: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub message_data: ReceivedMessageData,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WelcomeMessagePage {
    #[serde(default)]
    pub welcome_messages: Vec<WelcomeMessage>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// A welcome message rule: which welcome message is the default. The newest rule wins.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WelcomeRule {
    pub id: WelcomeRuleId,
    #[serde(default)]
    pub created_timestamp: Option<String>,
    pub welcome_message_id: WelcomeMessageId,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WelcomeRulePage {
    #[serde(default)]
    pub welcome_message_rules: Vec<WelcomeRule>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// A custom profile (another name and avatar the account can send as).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomProfile {
    #[serde(deserialize_with = "de_profile_id")]
    pub id: CustomProfileId,
    #[serde(default)]
    pub created_timestamp: Option<String>,
    pub name: String,
    #[serde(default)]
    pub avatar: Option<CustomProfileAvatar>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomProfileAvatar {
    pub media: CustomProfileAvatarMedia,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomProfileAvatarMedia {
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomProfilePage {
    #[serde(default)]
    pub custom_profiles: Vec<CustomProfile>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// A registered webhook. `valid` is false after a failed CRC: Twitter has stopped delivering.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Webhook {
    pub id: WebhookId,
    pub url: String,
    pub valid: bool,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// The webhooks of one environment (from `account_activity/all/webhooks.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EnvironmentWebhooks {
    pub environment_name: String,
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Subscription {
    pub user_id: UserId,
}

/// `subscriptions/list.json`: the accounts subscribed in an environment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubscriptionList {
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub application_id: Option<String>,
    #[serde(default)]
    pub subscriptions: Vec<Subscription>,
}

/// `subscriptions/count.json`: subscriptions used across the app's environments (the sandbox
/// tier allows 15).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubscriptionCount {
    #[serde(default)]
    pub account_name: Option<String>,
    #[serde(deserialize_with = "de_count")]
    pub subscriptions_count_all: u64,
    #[serde(deserialize_with = "de_count", default)]
    pub subscriptions_count_direct_messages: u64,
}

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

/// Sign-in step 1's answer: a temporary token for the authorize URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestToken {
    pub token: TokenCredentials,
}

/// Sign-in step 4's answer: the account's long-lived tokens and who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: TokenCredentials,
    pub user_id: UserId,
    pub screen_name: String,
}

/// A user object (`account/verify_credentials`, `users/lookup`): the fields we use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    #[serde(rename = "id_str")]
    pub id: UserId,
    #[serde(default)]
    pub name: String,
    pub screen_name: String,
    #[serde(default)]
    pub profile_image_url_https: Option<String>,
    #[serde(default)]
    pub protected: bool,
}

/// The deep link that opens a conversation with `account` showing the chosen welcome message
/// (instead of the default one), for a website or a Tweet.
pub fn welcome_message_deep_link(account: &UserId, welcome: &WelcomeMessageId) -> String {
    format!(
        "https://twitter.com/messages/compose?recipient_id={}&welcome_message_id={}",
        account.as_str(),
        welcome.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_refuse_path_characters() {
        assert!(EnvName::new("prod").is_ok());
        assert!(EnvName::new("dev-env_2").is_ok());
        assert!(EnvName::new("").is_err());
        assert!(EnvName::new("a/b").is_err());
        assert!(EnvName::new("a b").is_err());
    }

    #[test]
    fn webhook_urls_must_be_https_unless_explicitly_local() {
        assert!(WebhookUrl::new("https://hooks.example/webhooks/twitter").is_ok());
        assert!(WebhookUrl::new("http://hooks.example/webhooks/twitter").is_err());
        assert!(WebhookUrl::new_allowing_http("http://127.0.0.1:9/webhooks/twitter").is_ok());
        assert!(WebhookUrl::new_allowing_http("ftp://x.example/").is_err());
        assert!(WebhookUrl::new("https://x.example/#frag").is_err());
    }

    #[test]
    fn page_size_is_one_to_fifty() {
        assert!(PageSize::new(0).is_err());
        assert!(PageSize::new(50).is_ok());
        assert!(PageSize::new(51).is_err());
    }

    #[test]
    fn media_categories_follow_the_mime_type() {
        assert_eq!(
            MediaCategory::for_media_type("image/png"),
            Some(MediaCategory::DmImage)
        );
        assert_eq!(
            MediaCategory::for_media_type("image/GIF"),
            Some(MediaCategory::DmGif)
        );
        assert_eq!(
            MediaCategory::for_media_type("video/mp4"),
            Some(MediaCategory::DmVideo)
        );
        assert_eq!(MediaCategory::for_media_type("text/plain"), None);
    }

    #[test]
    fn the_deep_link_names_the_account_and_the_welcome_message() {
        let link = welcome_message_deep_link(
            &UserId::parse("4337869213").unwrap(),
            &WelcomeMessageId::new("844385345234").unwrap(),
        );
        assert_eq!(
            link,
            "https://twitter.com/messages/compose?recipient_id=4337869213&welcome_message_id=844385345234"
        );
    }

    #[test]
    fn the_send_response_fixture_decodes_into_an_event_with_its_id() {
        #[derive(Deserialize)]
        struct Wrapper {
            event: DmEvent,
        }
        let w: Wrapper = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/send_dm_response.json"
        )))
        .unwrap();
        assert_eq!(w.event.id.as_str(), "1102330936183349252");
        let mc = w.event.message_create.unwrap();
        assert_eq!(mc.sender_id.as_str(), "4337869213");
        assert_eq!(mc.message_data.text, "What can we help you with?");
    }

    #[test]
    fn subscription_counts_are_read_from_strings_or_numbers() {
        let c: SubscriptionCount = serde_json::from_str(
            r#"{"account_name":"my-account","subscriptions_count_all":"3","subscriptions_count_direct_messages":2}"#,
        )
        .unwrap();
        assert_eq!(c.subscriptions_count_all, 3);
        assert_eq!(c.subscriptions_count_direct_messages, 2);
    }

    #[test]
    fn bearer_tokens_do_not_print() {
        assert_eq!(
            format!("{:?}", BearerToken::new("AAAA-secret")),
            "BearerToken(<redacted>)"
        );
    }
}
