//! `dmbot webhook | subscription | media` with `TWITTER_API=v2` through the real binary against
//! the simulator's v2 endpoints (same base URL), and the commands that stay v1.1-only.

mod ops_support;

use ops_support::Env;
use serde_json::Value;

async fn v2_env() -> Env {
    let mut env = Env::start().await;
    env.extra.push(("TWITTER_API".into(), "v2".into()));
    env
}

async fn register(env: &Env) -> String {
    let url = env.fake.crc_ok_url();
    let hook = env
        .json(&["webhook", "register", &url, "--allow-http"])
        .await;
    hook["id"].as_str().expect("webhook id").to_string()
}

fn v2_paths(env: &Env) -> Vec<String> {
    env.fake
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_webhook_register_list_validate_and_delete_should_use_the_v2_endpoints() {
    let env = v2_env().await;
    let url = env.fake.crc_ok_url();
    let registered = env
        .json(&["webhook", "register", &url, "--allow-http"])
        .await;
    let id = registered["id"].as_str().expect("webhook id").to_string();
    assert_eq!(registered["url"], url);
    assert_eq!(registered["valid"], true);

    let list = env.json(&["webhook", "list"]).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["id"], id.as_str());

    let validated = env.json(&["webhook", "validate"]).await;
    assert_eq!(validated, serde_json::json!({"id": id, "valid": true}));

    let text = env.run(&["webhook", "list"]).await;
    assert!(text.ok && text.stdout.contains(&id), "{}", text.stdout);

    env.json(&["webhook", "delete", &id]).await;
    assert!(env.json(&["webhook", "list"]).await[0].is_null());
    let paths = v2_paths(&env);
    assert!(paths.contains(&"POST /2/webhooks".to_string()), "{paths:?}");
    assert!(
        paths.contains(&format!("PUT /2/webhooks/{id}")),
        "{paths:?}"
    );
    assert!(
        paths.contains(&format!("DELETE /2/webhooks/{id}")),
        "{paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.contains("/1.1/account_activity")),
        "no v1.1 webhook call: {paths:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_register_whose_crc_fails_should_exit_non_zero_and_say_what_to_do() {
    let env = v2_env().await;
    env.fake.set_crc_check(true);
    let url = env.fake.crc_wrong_url();
    let run = env
        .run(&["webhook", "register", &url, "--allow-http", "--json"])
        .await;
    assert!(!run.ok);
    let err = run.json();
    assert_eq!(err["code"], 214, "{err}");
    let message = err["error"].as_str().unwrap_or_default();
    assert!(message.contains("dmbot webhook validate"), "{message}");
    assert!(env.json(&["webhook", "list"]).await[0].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_subscription_add_list_remove_on_the_x_activity_api() {
    let env = v2_env().await;
    let owner = env.fake.owner().user_id.clone();
    let none = env.run(&["subscription", "add", "--json"]).await;
    assert!(!none.ok);
    assert_eq!(none.json()["code"], "usage");
    assert!(
        none.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("dmbot webhook register"),
        "{}",
        none.stdout
    );
    let hook = register(&env).await;

    let added = env.json(&["subscription", "add"]).await;
    assert_eq!(added["user_id"], owner.as_str(), "{added}");
    let subs = env.fake.xaa_subscriptions();
    let mut events: Vec<&str> = subs.iter().map(|s| s.event_type.as_str()).collect();
    events.sort_unstable();
    assert_eq!(events, ["dm.received", "dm.sent"]);
    for s in &subs {
        assert_eq!(s.user_id, owner);
        assert_eq!(s.webhook_id.as_deref(), Some(hook.as_str()));
        assert_eq!(s.tag.as_deref(), Some("dmbot"));
    }
    let paths = v2_paths(&env);
    assert!(
        !paths.iter().any(|p| p.contains("verify_credentials")),
        "the owner's id comes from its access token: {paths:?}"
    );
    // Adding again creates nothing new.
    env.json(&["subscription", "add", "--webhook-id", &hook])
        .await;
    assert_eq!(env.fake.xaa_subscriptions().len(), 2);

    let list = env.json(&["subscription", "list"]).await;
    let listed: Vec<&Value> = list["subscriptions"]
        .as_array()
        .expect("list")
        .iter()
        .collect();
    assert_eq!(listed.len(), 2, "{list}");
    assert!(listed.iter().all(|s| s["user_id"] == owner.as_str()));

    let removed = env.json(&["subscription", "remove"]).await;
    assert_eq!(
        removed["removed"].as_array().map(Vec::len),
        Some(2),
        "{removed}"
    );
    assert!(env.fake.xaa_subscriptions().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_subscription_add_list_remove_via_account_activity() {
    let env = v2_env().await;
    let owner = env.fake.owner().user_id.clone();
    let hook = register(&env).await;
    let via = ["--via", "account-activity"];

    env.json(&["subscription", "add", via[0], via[1]]).await;
    assert_eq!(
        env.fake.aaa_subscriptions(),
        vec![(hook.clone(), owner.clone())]
    );
    assert!(env.fake.xaa_subscriptions().is_empty());

    let list = env.json(&["subscription", "list", via[0], via[1]]).await;
    assert_eq!(list["user_ids"], serde_json::json!([owner]), "{list}");
    assert_eq!(list["webhook_id"], hook.as_str());

    env.json(&["subscription", "remove", &owner, via[0], via[1]])
        .await;
    assert!(env.fake.aaa_subscriptions().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_only_options_on_v1_are_a_usage_error_before_any_call() {
    let env = Env::start().await;
    for args in [
        vec!["subscription", "add", "--via", "account-activity", "--json"],
        vec!["subscription", "list", "--webhook-id", "123", "--json"],
    ] {
        let run = env.run(&args).await;
        assert!(!run.ok, "{args:?}");
        let json = run.json();
        assert_eq!(json["code"], "usage", "{json}");
        assert!(
            json["error"]
                .as_str()
                .unwrap_or_default()
                .contains("TWITTER_API=v2")
        );
    }
    assert!(env.fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_media_upload_should_use_the_v2_upload() {
    let env = v2_env().await;
    let file = ops_support::flows_dir().join("media/size-chart.png");
    let out = env
        .json(&["media", "upload", file.to_str().expect("utf-8")])
        .await;
    assert!(out["media_id"].as_str().is_some(), "{out}");
    let paths = v2_paths(&env);
    assert!(
        paths.iter().any(|p| p.contains("/2/media/upload")),
        "{paths:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_webhook_status_reads_the_v2_webhook_and_says_how_to_fix_an_invalid_one() {
    let env = v2_env().await;
    let id = register(&env).await;

    let healthy = env.json_local(&["webhook", "status"]).await;
    assert_eq!(healthy["webhook"]["state"], "valid", "{healthy}");
    assert!(
        v2_paths(&env).contains(&"GET /2/webhooks".to_string()),
        "{:?}",
        v2_paths(&env)
    );

    // X marks the webhook invalid after a failed CRC.
    assert!(env.fake.set_webhook_valid(&id, false));
    let broken = env.json_local(&["webhook", "status"]).await;
    assert_eq!(broken["webhook"]["state"], "invalid", "{broken}");
    assert!(
        broken.to_string().contains("dmbot webhook validate"),
        "{broken}"
    );
    assert!(
        !v2_paths(&env).iter().any(|p| p.contains("/1.1/")),
        "no v1.1 call: {:?}",
        v2_paths(&env)
    );
}
