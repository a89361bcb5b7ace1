//! The Twitter client against the fake Twitter: every endpoint, every error mapping, the retry
//! helper, the bearer token cache, chunked media upload and the sign-in round trip. The fake
//! verifies every OAuth signature with its own implementation, so a passing call here is also a
//! correctly signed call.

use std::sync::Arc;
use std::time::Duration;

use dmbot_shared::domain::{EventId, UserId};
use dmbot_shared::twitter::api_types::{
    BearerToken, Callback, EnvName, MediaCategory, PageSize, UploadedMedia, WebhookUrl,
    WelcomeMessageId, welcome_message_deep_link,
};
use dmbot_shared::twitter::client::{
    ClientConfig, Endpoint, MAX_CHUNK_BYTES, MediaUpload, TwitterClient, UploadOptions,
};
use dmbot_shared::twitter::errors::TwitterError;
use dmbot_shared::twitter::limits::{
    Button, Buttons, CustomProfileName, DirectMessage, MessageData, QuickReply, QuickReplyOption,
    WelcomeMessageData, WelcomeMessageName,
};
use dmbot_shared::twitter::oauth1::{ConsumerCredentials, Signer, TokenCredentials};
use dmbot_shared::twitter::retry::{ManualTimer, RetryPolicy, retry_with};
use dmbot_tests::fake_twitter::{AuthSeen, FakeTwitter, Fault, client, client_config, tokens};
use tokio::time::Instant;

fn consumer(fake: &FakeTwitter) -> ConsumerCredentials {
    ConsumerCredentials::new(&fake.app().consumer_key, &fake.app().consumer_secret)
}

fn env(fake: &FakeTwitter) -> EnvName {
    EnvName::new(&fake.app().env_name).unwrap()
}

fn customer() -> UserId {
    UserId::parse("3001969357").unwrap()
}

fn text_dm(text: &str) -> DirectMessage {
    DirectMessage::new(customer(), MessageData::text(text).unwrap())
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Uploads as the fake's owner, without watching the progress.
async fn upload_as_owner(
    fake: &FakeTwitter,
    client: &TwitterClient,
    upload: &MediaUpload<'_>,
    options: &UploadOptions,
) -> Result<UploadedMedia, TwitterError> {
    client
        .upload_media(&tokens(fake.owner()), upload, options, |_, _| {})
        .await
}

/// `bytes` as a DM image (`shared`: reusable across DMs) or a DM video (not shared).
fn dm_image(bytes: &[u8]) -> MediaUpload<'_> {
    MediaUpload {
        bytes,
        media_type: "image/png",
        category: MediaCategory::DmImage,
        shared: true,
    }
}

fn dm_video(bytes: &[u8]) -> MediaUpload<'_> {
    MediaUpload {
        bytes,
        media_type: "video/mp4",
        category: MediaCategory::DmVideo,
        shared: false,
    }
}

/// Upload options that poll a video's processing every few milliseconds.
fn quick_polls(chunk_size: usize) -> UploadOptions {
    UploadOptions {
        chunk_size,
        max_poll_interval: Duration::from_millis(5),
        ..UploadOptions::default()
    }
}

async fn upload_image(
    fake: &FakeTwitter,
    client: &TwitterClient,
) -> dmbot_shared::twitter::limits::MediaId {
    let bytes = vec![7u8; 2048];
    upload_as_owner(fake, client, &dm_image(&bytes), &UploadOptions::default())
        .await
        .unwrap()
        .media_id
}

/// Every request the fake saw was signed correctly (or used a valid bearer/basic credential).
fn assert_all_authenticated(fake: &FakeTwitter) {
    for r in fake.requests() {
        if let AuthSeen::OAuth { valid, .. } = r.auth {
            assert!(valid, "{} {} had a bad signature", r.method, r.path);
        }
    }
}

// --- Direct Messages -------------------------------------------------------------------------

#[tokio::test]
async fn sending_a_text_dm_returns_the_created_event_with_its_id() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let event = client
        .send_direct_message(&tokens(fake.owner()), &text_dm("Hello café ☃ & friends!"))
        .await
        .unwrap();
    let sent = fake.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["id"].as_str(), Some(event.id.as_str()));
    let mc = event.message_create.unwrap();
    assert_eq!(mc.sender_id.as_str(), fake.owner().user_id);
    assert_eq!(mc.target.recipient_id, customer());
    assert_eq!(mc.message_data.text, "Hello café ☃ & friends!");
    assert_eq!(mc.source_app_id.as_deref(), Some("13090192"));
    let request = &fake.requests_to("events/new.json")[0];
    assert_eq!(request.content_type.as_deref(), Some("application/json"));
    assert_all_authenticated(&fake);
}

