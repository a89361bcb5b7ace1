//! `dmbot webhook | subscription | welcome | profile | media` through the real binary against
//! the simulator.

mod ops_support;

use dmbot_tests::simulator::Fault;
use ops_support::Env;

#[tokio::test(flavor = "multi_thread")]
async fn webhook_register_list_validate_and_delete_should_drive_twitter() {
    let env = Env::start().await;
    let url = env.fake.crc_ok_url();
    let registered = env
        .json(&["webhook", "register", &url, "--allow-http"])
        .await;
    let id = registered["id"].as_str().expect("webhook id").to_string();
    assert_eq!(registered["url"], url);
    assert_eq!(env.fake.webhooks().len(), 1);

    let list = env.json(&["webhook", "list"]).await;
    assert_eq!(list[0]["id"], id.as_str());

    let validated = env.json(&["webhook", "validate"]).await;
    assert_eq!(validated["id"], id.as_str());
    assert_eq!(
        env.fake
            .requests()
            .iter()
            .filter(|r| r.method == "PUT" && r.path.contains(&id))
            .count(),
        1
    );

    env.json(&["webhook", "delete", &id]).await;
    assert!(env.fake.webhooks().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_crc_fails_register_should_exit_non_zero_and_say_why() {
    let env = Env::start().await;
    env.fake.set_crc_check(true);
    let url = env.fake.crc_wrong_url();
    let run = env
        .run(&["webhook", "register", &url, "--allow-http", "--json"])
        .await;
    assert!(!run.ok);
    let err = run.json();
    assert_eq!(err["code"], 214, "{err}");
    assert!(err["error"].as_str().unwrap_or("").len() > 20);

    let plain = env
        .run(&["webhook", "register", &url, "--allow-http"])
        .await;
    assert!(!plain.ok);
    assert!(plain.stderr.starts_with("error: "), "{}", plain.stderr);
    assert!(env.fake.webhooks().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn when_twitter_rate_limits_the_json_error_should_carry_code_88() {
    let env = Env::start().await;
    env.fake.fail_next(
        "/1.1/account_activity/all/subscriptions/count.json",
        1,
        Fault::RateLimited {
            reset_at: 4_000_000_000,
        },
    );
    env.fake.fail_next(
        "/1.1/account_activity/all/count.json",
        1,
        Fault::RateLimited {
            reset_at: 4_000_000_000,
        },
    );
    let run = env.run(&["subscription", "count", "--json"]).await;
    assert!(!run.ok);
    assert_eq!(run.json()["code"], 88, "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn subscription_commands_should_add_check_list_count_and_remove() {
    let env = Env::start().await;
    let owner = env.fake.owner().user_id.clone();
    let before = env.run(&["subscription", "add", "--json"]).await;
    assert!(!before.ok, "subscribing needs a webhook first");
    assert_eq!(before.json()["code"], 170);
    let url = env.fake.crc_ok_url();
    env.json(&["webhook", "register", &url, "--allow-http"])
        .await;
    assert_eq!(
        env.json(&["subscription", "check"]).await["subscribed"],
        false
    );
    env.json(&["subscription", "add"]).await;
    assert_eq!(env.fake.subscriptions(), vec![owner.clone()]);
    assert_eq!(
        env.json(&["subscription", "check"]).await["subscribed"],
        true
    );
    let list = env.json(&["subscription", "list"]).await;
    assert_eq!(list["user_ids"], serde_json::json!([owner]));
    let count = env.json(&["subscription", "count"]).await;
    assert_eq!(count["subscriptions_count_all"], 1);
    env.json(&["subscription", "remove", &owner]).await;
    assert!(env.fake.subscriptions().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn welcome_commands_should_manage_messages_rules_and_print_the_deep_link() {
    let env = Env::start().await;
    let created = env
        .json(&[
            "welcome",
            "create",
            "--name",
            "support",
            "--text",
            "Hi there!",
        ])
        .await;
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(env.fake.welcome_message_ids(), vec![id.clone()]);

    let list = env.json(&["welcome", "list"]).await;
    assert_eq!(list[0]["id"], id.as_str());
    let shown = env.json(&["welcome", "show", &id]).await;
    assert_eq!(shown["text"], "Hi there!");

    env.json(&["welcome", "update", &id, "--text", "Hello again"])
        .await;
    let data = env.fake.welcome_message_data(&id).expect("stored welcome");
    assert!(data.to_string().contains("Hello again"), "{data}");

    let rule = env.json(&["welcome", "set-default", &id]).await;
    assert_eq!(rule["welcome_message_id"], id.as_str());
    // Setting the same default again keeps the one rule.
    let again = env.json(&["welcome", "set-default", &id]).await;
    assert_eq!(again["rule_id"], rule["rule_id"]);

    let link = env.json(&["welcome", "link", &id]).await;
    let owner = &env.fake.owner().user_id;
    assert_eq!(
        link["link"],
        format!(
            "https://twitter.com/messages/compose?recipient_id={owner}&welcome_message_id={id}"
        )
    );
    let plain = env.run(&["welcome", "link", &id]).await;
    assert!(
        plain
            .stdout
            .trim()
            .starts_with("https://twitter.com/messages/compose")
    );

    env.json(&["welcome", "delete", &id]).await;
    assert!(env.fake.welcome_message_ids().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_welcome_message_id_should_be_a_usage_error_before_any_call() {
    let env = Env::start().await;
    let run = env.run(&["welcome", "show", "not-an-id", "--json"]).await;
    assert!(!run.ok);
    assert_eq!(run.json()["code"], "usage");
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_commands_should_upload_the_avatar_and_manage_profiles() {
    let env = Env::start().await;
    let avatar = ops_support::flows_dir().join("media/avatar-bot.png");
    let created = env
        .json(&[
            "profile",
            "create",
            "--name",
            "Support Bot",
            "--avatar",
            avatar.to_str().expect("utf-8"),
        ])
        .await;
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(env.fake.custom_profile_ids(), vec![id.clone()]);
    let list = env.json(&["profile", "list"]).await;
    assert_eq!(list[0]["name"], "Support Bot");
    let shown = env.json(&["profile", "show", &id]).await;
    assert_eq!(shown["id"], id.as_str());
    env.json(&["profile", "delete", &id]).await;
    assert!(env.fake.custom_profile_ids().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn media_upload_should_print_a_media_id_the_fake_has_stored() {
    let env = Env::start().await;
    let file = ops_support::flows_dir().join("media/size-chart.png");
    let out = env
        .json(&["media", "upload", file.to_str().expect("utf-8")])
        .await;
    let id = out["media_id"].as_str().expect("media id");
    let upload = env.fake.upload(id).expect("the fake has the upload");
    let original = std::fs::read(&file).expect("read the file");
    assert_eq!(upload.data.as_deref(), Some(original.as_slice()));
    assert!(
        upload.shared,
        "media for welcome messages is uploaded shared"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn media_upload_of_an_unsupported_file_should_say_which_types_work() {
    let env = Env::start().await;
    let file = env.write_file("notes.txt", b"hello");
    let run = env
        .run(&["media", "upload", file.to_str().expect("utf-8")])
        .await;
    assert!(!run.ok);
    assert!(run.stderr.contains(".png"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_status_should_say_when_twitter_stopped_delivering_and_how_to_fix_it() {
    let env = Env::start().await;
    let url = env.fake.crc_ok_url();
    let registered = env
        .json(&["webhook", "register", &url, "--allow-http"])
        .await;
    let id = registered["id"].as_str().expect("webhook id").to_string();

    let healthy = env.json_local(&["webhook", "status"]).await;
    assert_eq!(healthy["webhook"]["state"], "valid", "{healthy}");

    // Twitter disables the webhook after a failed periodic CRC.
    assert!(env.fake.set_webhook_valid(&id, false));
    let broken = env.json_local(&["webhook", "status"]).await;
    assert_eq!(broken["webhook"]["state"], "invalid", "{broken}");
    let fixes: Vec<String> = broken["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["fix"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        fixes.iter().any(|f| f.contains("dmbot webhook validate")),
        "{broken}"
    );

    let dir = env.data_dir();
    let text = env
        .run(&[
            "webhook",
            "status",
            "--data-dir",
            dir.to_str().expect("utf-8"),
        ])
        .await;
    assert!(text.ok, "{}", text.stderr);
    assert!(
        text.stdout.contains("dmbot webhook validate"),
        "{}",
        text.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_twitter_api_v2_the_commands_without_a_v2_equivalent_refuse_before_any_call() {
    let mut env = Env::start().await;
    env.extra.push(("TWITTER_API".into(), "v2".into()));
    let flow = ops_support::flows_dir().join("support.toml");
    let flow = flow.to_str().expect("utf-8");
    for (args, missing) in [
        (vec!["welcome", "list", "--json"], "welcome messages"),
        (vec!["profile", "list", "--json"], "custom profiles"),
        (vec!["flow", "sync", flow, "--json"], "welcome messages"),
    ] {
        let run = env.run(&args).await;
        assert!(!run.ok, "{args:?} must refuse");
        let json = run.json();
        assert_eq!(json["code"], "usage", "{args:?}: {json}");
        let error = json["error"].as_str().unwrap_or_default();
        assert!(error.contains("TWITTER_API=v2"), "{error}");
        assert!(error.contains(missing), "{error}");
        assert!(error.contains("do not exist on X API v2"), "{error}");
    }
    assert!(env.fake.requests().is_empty(), "nothing reached Twitter");
}
