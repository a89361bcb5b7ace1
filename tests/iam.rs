//! IAM matches the code: every function's real code paths run with the permissions
//! `template.yaml` gives its role, enforced by a policy engine: moto with the evaluation of
//! `tests/iam/moto_iam.py` (actions, resource ARNs and `dynamodb:LeadingKeys` conditions; that
//! file says exactly what is and is not enforced). A call the role does not allow fails the
//! test, and the tests also check a few things each role must NOT be able to do (the webhook
//! reading tokens or the full secret, scanning).
//!
//! Paths covered: webhook (a customer message, a person answering from the account, the
//! delivery health record, a revoke), the asynchronous removal of a revoked account's data
//! (watchdog), the watchdog's and crc's health records, dispatch end to end (connected
//! account, stored flow, media upload, send, outbox, state, status) against the fake Twitter,
//! sign-in end to end (an operator's invite, start, callback that consumes the invite, account
//! record), and each function's secret fetch. Not covered: what the Lambda service does for the
//! functions (stream reads, the dead-letter queue, logs), and sign-in giving an invite back when
//! storing the account fails (a `PutItem` on `INVITE#`, granted and exempted below).
//!
//! The enforcing moto is a process of its own (`dmbot_tests::iam`), so the other suites keep
//! their unauthenticated moto. Its log names every allowed and denied request per role.

use std::time::{Duration, Instant};

use bytes::Bytes;
use dmbot_shared::dispatch::{DispatchConfig, Dispatcher, FlowSource, Handled};
use dmbot_shared::domain::{
    ConversationKey, EventId, InboundMessage, InboundRecord, InboundStatus, UserId, now_ms,
};
use dmbot_shared::flow::Flow;
use dmbot_shared::forget;
use dmbot_shared::ingest::{HeaderText, Request, WebhookDeps, handle_webhook_post};
use dmbot_shared::invite::InviteToken;
use dmbot_shared::secrets::fetch_secret_document;
use dmbot_shared::signin::{SigninDeps, handle_request};
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::store::health::{Health, WatchdogOutcome, WatchdogRun};
use dmbot_shared::store::invites::{InviteRecord, Invites};
use dmbot_shared::store::{
    AccountRecord, AccountTokens, Accounts, Conversations, FlowRecord, Flows, Inbox, MediaCache,
    MediaRef, Revocations,
};
use dmbot_shared::twitter::oauth1::TokenCredentials;
use dmbot_shared::twitter::webhook::{SIGNATURE_HEADER, WebhookSecret};
use dmbot_tests::fake_twitter::{FakeTwitter, client};
use dmbot_tests::iam::{CONSUMER_SECRET, IamMoto};
use dmbot_tests::signin::signin_deps;

#[path = "iam/dispatch_recovery.rs"]
mod dispatch_recovery;

const CRC: &str = "CrcFunction";
const WEBHOOK: &str = "WebhookFunction";
const DISPATCH: &str = "DispatchFunction";
const SIGNIN: &str = "SigninFunction";
const WATCHDOG: &str = "WatchdogFunction";

/// The secret crc and webhook read (the consumer secret alone), and the full one.
const WEBHOOK_SECRET: &str = "TwitterWebhookSecretArn";
const FULL_SECRET: &str = "TwitterSecretArn";

/// Asserts that `result` failed because IAM refused it.
fn assert_denied<T: std::fmt::Debug, E: std::fmt::Display>(result: Result<T, E>, what: &str) {
    match result {
        Ok(v) => panic!("{what} should be denied by IAM, but it was allowed: {v:?}"),
        Err(e) => assert!(
            e.to_string().contains("AccessDenied"),
            "{what} failed, but not for IAM: {e}"
        ),
    }
}

/// The panic message for a path IAM should allow: the response and moto's refusals.
fn denials(moto: &IamMoto) -> String {
    format!("moto refused: {:#?}", moto.denials())
}

fn user(id: &str) -> UserId {
    UserId::parse(id).expect("test ids are digits")
}

