//! v2 webhooks, X Activity API and Account Activity v2 subscriptions, and what a webhook gets
//! for a customer's message and for the account's own sends in each subscription's format.

use serde_json::{Value, json};

use super::support::{Auth, World, start};

async fn create_webhook(w: &World, url: &str) -> String {
    let a = w
        .call(
            Auth::Bearer,
            "POST",
            "/2/webhooks",
            Some(json!({"url": url})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["data"]["id"].as_str().unwrap().to_string()
}

fn reason(body: &Value) -> &str {
    body["errors"][0]["reason"].as_str().unwrap_or("")
}

#[tokio::test]
async fn webhooks_are_created_after_the_crc_listed_revalidated_and_deleted() {
    let w = start().await;
    let fake = w.api();
    let a = w
        .call(
            Auth::Bearer,
            "POST",
            "/2/webhooks",
            Some(json!({"url": "http://example.com/x"})),
        )
        .await;
    assert_eq!((a.status, reason(&a.body)), (400, "UrlValidationFailed"));
    fake.set_crc_check(true);
    let a = w
        .call(
            Auth::Bearer,
            "POST",
            "/2/webhooks",
            Some(json!({"url": fake.crc_wrong_url()})),
        )
        .await;
    assert_eq!((a.status, reason(&a.body)), (400, "CrcValidationFailed"));
    let owner = w.owner();
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            "/2/webhooks",
            Some(json!({"url": fake.crc_ok_url()})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        (
            a.body["data"]["valid"].as_bool(),
            a.body["data"]["url"].as_str()
        ),
        (Some(true), Some(fake.crc_ok_url().as_str()))
    );
    let id = a.body["data"]["id"].as_str().unwrap().to_string();
    assert!(
        a.body["data"]["created_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let a = w
        .call(
            Auth::Bearer,
            "POST",
            "/2/webhooks",
            Some(json!({"url": fake.crc_ok_url()})),
        )
        .await;
    assert_eq!(reason(&a.body), "DuplicateUrlFailed");
    let a = w
        .call(
            Auth::Bearer,
            "POST",
            "/2/webhooks",
            Some(json!({"url": format!("{}/hook", w.base)})),
        )
        .await;
    assert_eq!(reason(&a.body), "WebhookLimitExceeded");
    let a = w.call(Auth::Bearer, "GET", "/2/webhooks", None).await;
    assert_eq!(
        (
            a.body["meta"]["result_count"].as_u64(),
            a.body["data"][0]["id"].as_str()
        ),
        (Some(1), Some(id.as_str()))
    );
    let a = w
        .call(Auth::Bearer, "PUT", &format!("/2/webhooks/{id}"), None)
        .await;
    assert_eq!(a.body, json!({"data": {"valid": true}}));
    let a = w.call(Auth::Bearer, "PUT", "/2/webhooks/999", None).await;
    assert_eq!(reason(&a.body), "WebhookIdInvalid");
    let a = w
        .call(Auth::Bearer, "DELETE", &format!("/2/webhooks/{id}"), None)
        .await;
    assert_eq!(a.body, json!({"data": {"deleted": true}}));
    let a = w
        .call(Auth::Bearer, "DELETE", &format!("/2/webhooks/{id}"), None)
        .await;
    assert_eq!(reason(&a.body), "WebhookIdInvalid");
}

#[tokio::test]
async fn xaa_subscriptions_need_the_users_token_for_dm_events() {
    let w = start().await;
    let owner = w.owner();
    let hook = create_webhook(&w, &format!("{}/hook", w.base)).await;
    let body = json!({"event_type": "dm.received", "filter": {"user_id": owner.user_id}, "tag": "dm-inbound", "webhook_id": hook});
    let a = w
        .call(
            Auth::Bearer,
            "POST",
            "/2/activity/subscriptions",
            Some(body.clone()),
        )
        .await;
    assert_eq!(a.status, 403);
    let other = w.api().add_account("someone_else");
    let a = w
        .call(
            Auth::User(&other),
            "POST",
            "/2/activity/subscriptions",
            Some(body.clone()),
        )
        .await;
    assert_eq!(a.status, 403);
    let mut extra = body.clone();
    extra["filter"]["screen_name"] = json!("x");
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            "/2/activity/subscriptions",
            Some(extra),
        )
        .await;
    assert_eq!(a.status, 400);
    let mut unknown_hook = body.clone();
    unknown_hook["webhook_id"] = json!("42");
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            "/2/activity/subscriptions",
            Some(unknown_hook),
        )
        .await;
    assert_eq!(reason(&a.body), "WebhookIdInvalid");
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            "/2/activity/subscriptions",
            Some(body),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let data = &a.body["data"];
    assert_eq!(
        (data["event_type"].as_str(), data["tag"].as_str()),
        (Some("dm.received"), Some("dm-inbound"))
    );
    assert_eq!(data["filter"], json!({"user_id": owner.user_id}));
    assert_eq!(data["webhook_id"], hook.as_str());
    let id = data["subscription_id"].as_str().unwrap().to_string();
    let a = w
        .call(Auth::Bearer, "GET", "/2/activity/subscriptions", None)
        .await;
    assert_eq!(a.body["data"][0]["subscription_id"], id.as_str());
    let a = w
        .call(
            Auth::Bearer,
            "DELETE",
            &format!("/2/activity/subscriptions/{id}"),
            None,
        )
        .await;
    assert_eq!(a.body, json!({"data": {"deleted": true}}));
    assert!(w.api().xaa_subscriptions().is_empty());
    let a = w
        .call(
            Auth::Bearer,
            "DELETE",
            &format!("/2/activity/subscriptions/{id}"),
            None,
        )
        .await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn aaa_v2_subscriptions_subscribe_the_user_and_list_and_remove_with_the_bearer() {
    let w = start().await;
    let owner = w.owner();
    let hook = create_webhook(&w, &format!("{}/hook", w.base)).await;
    let all = format!("/2/account_activity/webhooks/{hook}/subscriptions/all");
    let a = w.call(Auth::User(&owner), "GET", &all, None).await;
    assert_eq!(a.body, json!({"data": {"subscribed": false}}));
    let a = w.call(Auth::User(&owner), "POST", &all, None).await;
    assert_eq!(a.body, json!({"data": {"subscribed": true}}));
    let a = w.call(Auth::User(&owner), "POST", &all, None).await;
    assert_eq!(reason(&a.body), "DuplicateSubscriptionFailed");
    for name in ["second", "third"] {
        let who = w.api().add_account(name);
        assert_eq!(
            w.call(Auth::User(&who), "POST", &all, None).await.status,
            200
        );
    }
    let fourth = w.api().add_account("fourth");
    let a = w.call(Auth::User(&fourth), "POST", &all, None).await;
    assert_eq!(reason(&a.body), "SubscriptionLimitExceeded");
    let a = w
        .call(Auth::Bearer, "GET", &format!("{all}/list"), None)
        .await;
    assert_eq!(a.body["data"]["webhook_id"], hook.as_str());
    assert_eq!(a.body["data"]["subscriptions"].as_array().unwrap().len(), 3);
    let remove = format!(
        "/2/account_activity/webhooks/{hook}/subscriptions/{}/all",
        owner.user_id
    );
    let a = w.call(Auth::Bearer, "DELETE", &remove, None).await;
    assert_eq!(a.body, json!({"data": {"subscribed": false}}));
    let a = w.call(Auth::Bearer, "DELETE", &remove, None).await;
    assert_eq!(reason(&a.body), "SubscriptionNotFound");
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            "/2/account_activity/webhooks/7/subscriptions/all",
            None,
        )
        .await;
    assert_eq!(reason(&a.body), "WebhookIdInvalid");
}

async fn subscribe_xaa(w: &World, hook: &str, event_type: &str) {
    let owner = w.owner();
    let body = json!({"event_type": event_type, "filter": {"user_id": owner.user_id}, "tag": event_type, "webhook_id": hook});
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            "/2/activity/subscriptions",
            Some(body),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn xaa_delivers_dm_received_and_dm_sent_one_event_per_post() {
    let w = start().await;
    let owner = w.owner();
    let customer = w.sim.customer_id().to_string();
    let hook = create_webhook(&w, &format!("{}/hook", w.base)).await;
    subscribe_xaa(&w, &hook, "dm.received").await;
    let id = w.sim.customer_sends("where is my order?", None);
    let got = w.wait_for_deliveries(1).await;
    let data = &got[0]["data"];
    assert_eq!(got[0].as_object().unwrap().len(), 1, "only data at the top");
    assert_eq!(
        (data["event_type"].as_str(), data["tag"].as_str()),
        (Some("dm.received"), Some("dm.received"))
    );
    assert_eq!(data["filter"], json!({"user_id": owner.user_id}));
    assert!(data["event_uuid"].is_string());
    let event = &data["payload"]["direct_message_events"][0];
    assert_eq!(event["id"], id.as_str());
    assert_eq!(event["message_create"]["sender_id"], customer.as_str());
    assert_eq!(
        event["message_create"]["message_data"]["text"],
        "where is my order?"
    );
    let users = &data["payload"]["users"];
    assert_eq!(users[&customer]["data"]["id"], customer.as_str());
    assert_eq!(
        users[&owner.user_id]["data"]["username"],
        owner.screen_name.as_str()
    );
    assert_eq!(w.api().v2_usage().xaa_dm_received, 1);

    // The account's own send: nothing for a dm.received-only subscription ...
    let send = format!("/2/dm_conversations/with/{customer}/messages");
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &send,
            Some(json!({"text": "on its way"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    // ... and a dm.sent event once subscribed to it.
    subscribe_xaa(&w, &hook, "dm.sent").await;
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &send,
            Some(json!({"text": "tracking: 42"})),
        )
        .await;
    assert_eq!(a.status, 201);
    let got = w.wait_for_deliveries(2).await;
    assert_eq!(got.len(), 2, "the first send was not delivered");
    let data = &got[1]["data"];
    assert_eq!(data["event_type"], "dm.sent");
    let event = &data["payload"]["direct_message_events"][0];
    assert_eq!(
        event["message_create"]["message_data"]["text"],
        "tracking: 42"
    );
    assert_eq!(event["message_create"]["sender_id"], owner.user_id.as_str());
    assert_eq!(
        w.api().v2_usage().xaa_dm_received,
        1,
        "dm.sent is not billed"
    );
}

#[tokio::test]
async fn aaa_v2_delivers_the_account_activity_envelope() {
    let w = start().await;
    let owner = w.owner();
    let hook = create_webhook(&w, &format!("{}/hook", w.base)).await;
    let all = format!("/2/account_activity/webhooks/{hook}/subscriptions/all");
    assert_eq!(
        w.call(Auth::User(&owner), "POST", &all, None).await.status,
        200
    );
    let id = w.sim.customer_sends("hi there", None);
    let got = w.wait_for_deliveries(1).await;
    assert_eq!(got[0]["for_user_id"], owner.user_id.as_str());
    assert_eq!(got[0]["direct_message_events"][0]["id"], id.as_str());
    assert_eq!(
        got[0]["users"][w.sim.customer_id()]["screen_name"],
        "sim_customer"
    );
    assert!(got[0].get("data").is_none());
    assert_eq!(w.api().v2_usage().xaa_dm_received, 0);
}
