//! The chat page in headless Chromium: the example flow walked as a customer would, then a
//! human agent's answer. Chromium is driven over WebDriver (`chromedriver`, W3C protocol) with
//! a few plain HTTP calls.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's `chromium` and
//! `chromium-driver`; `scripts/test.sh` installs them). Without them the test says so and passes
//! (set `DMBOT_REQUIRE_BROWSER=1` to make a missing browser a failure, as CI does).
//!
//! The local stack runs in this process ([`support::InProcess`]); its log is captured
//! ([`capture_log`], once per process). The second test, the same page on X API v2, runs its
//! own stack alongside; it never logs an agent message, the one line the first test looks for.
//! Both walk the example flow: by tapping chips on v1.1, by typing numbers on v2.

mod support;

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use support::{InProcess, eventually};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The log of everything in this process (at `info`, as the subprocess tests run `serve`), as
/// text.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("the log buffer")).into_owned()
    }
}

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("the log buffer")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends this process's log lines to a [`Log`] (once per process).
fn capture_log() -> Log {
    let log = Log::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_env_filter(dmbot_shared::telemetry::filter_from(Some("info")))
        .with_writer(move || writer.clone())
        .init();
    log
}

/// A WebDriver session on a chromedriver started for the test.
struct Browser {
    http: reqwest::Client,
    session: String,
    driver_url: String,
    _driver: tokio::process::Child,
}

impl Browser {
    async fn start(profile_dir: &Path) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let driver_url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        eventually("chromedriver to be ready", || async {
            let v: Value = http
                .get(format!("{driver_url}/status"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            v["value"]["ready"].as_bool().filter(|r| *r)
        })
        .await;
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile_dir.display()),
                ]
            }
        }}});
        let created: Value = http
            .post(format!("{driver_url}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session JSON");
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        Browser {
            http,
            session,
            driver_url,
            _driver: driver,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.driver_url, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req
            .send()
            .await
            .expect("webdriver call")
            .json()
            .await
            .expect("webdriver JSON");
        v["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    /// Runs `script` (a function body; `return` gives the value) in the page.
    async fn js(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    async fn find(&self, using: &str, value: &str) -> Option<String> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": using, "value": value})),
            )
            .await;
        v[ELEMENT_KEY].as_str().map(str::to_string)
    }

    async fn click(&self, element: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn type_into(&self, element: &str, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Clicks the quick-reply chip whose label starts with `label`, once it is on the page.
    async fn tap_chip(&self, label: &str) {
        let xpath = format!(
            "//button[contains(@class,'chip') and starts-with(normalize-space(.),'{label}')]"
        );
        let chip = eventually(&format!("the chip {label:?}"), || async {
            self.find("xpath", &xpath).await
        })
        .await;
        self.click(&chip).await;
    }

    /// Waits until `script` returns `true`.
    async fn wait_for(&self, what: &str, script: &str) {
        eventually(what, || async {
            (self.js(script).await == json!(true)).then_some(())
        })
        .await;
    }

    async fn close(&self) {
        self.call(reqwest::Method::DELETE, "", None).await;
    }
}

#[tokio::test]
async fn the_chat_page_walks_the_example_flow_and_an_agent_takes_over() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var_os("DMBOT_REQUIRE_BROWSER").is_none(),
            "{CHROMIUM} and {CHROMEDRIVER} are required (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: {CHROMIUM} or {CHROMEDRIVER} is missing");
        return;
    }
    let log = capture_log();
    let dir = tempfile::tempdir().unwrap();
    let served = InProcess::start(&dir.path().join("data"), &[], &["--sim-retry-secs", "1"]).await;
    let browser = Browser::start(&dir.path().join("chromium-profile")).await;
    browser.goto(&format!("{}/", served.base_url)).await;
    browser
        .wait_for(
            "the page to load",
            "return document.body.dataset.ready === '1'",
        )
        .await;

    // The default welcome message with its quick replies.
    browser
        .wait_for(
            "the welcome message",
            "return [...document.querySelectorAll('.row.welcome .text')].some(e => e.textContent.includes('Welcome to Acme Outdoor'))",
        )
        .await;
    browser
        .wait_for(
            "the welcome's chips",
            "return document.querySelectorAll('#chips .chip').length === 5",
        )
        .await;

    // A quick reply: the answer has an image, and comes from the bot's custom profile.
    browser.tap_chip("Size guide").await;
    browser
        .wait_for(
            "the size chart image",
            "const i = document.querySelector('.row.bot img.attachment'); return !!i && i.complete && i.naturalWidth > 0",
        )
        .await;
    browser
        .wait_for(
            "the custom profile's name and avatar",
            "const n = document.querySelector('.row.bot .profile-name'); const a = document.querySelector('.row.bot img.profile-avatar'); \
             return !!n && n.textContent.length > 0 && !!a && a.complete && a.naturalWidth > 0",
        )
        .await;
    browser
        .wait_for("the customer's tap shown as a message", "return [...document.querySelectorAll('.row.customer .text')].some(e => e.textContent === 'Size guide')")
        .await;
    browser
        .wait_for(
            "the typing indicator",
            "return document.getElementById('typing').dataset.seen === '1'",
        )
        .await;

    // Buttons: the FAQ answer links out.
    browser.tap_chip("Back to the menu").await;
    browser.tap_chip("Questions (FAQ)").await;
    browser
        .wait_for(
            "the FAQ buttons as links",
            "return [...document.querySelectorAll('.row.bot a.cta')].some(a => a.href.startsWith('https://acme-outdoor.example/'))",
        )
        .await;

    // Hand-over: the customer asks for a person.
    let input = browser
        .find("css selector", "#customer-input")
        .await
        .expect("the customer's input");
    browser.type_into(&input, "agent").await;
    let send = browser
        .find("css selector", "#customer-send")
        .await
        .expect("the send button");
    browser.click(&send).await;
    browser
        .wait_for(
            "the hand-over message",
            "return [...document.querySelectorAll('.row.bot .text')].some(e => e.textContent.includes('A person from our team will take it from here'))",
        )
        .await;

    // The agent answers as the account; the customer sees it, the webhook records a person.
    let agent_input = browser
        .find("css selector", "#agent-input")
        .await
        .expect("the agent's input");
    browser
        .type_into(&agent_input, "Hi Jordan, this is Dana from the team.")
        .await;
    let agent_send = browser
        .find("css selector", "#agent-send")
        .await
        .expect("the agent's send button");
    browser.click(&agent_send).await;
    browser
        .wait_for(
            "the agent's answer in the customer's pane",
            "return [...document.querySelectorAll('#messages .row.agent .text')].some(e => e.textContent.includes('this is Dana'))",
        )
        .await;
    eventually(
        "the agent's message ingested as a hand-over signal",
        || async { log.text().contains("agent_messages=1").then_some(()) },
    )
    .await;

    browser.close().await;
    served.stop().await;
}