fn signed(body: String) -> Request {
    let secret = WebhookSecret::new(CONSUMER_SECRET);
    http::Request::post("/webhooks/twitter")
        .header(SIGNATURE_HEADER, secret.sign(body.as_bytes()))
        .header("content-type", "application/json")
        .body(Bytes::from(body))
        .expect("a request")
}

fn webhook_deps(store: DynamoStore) -> WebhookDeps<DynamoStore> {
    WebhookDeps {
        store,
        secret: WebhookSecret::new(CONSUMER_SECRET),
        app_id: Some("258901".to_string()),
    }
}

/// A customer's message to `account`, as Twitter delivers it.
fn customer_dm(account: &str, customer: &str, event: &str) -> String {
    serde_json::json!({
        "for_user_id": account,
        "direct_message_events": [{
            "type": "message_create",
            "id": event,
            "created_timestamp": "1516403560557",
            "message_create": {
                "target": {"recipient_id": account},
                "sender_id": customer,
                "message_data": {"text": "Hello, where is my order?"}
            }
        }]
    })
    .to_string()
}

fn revoke(account: &str) -> String {
    serde_json::json!({
        "user_event": {"revoke": {
            "date_time": "2018-05-24T09:48:12+00:00",
            "target": {"app_id": "13090192"},
            "source": {"user_id": account}
        }}
    })
    .to_string()
}

fn inbound(conversation: &ConversationKey, event: &str) -> InboundRecord {
    InboundRecord {
        message: InboundMessage {
            event_id: EventId::parse(event).expect("digits"),
            conversation: conversation.clone(),
            created_ms: 1_700_000_000_000,
            text: "hi".to_string(),
            quick_reply_metadata: None,
            welcome_message_id: None,
            media: None,
            customer_screen_name: None,
            customer_name: None,
        },
        status: dmbot_shared::domain::InboundStatus::Pending,
        received_ms: 1_700_000_000_000,
        attempt: Default::default(),
    }
}

/// Gives `account` a connected record, a conversation with a message, a state and media, as
/// sign-in and the dispatcher would have left them (written as admin).
async fn populate(admin: &DynamoStore, account: &str) -> ConversationKey {
    let c = ConversationKey::new(user(account), user("3001969357"));
    admin
        .put_account(&AccountRecord {
            id: user(account),
            screen_name: Some("shop".to_string()),
            tokens: None,
            flow_id: None,
            created_ms: 1,
        })
        .await
        .unwrap();
    admin.put_inbound(&inbound(&c, "900")).await.unwrap();
    admin
        .save_conversation(&c, &Default::default(), 0)
        .await
        .unwrap();
    admin
        .put_media(
            &user(account),
            "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
            &MediaRef {
                media_id: "710511363345354753".to_string(),
                expires_ms: 4_000_000_000_000,
            },
        )
        .await
        .unwrap();
    c
}

async fn the_webhook_role_stores_a_customer_message() {
    let moto = IamMoto::shared().await;
    let deps = webhook_deps(moto.store_as(WEBHOOK).await);
    let response = handle_webhook_post(
        &deps,
        &signed(customer_dm(
            "7100000001",
            "3001969357",
            "954491830116155396",
        )),
        1_700_000_000_000,
    )
    .await;
    assert_eq!(
        response.status(),
        200,
        "{}; {}",
        response.body(),
        denials(moto)
    );

    // A person answering from the account: the outbox is read, the hand-over recorded.
    let agent = serde_json::json!({
        "for_user_id": "7100000001",
        "direct_message_events": [{
            "type": "message_create",
            "id": "954491830116155397",
            "created_timestamp": "1516403560999",
            "message_create": {
                "target": {"recipient_id": "3001969357"},
                "sender_id": "7100000001",
                "message_data": {"text": "A person here"}
            }
        }]
    })
    .to_string();
    let response = handle_webhook_post(&deps, &signed(agent), 1_700_000_000_000).await;
    assert_eq!(
        response.status(),
        200,
        "{}; {}",
        response.body(),
        denials(moto)
    );
    assert!(
        response.body().contains("\"agent_messages\":1"),
        "{}",
        response.body()
    );

    deps.store
        .record_delivery(1_700_000_000_000)
        .await
        .unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
}

