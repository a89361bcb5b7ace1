//! A fake Twitter API (for tests, and the API half of the simulator): an HTTP server on
//! `127.0.0.1:<free port>` with in-memory state that behaves like the v1.1 endpoints the project
//! uses (`docs/TWITTER-API.md` §3–§6).
//!
//! What makes it useful as a test double:
//! - **It checks every request's authentication with its own code** (`oauth`, `auth`).
//!   OAuth 1.0a signatures are verified by an implementation written from RFC 5849 and
//!   Twitter's docs, never by the signer under test. A bad signature, an unknown key or token, a
//!   stale timestamp or a replayed nonce is answered `401` with code 32, as Twitter does. Bearer
//!   tokens must be ones this server issued from `POST oauth2/token`.
//! - **It checks bodies against Twitter's limits** (`limits`), independently of `dmbot_shared::twitter::limits`: a
//!   violation is a Twitter-shaped `400` (`{"errors":[{"code":214,"message":"..."}]}`).
//! - **Faults on demand** (`faults`): [`TwitterApi::fail_next`] makes the next N requests to a
//!   path answer 429 with a reset time, a 5xx, any Twitter error code, or answer late.
//! - **A request log** ([`TwitterApi::requests`]) and accessors for what was stored (sent DMs,
//!   uploads, webhooks, subscriptions, ...) for assertions.
//!
//! The layout: `router` is the one routing table (path, method, authentication, handler per
//! line); the endpoint families of v1.1 are in `v1/` (`dm`, `media`, `welcome`, `profiles`,
//! `activity`, `users`), the OAuth flows in `oauth_flow`; the X API v2 families in `v2/`, with
//! a block of their own in the router.
//!
//! **X API v2** (what a self-serve business buys; X's docs and OpenAPI at docs.x.com): v2 DMs
//! (`POST /2/dm_conversations/with/:id/messages`, user OAuth 1.0a only, body per X's OpenAPI,
//! own unexpired media, only to someone who wrote first, 15/15 min and 1,440/24 h per user and
//! 1,440/24 h per app with `x-rate-limit-*` headers; `GET .../dm_events`), v2 media upload,
//! `/2/webhooks` (same CRC as v1.1), X Activity API and Account Activity v2 subscriptions.
//! Errors are v2's problem shape (`title`, `detail`, `type`, `status`; `errors[].parameters`
//! on a 400), authentication refusals included. Messages are the same stored events for both
//! versions. The limits are a [`V2Config`] ([`TwitterApi::set_v2_config`]) on the fake's
//! clock ([`TwitterApi::advance_clock`]); billable calls and 429s are counted
//! ([`TwitterApi::v2_usage`], priced by [`PRICES_USD`]). [`TwitterApi::deliveries_for`] says
//! what each webhook gets for a DM: the Account Activity envelope for v1.1 webhooks and AAA v2
//! subscriptions, one X Activity API event per POST (`dm.received`, `dm.sent`) for XAA ones.
//!
//! Start one per test with [`TwitterApi::start`]; point the client's API *and* upload base URL
//! at [`TwitterApi::base_url`]; use [`TwitterApi::app`] for the consumer credentials and
//! [`TwitterApi::owner`] (or [`TwitterApi::add_account`]) for user tokens. Dropping the handle
//! stops the server.
//!
//! The server also hosts a webhook for CRC tests: [`TwitterApi::crc_ok_url`] answers the CRC
//! correctly with the app's consumer secret, [`TwitterApi::crc_wrong_url`] with a wrong secret.
//! Registration and `PUT webhooks/:id` only run the CRC when [`TwitterApi::set_crc_check`] is on.

// Handlers and checks return a ready HTTP response as their error: it is what the fake answers.
#![allow(clippy::result_large_err)]

mod auth;
mod crc;
mod faults;
mod inspect;
mod limits;
mod oauth;
mod oauth_flow;
mod reply;
mod request;
mod request_log;
mod router;
mod setup;
mod state;
mod v1;
mod v2;

