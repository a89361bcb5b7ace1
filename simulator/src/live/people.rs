//! The people on both ends of a conversation: the simulated customer writing to the account,
//! a human agent answering as the account from Twitter's web app, and the Account Activity
//! envelope their messages (and the bot's) are delivered in.

use serde_json::{Value, json};

use super::{FeedItem, Simulator, TWITTER_WEB_APP_ID};

impl Simulator {
    /// The customer writes to the account: `text`, with the metadata of the quick-reply option
    /// they tapped (Twitter sends the option's label as the text). Their first message carries
    /// `initiated_via.welcome_message_id` of the default welcome message, as when a conversation
    /// is opened on it. Returns the event id.
    pub fn customer_sends(&self, text: &str, quick_reply_metadata: Option<&str>) -> String {
        let (id, envelope) =
            self.customer_message(&self.inner.customer_id.clone(), text, quick_reply_metadata);
        self.deliver(envelope);
        id
    }

    /// Another customer (`customer_id`) writes `text` to the account: the event is stored (so
    /// the API's DM list knows it) and shown; returns its id and the delivery to make, with
    /// [`Simulator::deliver`] (in the background) or [`Simulator::deliver_now`].
    pub fn message_from(&self, customer_id: &str, text: &str) -> (String, Value) {
        self.customer_message(customer_id, text, None)
    }

    fn customer_message(
        &self,
        customer_id: &str,
        text: &str,
        quick_reply_metadata: Option<&str>,
    ) -> (String, Value) {
        let id = self.inner.fake.next_event_id();
        let mut message_data = json!({"text": text, "entities": empty_entities()});
        if let Some(metadata) = quick_reply_metadata {
            message_data["quick_reply_response"] = json!({"type": "options", "metadata": metadata});
        }
        let mut event = json!({
            "type": "message_create",
            "id": id,
            "created_timestamp": now_ms().to_string(),
            "message_create": {
                "target": {"recipient_id": self.account_id()},
                "sender_id": customer_id,
                "message_data": message_data,
            }
        });
        if customer_id == self.inner.customer_id {
            let first = !std::mem::replace(&mut self.lock().customer_wrote, true);
            if first && let Some((welcome_id, _)) = self.inner.fake.default_welcome() {
                event["initiated_via"] = json!({"welcome_message_id": welcome_id});
            }
        }
        self.inner.fake.record_message(event.clone());
        self.push(FeedItem::message("customer", event.clone(), None));
        (id, self.envelope_for(event))
    }

    /// A person answers as the account from Twitter's web app (`source_app_id` 258901): the
    /// bot sees a message from the account that it did not send, i.e. a hand-over.
    pub fn agent_sends(&self, text: &str) -> String {
        let id = self.inner.fake.next_event_id();
        let event = json!({
            "type": "message_create",
            "id": id,
            "created_timestamp": now_ms().to_string(),
            "message_create": {
                "target": {"recipient_id": self.inner.customer_id},
                "sender_id": self.account_id(),
                "source_app_id": TWITTER_WEB_APP_ID,
                "message_data": {"text": text, "entities": empty_entities()},
            }
        });
        self.inner.fake.record_message(event.clone());
        self.push(FeedItem::message("agent", event.clone(), None));
        self.deliver(self.envelope_for(event));
        id
    }

    /// The Account Activity delivery of one DM event for the account, with the users and apps
    /// maps Twitter adds.
    pub(super) fn envelope_for(&self, event: Value) -> Value {
        let owner = self.inner.fake.owner();
        let app = self.inner.fake.app();
        let mut users = serde_json::Map::new();
        users.insert(
            owner.user_id.clone(),
            user_json(
                &owner.user_id,
                &self.inner.config.account_name,
                &owner.screen_name,
            ),
        );
        users.insert(
            self.inner.customer_id.clone(),
            user_json(
                &self.inner.customer_id,
                &self.inner.config.customer_name,
                "sim_customer",
            ),
        );
        let mut apps = serde_json::Map::new();
        if let Some(source) = event
            .pointer("/message_create/source_app_id")
            .and_then(Value::as_str)
        {
            let (name, url) = if source == TWITTER_WEB_APP_ID {
                ("Twitter Web App", "https://mobile.twitter.com")
            } else if source == app.app_id {
                ("dmbot", "https://github.com/")
            } else {
                ("Another app", "https://example.com")
            };
            apps.insert(
                source.to_string(),
                json!({"id": source, "name": name, "url": url}),
            );
        }
        json!({
            "for_user_id": owner.user_id,
            "direct_message_events": [event],
            "users": users,
            "apps": apps,
        })
    }
}

fn empty_entities() -> Value {
    json!({"hashtags": [], "symbols": [], "user_mentions": [], "urls": []})
}

fn user_json(id: &str, name: &str, screen_name: &str) -> Value {
    json!({
        "id": id,
        "created_timestamp": "1422556069340",
        "name": name,
        "screen_name": screen_name,
        "protected": false,
        "verified": false,
        "profile_image_url_https": "https://pbs.twimg.com/profile_images/default_normal.png",
    })
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
