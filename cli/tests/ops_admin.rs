//! `dmbot auth login | secrets put | failures | conversation` through the real binary, against
//! the simulator, the embedded store of `--data-dir`, and moto (Secrets Manager, DynamoDB).

mod ops_support;

use std::process::Stdio;

use dmbot_shared::domain::{
    ConversationKey, ConversationState, EventId, Handoff, HandoffReason, InboundMessage,
    InboundRecord, InboundStatus, UserId,
};
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::store::{Accounts, Conversations, Inbox};
use dmbot_shared::tokens::TokenSealer;
use dmbot_tests::moto::Moto;
use ops_support::Env;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn key() -> ConversationKey {
    ConversationKey::new(
        UserId::parse("4337869213").expect("id"),
        UserId::parse("9876543210").expect("id"),
    )
}

fn failed_record(event: &str) -> InboundRecord {
    let message = InboundMessage::text(
        EventId::parse(event).expect("id"),
        key(),
        1_700_000_000_000,
        "where is my order?",
    );
    InboundRecord::pending(message, 1_700_000_000_100)
}

fn open(env: &Env) -> EmbeddedStore {
    EmbeddedStore::open(env.data_dir().join("dmbot.redb")).expect("open the data file")
}

const TOKEN_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[tokio::test(flavor = "multi_thread")]
async fn auth_login_should_store_the_account_sealed_and_subscribe_it() {
    let mut env = Env::start().await;
    env.extra
        .push(("TWITTER_TOKEN_ENCRYPTION_KEY".into(), TOKEN_KEY.into()));
    let url = env.fake.crc_ok_url();
    env.json(&["webhook", "register", &url, "--allow-http"])
        .await;
    let account = env.fake.add_account("acme_outdoor");

    let data_dir = env.data_dir();
    let mut child = env
        .command(&[
            "auth",
            "login",
            "--json",
            "--data-dir",
            data_dir.to_str().expect("utf-8"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dmbot auth login");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut request_token = None;
    while let Some(line) = lines.next_line().await.expect("read stderr") {
        if let Some((_, rest)) = line.split_once("oauth_token=") {
            request_token = Some(rest.split('&').next().unwrap_or(rest).trim().to_string());
            break;
        }
    }
    let request_token = request_token.expect("the authorize URL was printed");
    let verifier = env
        .fake
        .approve(&request_token, &account)
        .expect("the fake knows the request token");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{verifier}\n").as_bytes())
        .await
        .expect("type the PIN");
    drop(stdin);
    let out = child.wait_with_output().await.expect("dmbot finishes");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(json["user_id"], account.user_id.as_str());
    assert_eq!(json["subscribed"], true);
    assert!(!stdout.contains(&account.token_secret));
    assert!(env.fake.subscriptions().contains(&account.user_id));

    let store = open(&env);
    let id = UserId::parse(account.user_id.as_str()).expect("id");
    let stored = store
        .get_account(&id)
        .await
        .expect("read")
        .expect("the account is stored");
    let sealed = stored.tokens.expect("tokens");
    assert!(sealed.token.starts_with("sealed:v1:"), "stored sealed");
    assert!(!sealed.token_secret.contains(&account.token_secret));
    let tokens = TokenSealer::from_base64_key(TOKEN_KEY)
        .expect("key")
        .open(&id, &sealed)
        .expect("opens with the key");
    assert_eq!(tokens.token, account.token);
    assert_eq!(tokens.token_secret, account.token_secret);
    assert_eq!(stored.screen_name.as_deref(), Some("acme_outdoor"));
    drop(store);

    // The stored tokens work for --account (opened with the key) ...
    let check = env
        .json_local(&["subscription", "check", "--account", &account.user_id])
        .await;
    assert_eq!(check["subscribed"], true);
    // ... and without the key they are refused with what to configure.
    let with_key = env.extra.clone();
    env.extra.clear();
    let refused = env
        .run(&[
            "subscription",
            "check",
            "--account",
            &account.user_id,
            "--data-dir",
            env.data_dir().to_str().expect("utf-8"),
        ])
        .await;
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("token_encryption_key"),
        "{}",
        refused.stderr
    );
    env.extra = with_key;

    // Syncing a flow as the account makes it the account's flow, with links to the account.
    let flow = ops_support::flows_dir().join("support.toml");
    let synced = env
        .json_local(&[
            "flow",
            "sync",
            flow.to_str().expect("utf-8"),
            "--account",
            &account.user_id,
        ])
        .await;
    assert_eq!(synced["account_id"], account.user_id.as_str());
    let store = open(&env);
    let record = store.get_account(&id).await.expect("read").expect("stored");
    assert_eq!(
        record.flow_id,
        Some(format!("acme-support@{}", account.user_id)),
        "the account runs its own copy, with its own Twitter ids"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_login_without_a_pin_should_fail_and_store_nothing() {
    let env = Env::start().await;
    let dir = env.data_dir();
    let run = env
        .run(&[
            "auth",
            "login",
            "--no-subscribe",
            "--data-dir",
            dir.to_str().expect("utf-8"),
        ])
        .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("no PIN"), "{}", run.stderr);
    let store = open(&env);
    assert!(store.list_accounts().await.expect("list").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_list_and_redrive_should_put_failed_messages_back_to_pending() {
    let env = Env::start().await;
    {
        let store = open(&env);
        for event in ["1500000000000000001", "1500000000000000002"] {
            let r = failed_record(event);
            store.put_inbound(&r).await.expect("put");
            store
                .set_inbound_status(
                    &key(),
                    &r.message.event_id,
                    &InboundStatus::Failed {
                        reason: "Twitter refused: code 349".into(),
                        at_ms: 1_700_000_000_200,
                    },
                )
                .await
                .expect("fail it");
        }
    }
    let list = env.json_local(&["failures", "list"]).await;
    let items = list.as_array().expect("a list");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["reason"], "Twitter refused: code 349");
    assert_eq!(items[0]["state"], "failed");
    let first_key = items[0]["key"].as_str().expect("key").to_string();

    let one = env.json_local(&["failures", "redrive", &first_key]).await;
    assert_eq!(one["redriven"], serde_json::json!([first_key]));
    // Still unanswered long after it arrived (no dispatcher ran): listed as stuck, beside the
    // failed one, and it can be sent to the dispatcher again.
    let list = env.json_local(&["failures", "list"]).await;
    let states: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|i| i["state"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(states, ["failed", "stuck"]);
    let again = env.json_local(&["failures", "redrive", &first_key]).await;
    assert_eq!(again["redriven"], serde_json::json!([first_key]));

    let all = env.json_local(&["failures", "redrive", "--all"]).await;
    assert_eq!(all["redriven"].as_array().map(Vec::len), Some(2));
    let store = open(&env);
    for event in ["1500000000000000001", "1500000000000000002"] {
        let r = store
            .get_inbound(&key(), &EventId::parse(event).expect("id"))
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(r.status, InboundStatus::Pending);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_list_should_show_a_message_put_off_with_its_next_attempt_and_why() {
    let env = Env::start().await;
    let until = dmbot_shared::domain::now_ms() + 20 * 60 * 1000;
    {
        let store = open(&env);
        let r = failed_record("1500000000000000003");
        store.put_inbound(&r).await.expect("put");
        let mark = dmbot_shared::store::AttemptMark::Deferred {
            until_ms: until,
            reason: "rate limited by Twitter until the window resets".into(),
            release_lease: true,
            slot_ms: None,
        };
        assert!(
            store
                .mark_inbound(&key(), &r.message.event_id, &mark)
                .await
                .expect("mark")
        );
    }
    let list = env.json_local(&["failures", "list"]).await;
    let items = list.as_array().expect("a list");
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["state"], "deferred");
    assert_eq!(items[0]["next_attempt_ms"], until);
    assert_eq!(
        items[0]["reason"],
        "rate limited by Twitter until the window resets"
    );
    // A redrive sends it now, whatever it was put off until.
    let redriven = env.json_local(&["failures", "redrive", "--all"]).await;
    assert_eq!(redriven["redriven"].as_array().map(Vec::len), Some(1));
    let r = open(&env)
        .get_inbound(&key(), &EventId::parse("1500000000000000003").expect("id"))
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(r.attempt.not_before_ms, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn conversation_show_and_resume_should_end_a_hand_over() {
    let env = Env::start().await;
    {
        let store = open(&env);
        let state = ConversationState {
            node: Some("agent".into()),
            handoff: Some(Handoff {
                since_ms: 1_700_000_000_000,
                reason: HandoffReason::FlowNode,
            }),
            last_activity_ms: 1_700_000_000_000,
            ..ConversationState::default()
        };
        store
            .save_conversation(&key(), &state, 0)
            .await
            .expect("save");
    }
    let shown = env
        .json_local(&["conversation", "show", "4337869213", "9876543210"])
        .await;
    assert_eq!(shown["state"]["node"], "agent");
    assert!(shown["state"]["handoff"].is_object());

    let resumed = env
        .json_local(&["conversation", "resume", "4337869213", "9876543210"])
        .await;
    assert_eq!(resumed["was_paused"], true);
    assert_eq!(resumed["version"], 2);
    let store = open(&env);
    let c = store.load_conversation(&key()).await.expect("load");
    assert!(c.state.handoff.is_none());
    assert!(c.state.node.is_none());
    assert!(c.state.resumed_ms > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_data_dir_in_use_should_be_refused_with_advice() {
    let env = Env::start().await;
    let _held = open(&env);
    let dir = env.data_dir();
    let run = env
        .run(&[
            "failures",
            "list",
            "--data-dir",
            dir.to_str().expect("utf-8"),
        ])
        .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("stop `dmbot serve`"), "{}", run.stderr);
}

fn aws_env(env: &mut Env, moto: &Moto) {
    env.use_moto(moto);
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_put_should_create_then_update_the_secret_without_printing_it() {
    let moto = Moto::shared().await;
    let mut env = Env::start().await;
    aws_env(&mut env, moto);
    let name = format!("dmbot-test/{}", moto.unique_table_name());

    let created = env.run(&["secrets", "put", "--secret-id", &name]).await;
    assert!(created.ok, "{}{}", created.stdout, created.stderr);
    let secret = &env.fake.app().consumer_secret;
    assert!(!created.stdout.contains(secret.as_str()));
    assert!(!created.stderr.contains(secret.as_str()));
    let updated = env.json(&["secrets", "put", "--secret-id", &name]).await;
    assert_eq!(updated["created"], false);

    let sm = aws_sdk_secretsmanager::Client::new(&moto.sdk_config().await);
    let value = sm
        .get_secret_value()
        .secret_id(&name)
        .send()
        .await
        .expect("read the secret back");
    let doc: serde_json::Value =
        serde_json::from_str(value.secret_string().expect("a string secret")).expect("JSON");
    assert_eq!(doc["consumer_key"], env.fake.app().consumer_key.as_str());
    assert_eq!(doc["consumer_secret"], secret.as_str());
    assert_eq!(doc["access_token"], env.fake.owner().token.as_str());
    assert_eq!(
        doc["access_token_secret"],
        env.fake.owner().token_secret.as_str()
    );
    assert!(doc.get("token_encryption_key").is_none());
    // crc and webhook get a secret of their own with the consumer secret alone.
    let webhook = sm
        .get_secret_value()
        .secret_id(format!("{name}-webhook"))
        .send()
        .await
        .expect("read the webhook secret back");
    let webhook: serde_json::Value =
        serde_json::from_str(webhook.secret_string().expect("a string secret")).expect("JSON");
    assert_eq!(
        webhook,
        serde_json::json!({ "consumer_secret": secret.as_str() })
    );
    assert_eq!(updated["webhook_created"], false);

    // A token encryption key goes into the secret; a bad one is refused and nothing changes.
    env.extra
        .push(("TWITTER_TOKEN_ENCRYPTION_KEY".into(), "too-short".into()));
    let refused = env.run(&["secrets", "put", "--secret-id", &name]).await;
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("openssl rand -base64 32"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("too-short"));
    env.extra.pop();
    env.extra
        .push(("TWITTER_TOKEN_ENCRYPTION_KEY".into(), TOKEN_KEY.into()));
    env.json(&["secrets", "put", "--secret-id", &name]).await;
    let value = sm
        .get_secret_value()
        .secret_id(&name)
        .send()
        .await
        .expect("read the secret back");
    let doc: serde_json::Value =
        serde_json::from_str(value.secret_string().expect("a string secret")).expect("JSON");
    assert_eq!(doc["token_encryption_key"], TOKEN_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_list_should_read_dynamodb_when_table_name_is_set() {
    let moto = Moto::shared().await;
    let store = moto.fresh_table().await;
    let r = failed_record("1500000000000000009");
    store.put_inbound(&r).await.expect("put");
    store
        .set_inbound_status(
            &key(),
            &r.message.event_id,
            &InboundStatus::Failed {
                reason: "gave up".into(),
                at_ms: 1_700_000_000_200,
            },
        )
        .await
        .expect("fail it");
    let mut env = Env::start().await;
    aws_env(&mut env, moto);
    env.extra
        .push(("TABLE_NAME".into(), store.table_name().to_string()));
    let list = env.json(&["failures", "list"]).await;
    assert_eq!(list[0]["event_id"], "1500000000000000009");
    let redriven = env.json(&["failures", "redrive", "--all"]).await;
    assert_eq!(redriven["redriven"].as_array().map(Vec::len), Some(1));
    let back = store
        .get_inbound(&key(), &r.message.event_id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(back.status, InboundStatus::Pending);
}

/// L6: at `RUST_LOG=trace` the AWS SDK logged the bodies it sent: `secrets put` put every
/// credential on stderr. The leak check runs at the most verbose level there is.
#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_the_logs_even_at_trace_level() {
    let moto = Moto::shared().await;
    let mut env = Env::start().await;
    aws_env(&mut env, moto);
    env.extra.push(("RUST_LOG".into(), "trace".into()));
    // The SDK's own switch for printing request bodies (as a list of byte values) while signing.
    env.extra.push(("LOG_SIGNABLE_BODY".into(), "true".into()));
    env.extra
        .push(("TWITTER_TOKEN_ENCRYPTION_KEY".into(), TOKEN_KEY.into()));
    let name = format!("dmbot-test/{}", moto.unique_table_name());

    let run = env.run(&["secrets", "put", "--secret-id", &name]).await;
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    // The verbose level took effect (the check below could not pass for want of log lines).
    assert!(run.stderr.contains("DEBUG"), "{}", run.stderr);
    let secrets = [
        env.fake.app().consumer_secret.clone(),
        env.fake.owner().token_secret.clone(),
        TOKEN_KEY.to_string(),
    ];
    for secret in &secrets {
        // As text, and as the SDK prints a body: its bytes in decimal, comma-separated.
        let as_bytes = secret
            .bytes()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        for form in [secret.as_str(), as_bytes.as_str()] {
            assert!(
                !run.stderr.contains(form) && !run.stdout.contains(form),
                "a secret reached the output at trace level"
            );
        }
    }
}

/// The settings a command takes from the environment are named in its `--help`, and
/// `TWITTER_SECRET_ARN` still names the secret when `--secret-id` is not given.
#[tokio::test(flavor = "multi_thread")]
async fn secrets_put_should_name_its_secret_from_twitter_secret_arn_and_say_so_in_help() {
    let moto = Moto::shared().await;
    let mut env = Env::start().await;
    let help = env.run(&["secrets", "put", "--help"]).await;
    assert!(help.ok, "{}", help.stderr);
    assert!(
        help.stdout.contains("[env: TWITTER_SECRET_ARN"),
        "{}",
        help.stdout
    );

    aws_env(&mut env, moto);
    let name = format!("dmbot-test/{}", moto.unique_table_name());
    env.extra.push(("TWITTER_SECRET_ARN".into(), name.clone()));
    let written = env.json(&["secrets", "put"]).await;
    assert_eq!(written["created"], true, "{written}");
    let sm = aws_sdk_secretsmanager::Client::new(&moto.sdk_config().await);
    sm.get_secret_value()
        .secret_id(&name)
        .send()
        .await
        .expect("the secret is named after TWITTER_SECRET_ARN");
}
