//! End-to-end tests of `dmbot serve`: the local stack started in this process
//! ([`support::InProcess`]), or the real binary where the test reads what only a process shows
//! (its log on stderr, its exit status, SIGTERM).
//!
//! With credentials, `serve` talks to the tests' fake Twitter (`TWITTER_API_BASE_URL`), which
//! checks every OAuth signature and Twitter's limits: a signed delivery posted to the webhook
//! must come back as a reply on the fake. Without credentials, `serve` runs its simulator.

mod support;

use dmbot_simulator::TwitterApi;
use dmbot_simulator::live::sign;
use serde_json::{Value, json};
use support::{InProcess, Served, credentials_env, eventually};

const CUSTOMER: &str = "3001969357";

/// A delivery of one customer DM to the account, as Twitter shapes it.
fn customer_dm(fake: &TwitterApi, event_id: &str, text: &str, metadata: Option<&str>) -> Value {
    let account = &fake.owner().user_id;
    let mut data = json!({"text": text, "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}});
    if let Some(m) = metadata {
        data["quick_reply_response"] = json!({"type": "options", "metadata": m});
    }
    json!({
        "for_user_id": account,
        "direct_message_events": [{
            "type": "message_create",
            "id": event_id,
            "created_timestamp": "1516403560557",
            "message_create": {
                "target": {"recipient_id": account},
                "sender_id": CUSTOMER,
                "message_data": data,
            }
        }],
        "users": {
            account: {"id": account, "name": "Acme Support", "screen_name": "acmesupport"},
            CUSTOMER: {"id": CUSTOMER, "name": "Jordan Brinks", "screen_name": "furiouscamper"},
        }
    })
}

/// The simulator, and `serve` (with `extra` arguments) started in a temporary directory with
/// credentials pointing at it.
async fn serve_with_credentials(extra: &[&str]) -> (TwitterApi, tempfile::TempDir, Served) {
    let fake = TwitterApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(
        dir.path(),
        &dir.path().join("data"),
        &credentials_env(&fake),
        extra,
    )
    .await;
    (fake, dir, served)
}

/// The simulator, and the stack started in this process with credentials pointing at it.
async fn in_process_with_credentials() -> (TwitterApi, tempfile::TempDir, InProcess) {
    let fake = TwitterApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let stack = InProcess::start(&dir.path().join("data"), &credentials_env(&fake), &[]).await;
    (fake, dir, stack)
}

async fn post_signed(base_url: &str, secret: &str, body: &Value) -> (u16, Value) {
    let bytes = body.to_string().into_bytes();
    let response = reqwest::Client::new()
        .post(format!("{base_url}/webhooks/twitter"))
        .header("x-twitter-webhooks-signature", sign(secret, &bytes))
        .header("content-type", "application/json")
        .body(bytes)
        .send()
        .await
        .expect("serve answers");
    let status = response.status().as_u16();
    let json = response.json().await.unwrap_or(Value::Null);
    (status, json)
}

fn replies_to_customer(fake: &TwitterApi) -> Vec<Value> {
    fake.sent_messages()
        .into_iter()
        .filter(|m| m.pointer("/message_create/target/recipient_id") == Some(&json!(CUSTOMER)))
        .collect()
}

#[tokio::test]
async fn with_credentials_a_signed_delivery_is_answered_through_the_configured_twitter() {
    let (fake, _dir, served) = in_process_with_credentials().await;
    assert!(served.banner.contains("listening on http://127.0.0.1:"));

    // The CRC, as Twitter runs it.
    let crc: Value = reqwest::get(format!(
        "{}/webhooks/twitter?crc_token=abc",
        served.base_url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        crc["response_token"].as_str().unwrap(),
        dmbot_shared_crc(&fake.app().consumer_secret, "abc")
    );

    // A tap on the "Size guide" quick reply: the answer carries the size chart, uploaded to
    // the fake by the dispatcher, and the custom profile is not used (none synced).
    let delivery = customer_dm(&fake, "1600000000000000001", "Size guide", Some("sizing"));
    let (status, summary) =
        post_signed(&served.base_url, &fake.app().consumer_secret, &delivery).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["stored"], 1);

    let reply = eventually("the reply on the simulator", || async {
        replies_to_customer(&fake).into_iter().next()
    })
    .await;
    let data = &reply["message_create"]["message_data"];
    assert!(
        data["text"]
            .as_str()
            .unwrap()
            .starts_with("Here is our size chart"),
        "{data}"
    );
    assert!(data.pointer("/attachment/media/id_str").is_some(), "{data}");
    assert!(!fake.requests_to("media/upload.json").is_empty());
    assert!(
        !fake.read_receipts().is_empty(),
        "the message was marked read"
    );
    served.stop().await;
}

#[tokio::test]
async fn a_delivery_with_a_wrong_signature_is_refused_and_nothing_is_sent() {
    let (fake, _dir, served) = in_process_with_credentials().await;
    let delivery = customer_dm(&fake, "1600000000000000002", "hello", None);
    let (status, body) = post_signed(&served.base_url, "not-the-consumer-secret", &delivery).await;
    assert_eq!(status, 401, "{body}");
    // Health still answers, and the refused delivery stored nothing to answer.
    let health = reqwest::get(format!("{}/healthz", served.base_url))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    served.stop().await;
    assert!(replies_to_customer(&fake).is_empty());
}

#[tokio::test]
async fn with_log_format_json_every_log_line_is_a_json_object() {
    let (fake, _dir, served) = serve_with_credentials(&["--log-format", "json"]).await;
    let delivery = customer_dm(&fake, "1600000000000000003", "hello", None);
    let (status, body) =
        post_signed(&served.base_url, &fake.app().consumer_secret, &delivery).await;
    assert_eq!(status, 200, "{body}");
    let log = served.log();
    served.terminate().await;

    let entries: Vec<Value> = log
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let stored = entries
        .iter()
        .find(|e| e["fields"]["message"] == "webhook delivery stored")
        .unwrap_or_else(|| panic!("no delivery line in {log}"));
    assert_eq!(stored["level"], "INFO");
    assert_eq!(stored["fields"]["stored"], 1);
    assert!(stored["fields"]["latency_us"].is_u64(), "{stored}");
}

#[tokio::test]
async fn sigterm_stops_serve_cleanly_and_its_data_survives_a_restart() {
    let fake = TwitterApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = credentials_env(&fake);
    let delivery = customer_dm(&fake, "1600000000000000003", "returns", None);

    let first = Served::start(dir.path(), &data, &env, &[]).await;
    let (status, summary) =
        post_signed(&first.base_url, &fake.app().consumer_secret, &delivery).await;
    assert_eq!((status, summary["stored"].as_u64()), (200, Some(1)));
    eventually("the first reply", || async {
        replies_to_customer(&fake).into_iter().next()
    })
    .await;
    let log_before = first.log();
    let exit = first.terminate().await;
    assert!(exit.success(), "exit status {exit:?}; log:\n{log_before}");

    // Twitter re-sends the same event: the store file remembers it.
    let second = Served::start(dir.path(), &data, &env, &[]).await;
    let (status, summary) =
        post_signed(&second.base_url, &fake.app().consumer_secret, &delivery).await;
    assert_eq!(status, 200);
    assert_eq!(summary["duplicates"], 1, "{summary}");
    assert_eq!(summary["stored"], 0, "{summary}");
    second.terminate().await;
    assert_eq!(replies_to_customer(&fake).len(), 1, "one reply, not two");
}

#[tokio::test]
async fn at_start_serve_sweeps_messages_older_than_the_ttl_out_of_its_data_file() {
    use dmbot_shared::domain::{
        ConversationKey, EventId, InboundMessage, InboundRecord, InboundStatus, UserId,
    };
    use dmbot_shared::store::embedded::EmbeddedStore;
    use dmbot_shared::store::{Inbox, Outbox};

    let fake = TwitterApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let conversation = ConversationKey::new(
        UserId::parse(fake.owner().user_id.clone()).unwrap(),
        UserId::parse("9100").unwrap(),
    );
    let event = |id: &str| EventId::parse(id).unwrap();
    // A message answered and a reply sent in 2020: long past the 30-day TTL.
    let long_ago = 1_600_000_000_000;
    {
        let store = EmbeddedStore::open(data.join("dmbot.redb")).unwrap();
        let message = InboundMessage::text(
            event("1300000000000000001"),
            conversation.clone(),
            long_ago,
            "an old question",
        );
        let record = InboundRecord {
            message,
            status: InboundStatus::Answered {
                reply_event_id: Some(event("1300000000000000002")),
                at_ms: long_ago,
            },
            received_ms: long_ago,
            attempt: Default::default(),
        };
        store.put_inbound(&record).await.unwrap();
        store
            .record_sent(
                &conversation,
                &event("1300000000000000002"),
                &event("1300000000000000001"),
                long_ago,
            )
            .await
            .unwrap();
    }

    let served = Served::start(dir.path(), &data, &credentials_env(&fake), &[]).await;
    let line = eventually("the start-up sweep's log line", || async {
        served
            .log()
            .lines()
            .find(|l| l.contains("sweep: removed"))
            .map(str::to_string)
    })
    .await;
    assert!(line.contains("removed=2"), "{line}");
    served.terminate().await;

    let store = EmbeddedStore::open(data.join("dmbot.redb")).unwrap();
    assert_eq!(
        store
            .get_inbound(&conversation, &event("1300000000000000001"))
            .await
            .unwrap(),
        None
    );
    assert!(
        !store
            .is_sent_by_bot(&conversation, &event("1300000000000000002"))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_revoke_is_answered_at_once_and_the_accounts_data_goes_in_the_background() {
    use dmbot_shared::domain::{ConversationKey, EventId, UserId};
    use dmbot_shared::store::embedded::EmbeddedStore;
    use dmbot_shared::store::{Inbox, Revocations};

    let (fake, dir, served) = serve_with_credentials(&[]).await;
    let secret = fake.app().consumer_secret.clone();
    let delivery = customer_dm(&fake, "1600000000000000021", "hello", None);
    let (status, _) = post_signed(&served.base_url, &secret, &delivery).await;
    assert_eq!(status, 200);
    eventually("the reply", || async {
        replies_to_customer(&fake).into_iter().next()
    })
    .await;

    let account = fake.owner().user_id.clone();
    let revoke = json!({"user_event": {"revoke": {
        "date_time": "2018-05-24T09:48:12+00:00",
        "target": {"app_id": fake.app().app_id},
        "source": {"user_id": account}
    }}});
    for _ in 0..2 {
        let (status, summary) = post_signed(&served.base_url, &secret, &revoke).await;
        assert_eq!(
            (status, summary["accounts_forgotten"].as_u64()),
            (200, Some(1))
        );
    }
    let line = eventually("the background removal's log line", || async {
        served
            .log()
            .lines()
            .find(|l| l.contains("removed revoked accounts' data"))
            .map(str::to_string)
    })
    .await;
    assert!(line.contains("accounts_done: 1"), "{line}");
    served.terminate().await;

    let store = EmbeddedStore::open(dir.path().join("data").join("dmbot.redb")).unwrap();
    let conversation = ConversationKey::new(
        UserId::parse(account).unwrap(),
        UserId::parse(CUSTOMER).unwrap(),
    );
    let event = EventId::parse("1600000000000000021").unwrap();
    assert_eq!(
        store.get_inbound(&conversation, &event).await.unwrap(),
        None
    );
    assert!(store.pending_forgets(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn partial_credentials_are_refused_with_the_missing_names() {
    let dir = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_dmbot"))
        .args(["serve", "--port", "0", "--flow"])
        .arg(support::example_flow())
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .current_dir(dir.path())
        .env("TWITTER_CONSUMER_KEY", "only-this-one")
        .env_remove("TWITTER_CONSUMER_SECRET")
        .env_remove("TWITTER_ACCESS_TOKEN")
        .env_remove("TWITTER_ACCESS_TOKEN_SECRET")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TWITTER_ACCESS_TOKEN_SECRET"), "{stderr}");
}

#[tokio::test]
async fn without_credentials_the_simulator_carries_a_conversation_and_a_hand_over() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(
        dir.path(),
        &dir.path().join("data"),
        &[],
        &["--sim-retry-secs", "1"],
    )
    .await;
    assert!(served.banner.contains("listening on"));
    let http = reqwest::Client::new();
    let base = served.base_url.clone();

    let state: Value = http
        .get(format!("{base}/sim/api/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let welcome = &state["welcome"]["message_data"];
    assert!(
        welcome["quick_reply"]["options"]
            .as_array()
            .is_some_and(|o| !o.is_empty()),
        "{state}"
    );

    let feed = |after: u64| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let v: Value = http
                .get(format!("{base}/sim/api/feed?after={after}"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            v["items"].as_array().cloned()
        }
    };
    let post = |path: &'static str, body: Value| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let r = http
                .post(format!("{base}{path}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
        }
    };

    post(
        "/sim/api/customer",
        json!({"text": "Size guide", "quick_reply_metadata": "sizing"}),
    )
    .await;
    let bot = eventually("the bot's answer on the page feed", || async {
        feed(0)
            .await?
            .into_iter()
            .find(|i| i["from"] == "bot" && i["kind"] == "message")
    })
    .await;
    let data = &bot["event"]["message_create"]["message_data"];
    assert!(data.pointer("/attachment/media/id_str").is_some(), "{bot}");
    assert!(
        bot["profile"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "{bot}"
    );

    // The agent answers from Twitter's web app: its echo reaches the webhook as an agent message.
    post("/sim/api/agent", json!({"text": "Hi, this is Dana."})).await;
    eventually("the agent's message delivered to the webhook", || async {
        served.log().contains("agent_messages=1").then_some(())
    })
    .await;
    served.terminate().await;
}

/// `sha256=<base64(HMAC-SHA256(secret, token))>`, computed with the simulator's signer (the
/// same construction Twitter uses for deliveries and the CRC).
fn dmbot_shared_crc(secret: &str, token: &str) -> String {
    sign(secret, token.as_bytes())
}

/// A 429 whose reset is beyond the batch's budget (30 s in `serve`): the message is put off
/// until the reset, not retried every second, and answered after it. (The Lambda path's
/// 20-minute case is in `tests/dispatch/`; the lane waits for any time the same way.)
#[tokio::test]
async fn a_rate_limit_resetting_after_the_batch_budget_is_waited_out_by_the_lane() {
    let (fake, _dir, served) = in_process_with_credentials().await;
    let reset_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 40;
    fake.fail_next(
        "direct_messages/events/new.json",
        1,
        dmbot_simulator::Fault::RateLimited { reset_at },
    );
    let delivery = customer_dm(&fake, "1600000000000000031", "hello", None);
    let (status, _) = post_signed(&served.base_url, &fake.app().consumer_secret, &delivery).await;
    assert_eq!(status, 200);

    let reply = support::eventually_within(
        "the reply after the reset",
        std::time::Duration::from_secs(120),
        || async { replies_to_customer(&fake).into_iter().next() },
    )
    .await;
    let sent_at_ms: u64 = reply["created_timestamp"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    assert!(sent_at_ms >= reset_at * 1000, "answered before the reset");
    assert_eq!(
        fake.requests_to("direct_messages/events/new.json").len(),
        2,
        "one refused attempt, then the reply"
    );
    assert_eq!(replies_to_customer(&fake).len(), 1);
    served.stop().await;
}

/// `LocalStack::build` serves HTTP before its last steps (the simulator's CRC needs it): when a
/// later step fails, the server is stopped and the port given back, not left running in the
/// caller's process.
#[tokio::test]
async fn a_stack_whose_set_up_fails_late_gives_its_port_back() {
    use clap::Parser;
    use dmbot_cli::serve::{LocalStack, ServeArgs, ServeError};

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        serve: ServeArgs,
    }
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let data = dir.path().join("data");
    let flow = support::example_flow();
    let args = Command::try_parse_from([
        "serve",
        "--port",
        &port,
        "--data-dir",
        data.to_str().unwrap(),
        "--flow",
        flow.to_str().unwrap(),
    ])
    .unwrap()
    .serve;
    // Simulator mode, and sealed tokens required without a key: the flow is synced and the
    // webhook registered through the server, then storing the account is refused.
    let config = args
        .config(None, |var| {
            (var == "TWITTER_REQUIRE_SEALED_TOKENS").then(|| "true".to_string())
        })
        .unwrap();
    let refused = LocalStack::build(config).await;
    assert!(
        matches!(refused, Err(ServeError::Seal(_))),
        "{:?}",
        refused.err()
    );
    std::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .expect("the failed stack's port is free again");
}

/// `dmbot serve --help` names the settings it reads from the environment: its flags' variables
/// (`[env: ...]`) and, after the flags, the `TWITTER_*` settings.
#[tokio::test]
async fn serve_help_names_the_settings_it_reads_from_the_environment() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_dmbot"))
        .args(["serve", "--help"])
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for shown in [
        "[env: DMBOT_LOG_FORMAT",
        "[env: DMBOT_DATA_DIR",
        "TWITTER_CONSUMER_KEY",
        "TWITTER_APP_ID",
        "TWITTER_API_BASE_URL",
    ] {
        assert!(help.contains(shown), "{shown} is not in:\n{help}");
    }
}