#[tokio::test]
async fn a_dm_with_quick_replies_buttons_media_and_a_custom_profile_is_accepted() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let account = tokens(fake.owner());
    let media = upload_image(&fake, &client).await;
    let profile = client
        .create_custom_profile(
            &account,
            &CustomProfileName::new("Ada from Support").unwrap(),
            &media,
        )
        .await
        .unwrap();
    let options = (0..20)
        .map(|i| {
            QuickReplyOption::new(
                format!("Option {i}"),
                Some(format!("Description {i}")),
                Some(format!("meta_{i}")),
            )
            .unwrap()
        })
        .collect();
    let data = MessageData::text("Pick one")
        .unwrap()
        .with_quick_reply(QuickReply::new(options).unwrap())
        .with_buttons(
            Buttons::new(vec![
                Button::new("Track", "https://acme.example/track").unwrap(),
                Button::new("Help", "https://acme.example/help").unwrap(),
                Button::new("Shop", "https://acme.example/shop").unwrap(),
            ])
            .unwrap(),
        )
        .with_media(media.clone());
    let dm = DirectMessage::new(customer(), data).with_custom_profile(profile.id.clone());
    let event = client.send_direct_message(&account, &dm).await.unwrap();
    let mc = event.message_create.unwrap();
    assert_eq!(mc.custom_profile_id.as_deref(), Some(profile.id.as_str()));
    assert!(mc.message_data.attachment.is_some());
    let stored = &fake.sent_messages()[0];
    assert_eq!(
        stored
            .pointer("/message_create/message_data/quick_reply/options")
            .and_then(|o| o.as_array())
            .map(Vec::len),
        Some(20)
    );
    assert_all_authenticated(&fake);
}

#[tokio::test]
async fn dms_can_be_listed_by_page_shown_and_destroyed() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let account = tokens(fake.owner());
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            client
                .send_direct_message(&account, &text_dm(&format!("m{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let first = client
        .list_direct_messages(&account, Some(PageSize::new(2).unwrap()), None)
        .await
        .unwrap();
    assert_eq!(first.events.len(), 2);
    assert_eq!(first.events[0].id, ids[2], "newest first");
    let cursor = first.next_cursor.expect("a second page");
    let second = client
        .list_direct_messages(&account, Some(PageSize::new(2).unwrap()), Some(&cursor))
        .await
        .unwrap();
    assert_eq!(second.events.len(), 1);
    assert_eq!(second.events[0].id, ids[0]);
    assert_eq!(second.next_cursor, None);

    let shown = client.show_direct_message(&account, &ids[1]).await.unwrap();
    assert_eq!(shown.message_create.unwrap().message_data.text, "m1");
    client
        .destroy_direct_message(&account, &ids[1])
        .await
        .unwrap();
    let gone = client.show_direct_message(&account, &ids[1]).await;
    assert!(
        matches!(gone, Err(TwitterError::NotFound { .. })),
        "{gone:?}"
    );
}

#[tokio::test]
async fn typing_indicators_and_read_receipts_are_sent_as_signed_forms() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let account = tokens(fake.owner());
    client.indicate_typing(&account, &customer()).await.unwrap();
    client
        .mark_read(
            &account,
            &customer(),
            &EventId::parse("954491830116155396").unwrap(),
        )
        .await
        .unwrap();
    let owner = fake.owner().user_id.clone();
    assert_eq!(
        fake.typing_indicators(),
        vec![(owner.clone(), "3001969357".to_string())]
    );
    assert_eq!(
        fake.read_receipts(),
        vec![(
            owner,
            "3001969357".to_string(),
            "954491830116155396".to_string()
        )]
    );
    assert_eq!(
        fake.requests_to("mark_read")[0].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_all_authenticated(&fake);
}

// --- Media -----------------------------------------------------------------------------------

#[tokio::test]
async fn media_is_uploaded_in_chunks_with_progress_and_reassembled_exactly() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let bytes: Vec<u8> = (0..3500u32).map(|i| (i % 251) as u8).collect();
    let mut progress = Vec::new();
    let uploaded = client
        .upload_media(
            &tokens(fake.owner()),
            &MediaUpload {
                bytes: &bytes,
                media_type: "image/jpeg",
                category: MediaCategory::DmImage,
                shared: true,
            },
            &UploadOptions {
                chunk_size: 1000,
                ..UploadOptions::default()
            },
            |sent, total| progress.push((sent, total)),
        )
        .await
        .unwrap();
    assert_eq!(
        progress,
        vec![(1000, 3500), (2000, 3500), (3000, 3500), (3500, 3500)]
    );
    let upload = fake.upload(uploaded.media_id.as_str()).unwrap();
    assert_eq!(upload.data.as_deref(), Some(bytes.as_slice()));
    assert_eq!(upload.category, "dm_image");
    assert!(upload.shared);
    assert_eq!(upload.status_polls, 0, "images need no processing");
    let appends = fake.requests_to("media/upload.json");
    let appends: Vec<_> = appends
        .iter()
        .filter(|r| r.query_value("command") == Some("APPEND"))
        .collect();
    assert_eq!(appends.len(), 4);
    assert_eq!(appends[3].query_value("segment_index"), Some("3"));
    assert!(
        appends[0]
            .content_type
            .as_deref()
            .unwrap()
            .starts_with("multipart/form-data")
    );
    assert_eq!(uploaded.expires_after_secs, Some(86400));
    assert_all_authenticated(&fake);
}

#[tokio::test]
async fn a_video_upload_polls_status_until_processing_succeeds() {
    let fake = FakeTwitter::start().await;
    fake.set_video_processing(2, false);
    let client = client(&fake);
    let bytes = vec![1u8; 4096];
    let uploaded = upload_as_owner(&fake, &client, &dm_video(&bytes), &quick_polls(4096))
        .await
        .unwrap();
    let upload = fake.upload(uploaded.media_id.as_str()).unwrap();
    assert_eq!(upload.status_polls, 2);
    assert_eq!(upload.category, "dm_video");
}

#[tokio::test]
async fn a_video_whose_processing_fails_is_a_media_processing_error() {
    let fake = FakeTwitter::start().await;
    fake.set_video_processing(1, true);
    let client = client(&fake);
    let bytes = vec![1u8; 100];
    let result = upload_as_owner(&fake, &client, &dm_video(&bytes), &quick_polls(4096)).await;
    let Err(TwitterError::MediaProcessing { reason, .. }) = result else {
        panic!("{result:?}");
    };
    assert!(reason.contains("Unsupported video format"), "{reason}");
}

#[tokio::test]
async fn chunks_over_five_megabytes_and_oversized_media_are_refused_before_any_request() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let bytes = vec![0u8; 10];
    let too_big_chunk = UploadOptions {
        chunk_size: MAX_CHUNK_BYTES + 1,
        ..UploadOptions::default()
    };
    let result = upload_as_owner(&fake, &client, &dm_image(&bytes), &too_big_chunk).await;
    assert!(
        matches!(result, Err(TwitterError::InvalidRequest { .. })),
        "{result:?}"
    );
    let huge = vec![0u8; 5 * 1024 * 1024 + 1];
    let result = upload_as_owner(&fake, &client, &dm_image(&huge), &UploadOptions::default()).await;
    assert!(
        matches!(result, Err(TwitterError::InvalidRequest { .. })),
        "{result:?}"
    );
    assert!(fake.requests().is_empty());
}

