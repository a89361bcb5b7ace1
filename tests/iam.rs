//! IAM matches the code: every function's real code paths run with the permissions
//! `template.yaml` gives its role, enforced by a policy engine (moto with the evaluation of
//! `tests/iam/moto_iam.py`: actions, resource ARNs and `dmbot:LeadingKeys` conditions, see there
//! for exactly what is and is not enforced). A call the role does not allow fails the test.

use bytes::Bytes;
use dmbot_shared::domain::{ConversationKey, EventId, InboundMessage, InboundRecord, UserId};
use dmbot_shared::ingest::{Headers, HttpRequestParts, WebhookDeps, handle_webhook_post};
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::store::{AccountRecord, Accounts, Conversations, Inbox, MediaCache, MediaRef};
use dmbot_shared::twitter::webhook::{SIGNATURE_HEADER, WebhookSecret};
use dmbot_tests::iam::{CONSUMER_SECRET, IamMoto};

const WEBHOOK: &str = "WebhookFunction";

fn user(id: &str) -> UserId {
    UserId::parse(id).expect("test ids are digits")
}

fn signed(body: String) -> HttpRequestParts {
    let secret = WebhookSecret::new(CONSUMER_SECRET);
    HttpRequestParts {
        method: http::Method::POST,
        raw_query: String::new(),
        headers: Headers::new()
            .with(SIGNATURE_HEADER, secret.sign(body.as_bytes()))
            .with("content-type", "application/json"),
        body: Bytes::from(body),
    }
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

#[tokio::test]
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
        response.status,
        200,
        "{}; denials: {:?}",
        response.body,
        moto.denials()
    );
}

/// H2: in AWS every revoke failed, because the webhook role could not Query.
#[tokio::test]
async fn the_webhook_role_can_revoke_an_account() {
    let moto = IamMoto::shared().await;
    let admin = moto.admin_store().await;
    let account = "7100000002";
    let conversation = populate(&admin, account).await;
    let deps = webhook_deps(moto.store_as(WEBHOOK).await);

    let response = handle_webhook_post(&deps, &signed(revoke(account)), 1_700_000_000_000).await;
    assert_eq!(
        response.status,
        200,
        "{}; denials: {:?}",
        response.body,
        moto.denials()
    );
    assert_eq!(admin.get_account(&user(account)).await.unwrap(), None);
    assert_eq!(
        admin
            .get_inbound(&conversation, &EventId::parse("900").unwrap())
            .await
            .unwrap(),
        None
    );
}
