//! `dmbot flow check | sync` through the real binary against the simulator and the embedded
//! store of `--data-dir`.

mod ops_support;

use std::path::Path;

use dmbot_shared::flow::Flow;
use dmbot_shared::store::Flows;
use dmbot_shared::store::embedded::EmbeddedStore;
use ops_support::{Env, flows_dir};

/// Copies `flows/support.toml` and its media into the test directory (so tests can edit it).
fn copy_support_flow(env: &Env) -> std::path::PathBuf {
    let dest = env.dir.path().join("flow");
    std::fs::create_dir_all(dest.join("media")).expect("create the flow directory");
    for entry in std::fs::read_dir(flows_dir().join("media")).expect("read flows/media") {
        let entry = entry.expect("a directory entry");
        std::fs::copy(entry.path(), dest.join("media").join(entry.file_name()))
            .expect("copy a media file");
    }
    let file = dest.join("support.toml");
    std::fs::copy(flows_dir().join("support.toml"), &file).expect("copy the flow");
    file
}

fn upload_inits(env: &Env) -> usize {
    env.fake
        .requests_to("/1.1/media/upload.json")
        .iter()
        .filter(|r| r.method == "POST" && String::from_utf8_lossy(&r.body).contains("command=INIT"))
        .count()
}

async fn stored_flow(data_dir: &Path, id: &str) -> (u64, Flow) {
    let store = EmbeddedStore::open(data_dir.join("dmbot.redb")).expect("open the data file");
    let record = store
        .get_flow(id)
        .await
        .expect("read the flow")
        .expect("the flow is stored");
    let flow: Flow = serde_json::from_str(&record.document).expect("the stored flow parses");
    (record.version, flow)
}

#[tokio::test(flavor = "multi_thread")]
async fn flow_check_should_accept_the_example_flow() {
    let env = Env::start().await;
    let file = flows_dir().join("support.toml");
    let out = env
        .json(&["flow", "check", file.to_str().expect("utf-8")])
        .await;
    assert_eq!(out["ok"], true);
    assert_eq!(out["flow_id"], "acme-support");
}