// --- Welcome messages ------------------------------------------------------------------------

fn welcome_data(text: &str) -> WelcomeMessageData {
    WelcomeMessageData::new(MessageData::text(text).unwrap()).unwrap()
}

#[tokio::test]
async fn welcome_messages_can_be_created_shown_updated_listed_and_destroyed() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let account = tokens(fake.owner());
    let name = WelcomeMessageName::new("spring campaign").unwrap();
    let created = client
        .create_welcome_message(&account, Some(&name), &welcome_data("Hi! How can we help?"))
        .await
        .unwrap();
    assert_eq!(created.name.as_deref(), Some("spring campaign"));
    assert_eq!(created.message_data.text, "Hi! How can we help?");

    let updated = client
        .update_welcome_message(&account, &created.id, &welcome_data("Hello again"))
        .await
        .unwrap();
    assert_eq!(updated.message_data.text, "Hello again");
    let shown = client
        .show_welcome_message(&account, &created.id)
        .await
        .unwrap();
    assert_eq!(shown.message_data.text, "Hello again");
    assert_eq!(shown.name.as_deref(), Some("spring campaign"));

    for i in 0..2 {
        client
            .create_welcome_message(&account, None, &welcome_data(&format!("w{i}")))
            .await
            .unwrap();
    }
    let page = client
        .list_welcome_messages(&account, Some(PageSize::new(2).unwrap()), None)
        .await
        .unwrap();
    assert_eq!(page.welcome_messages.len(), 2);
    let rest = client
        .list_welcome_messages(
            &account,
            Some(PageSize::new(2).unwrap()),
            page.next_cursor.as_deref(),
        )
        .await
        .unwrap();
    assert_eq!(rest.welcome_messages.len(), 1);
    assert_eq!(
        rest.welcome_messages[0].name.as_deref(),
        Some("spring campaign")
    );
    let all = client.list_all_welcome_messages(&account).await.unwrap();
    assert_eq!(all.len(), 3);

    client
        .destroy_welcome_message(&account, &created.id)
        .await
        .unwrap();
    assert_eq!(fake.welcome_message_ids().len(), 2);
    let gone = client.show_welcome_message(&account, &created.id).await;
    assert!(
        matches!(gone, Err(TwitterError::NotFound { .. })),
        "{gone:?}"
    );
    assert_all_authenticated(&fake);
}

