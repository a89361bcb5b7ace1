//! What the fake saw and stored, for assertions and for the simulator's chat page: the request
//! log, sent messages, typing and read signals, uploads, webhooks, subscriptions, welcome
//! messages and custom profiles.

use serde_json::Value;

use super::TwitterApi;
use super::request_log::RecordedRequest;
use super::state::{SimProfile, SimUpload, SimWebhook};

impl TwitterApi {
    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.clone()
    }

    /// The requests whose path contains `path`.
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.contains(path))
            .collect()
    }

    /// How many times `oauth2/token` issued a new token.
    pub fn bearer_tokens_issued(&self) -> usize {
        self.shared.lock().bearer_issued
    }

    /// Every DM event sent through the API, oldest first, as the fake returned it.
    pub fn sent_messages(&self) -> Vec<Value> {
        self.shared.lock().dms.clone()
    }

    /// How many DM events were sent through the API (without copying them).
    pub fn sent_count(&self) -> usize {
        self.shared.lock().dms.len()
    }

    /// `(sender, recipient)` of each typing indicator.
    pub fn typing_indicators(&self) -> Vec<(String, String)> {
        self.shared.lock().typing.clone()
    }

    /// `(account, recipient, last_read_event_id)` of each read receipt.
    pub fn read_receipts(&self) -> Vec<(String, String, String)> {
        self.shared.lock().reads.clone()
    }

    pub fn upload(&self, media_id: &str) -> Option<SimUpload> {
        self.shared.lock().uploads.get(media_id).cloned()
    }

    /// An upload's bytes and media type, once finalized (the chat page shows them).
    pub fn media_bytes(&self, media_id: &str) -> Option<(String, Vec<u8>)> {
        let s = self.shared.lock();
        let upload = s.uploads.get(media_id)?;
        Some((upload.media_type.clone(), upload.data.clone()?))
    }

    pub fn webhooks(&self) -> Vec<SimWebhook> {
        self.shared.lock().webhooks.values().cloned().collect()
    }

    /// Every valid webhook's URL.
    pub fn webhook_urls(&self) -> Vec<String> {
        self.shared
            .lock()
            .webhooks
            .values()
            .filter(|w| w.valid)
            .map(|w| w.url.clone())
            .collect()
    }

    /// User ids subscribed in the environment.
    pub fn subscriptions(&self) -> Vec<String> {
        self.shared.lock().subscriptions.iter().cloned().collect()
    }

    /// Ids of the stored welcome messages.
    pub fn welcome_message_ids(&self) -> Vec<String> {
        self.shared.lock().welcomes.keys().cloned().collect()
    }

    /// A message data JSON of a stored welcome message.
    pub fn welcome_message_data(&self, id: &str) -> Option<Value> {
        self.shared
            .lock()
            .welcomes
            .get(id)
            .map(|w| w.message_data.clone())
    }

    /// The message data of a welcome message by id.
    pub fn welcome(&self, id: &str) -> Option<Value> {
        self.welcome_message_data(id)
    }

    /// The default welcome message: the one the newest rule points at, with its message data.
    pub fn default_welcome(&self) -> Option<(String, Value)> {
        let s = self.shared.lock();
        let rule = s.rules.values().last()?;
        let welcome = s.welcomes.get(&rule.welcome_message_id)?;
        Some((
            rule.welcome_message_id.clone(),
            welcome.message_data.clone(),
        ))
    }

    pub fn custom_profile_ids(&self) -> Vec<String> {
        self.shared.lock().profiles.keys().cloned().collect()
    }

    /// A stored custom profile.
    pub fn custom_profile(&self, id: &str) -> Option<SimProfile> {
        self.shared.lock().profiles.get(id).map(|p| SimProfile {
            name: p.name.clone(),
            avatar_media_id: p.avatar_media_id.clone(),
        })
    }
}
