//! Helpers shared by the client tests: credentials, sample messages and media, upload options.

pub(crate) use std::sync::Arc;
pub(crate) use std::time::Duration;

pub(crate) use dmbot_shared::domain::{EventId, UserId};
pub(crate) use dmbot_shared::twitter::api_types::{
    BearerToken, Callback, EnvName, MediaCategory, PageSize, UploadedMedia, WebhookUrl,
    WelcomeMessageId, welcome_message_deep_link,
};
pub(crate) use dmbot_shared::twitter::client::{
    ClientConfig, Endpoint, MAX_CHUNK_BYTES, MediaUpload, TwitterClient, UploadOptions,
};
pub(crate) use dmbot_shared::twitter::errors::TwitterError;
pub(crate) use dmbot_shared::twitter::limits::{
    Button, Buttons, CustomProfileName, DirectMessage, MessageData, QuickReply, QuickReplyOption,
    WelcomeMessageData, WelcomeMessageName,
};
pub(crate) use dmbot_shared::twitter::oauth1::{ConsumerCredentials, Signer, TokenCredentials};
pub(crate) use dmbot_shared::twitter::retry::{ManualTimer, RetryPolicy, retry_with};
pub(crate) use dmbot_tests::simulator::{
    AuthSeen, Fault, TwitterApi, client, client_config, tokens,
};
pub(crate) use tokio::time::Instant;

pub(crate) fn consumer(fake: &TwitterApi) -> ConsumerCredentials {
    ConsumerCredentials::new(&fake.app().consumer_key, &fake.app().consumer_secret)
}

pub(crate) fn env(fake: &TwitterApi) -> EnvName {
    EnvName::new(&fake.app().env_name).unwrap()
}

pub(crate) fn customer() -> UserId {
    UserId::parse("3001969357").unwrap()
}

pub(crate) fn text_dm(text: &str) -> DirectMessage {
    DirectMessage::new(customer(), MessageData::text(text).unwrap())
}

pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Uploads as the fake's owner, without watching the progress.
pub(crate) async fn upload_as_owner(
    fake: &TwitterApi,
    client: &TwitterClient,
    upload: &MediaUpload<'_>,
    options: &UploadOptions,
) -> Result<UploadedMedia, TwitterError> {
    client
        .upload_media(&tokens(fake.owner()), upload, options, |_, _| {})
        .await
}

/// `bytes` as a DM image (`shared`: reusable across DMs) or a DM video (not shared).
pub(crate) fn dm_image(bytes: &[u8]) -> MediaUpload<'_> {
    MediaUpload {
        bytes,
        media_type: "image/png",
        category: MediaCategory::DmImage,
        shared: true,
    }
}

pub(crate) fn dm_video(bytes: &[u8]) -> MediaUpload<'_> {
    MediaUpload {
        bytes,
        media_type: "video/mp4",
        category: MediaCategory::DmVideo,
        shared: false,
    }
}

/// Upload options that poll a video's processing every few milliseconds.
pub(crate) fn quick_polls(chunk_size: usize) -> UploadOptions {
    UploadOptions {
        chunk_size,
        max_poll_interval: Duration::from_millis(5),
        ..UploadOptions::default()
    }
}

pub(crate) async fn upload_image(
    fake: &TwitterApi,
    client: &TwitterClient,
) -> dmbot_shared::twitter::limits::MediaId {
    let bytes = vec![7u8; 2048];
    upload_as_owner(fake, client, &dm_image(&bytes), &UploadOptions::default())
        .await
        .unwrap()
        .media_id
}

/// Every request the fake saw was signed correctly (or used a valid bearer/basic credential).
pub(crate) fn assert_all_authenticated(fake: &TwitterApi) {
    for r in fake.requests() {
        if let AuthSeen::OAuth { valid, .. } = r.auth {
            assert!(valid, "{} {} had a bad signature", r.method, r.path);
        }
    }
}
