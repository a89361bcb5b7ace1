//! Welcome messages and their rules (`docs/TWITTER-API.md` §4): what a person sees when they open a
//! conversation with the account, before writing anything. A *rule* makes a welcome message the
//! default (the newest rule wins); a deep link can open a conversation on any welcome message
//! ([`crate::twitter::api_types::welcome_message_deep_link`]). List and show allow 15 calls per 15
//! minutes.

use serde::Deserialize;

use super::{Auth, Body, Call, Endpoint, TwitterClient, page_query};
use crate::twitter::api_types::{
    PageSize, WelcomeMessage, WelcomeMessageId, WelcomeMessagePage, WelcomeRule, WelcomeRuleId,
    WelcomeRulePage,
};
use crate::twitter::errors::TwitterError;
use crate::twitter::limits::{WelcomeMessageData, WelcomeMessageName};
use crate::twitter::oauth1::TokenCredentials;

/// Pages [`TwitterClient::list_all_welcome_messages`] follows at most (50 per page).
const MAX_PAGES: usize = 100;

/// Create/show/update answer `{"welcome_message":{...}, "name":"..."}`: the name sits beside
/// the object.
#[derive(Deserialize)]
struct WelcomeEnvelope {
    welcome_message: WelcomeMessage,
    #[serde(default)]
    name: Option<String>,
}

impl WelcomeEnvelope {
    fn into_message(self) -> WelcomeMessage {
        let mut message = self.welcome_message;
        if message.name.is_none() {
            message.name = self.name;
        }
        message
    }
}

#[derive(Deserialize)]
struct RuleEnvelope {
    welcome_message_rule: WelcomeRule,
}

impl TwitterClient {
    /// `POST direct_messages/welcome_messages/new.json`. The name is the operator's label
    /// (≤ 100 characters), not shown to customers.
    pub async fn create_welcome_message(
        &self,
        account: &TokenCredentials,
        name: Option<&WelcomeMessageName>,
        data: &WelcomeMessageData,
    ) -> Result<WelcomeMessage, TwitterError> {
        let mut welcome = serde_json::Map::new();
        if let Some(n) = name {
            welcome.insert("name".into(), n.as_str().into());
        }
        welcome.insert(
            "message_data".into(),
            to_json(Endpoint::NewWelcomeMessage, data)?,
        );
        let call = Call {
            endpoint: Endpoint::NewWelcomeMessage,
            url: self.api_url("1.1/direct_messages/welcome_messages/new.json", &[])?,
            auth: Auth::user(account),
            body: Body::Json(serde_json::json!({ "welcome_message": welcome })),
        };
        let created: WelcomeEnvelope = self.json(call).await?;
        Ok(created.into_message())
    }

    /// `PUT direct_messages/welcome_messages/update.json?id=`: replaces the message data whole.
    pub async fn update_welcome_message(
        &self,
        account: &TokenCredentials,
        id: &WelcomeMessageId,
        data: &WelcomeMessageData,
    ) -> Result<WelcomeMessage, TwitterError> {
        let call = Call {
            endpoint: Endpoint::UpdateWelcomeMessage,
            url: self.api_url(
                "1.1/direct_messages/welcome_messages/update.json",
                &[("id", id.as_str())],
            )?,
            auth: Auth::user(account),
            body: Body::Json(
                serde_json::json!({ "message_data": to_json(Endpoint::UpdateWelcomeMessage, data)? }),
            ),
        };
        let updated: WelcomeEnvelope = self.json(call).await?;
        Ok(updated.into_message())
    }

