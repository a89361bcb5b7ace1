//! The X API v2 side of the simulator, from outside: every endpoint's success and its refusals
//! in v2's problem shape (bad bodies, attachments, media, the DM permission, the rate limits,
//! authentication of the wrong kind); media and lookups in `v2/reads.rs`; webhooks,
//! subscriptions and what the webhooks get in `v2/deliveries.rs`.

#[path = "v2/deliveries.rs"]
mod deliveries;
#[path = "v2/reads.rs"]
mod reads;
#[path = "v2/support.rs"]
mod support;

use dmbot_simulator::Fault;
use dmbot_simulator::api::V2Config;
use serde_json::{Value, json};
use support::{Auth, World, start};

const CUSTOMER: &str = "3805104374";

fn send_path(to: &str) -> String {
    format!("/2/dm_conversations/with/{to}/messages")
}

/// The parameter a `400` names.
fn parameter(body: &Value) -> String {
    assert_eq!(body["title"], "Invalid Request", "{body}");
    assert_eq!(body["status"], 400);
    let params = body["errors"][0]["parameters"]
        .as_object()
        .expect("parameters");
    params.keys().next().unwrap().clone()
}

async fn world_with_customer() -> World {
    let w = start().await;
    w.api()
        .record_incoming(CUSTOMER, &w.owner().user_id, "hello");
    w
}

#[tokio::test]
async fn a_v2_send_is_stored_in_the_shared_conversation_and_counted() {
    let w = world_with_customer().await;
    let owner = w.owner();
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &send_path(CUSTOMER),
            Some(json!({"text": "hi"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.body["data"]["dm_event_id"].as_str().unwrap().to_string();
    assert_eq!(
        a.body["data"]["dm_conversation_id"],
        format!("{CUSTOMER}-{}", owner.user_id)
    );
    let sent = w.api().sent_messages();
    let event = sent
        .iter()
        .find(|e| e["id"] == id.as_str())
        .expect("stored");
    assert_eq!(event["message_create"]["target"]["recipient_id"], CUSTOMER);
    assert_eq!(event["message_create"]["message_data"]["text"], "hi");
    assert_eq!(a.header("x-rate-limit-limit"), Some(15));
    assert_eq!(a.header("x-rate-limit-remaining"), Some(14));
    assert_eq!(a.header("x-app-limit-24hour-remaining"), Some(1439));
    assert_eq!(w.api().v2_usage().dm_create, 1);
    // The v1.1 list sees the same conversation.
    let list = w
        .call(
            Auth::User(&owner),
            "GET",
            "/1.1/direct_messages/events/list.json",
            None,
        )
        .await;
    assert_eq!(list.body["events"][0]["id"], id.as_str());
}

#[tokio::test]
async fn bodies_outside_the_openapi_schema_are_400s_naming_the_parameter() {
    let w = world_with_customer().await;
    let owner = w.owner();
    let media = w.upload(&owner, b"png").await;
    let cases = [
        (
            json!({"text": "a", "quick_reply": {"type": "options"}}),
            "quick_reply",
        ),
        (json!({"text": "a", "ctas": []}), "ctas"),
        (
            json!({"text": "a", "custom_profile_id": "1"}),
            "custom_profile_id",
        ),
        (json!({"text": ""}), "text"),
        (json!({"text": 5}), "text"),
        (json!({}), "text"),
        (
            json!({"attachments": [{"media_id": media}, {"media_id": media}]}),
            "attachments",
        ),
        (json!({"attachments": []}), "attachments"),
        (
            json!({"attachments": [{"media_id": "12a"}]}),
            "attachments.media_id",
        ),
        (
            json!({"attachments": [{"media_id": media, "type": "media"}]}),
            "attachments.media_id",
        ),
    ];
    for (body, named) in cases {
        let a = w
            .call(
                Auth::User(&owner),
                "POST",
                &send_path(CUSTOMER),
                Some(body.clone()),
            )
            .await;
        assert_eq!(a.status, 400, "{body}");
        assert_eq!(parameter(&a.body), named, "{body}");
    }
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &send_path("12x"),
            Some(json!({"text": "a"})),
        )
        .await;
    assert_eq!(parameter(&a.body), "participant_id");
    let a = w
        .raw(
            Auth::User(&owner),
            "POST",
            &send_path(CUSTOMER),
            Some(("text/plain", b"hi".to_vec())),
        )
        .await;
    assert_eq!(parameter(&a.body), "body");
    assert_eq!(w.api().v2_usage().dm_create, 0);
}

#[tokio::test]
async fn attachments_must_be_the_senders_own_unexpired_upload() {
    let w = world_with_customer().await;
    let owner = w.owner();
    let other = w.api().add_account("other_account");
    let mine = w.upload(&owner, b"png bytes").await;
    let theirs = w.upload(&other, b"png bytes").await;
    let with = |id: &str| Some(json!({"text": "see", "attachments": [{"media_id": id}]}));
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &send_path(CUSTOMER),
            with(&theirs),
        )
        .await;
    assert_eq!(
        (a.status, parameter(&a.body)),
        (400, "attachments.media_id".into())
    );
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &send_path(CUSTOMER),
            with(&mine),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let last = w.api().sent_messages().pop().unwrap();
    assert_eq!(
        last["message_create"]["message_data"]["attachment"]["media"]["id_str"],
        mine.as_str()
    );
    w.api().advance_clock(24 * 3600);
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &send_path(CUSTOMER),
            with(&mine),
        )
        .await;
    assert_eq!(
        (a.status, parameter(&a.body)),
        (400, "attachments.media_id".into())
    );
}

