//! Test setup and knobs of the fake: more accounts, queued faults, the request log, the CRC,
//! sign-in approval, bearer invalidation, video processing, and state set directly without an
//! API call (webhooks, subscriptions, messages from the other side).

use serde_json::Value;

use super::TwitterApi;
use super::faults::{Fault, FaultEntry};
use super::state::{SimAccount, SimWebhook, new_account, random_string};

impl TwitterApi {
    /// Adds another account that authorised the app, with fresh tokens.
    pub fn add_account(&self, screen_name: &str) -> SimAccount {
        let mut s = self.shared.lock();
        let user_id = 3_001_969_357 + s.accounts.len() as u64;
        let account = new_account(user_id, screen_name);
        s.accounts.push(account.clone());
        account
    }

    /// The next `count` requests whose path contains `path` get `fault` (after authentication
    /// is checked, except for [`Fault::Delay`], which comes first, and [`Fault::AnswerLate`],
    /// which comes after the request took effect). Faults queue in order.
    pub fn fail_next(&self, path: &str, count: usize, fault: Fault) {
        self.shared.lock().faults.push(FaultEntry {
            path: path.to_string(),
            remaining: count,
            fault,
        });
    }

    /// Whether every request is kept for [`Self::requests`] (on by default). A long load run
    /// turns it off: the log keeps each request's body and would grow by gigabytes.
    pub fn keep_request_log(&self, keep: bool) {
        let mut s = self.shared.lock();
        s.logging = keep;
        if !keep {
            s.log = Vec::new();
        }
    }

    /// Whether webhook registration and `PUT webhooks/:id` run a real CRC GET (default off).
    pub fn set_crc_check(&self, on: bool) {
        self.shared.lock().crc_check = on;
    }

    /// Whether `oauth/request_token` answers `oauth_callback_confirmed=true` (default).
    pub fn set_callback_confirmed(&self, confirmed: bool) {
        self.shared.lock().callback_confirmed = confirmed;
    }

    /// Plays the person approving the app on the authorize page: binds the request token to
    /// `account` and returns the `oauth_verifier` Twitter would put on the callback.
    pub fn approve(&self, request_token: &str, account: &SimAccount) -> Option<String> {
        let mut s = self.shared.lock();
        let state = s.request_tokens.get_mut(request_token)?;
        let verifier = random_string(32);
        state.verifier = Some(verifier.clone());
        state.account = Some(account.clone());
        Some(verifier)
    }

    /// Invalidates the issued bearer token (as `oauth2/invalidate_token` would): requests with
    /// it get 401 code 89, and the next `oauth2/token` issues a new one.
    pub fn invalidate_bearer(&self) {
        self.shared.lock().bearer = None;
    }

    /// STATUS polls a `dm_video` upload stays `in_progress` after FINALIZE (default 1), and
    /// whether processing then fails instead of succeeding.
    pub fn set_video_processing(&self, polls: u32, fails: bool) {
        let mut s = self.shared.lock();
        s.video_polls = polls;
        s.processing_fails = fails;
    }

    /// Registers a valid webhook directly, without the API call and its CRC (test setup).
    pub fn add_webhook(&self, url: &str) {
        let mut s = self.shared.lock();
        let id = s.fresh_id();
        let env = s.app.env_name.clone();
        s.webhooks.insert(
            id.clone(),
            SimWebhook {
                id,
                env,
                url: url.to_string(),
                valid: true,
                created_at: "2026-01-01 00:00:00 +0000".into(),
            },
        );
    }

    /// Subscribes a user directly (test setup).
    pub fn add_subscription(&self, user_id: &str) {
        self.shared.lock().subscriptions.insert(user_id.to_string());
    }

    /// Sets a registered webhook's `valid` flag, as Twitter does after its periodic CRC (a test
    /// plays Twitter disabling a webhook). Returns false when no webhook has this id.
    pub fn set_webhook_valid(&self, id: &str, valid: bool) -> bool {
        match self.shared.lock().webhooks.get_mut(id) {
            Some(w) => {
                w.valid = valid;
                true
            }
            None => false,
        }
    }

    /// A fresh snowflake-like id (ids grow, as Twitter's do).
    pub fn next_event_id(&self) -> String {
        self.shared.lock().fresh_id()
    }

    /// Stores a DM event that did not come through the API (a customer writing to the account,
    /// a person answering from Twitter's own app), so that `events/show` and `list` know it.
    pub fn record_message(&self, event: Value) {
        self.shared.lock().dms.push(event);
    }
}