#[tokio::test(flavor = "multi_thread")]
async fn flow_check_should_list_every_problem_and_exit_non_zero() {
    let env = Env::start().await;
    let file = env.write_file(
        "broken.toml",
        br#"
id = "broken"
start = "menu"
fallback = "nowhere"

[nodes.menu]
text = "Hi"
[[nodes.menu.quick_replies]]
label = "Go"
goto = "missing_node"
"#,
    );
    let path = file.to_str().expect("utf-8");
    let run = env.run(&["flow", "check", path, "--json"]).await;
    assert!(!run.ok);
    let err = run.json();
    assert_eq!(err["code"], "flow");
    let problems = err["problems"].as_array().expect("problems").clone();
    assert!(problems.len() >= 2, "{err}");
    let text = env.run(&["flow", "check", path]).await;
    assert!(!text.ok);
    assert!(text.stderr.contains("missing_node"), "{}", text.stderr);
    assert!(text.stderr.contains("nowhere"), "{}", text.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn flow_sync_should_create_everything_once_and_then_change_only_what_changed() {
    let env = Env::start().await;
    let file = copy_support_flow(&env);
    let path = file.to_str().expect("utf-8");

    // First sync: media, profiles, welcome messages, default rule, stored version 1.
    let first = env.json_local(&["flow", "sync", path]).await;
    assert_eq!(first["version"], 1, "{first}");
    assert_eq!(env.fake.welcome_message_ids().len(), 2);
    assert_eq!(env.fake.custom_profile_ids().len(), 2);
    let inits = upload_inits(&env);
    assert_eq!(inits, 3, "three media files in the example flow");
    let links = first["deep_links"].as_object().expect("deep links");
    assert_eq!(links.len(), 2);
    let owner = &env.fake.owner().user_id;
    for link in links.values() {
        assert!(
            link.as_str().expect("a link").starts_with(&format!(
                "https://twitter.com/messages/compose?recipient_id={owner}&welcome_message_id="
            )),
            "{link}"
        );
    }
    let default_id = first["default_welcome_message_id"]
        .as_str()
        .expect("a default welcome message")
        .to_string();
    let (version, stored) = stored_flow(&env.data_dir(), "acme-support").await;
    assert_eq!(version, 1);
    assert_eq!(
        stored.synced.welcome_messages.get("Acme support greeting"),
        Some(&default_id)
    );
    assert_eq!(stored.synced.custom_profiles.len(), 2);
    assert_eq!(stored.synced.media.len(), 3);

    // Second sync with nothing changed: no Twitter writes, no new version.
    let second = env.json_local(&["flow", "sync", path]).await;
    assert_eq!(second["changes"], serde_json::json!([]), "{second}");
    assert_eq!(second["version"], 1);
    assert_eq!(upload_inits(&env), inits);
    assert_eq!(env.fake.welcome_message_ids().len(), 2);
    assert_eq!(env.fake.custom_profile_ids().len(), 2);

    // Change the greeting's text: only that welcome message is updated, in place.
    let source = std::fs::read_to_string(&file).expect("read the flow");
    let edited = source.replace(
        "Welcome to Acme Outdoor support.",
        "Welcome to the Acme Outdoor help desk.",
    );
    assert_ne!(source, edited);
    std::fs::write(&file, edited).expect("write the flow");
    let third = env.json_local(&["flow", "sync", path]).await;
    assert_eq!(third["version"], 2, "{third}");
    let changes: Vec<String> = third["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes[0].starts_with("updated welcome message \"Acme support greeting\""));
    assert!(changes[1].starts_with("stored flow"));
    assert_eq!(upload_inits(&env), inits);
    let data = env
        .fake
        .welcome_message_data(&default_id)
        .expect("the greeting still exists");
    assert!(data.to_string().contains("help desk"), "{data}");
    let (version, _) = stored_flow(&env.data_dir(), "acme-support").await;
    assert_eq!(version, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_flow_synced_for_two_accounts_keeps_each_accounts_twitter_ids() {
    use dmbot_shared::domain::UserId;
    use dmbot_shared::store::{AccountRecord, AccountTokens, Accounts};

    let env = Env::start().await;
    let file = copy_support_flow(&env);
    let path = file.to_str().expect("utf-8");
    let other = env.fake.add_account("acme_outlet");
    let other_id = UserId::parse(other.user_id.as_str()).expect("id");
    {
        let store = EmbeddedStore::open(env.data_dir().join("dmbot.redb")).expect("open");
        store
            .put_account(&AccountRecord {
                id: other_id.clone(),
                screen_name: Some(other.screen_name.clone()),
                tokens: Some(AccountTokens {
                    token: other.token.clone(),
                    token_secret: other.token_secret.clone(),
                }),
                flow_id: None,
                created_ms: 1,
            })
            .await
            .expect("connect the second account");
    }

    let owners = env.json_local(&["flow", "sync", path]).await;
    assert_eq!(owners["stored_as"], "acme-support", "{owners}");
    let theirs = env
        .json_local(&["flow", "sync", path, "--account", &other.user_id])
        .await;
    let stored_as = format!("acme-support@{}", other.user_id);
    assert_eq!(theirs["stored_as"], stored_as.as_str(), "{theirs}");
    assert_eq!(theirs["version"], 1, "the account's first sync: {theirs}");

    // Each account got its own custom profiles and welcome messages on Twitter ...
    assert_eq!(env.fake.custom_profile_ids().len(), 4);
    assert_eq!(env.fake.welcome_message_ids().len(), 4);
    let (_, owner_flow) = stored_flow(&env.data_dir(), "acme-support").await;
    let (_, their_flow) = stored_flow(&env.data_dir(), &stored_as).await;
    for (name, id) in &owner_flow.synced.custom_profiles {
        assert_ne!(
            their_flow.synced.custom_profiles.get(name),
            Some(id),
            "{name}"
        );
    }
    for (name, id) in &owner_flow.synced.welcome_messages {
        assert_ne!(
            their_flow.synced.welcome_messages.get(name),
            Some(id),
            "{name}"
        );
    }
    // ... the owner's stored flow was left alone, and the account runs its own copy.
    assert_eq!(
        owners["synced"],
        serde_json::to_value(&owner_flow.synced).expect("json")
    );
    let store = EmbeddedStore::open(env.data_dir().join("dmbot.redb")).expect("open");
    let record = store
        .get_account(&other_id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(record.flow_id, Some(stored_as));

    // Syncing again as either account changes nothing.
    drop(store);
    let again = env
        .json_local(&["flow", "sync", path, "--account", &other.user_id])
        .await;
    assert_eq!(again["changes"], serde_json::json!([]), "{again}");
    let again = env.json_local(&["flow", "sync", path]).await;
    assert_eq!(again["changes"], serde_json::json!([]), "{again}");
}

#[tokio::test(flavor = "multi_thread")]
async fn flow_check_for_v2_should_accept_the_example_flow_and_warn_of_what_v2_degrades() {
    let env = Env::start().await;
    let file = flows_dir().join("support.toml");
    let path = file.to_str().expect("utf-8");
    let out = env.json(&["flow", "check", path, "--api", "v2"]).await;
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["api"], "v2");
    let kinds: Vec<&str> = out["degradations"]
        .as_array()
        .expect("degradations")
        .iter()
        .filter_map(|d| d["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "quick_replies",
            "buttons",
            "custom_profiles",
            "welcome_messages",
            "typing_indicator",
            "read_receipts"
        ]
    );
    let text = env.run(&["flow", "check", path, "--api", "v2"]).await;
    assert!(text.ok, "{}", text.stderr);
    assert!(
        text.stdout.contains("is valid on X API v2"),
        "{}",
        text.stdout
    );
    let warnings: Vec<&str> = text
        .stdout
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 6, "{}", text.stdout);
    assert!(warnings[1].contains("\"order_track\""), "{}", warnings[1]);
    // The default is v1.1, with no warnings.
    let v1 = env.run(&["flow", "check", path]).await;
    assert!(v1.ok && !v1.stdout.contains("warning"), "{}", v1.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn flow_check_for_v2_should_refuse_a_node_too_long_once_written_out() {
    let env = Env::start().await;
    // 9,990 characters fit v1.1; "\n\n1. Yes\n2. No" makes it 10,004 on v2.
    let toml = format!(
        "id = \"long\"\nstart = \"menu\"\n[nodes.menu]\ntext = \"{}\"\nquick_replies = \
         [{{ label = \"Yes\", goto = \"menu\" }}, {{ label = \"No\", goto = \"menu\" }}]\n",
        "x".repeat(9_990)
    );
    let file = env.write_file("long.toml", toml.as_bytes());
    let path = file.to_str().expect("utf-8");
    env.json(&["flow", "check", path]).await;
    let run = env
        .run(&["flow", "check", path, "--api", "v2", "--json"])
        .await;
    assert!(!run.ok);
    let err = run.json();
    assert_eq!(err["code"], "flow", "{err}");
    assert_eq!(err["problems"][0]["node"], "menu", "{err}");
    let text = env.run(&["flow", "check", path, "--api", "v2"]).await;
    assert!(!text.ok);
    assert!(text.stderr.contains("node \"menu\""), "{}", text.stderr);
    assert!(text.stderr.contains("4 over"), "{}", text.stderr);
    assert!(text.stderr.contains("quick replies"), "{}", text.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn flow_check_should_refuse_an_unknown_api_as_a_usage_error() {
    let env = Env::start().await;
    let file = flows_dir().join("support.toml");
    let path = file.to_str().expect("utf-8");
    let run = env
        .run(&["flow", "check", path, "--api", "v3", "--json"])
        .await;
    assert!(!run.ok);
    assert_eq!(run.json()["code"], "usage");
    let text = env.run(&["flow", "check", path, "--api", "v3"]).await;
    assert!(!text.ok);
    assert!(
        text.stderr.contains("\"v3\"")
            && text.stderr.contains("v1.1")
            && text.stderr.contains("v2"),
        "{}",
        text.stderr
    );
}