#[tokio::test]
async fn only_someone_who_wrote_first_can_be_sent_to() {
    let w = start().await;
    let owner = w.owner();
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &send_path(CUSTOMER),
            Some(json!({"text": "hi"})),
        )
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.body["title"], "Forbidden");
    assert!(
        a.body["detail"]
            .as_str()
            .unwrap()
            .contains("not allowed to DM")
    );
    assert!(w.api().sent_messages().is_empty());
}

#[tokio::test]
async fn the_sixteenth_send_in_fifteen_minutes_is_a_429_until_the_window_resets() {
    let w = world_with_customer().await;
    let owner = w.owner();
    let mut reset = 0;
    for i in 0..15 {
        let a = w
            .call(
                Auth::User(&owner),
                "POST",
                &send_path(CUSTOMER),
                Some(json!({"text": "x"})),
            )
            .await;
        assert_eq!(a.status, 201, "send {i}: {}", a.body);
        reset = a.header("x-rate-limit-reset").unwrap();
    }
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &send_path(CUSTOMER),
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!(a.status, 429);
    assert_eq!(a.body["title"], "Too Many Requests");
    assert_eq!(a.header("x-rate-limit-limit"), Some(15));
    assert_eq!(a.header("x-rate-limit-remaining"), Some(0));
    assert_eq!(a.header("x-rate-limit-reset"), Some(reset));
    let usage = w.api().v2_usage();
    assert_eq!((usage.dm_create, usage.rate_limited), (15, 1));
    w.api().advance_clock(15 * 60);
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &send_path(CUSTOMER),
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
}

#[tokio::test]
async fn the_limits_come_from_the_config_tests_can_change() {
    let w = world_with_customer().await;
    let owner = w.owner();
    w.api().set_v2_config(V2Config {
        dm_sends_per_app_long: 2,
        ..V2Config::default()
    });
    for _ in 0..2 {
        let a = w
            .call(
                Auth::User(&owner),
                "POST",
                &send_path(CUSTOMER),
                Some(json!({"text": "x"})),
            )
            .await;
        assert_eq!(a.status, 201);
    }
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &send_path(CUSTOMER),
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!(a.status, 429);
    assert_eq!(a.header("x-app-limit-24hour-remaining"), Some(0));
    assert_eq!(a.header("x-rate-limit-limit"), Some(2));
}

#[tokio::test]
async fn credentials_of_the_wrong_kind_are_refused_in_v2_shape() {
    let w = world_with_customer().await;
    let owner = w.owner();
    let a = w
        .call(
            Auth::Bearer,
            "POST",
            &send_path(CUSTOMER),
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!(
        (a.status, a.body["title"].as_str()),
        (403, Some("Unsupported Authentication"))
    );
    let a = w
        .call(
            Auth::None,
            "POST",
            &send_path(CUSTOMER),
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!(
        (a.status, a.body["title"].as_str()),
        (401, Some("Unauthorized"))
    );
    let a = w.call(Auth::User(&owner), "GET", "/2/webhooks", None).await;
    assert_eq!(a.status, 403);
    let a = w
        .call(Auth::User(&owner), "GET", "/2/activity/subscriptions", None)
        .await;
    assert_eq!(a.status, 403);
    let a = w
        .call(
            Auth::Bearer,
            "POST",
            "/2/media/upload/initialize",
            Some(json!({})),
        )
        .await;
    assert_eq!(a.status, 403);
}

#[tokio::test]
async fn queued_faults_on_v2_paths_answer_in_v2_shape() {
    let w = world_with_customer().await;
    let owner = w.owner();
    let fake = w.api();
    fake.fail_next(
        "/2/dm_conversations",
        1,
        Fault::RateLimited {
            reset_at: 1_900_000_000,
        },
    );
    fake.fail_next("/2/dm_conversations", 1, Fault::Status(503));
    let path = send_path(CUSTOMER);
    let send = || {
        w.call(
            Auth::User(&owner),
            "POST",
            &path,
            Some(json!({"text": "x"})),
        )
    };
    let a = send().await;
    assert_eq!(
        (a.status, a.body["title"].as_str()),
        (429, Some("Too Many Requests"))
    );
    assert_eq!(a.header("x-rate-limit-reset"), Some(1_900_000_000));
    let a = send().await;
    assert_eq!((a.status, a.body["status"].as_u64()), (503, Some(503)));
    assert_eq!(send().await.status, 201);
}