/// L8: the internet-facing webhook cannot read tokens, scan, or read the full secret.
async fn the_webhook_role_cannot_read_accounts_scan_or_read_the_full_secret() {
    let moto = IamMoto::shared().await;
    let admin = moto.admin_store().await;
    populate(&admin, "7100000003").await;
    let webhook = moto.store_as(WEBHOOK).await;
    assert_denied(
        webhook.get_account(&user("7100000003")).await,
        "the webhook reading an account's tokens",
    );
    assert_denied(
        webhook.list_accounts().await,
        "the webhook scanning the table",
    );
    let sm = moto.secrets_as(WEBHOOK).await;
    assert_denied(
        fetch_secret_document(&sm, moto.secret_arn(FULL_SECRET)).await,
        "the webhook reading the full secret",
    );
    let doc = fetch_secret_document(&sm, moto.secret_arn(WEBHOOK_SECRET)).await;
    let doc = doc.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    let secret = doc
        .consumer_secret(moto.secret_arn(WEBHOOK_SECRET))
        .unwrap();
    assert_eq!(secret.expose(), CONSUMER_SECRET);
}

async fn the_crc_role_reads_its_secret_and_records_its_health_only() {
    let moto = IamMoto::shared().await;
    let sm = moto.secrets_as(CRC).await;
    let doc = fetch_secret_document(&sm, moto.secret_arn(WEBHOOK_SECRET)).await;
    let doc = doc.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert!(doc.consumer_secret(moto.secret_arn(WEBHOOK_SECRET)).is_ok());
    assert_denied(
        fetch_secret_document(&sm, moto.secret_arn(FULL_SECRET)).await,
        "crc reading the full secret",
    );
    let store = moto.store_as(CRC).await;
    store
        .record_crc(1_700_000_000_000, 1_500)
        .await
        .unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert_denied(
        store.get_account(&user("7100000003")).await,
        "crc reading an account",
    );
}