    /// `GET direct_messages/welcome_messages/list.json`: one page (count ≤ 50).
    pub async fn list_welcome_messages(
        &self,
        account: &TokenCredentials,
        count: Option<PageSize>,
        cursor: Option<&str>,
    ) -> Result<WelcomeMessagePage, TwitterError> {
        let count = count.map(|c| c.get().to_string());
        let call = Call {
            endpoint: Endpoint::ListWelcomeMessages,
            url: self.api_url(
                "1.1/direct_messages/welcome_messages/list.json",
                &page_query(&count, cursor),
            )?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.json(call).await
    }

    /// Every welcome message, following `next_cursor` (50 per page). Mind the 15-per-15-minutes
    /// limit when there are many.
    pub async fn list_all_welcome_messages(
        &self,
        account: &TokenCredentials,
    ) -> Result<Vec<WelcomeMessage>, TwitterError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .list_welcome_messages(
                    account,
                    PageSize::new(PageSize::MAX).ok(),
                    cursor.as_deref(),
                )
                .await?;
            all.extend(page.welcome_messages);
            match page.next_cursor.filter(|c| !c.is_empty()) {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Ok(all)
    }

    /// `GET direct_messages/welcome_messages/show.json?id=`.
    pub async fn show_welcome_message(
        &self,
        account: &TokenCredentials,
        id: &WelcomeMessageId,
    ) -> Result<WelcomeMessage, TwitterError> {
        let call = Call {
            endpoint: Endpoint::ShowWelcomeMessage,
            url: self.api_url(
                "1.1/direct_messages/welcome_messages/show.json",
                &[("id", id.as_str())],
            )?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        let shown: WelcomeEnvelope = self.json(call).await?;
        Ok(shown.into_message())
    }

    /// `DELETE direct_messages/welcome_messages/destroy.json?id=` (204).
    pub async fn destroy_welcome_message(
        &self,
        account: &TokenCredentials,
        id: &WelcomeMessageId,
    ) -> Result<(), TwitterError> {
        let call = Call {
            endpoint: Endpoint::DestroyWelcomeMessage,
            url: self.api_url(
                "1.1/direct_messages/welcome_messages/destroy.json",
                &[("id", id.as_str())],
            )?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.no_content(call).await
    }

    /// `POST direct_messages/welcome_messages/rules/new.json`: makes `welcome` the default.
    pub async fn create_welcome_rule(
        &self,
        account: &TokenCredentials,
        welcome: &WelcomeMessageId,
    ) -> Result<WelcomeRule, TwitterError> {
        let call = Call {
            endpoint: Endpoint::NewWelcomeRule,
            url: self.api_url("1.1/direct_messages/welcome_messages/rules/new.json", &[])?,
            auth: Auth::user(account),
            body: Body::Json(serde_json::json!({
                "welcome_message_rule": { "welcome_message_id": welcome.as_str() }
            })),
        };
        let created: RuleEnvelope = self.json(call).await?;
        Ok(created.welcome_message_rule)
    }

    /// `GET direct_messages/welcome_messages/rules/list.json`: one page.
    pub async fn list_welcome_rules(
        &self,
        account: &TokenCredentials,
        count: Option<PageSize>,
        cursor: Option<&str>,
    ) -> Result<WelcomeRulePage, TwitterError> {
        let count = count.map(|c| c.get().to_string());
        let call = Call {
            endpoint: Endpoint::ListWelcomeRules,
            url: self.api_url(
                "1.1/direct_messages/welcome_messages/rules/list.json",
                &page_query(&count, cursor),
            )?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.json(call).await
    }

    /// `GET direct_messages/welcome_messages/rules/show.json?id=`.
    pub async fn show_welcome_rule(
        &self,
        account: &TokenCredentials,
        id: &WelcomeRuleId,
    ) -> Result<WelcomeRule, TwitterError> {
        let call = Call {
            endpoint: Endpoint::ShowWelcomeRule,
            url: self.api_url(
                "1.1/direct_messages/welcome_messages/rules/show.json",
                &[("id", id.as_str())],
            )?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        let shown: RuleEnvelope = self.json(call).await?;
        Ok(shown.welcome_message_rule)
    }

    /// `DELETE direct_messages/welcome_messages/rules/destroy.json?id=` (204): no default
    /// welcome message any more.
    pub async fn destroy_welcome_rule(
        &self,
        account: &TokenCredentials,
        id: &WelcomeRuleId,
    ) -> Result<(), TwitterError> {
        let call = Call {
            endpoint: Endpoint::DestroyWelcomeRule,
            url: self.api_url(
                "1.1/direct_messages/welcome_messages/rules/destroy.json",
                &[("id", id.as_str())],
            )?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.no_content(call).await
    }
}

fn to_json(
    endpoint: Endpoint,
    data: &WelcomeMessageData,
) -> Result<serde_json::Value, TwitterError> {
    serde_json::to_value(data).map_err(|e| TwitterError::invalid(endpoint.name(), e.to_string()))
}
