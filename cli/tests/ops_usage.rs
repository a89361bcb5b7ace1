//! `dmbot usage`: the billable calls counted per account and day, and their list-price spend,
//! read from the store (`--data-dir` here).

mod ops_support;

use dmbot_shared::domain::{UserId, now_ms};
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::store::usage::{BillableKind, Usage, UsageDay};
use ops_support::Env;

const ACCOUNT: &str = "4337869213";
const DAY_MS: u64 = 86_400_000;

#[tokio::test(flavor = "multi_thread")]
async fn usage_shows_each_days_calls_by_kind_and_their_estimated_spend() {
    let env = Env::start().await;
    let today = UsageDay::from_ms(now_ms());
    let yesterday = UsageDay::from_ms(now_ms() - DAY_MS);
    let long_ago = UsageDay::from_ms(now_ms() - 30 * DAY_MS);
    {
        std::fs::create_dir_all(env.data_dir()).unwrap();
        let store = EmbeddedStore::open(env.data_dir().join("dmbot.redb")).unwrap();
        let account = UserId::parse(ACCOUNT).unwrap();
        for (day, kind, n) in [
            (&today, BillableKind::DmSend, 3),
            (&today, BillableKind::DmEventRead, 2),
            (&today, BillableKind::TypingIndicator, 1),
            (&yesterday, BillableKind::DmSend, 1),
            (&long_ago, BillableKind::DmSend, 50),
        ] {
            store.record(Some(&account), day, kind, n).await.unwrap();
        }
    }

    let report = env
        .json_local(&["usage", "--account", ACCOUNT, "--days", "2"])
        .await;

    assert_eq!(report["account_id"], ACCOUNT);
    let days = report["days"].as_array().expect("days");
    assert_eq!(days.len(), 2, "{report}");
    assert_eq!(days[0]["day"], yesterday.as_str());
    assert_eq!(days[1]["counts"]["dm_send"], 3);
    assert_eq!(days[1]["counts"]["dm_event_read"], 2);
    assert_eq!(days[1]["counts"]["typing_indicator"], 1);
    let spend = report["estimated_spend_usd"].as_f64().expect("spend");
    assert!(
        (spend - 0.080).abs() < 1e-9,
        "3 sends + 2 reads today, 1 send yesterday: {spend}"
    );
    assert_eq!(report["prices_usd"]["dm_send"], 0.015);
    assert_eq!(report["prices_from"], "list");

    let dir = env.data_dir();
    let text = env
        .run(&[
            "usage",
            "--account",
            ACCOUNT,
            "--data-dir",
            dir.to_str().unwrap(),
        ])
        .await;
    assert!(text.ok, "{}", text.stderr);
    assert!(text.stdout.contains("dm_send 3"), "{}", text.stdout);
    assert!(
        text.stdout.contains("estimated spend: $0.080"),
        "{}",
        text.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_refuses_a_range_it_cannot_read() {
    let env = Env::start().await;
    let dir = env.data_dir();
    let run = env
        .run(&["usage", "--days", "0", "--data-dir", dir.to_str().unwrap()])
        .await;
    assert!(!run.ok);
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_prices_with_x_prices_usd_and_shows_the_prices_it_used() {
    let mut env = Env::start().await;
    let today = UsageDay::from_ms(now_ms());
    {
        std::fs::create_dir_all(env.data_dir()).unwrap();
        let store = EmbeddedStore::open(env.data_dir().join("dmbot.redb")).unwrap();
        let account = UserId::parse(ACCOUNT).unwrap();
        for (kind, n) in [
            (BillableKind::DmSend, 2),
            (BillableKind::DmReceivedDelivery, 2),
            (BillableKind::MediaUpload, 1),
        ] {
            store.record(Some(&account), &today, kind, n).await.unwrap();
        }
    }
    env.extra.push((
        "X_PRICES_USD".into(),
        "dm_send=0.02, media_upload=0.005".into(),
    ));

    let report = env.json_local(&["usage", "--account", ACCOUNT]).await;

    assert_eq!(report["prices_from"], "X_PRICES_USD");
    assert_eq!(report["prices_usd"]["dm_send"], 0.02);
    assert_eq!(report["prices_usd"]["media_upload"], 0.005);
    assert_eq!(report["prices_usd"]["dm_received_delivery"], 0.01);
    let spend = report["estimated_spend_usd"].as_f64().expect("spend");
    assert!(
        (spend - 0.065).abs() < 1e-9,
        "2 sends at 0.02, 2 deliveries at 0.01, 1 upload at 0.005: {spend}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_refuses_a_price_setting_it_cannot_read_and_names_the_bad_part() {
    let mut env = Env::start().await;
    env.extra
        .push(("X_PRICES_USD".into(), "dm_send=0.015,dm_sent=0.01".into()));
    let dir = env.data_dir();
    let run = env
        .run(&[
            "usage",
            "--account",
            ACCOUNT,
            "--data-dir",
            dir.to_str().unwrap(),
        ])
        .await;
    assert!(!run.ok, "{}", run.stdout);
    assert!(run.stderr.contains("X_PRICES_USD"), "{}", run.stderr);
    assert!(run.stderr.contains("\"dm_sent\""), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_app_shows_every_accounts_calls_together() {
    let env = Env::start().await;
    let today = UsageDay::from_ms(now_ms());
    {
        std::fs::create_dir_all(env.data_dir()).unwrap();
        let store = EmbeddedStore::open(env.data_dir().join("dmbot.redb")).unwrap();
        for account in [ACCOUNT, "4337869214"] {
            let account = UserId::parse(account).unwrap();
            dmbot_shared::store::usage::record_billable(
                &store,
                &account,
                &today,
                BillableKind::DmSend,
                2,
            )
            .await
            .unwrap();
        }
    }

    let report = env.json_local(&["usage", "--app", "--days", "1"]).await;

    assert_eq!(report["account_id"], serde_json::Value::Null, "{report}");
    assert_eq!(report["days"][0]["counts"]["dm_send"], 4, "{report}");
    let one = env
        .json_local(&["usage", "--account", ACCOUNT, "--days", "1"])
        .await;
    assert_eq!(one["days"][0]["counts"]["dm_send"], 2, "{one}");
    let both = env.run(&["usage", "--app", "--account", ACCOUNT]).await;
    assert!(!both.ok, "--app and --account together are refused");
}