#[tokio::test]
async fn welcome_rules_can_be_created_listed_shown_and_destroyed() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let account = tokens(fake.owner());
    let welcome = client
        .create_welcome_message(&account, None, &welcome_data("Welcome!"))
        .await
        .unwrap();
    let rule = client
        .create_welcome_rule(&account, &welcome.id)
        .await
        .unwrap();
    assert_eq!(rule.welcome_message_id, welcome.id);
    let rules = client
        .list_welcome_rules(&account, None, None)
        .await
        .unwrap();
    assert_eq!(rules.welcome_message_rules, vec![rule.clone()]);
    assert_eq!(
        client.show_welcome_rule(&account, &rule.id).await.unwrap(),
        rule
    );
    client
        .destroy_welcome_rule(&account, &rule.id)
        .await
        .unwrap();
    let rules = client
        .list_welcome_rules(&account, None, None)
        .await
        .unwrap();
    assert!(rules.welcome_message_rules.is_empty());

    let missing = client
        .create_welcome_rule(&account, &WelcomeMessageId::new("1").unwrap())
        .await;
    assert!(
        matches!(missing, Err(TwitterError::NotFound { .. })),
        "{missing:?}"
    );
}

#[test]
fn the_welcome_deep_link_opens_a_conversation_on_that_welcome_message() {
    let link = welcome_message_deep_link(
        &UserId::parse("4337869213").unwrap(),
        &WelcomeMessageId::new("99").unwrap(),
    );
    assert_eq!(
        link,
        "https://twitter.com/messages/compose?recipient_id=4337869213&welcome_message_id=99"
    );
}

// --- Custom profiles -------------------------------------------------------------------------

#[tokio::test]
async fn custom_profiles_can_be_created_shown_listed_and_destroyed() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let account = tokens(fake.owner());
    let avatar = upload_image(&fake, &client).await;
    let name = CustomProfileName::new("Jordan (Support)").unwrap();
    let profile = client
        .create_custom_profile(&account, &name, &avatar)
        .await
        .unwrap();
    assert_eq!(profile.name, "Jordan (Support)");
    assert!(profile.avatar.and_then(|a| a.media.url).is_some());
    let shown = client
        .show_custom_profile(&account, &profile.id)
        .await
        .unwrap();
    assert_eq!(shown.id, profile.id);
    let list = client
        .list_custom_profiles(&account, None, None)
        .await
        .unwrap();
    assert_eq!(list.custom_profiles.len(), 1);
    client
        .destroy_custom_profile(&account, &profile.id)
        .await
        .unwrap();
    assert!(fake.custom_profile_ids().is_empty());
    assert_all_authenticated(&fake);
}

// --- Account Activity ------------------------------------------------------------------------

#[tokio::test]
async fn the_webhook_and_subscription_lifecycle_uses_the_right_auth_for_each_call() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let owner = tokens(fake.owner());
    let env = env(&fake);
    let url = WebhookUrl::new("https://hooks.acme.example/webhooks/twitter").unwrap();

    let hook = client.register_webhook(&owner, &env, &url).await.unwrap();
    assert!(hook.valid);
    assert_eq!(hook.url, url.as_str());
    let register = &fake.requests_to("/webhooks.json")[0];
    assert_eq!(register.query_value("url"), Some(url.as_str()));
    assert!(matches!(register.auth, AuthSeen::OAuth { valid: true, .. }));

    let listed = client.list_webhooks(&env).await.unwrap();
    assert_eq!(listed, vec![hook.clone()]);
    let all = client.list_all_webhooks().await.unwrap();
    assert_eq!(all[0].environment_name, "dev");
    assert_eq!(all[0].webhooks, vec![hook.clone()]);
    assert!(matches!(
        fake.requests_to("account_activity/all/webhooks.json")[0].auth,
        AuthSeen::Bearer { .. }
    ));
    client.trigger_crc(&owner, &env, &hook.id).await.unwrap();

    let customer_account = fake.add_account("acme_support");
    let account = tokens(&customer_account);
    assert!(!client.is_subscribed(&account, &env).await.unwrap());
    client.subscribe(&account, &env).await.unwrap();
    assert!(client.is_subscribed(&account, &env).await.unwrap());
    assert_eq!(fake.subscriptions(), vec![customer_account.user_id.clone()]);
    let subscribe = fake
        .requests_to("subscriptions.json")
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(
        subscribe.auth,
        AuthSeen::OAuth {
            token: Some(customer_account.token.clone()),
            valid: true
        },
        "subscribing is done as the account itself"
    );

    let list = client.list_subscriptions(&env).await.unwrap();
    assert_eq!(list.subscriptions.len(), 1);
    assert_eq!(
        list.subscriptions[0].user_id.as_str(),
        customer_account.user_id
    );
    assert_eq!(
        client
            .count_subscriptions()
            .await
            .unwrap()
            .subscriptions_count_all,
        1
    );
    client
        .unsubscribe(&env, &UserId::parse(&customer_account.user_id).unwrap())
        .await
        .unwrap();
    assert!(fake.subscriptions().is_empty());
    client.delete_webhook(&owner, &env, &hook.id).await.unwrap();
    assert!(fake.webhooks().is_empty());
    assert_eq!(
        fake.bearer_tokens_issued(),
        1,
        "the bearer token is fetched once and cached"
    );
    assert_all_authenticated(&fake);
}