async fn the_watchdog_role_reads_the_secret_and_keeps_the_health_record() {
    let moto = IamMoto::shared().await;
    let sm = moto.secrets_as(WATCHDOG).await;
    let doc = fetch_secret_document(&sm, moto.secret_arn(FULL_SECRET)).await;
    let doc = doc.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert!(doc.credentials(moto.secret_arn(FULL_SECRET)).is_ok());
    let store = moto.store_as(WATCHDOG).await;
    store
        .record_watchdog_run(&WatchdogRun {
            at_ms: 1_700_000_000_000,
            outcome: WatchdogOutcome::Valid,
            detail: "ok".to_string(),
            invalid_runs: 0,
            silent: false,
            list_rate_limit: None,
            crc_rate_limit: None,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    store
        .get_health()
        .await
        .unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    // Removing data never reaches an account record.
    assert_denied(
        store.get_account(&user("7100000003")).await,
        "the watchdog reading an account",
    );
}

const FLOW: &str = r#"
id = "iam-flow"
start = "menu"
fallback = "menu"
typing = true
mark_read = true

[[keywords]]
words = ["size"]
goto = "sizing"

[nodes.menu]
text = "Menu"

[nodes.sizing]
text = "Our size chart"
media = "chart.png"
"#;

/// Dispatch end to end with the dispatch role: a connected account's customer asks for the
/// size chart; the flow comes from the store, the image is uploaded and its id cached.
async fn the_dispatch_role_answers_a_message_end_to_end() {
    let moto = IamMoto::shared().await;
    let admin = moto.admin_store().await;
    let fake = FakeTwitter::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chart.png"), b"\x89PNG\r\n\x1a\nchart").unwrap();
    let flow = Flow::from_toml_str(FLOW, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    admin
        .put_flow(&FlowRecord {
            flow_id: flow.id().to_string(),
            version: 1,
            document: serde_json::to_string(&flow).unwrap(),
            stored_ms: now_ms(),
        })
        .await
        .unwrap();
    let shop = fake.add_account("iam_shop");
    let account = user(&shop.user_id);
    admin
        .put_account(&AccountRecord {
            id: account.clone(),
            screen_name: Some(shop.screen_name.clone()),
            tokens: Some(AccountTokens {
                token: shop.token.clone(),
                token_secret: shop.token_secret.clone(),
            }),
            flow_id: Some(flow.id().to_string()),
            created_ms: now_ms(),
        })
        .await
        .unwrap();
    let conversation = ConversationKey::new(account, user("3301000001"));
    let mut record = inbound(&conversation, "1600000000000000001");
    record.message.text = "size".to_string();
    record.received_ms = now_ms();
    admin.put_inbound(&record).await.unwrap();

    let store = moto.store_as(DISPATCH).await;
    let owner = fake.owner();
    let config = DispatchConfig::new(
        TokenCredentials::new(&owner.token, &owner.token_secret),
        FlowSource::Store {
            default_flow_id: "default".to_string(),
        },
    );
    let dispatcher = Dispatcher::new(store, client(&fake), config);
    let handled = dispatcher
        .handle(&record, Instant::now() + Duration::from_secs(20))
        .await;
    let handled = handled.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    let status = admin
        .get_inbound(&conversation, &record.message.event_id)
        .await
        .unwrap()
        .unwrap()
        .status;
    assert!(
        matches!(status, InboundStatus::Answered { .. }),
        "{status:?}"
    );
    assert_eq!(
        admin
            .load_conversation(&conversation)
            .await
            .unwrap()
            .version,
        1
    );

    // With the flow's files at hand (a flow given to the dispatcher rather than read from the
    // store) the image is uploaded and its id cached: a refused cache write would only be
    // logged, so the cache is checked.
    let mut second = inbound(&conversation, "1600000000000000002");
    second.message.text = "size".to_string();
    second.received_ms = now_ms();
    admin.put_inbound(&second).await.unwrap();
    let config = DispatchConfig::new(
        TokenCredentials::new(&owner.token, &owner.token_secret),
        FlowSource::Fixed(std::sync::Arc::new(flow)),
    );
    let dispatcher = Dispatcher::new(moto.store_as(DISPATCH).await, client(&fake), config);
    let handled = dispatcher
        .handle(&second, Instant::now() + Duration::from_secs(20))
        .await;
    let handled = handled.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert!(matches!(handled, Handled::Replied { .. }), "{handled:?}");
    let sha = format!(
        "{:x}",
        <sha2::Sha256 as sha2::Digest>::digest(b"\x89PNG\r\n\x1a\nchart")
    );
    let cached = admin.get_media(&conversation.account, &sha).await.unwrap();
    assert!(
        cached.is_some(),
        "the media id is cached; {}",
        denials(moto)
    );

    let secrets = moto.secrets_as(DISPATCH).await;
    let doc = fetch_secret_document(&secrets, moto.secret_arn(FULL_SECRET)).await;
    assert!(doc.is_ok(), "{doc:?}; {}", denials(moto));
}

/// Sign-in end to end with the signin role: the pending request token, the callback that takes
/// it, the account record (read, then written).
async fn the_signin_role_connects_an_account_end_to_end() {
    let moto = IamMoto::shared().await;
    let fake = FakeTwitter::start().await;
    let memory = signin_deps(&fake).await;
    let deps = SigninDeps {
        store: moto.store_as(SIGNIN).await,
        client: memory.client,
        config: memory.config,
    };
    let get = |path: &str, query: String, cookie: Option<String>| {
        let mut request = http::Request::get(format!("{path}?{query}"));
        if let Some(c) = cookie {
            request = request.header("cookie", c);
        }
        request.body(Bytes::new()).expect("a request")
    };
    let now = now_ms();
    // The operator's invite (`dmbot auth invite` writes it with the operator's credentials).
    let invite = InviteToken::generate();
    moto.admin_store()
        .await
        .put_invite(&InviteRecord {
            id: invite.id(),
            created_ms: now,
            expires_ms: now + 3_600_000,
            note: None,
        })
        .await
        .expect("the operator stores an invite");
    let started = handle_request(
        &deps,
        &get("/auth/start", format!("invite={}", invite.expose()), None),
        now,
    )
    .await;
    assert_eq!(
        started.status(),
        302,
        "{}; {}",
        started.body(),
        denials(moto)
    );
    let location = started.header("location").expect("a redirect");
    let token = location
        .split("oauth_token=")
        .nth(1)
        .and_then(|t| t.split('&').next())
        .expect("the request token")
        .to_string();
    let cookie = started
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("the state cookie")
        .to_string();
    let account = fake.add_account("iam_signin_shop");
    let verifier = fake.approve(&token, &account).expect("approve");
    let query = format!("oauth_token={token}&oauth_verifier={verifier}");
    let done = handle_request(&deps, &get("/auth/callback", query, Some(cookie)), now + 1).await;
    assert_eq!(done.status(), 200, "{}; {}", done.body(), denials(moto));
    let stored = moto
        .admin_store()
        .await
        .get_account(&user(&account.user_id))
        .await
        .unwrap();
    assert!(stored.is_some_and(|a| a.tokens.is_some()));

    let secrets = moto.secrets_as(SIGNIN).await;
    let doc = fetch_secret_document(&secrets, moto.secret_arn(FULL_SECRET)).await;
    assert!(doc.is_ok(), "{doc:?}; {}", denials(moto));
}

/// H2: in AWS every revoke failed, because the webhook role could not Query.
async fn the_webhook_role_can_revoke_an_account() {
    let moto = IamMoto::shared().await;
    let admin = moto.admin_store().await;
    let account = "7100000002";
    let conversation = populate(&admin, account).await;
    let deps = webhook_deps(moto.store_as(WEBHOOK).await);

    for _ in 0..2 {
        // A repeated revoke is harmless.
        let response =
            handle_webhook_post(&deps, &signed(revoke(account)), 1_700_000_000_000).await;
        assert_eq!(
            response.status(),
            200,
            "{}; {}",
            response.body(),
            denials(moto)
        );
    }
    assert_eq!(admin.get_account(&user(account)).await.unwrap(), None);

    // The rest goes with the watchdog's role, asynchronously.
    let watchdog = moto.store_as(WATCHDOG).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let report = forget::run_pending(&watchdog, deadline).await;
    let report = report.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert!(report.accounts_done >= 1, "{report:?}");
    assert_eq!(
        admin
            .get_inbound(&conversation, &EventId::parse("900").unwrap())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        admin
            .load_conversation(&conversation)
            .await
            .unwrap()
            .version,
        0
    );
    assert_eq!(
        admin
            .get_media(
                &user(account),
                "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
            )
            .await
            .unwrap(),
        None
    );
    assert!(
        !admin
            .pending_forgets(100)
            .await
            .unwrap()
            .iter()
            .any(|p| p.account.as_str() == account)
    );
}

/// Every path under its role, one after the other (they share the table and the fake ids), and
/// then: every action of every statement of every role was needed by some path, so a role holds
/// nothing more than its code calls. The one exception is sign-in's `PutItem` on `INVITE#*`, which
/// gives an invite back only when storing the account fails after the invite was consumed.
#[tokio::test]
async fn every_function_path_runs_under_its_role_and_needs_every_grant() {
    // H2 first: in AWS every revoke failed, the webhook role could not Query.
    the_webhook_role_can_revoke_an_account().await;
    the_webhook_role_stores_a_customer_message().await;
    the_webhook_role_cannot_read_accounts_scan_or_read_the_full_secret().await;
    the_crc_role_reads_its_secret_and_records_its_health_only().await;
    the_watchdog_role_reads_the_secret_and_keeps_the_health_record().await;
    the_dispatch_role_answers_a_message_end_to_end().await;
    dispatch_recovery::the_dispatch_role_puts_off_a_rate_limited_message_and_redrives_it().await;
    dispatch_recovery::the_dispatch_role_decides_an_interrupted_attempt_from_the_echo_receipt()
        .await;
    the_signin_role_connects_an_account_end_to_end().await;

    let mut unused = IamMoto::shared().await.unused_grants();
    unused.retain(|_, grants| {
        grants.retain(|(action, statement)| {
            !(action.as_str() == "dynamodb:PutItem" && statement.to_string().contains("INVITE#"))
        });
        !grants.is_empty()
    });
    assert!(
        unused.is_empty(),
        "template.yaml grants what no code path needed: {unused:#?}"
    );
}