/// The same page on X API v2 (`TWITTER_API=v2`): no welcome message and no chips; the bot's
/// options arrive as a numbered list in the text, links as `Label: URL` lines, and the customer
/// answers by typing. (No log capture here: the other test owns this process's subscriber.)
#[tokio::test]
async fn on_x_api_v2_the_chat_page_shows_numbered_options_and_takes_typed_answers() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var_os("DMBOT_REQUIRE_BROWSER").is_none(),
            "{CHROMIUM} and {CHROMEDRIVER} are required (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: {CHROMIUM} or {CHROMEDRIVER} is missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let served = InProcess::start(
        &dir.path().join("data"),
        &[("TWITTER_API", "v2".to_string())],
        &["--sim-retry-secs", "1"],
    )
    .await;
    let browser = Browser::start(&dir.path().join("chromium-profile")).await;
    browser.goto(&format!("{}/", served.base_url)).await;
    browser
        .wait_for(
            "the page to load",
            "return document.body.dataset.ready === '1'",
        )
        .await;
    let input = browser
        .find("css selector", "#customer-input")
        .await
        .expect("the customer's input");
    let send = browser
        .find("css selector", "#customer-send")
        .await
        .expect("the send button");
    let say = |text: &'static str| {
        let (browser, input, send) = (&browser, input.clone(), send.clone());
        async move {
            browser.type_into(&input, text).await;
            browser.click(&send).await;
        }
    };

    say("good morning").await;
    browser
        .wait_for(
            "the greeting with its options numbered in the text",
            "return [...document.querySelectorAll('.row.bot .text')].some(e => e.textContent.includes('Welcome to Acme Outdoor') && e.textContent.includes('3. Size guide'))",
        )
        .await;
    browser
        .wait_for(
            "no chips and no welcome message on v2",
            "return document.querySelectorAll('#chips .chip').length === 0 && document.querySelectorAll('.row.welcome').length === 0",
        )
        .await;

    say("4").await;
    browser
        .wait_for(
            "the FAQ, its buttons written as links in the text",
            "return [...document.querySelectorAll('.row.bot .text')].some(e => e.textContent.includes(': https://acme-outdoor.example/')) && document.querySelectorAll('.row.bot a.cta').length === 0",
        )
        .await;
    browser
        .wait_for(
            "no typing indicator on v2",
            "return document.getElementById('typing').dataset.seen !== '1'",
        )
        .await;

    browser.close().await;
    served.stop().await;
}