#[tokio::test]
async fn registering_runs_the_crc_and_a_wrong_answer_is_a_crc_failure_with_twitters_message() {
    let fake = FakeTwitter::start().await;
    fake.set_crc_check(true);
    let client = client(&fake);
    let owner = tokens(fake.owner());
    let env = env(&fake);
    let wrong = WebhookUrl::new_allowing_http(&fake.crc_wrong_url()).unwrap();
    let err = client
        .register_webhook(&owner, &env, &wrong)
        .await
        .unwrap_err();
    let TwitterError::CrcFailed { message } = &err else {
        panic!("{err:?}");
    };
    assert!(message.contains("Invalid CRC token"), "{message}");
    assert!(err.to_string().contains("dmbot webhook validate"));

    let right = WebhookUrl::new_allowing_http(&fake.crc_ok_url()).unwrap();
    let hook = client.register_webhook(&owner, &env, &right).await.unwrap();
    client.trigger_crc(&owner, &env, &hook.id).await.unwrap();
    let crc_gets = fake
        .requests_to("/_fake/webhook")
        .into_iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(
        crc_gets, 3,
        "one CRC per registration attempt and one for the re-validation"
    );
}

#[tokio::test]
async fn the_subscription_count_falls_back_to_the_older_path() {
    let fake = FakeTwitter::start().await;
    fake.add_subscription("3001969357");
    fake.fail_next(
        "subscriptions/count.json",
        1,
        Fault::Error {
            status: 404,
            code: 34,
            message: "Sorry, that page does not exist.".into(),
        },
    );
    let count = client(&fake).count_subscriptions().await.unwrap();
    assert_eq!(count.subscriptions_count_all, 1);
    assert_eq!(fake.requests_to("account_activity/all/count.json").len(), 1);
}

// --- Sign-in and users -----------------------------------------------------------------------

#[tokio::test]
async fn sign_in_exchanges_a_request_token_and_verifier_for_the_accounts_tokens() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let person = fake.add_account("new_business");
    let request = client
        .request_token(&Callback::Url(
            url::Url::parse("https://bot.example/auth/callback").unwrap(),
        ))
        .await
        .unwrap();
    let authorize = client.authorize_url(&request, true).unwrap();
    assert_eq!(authorize.path(), "/oauth/authorize");
    assert!(
        authorize
            .query()
            .unwrap()
            .contains(&format!("oauth_token={}", request.token.token()))
    );
    assert!(authorize.query().unwrap().contains("force_login=true"));
    let authenticate = client.authenticate_url(&request, false).unwrap();
    assert_eq!(authenticate.path(), "/oauth/authenticate");
    assert!(!authenticate.as_str().contains("force_login"));

    let verifier = fake.approve(request.token.token(), &person).unwrap();
    let access = client
        .access_token(&request.token, &verifier)
        .await
        .unwrap();
    assert_eq!(access.token, tokens(&person));
    assert_eq!(access.user_id.as_str(), person.user_id);
    assert_eq!(access.screen_name, "new_business");

    let me = client.verify_credentials(&access.token).await.unwrap();
    assert_eq!(me.screen_name, "new_business");
    assert_all_authenticated(&fake);
}

#[tokio::test]
async fn the_pin_flow_uses_oob_and_a_wrong_verifier_is_refused() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let request = client.request_token(&Callback::OutOfBand).await.unwrap();
    let header_had_oob = fake.requests_to("request_token")[0].status == 200;
    assert!(header_had_oob);
    fake.approve(request.token.token(), fake.owner()).unwrap();
    let err = client
        .access_token(&request.token, "not-the-pin")
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::BadCredentials { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unconfirmed_callback_stops_the_sign_in() {
    let fake = FakeTwitter::start().await;
    fake.set_callback_confirmed(false);
    let err = client(&fake)
        .request_token(&Callback::OutOfBand)
        .await
        .unwrap_err();
    assert_eq!(err, TwitterError::CallbackNotConfirmed);
}

#[tokio::test]
async fn users_can_be_looked_up_by_id() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let other = fake.add_account("someone");
    let users = client
        .lookup_users(
            &tokens(fake.owner()),
            &[
                UserId::parse(&fake.owner().user_id).unwrap(),
                UserId::parse(&other.user_id).unwrap(),
                UserId::parse("1").unwrap(),
            ],
        )
        .await
        .unwrap();
    let mut names: Vec<_> = users.iter().map(|u| u.screen_name.as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["fake_owner", "someone"]);
    assert_eq!(
        fake.requests_to("users/lookup")[0]
            .query_value("user_id")
            .map(|v| v.split(',').count()),
        Some(3)
    );
}