use std::sync::{Arc, Mutex};

use axum::Router;

pub use auth::AuthSeen;
pub use faults::Fault;
pub use oauth::TIMESTAMP_TOLERANCE_SECS;
pub use request_log::RecordedRequest;
pub use state::{Activity, SimAccount, SimApp, SimProfile, SimUpload, SimWebhook};
pub use v2::{Billable, Delivery, PRICES_USD, V2Config, V2Usage, XaaSubscription};

use state::{Shared, State, new_account, random_string};

/// The running fake. Dropping it stops the server.
pub struct TwitterApi {
    base_url: String,
    app: SimApp,
    owner: SimAccount,
    shared: Arc<Shared>,
    /// The server task when the fake runs its own listener ([`TwitterApi::start`]).
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TwitterApi {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl TwitterApi {
    /// Starts a fake with fresh random credentials, an app owner account (`@fake_owner`) and
    /// the environment `dev`.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port for the simulator");
        let addr = listener.local_addr().expect("local address of the fake");
        let (mut fake, router) = Self::detached(format!("http://{addr}"), None);
        fake.task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        }));
        fake
    }

    /// A fake without its own listener: the caller serves the returned router (as a fallback:
    /// it answers every path under `/1.1/`, `/2/`, `/oauth/`, `/oauth2/` and `/_fake/`) at `base_url`.
    /// OAuth signatures are checked against the `Host` the request came to and its full path,
    /// so the router must not be nested under a prefix. What the account does through the API
    /// is reported on `activity` when given.
    pub fn detached(
        base_url: String,
        activity: Option<tokio::sync::mpsc::UnboundedSender<Activity>>,
    ) -> (Self, Router) {
        let app = SimApp {
            consumer_key: random_string(25),
            consumer_secret: random_string(50),
            app_id: "13090192".into(),
            env_name: "dev".into(),
        };
        let owner = new_account(4337869213, "fake_owner");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(app.clone(), owner.clone(), activity)),
            http: reqwest::Client::new(),
        });
        let router = router::router(shared.clone());
        let fake = Self {
            base_url,
            app,
            owner,
            shared,
            task: None,
        };
        (fake, router)
    }

    /// `http://127.0.0.1:<port>`: use it as both the API and the upload base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The `TWITTER_*` settings under which `dmbot` talks to this fake as the app owner (every
    /// URL, both credentials, the app id and the environment): what the tests and benchmarks
    /// give `dmbot serve` in credentials mode.
    pub fn owner_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TWITTER_CONSUMER_KEY", self.app.consumer_key.clone()),
            ("TWITTER_CONSUMER_SECRET", self.app.consumer_secret.clone()),
            ("TWITTER_ACCESS_TOKEN", self.owner.token.clone()),
            (
                "TWITTER_ACCESS_TOKEN_SECRET",
                self.owner.token_secret.clone(),
            ),
            ("TWITTER_API_BASE_URL", self.base_url.clone()),
            ("TWITTER_UPLOAD_BASE_URL", self.base_url.clone()),
            ("TWITTER_APP_ID", self.app.app_id.clone()),
            ("TWITTER_ENV_NAME", self.app.env_name.clone()),
        ]
    }

    /// The app's consumer credentials, id and environment name.
    pub fn app(&self) -> &SimApp {
        &self.app
    }

    /// The app owner's account and tokens (the one allowed to manage webhooks).
    pub fn owner(&self) -> &SimAccount {
        &self.owner
    }

    /// A webhook URL on this server that answers the CRC correctly.
    pub fn crc_ok_url(&self) -> String {
        format!("{}/_fake/webhook", self.base_url)
    }

    /// A webhook URL on this server that answers the CRC with a wrong secret.
    pub fn crc_wrong_url(&self) -> String {
        format!("{}/_fake/webhook-wrong-secret", self.base_url)
    }
}
