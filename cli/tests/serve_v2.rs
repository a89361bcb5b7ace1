//! `TWITTER_API=v2 dmbot serve`: the simulator speaks X API v2 to the local stack, started in
//! this process. The webhook is registered on `/2/webhooks`, the chat page's messages arrive as
//! X Activity API deliveries, and the bot answers with v2 DMs: text only, options numbered.

mod support;

use serde_json::{Value, json};
use support::{InProcess, eventually};

#[tokio::test]
async fn the_chat_page_conversation_runs_on_x_api_v2_with_numbered_options() {
    let dir = tempfile::tempdir().unwrap();
    let stack = InProcess::start(
        &dir.path().join("data"),
        &[("TWITTER_API", "v2".to_string())],
        &[],
    )
    .await;
    assert!(stack.banner.contains("X API v2"), "{}", stack.banner);
    let http = reqwest::Client::new();
    let base = stack.base_url.clone();

    // No welcome message on v2: the customer writes first.
    let state: Value = http
        .get(format!("{base}/sim/api/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(state["welcome"].is_null(), "{state}");

    let say = |text: &'static str| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let r = http
                .post(format!("{base}/sim/api/customer"))
                .json(&json!({ "text": text }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
        }
    };
    let bot_texts = |min: usize| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let v: Value = http
                .get(format!("{base}/sim/api/feed?after=0"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            let texts: Vec<String> = v["items"]
                .as_array()?
                .iter()
                .filter(|i| i["from"] == "bot" && i["kind"] == "message")
                .filter_map(|i| {
                    i.pointer("/event/message_create/message_data/text")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect();
            (texts.len() >= min).then_some(texts)
        }
    };

    // A first message that matches nothing is greeted with the default welcome's node.
    say("good morning").await;
    let texts = eventually("the greeting", || bot_texts(1)).await;
    assert!(
        texts[0].starts_with("Hi! 👋 Welcome to Acme Outdoor support."),
        "{}",
        texts[0]
    );
    assert!(texts[0].contains("\n3. Size guide"), "{}", texts[0]);

    // Typing the option's number routes like a tap.
    say("3").await;
    let texts = eventually("the size guide", || bot_texts(2)).await;
    assert!(
        texts[1].starts_with("Here is our size chart"),
        "{}",
        texts[1]
    );
    assert!(texts[1].contains("\n1. Still not sure"), "{}", texts[1]);
    stack.stop().await;
}