// --- Error mapping ---------------------------------------------------------------------------

#[tokio::test]
async fn a_wrong_consumer_secret_is_refused_with_code_32_as_bad_credentials() {
    let fake = FakeTwitter::start().await;
    let config = ClientConfig::new(ConsumerCredentials::new(&fake.app().consumer_key, "wrong"))
        .with_base(fake.base_url())
        .unwrap();
    let client = TwitterClient::new(config).unwrap();
    let err = client
        .send_direct_message(&tokens(fake.owner()), &text_dm("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::BadCredentials { code: 32, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("clock"));
    assert!(fake.sent_messages().is_empty());
}

#[tokio::test]
async fn a_skewed_clock_is_refused_as_bad_credentials() {
    let fake = FakeTwitter::start().await;
    let skewed = Signer::with_sources(
        consumer(&fake),
        Arc::new(|| now_unix() - 3600),
        Arc::new(|| "fixed-nonce-for-skew".to_string()),
    );
    let client = TwitterClient::with_parts(client_config(&fake), reqwest::Client::new(), skewed);
    let err = client
        .verify_credentials(&tokens(fake.owner()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::BadCredentials { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unknown_user_token_is_bad_credentials() {
    let fake = FakeTwitter::start().await;
    let err = client(&fake)
        .verify_credentials(&TokenCredentials::new("1-unknown", "secret"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::BadCredentials { code: 89, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_429_is_rate_limited_with_the_reset_time_and_the_headers_are_remembered() {
    let fake = FakeTwitter::start().await;
    let reset = now_unix() + 600;
    fake.fail_next("events/new.json", 1, Fault::RateLimited { reset_at: reset });
    let client = client(&fake);
    let err = client
        .send_direct_message(&tokens(fake.owner()), &text_dm("x"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TwitterError::RateLimited {
            endpoint: Endpoint::SendDirectMessage.name().into(),
            reset_at: Some(reset),
            limit: Some(15),
            remaining: Some(0),
        }
    );
    let remembered = client.rate_limit(Endpoint::SendDirectMessage).unwrap();
    assert!(remembered.is_exhausted());
    assert_eq!(remembered.reset_at, Some(reset));
}

#[tokio::test]
async fn code_88_is_rate_limited_whatever_the_status() {
    let fake = FakeTwitter::start().await;
    fake.fail_next(
        "verify_credentials",
        1,
        Fault::Error {
            status: 420,
            code: 88,
            message: "Rate limit exceeded".into(),
        },
    );
    let err = client(&fake)
        .verify_credentials(&tokens(fake.owner()))
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
}

#[tokio::test]
async fn every_response_updates_the_rate_limit_bookkeeping() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    assert_eq!(client.rate_limit(Endpoint::RegisterWebhook), None);
    let url = WebhookUrl::new("https://hooks.acme.example/t").unwrap();
    client
        .register_webhook(&tokens(fake.owner()), &env(&fake), &url)
        .await
        .unwrap();
    let rate = client.rate_limit(Endpoint::RegisterWebhook).unwrap();
    assert_eq!(rate.limit, Some(15));
    assert_eq!(rate.remaining, Some(14));
    assert!(rate.reset_at.unwrap() > now_unix());
    assert_eq!(client.rate_limits().len(), 1);
}

#[tokio::test]
async fn subscribing_without_a_webhook_is_no_webhook() {
    let fake = FakeTwitter::start().await;
    let err = client(&fake)
        .subscribe(&tokens(fake.owner()), &env(&fake))
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::NoWebhook { .. }), "{err:?}");
    assert!(err.to_string().contains("dmbot webhook register"));
}

#[tokio::test]
async fn a_wrongly_cased_environment_is_forbidden() {
    let fake = FakeTwitter::start().await;
    let err = client(&fake)
        .subscribe(&tokens(fake.owner()), &EnvName::new("Dev").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::Forbidden { .. }), "{err:?}");
    assert!(err.to_string().contains("case-sensitive"));
}

#[tokio::test]
async fn registering_a_webhook_as_another_account_is_forbidden() {
    let fake = FakeTwitter::start().await;
    let other = fake.add_account("not_the_owner");
    let url = WebhookUrl::new("https://hooks.acme.example/t").unwrap();
    let err = client(&fake)
        .register_webhook(&tokens(&other), &env(&fake), &url)
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::Forbidden { .. }), "{err:?}");
}

#[tokio::test]
async fn a_server_error_is_transient() {
    let fake = FakeTwitter::start().await;
    fake.fail_next("events/new.json", 1, Fault::Status(503));
    let err = client(&fake)
        .send_direct_message(&tokens(fake.owner()), &text_dm("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TwitterError::Transient {
                status: Some(503),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_request_slower_than_the_timeout_is_transient() {
    let fake = FakeTwitter::start().await;
    fake.fail_next(
        "verify_credentials",
        1,
        Fault::Delay(Duration::from_secs(5)),
    );
    let client =
        TwitterClient::new(client_config(&fake).with_timeout(Duration::from_millis(200))).unwrap();
    let err = client
        .verify_credentials(&tokens(fake.owner()))
        .await
        .unwrap_err();
    let TwitterError::Transient {
        status: None,
        reason,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert!(reason.contains("timeout"), "{reason}");
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = TwitterClient::new(
        ClientConfig::new(ConsumerCredentials::new("k", "s"))
            .with_base(&base)
            .unwrap(),
    )
    .unwrap();
    let err = client
        .verify_credentials(&TokenCredentials::new("t", "s"))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
}

#[tokio::test]
async fn other_client_errors_are_permanent_with_twitters_code_and_message() {
    let fake = FakeTwitter::start().await;
    fake.fail_next(
        "events/new.json",
        1,
        Fault::Error {
            status: 403,
            code: 349,
            message: "You cannot send messages to this user.".into(),
        },
    );
    let err = client(&fake)
        .send_direct_message(&tokens(fake.owner()), &text_dm("x"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TwitterError::Permanent {
            endpoint: Endpoint::SendDirectMessage.name().into(),
            status: 403,
            code: Some(349),
            message: "You cannot send messages to this user.".into(),
        }
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn code_214_on_a_dm_is_a_bad_request_not_a_crc_failure() {
    let fake = FakeTwitter::start().await;
    fake.fail_next(
        "events/new.json",
        1,
        Fault::Error {
            status: 400,
            code: 214,
            message: "event.message_create.target: recipient_id not found.".into(),
        },
    );
    let err = client(&fake)
        .send_direct_message(&tokens(fake.owner()), &text_dm("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TwitterError::Permanent {
                code: Some(214),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_missing_dm_is_not_found() {
    let fake = FakeTwitter::start().await;
    let err = client(&fake)
        .show_direct_message(&tokens(fake.owner()), &EventId::parse("1").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TwitterError::NotFound { .. }), "{err:?}");
    assert_eq!(err.code(), Some(34));
}

// --- Retry -----------------------------------------------------------------------------------

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        ..RetryPolicy::default()
    }
}

#[tokio::test]
async fn retry_waits_for_the_rate_limit_reset_then_succeeds() {
    let fake = FakeTwitter::start().await;
    let now = now_unix();
    fake.fail_next(
        "events/new.json",
        1,
        Fault::RateLimited { reset_at: now + 30 },
    );
    let client = client(&fake);
    let (account, dm) = (tokens(fake.owner()), text_dm("after the window"));
    let timer = ManualTimer::new(now);
    let event = retry_with(
        &fast_policy(),
        &timer,
        Instant::now() + Duration::from_secs(120),
        || client.send_direct_message(&account, &dm),
    )
    .await
    .unwrap();
    assert_eq!(
        fake.sent_messages()[0]["id"].as_str(),
        Some(event.id.as_str())
    );
    assert_eq!(
        timer.sleeps(),
        vec![Duration::from_secs(31)],
        "reset plus a one-second margin"
    );
    assert_eq!(fake.requests_to("events/new.json").len(), 2);
}

#[tokio::test]
async fn retry_backs_off_on_server_errors_then_succeeds() {
    let fake = FakeTwitter::start().await;
    fake.fail_next("events/new.json", 2, Fault::Status(503));
    let client = client(&fake);
    let (account, dm) = (tokens(fake.owner()), text_dm("eventually"));
    let timer = ManualTimer::new(now_unix());
    let result = retry_with(
        &fast_policy(),
        &timer,
        Instant::now() + Duration::from_secs(60),
        || client.send_direct_message(&account, &dm),
    )
    .await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(timer.sleeps().len(), 2);
    assert_eq!(
        fake.sent_messages().len(),
        1,
        "exactly one message was stored"
    );
}

#[tokio::test]
async fn retry_gives_up_when_the_reset_is_past_the_deadline() {
    let fake = FakeTwitter::start().await;
    let now = now_unix();
    fake.fail_next(
        "events/new.json",
        5,
        Fault::RateLimited {
            reset_at: now + 900,
        },
    );
    let client = client(&fake);
    let (account, dm) = (tokens(fake.owner()), text_dm("too late"));
    let timer = ManualTimer::new(now);
    let err = retry_with(
        &fast_policy(),
        &timer,
        Instant::now() + Duration::from_secs(60),
        || client.send_direct_message(&account, &dm),
    )
    .await
    .unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
    assert!(timer.sleeps().is_empty());
    assert_eq!(fake.requests_to("events/new.json").len(), 1);
}

#[tokio::test]
async fn retry_does_not_repeat_a_permanent_error() {
    let fake = FakeTwitter::start().await;
    fake.fail_next(
        "events/new.json",
        1,
        Fault::Error {
            status: 400,
            code: 44,
            message: "bad".into(),
        },
    );
    let client = client(&fake);
    let (account, dm) = (tokens(fake.owner()), text_dm("x"));
    let timer = ManualTimer::new(now_unix());
    let err = retry_with(
        &fast_policy(),
        &timer,
        Instant::now() + Duration::from_secs(60),
        || client.send_direct_message(&account, &dm),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, TwitterError::Permanent { .. }));
    assert_eq!(fake.requests_to("events/new.json").len(), 1);
}

// --- Bearer token ----------------------------------------------------------------------------

#[tokio::test]
async fn the_bearer_token_is_fetched_once_cached_and_replaced_after_a_401() {
    let fake = FakeTwitter::start().await;
    let client = client(&fake);
    let env = env(&fake);
    client.list_webhooks(&env).await.unwrap();
    client.list_subscriptions(&env).await.unwrap();
    assert_eq!(fake.bearer_tokens_issued(), 1);
    assert_eq!(fake.requests_to("oauth2/token").len(), 1);
    let token_request = &fake.requests_to("oauth2/token")[0];
    assert_eq!(token_request.auth, AuthSeen::Basic);

    fake.invalidate_bearer();
    client.list_webhooks(&env).await.unwrap();
    assert_eq!(fake.bearer_tokens_issued(), 2, "a new token after the 401");
    let refused: Vec<_> = fake
        .requests_to("webhooks.json")
        .into_iter()
        .filter(|r| r.status == 401)
        .collect();
    assert_eq!(refused.len(), 1);
    client.list_webhooks(&env).await.unwrap();
    assert_eq!(
        fake.requests_to("oauth2/token").len(),
        2,
        "the new token is cached"
    );
}

#[tokio::test]
async fn a_configured_bearer_token_that_is_refused_is_dropped_and_refetched() {
    let fake = FakeTwitter::start().await;
    let mut config = client_config(&fake);
    config.bearer_token = Some(BearerToken::new("stale-token"));
    let client = TwitterClient::new(config).unwrap();
    client.list_webhooks(&env(&fake)).await.unwrap();
    assert_eq!(fake.bearer_tokens_issued(), 1);
}

#[tokio::test]
async fn wrong_consumer_credentials_cannot_get_a_bearer_token() {
    let fake = FakeTwitter::start().await;
    let config = ClientConfig::new(ConsumerCredentials::new(&fake.app().consumer_key, "wrong"))
        .with_base(fake.base_url())
        .unwrap();
    let err = TwitterClient::new(config)
        .unwrap()
        .list_webhooks(&env(&fake))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TwitterError::Permanent {
                status: 403,
                code: Some(99),
                ..
            }
        ),
        "{err:?}"
    );
}

// --- The fake itself -------------------------------------------------------------------------

#[tokio::test]
async fn the_fake_refuses_bodies_beyond_twitters_limits_and_unsigned_requests() {
    let fake = FakeTwitter::start().await;
    let url = url::Url::parse(&format!(
        "{}/1.1/direct_messages/events/new.json",
        fake.base_url()
    ))
    .unwrap();
    let options: Vec<_> = (0..21)
        .map(|i| serde_json::json!({"label": format!("o{i}")}))
        .collect();
    let body = serde_json::json!({"event":{"type":"message_create","message_create":{
        "target":{"recipient_id":"3001969357"},
        "message_data":{"text":"x","quick_reply":{"type":"options","options":options}}}}});
    let signer = Signer::new(consumer(&fake));
    let auth = signer.authorization(
        &dmbot_shared::twitter::oauth1::SignatureRequest {
            method: "POST",
            url: &url,
            form: &[],
            extra_oauth: &[],
        },
        Some(&tokens(fake.owner())),
    );
    let http = reqwest::Client::new();
    let response = http
        .post(url.clone())
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["errors"][0]["code"], 214);
    assert!(
        error["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1 to 20")
    );

    let unsigned = http.post(url).body("{}").send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 400);
    assert!(fake.sent_messages().is_empty());
}

#[tokio::test]
async fn the_fake_refuses_a_replayed_nonce() {
    let fake = FakeTwitter::start().await;
    let now = now_unix();
    let fixed = Signer::with_sources(
        consumer(&fake),
        Arc::new(move || now),
        Arc::new(|| "same-nonce-every-time".to_string()),
    );
    let client = TwitterClient::with_parts(client_config(&fake), reqwest::Client::new(), fixed);
    let account = tokens(fake.owner());
    client.verify_credentials(&account).await.unwrap();
    let replay = client.verify_credentials(&account).await.unwrap_err();
    assert!(
        matches!(replay, TwitterError::BadCredentials { .. }),
        "{replay:?}"
    );
}
