//! [`Endpoint`]: every call the client makes, with its method and path as Twitter documents it,
//! for rate-limit bookkeeping, logs and error messages.

use http::Method;

/// Every call the client makes, for rate-limit bookkeeping, logs and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    SendDirectMessage,
    ShowDirectMessage,
    ListDirectMessages,
    DestroyDirectMessage,
    IndicateTyping,
    MarkRead,
    MediaInit,
    MediaAppend,
    MediaFinalize,
    MediaStatus,
    NewWelcomeMessage,
    UpdateWelcomeMessage,
    ListWelcomeMessages,
    ShowWelcomeMessage,
    DestroyWelcomeMessage,
    NewWelcomeRule,
    ListWelcomeRules,
    ShowWelcomeRule,
    DestroyWelcomeRule,
    NewCustomProfile,
    ShowCustomProfile,
    ListCustomProfiles,
    DestroyCustomProfile,
    RegisterWebhook,
    ListWebhooks,
    ListAllWebhooks,
    TriggerCrc,
    DeleteWebhook,
    Subscribe,
    CheckSubscription,
    ListSubscriptions,
    CountSubscriptions,
    Unsubscribe,
    BearerToken,
    RequestToken,
    AccessToken,
    VerifyCredentials,
    LookupUsers,
    // X API v2 (`client/v2/`).
    SendDmV2,
    DmEventsV2,
    MediaInitializeV2,
    MediaAppendV2,
    MediaFinalizeV2,
    MediaStatusV2,
    CreateWebhookV2,
    ListWebhooksV2,
    ValidateWebhookV2,
    DeleteWebhookV2,
    SubscribeActivityV2,
    ListActivitySubscriptionsV2,
    DeleteActivitySubscriptionV2,
    SubscribeAccountActivityV2,
    ListAccountActivitySubscriptionsV2,
    DeleteAccountActivitySubscriptionV2,
}

impl Endpoint {
    /// Method and path as Twitter documents it, e.g. `POST direct_messages/events/new`.
    pub fn name(self) -> &'static str {
        use Endpoint::*;
        match self {
            SendDirectMessage => "POST direct_messages/events/new",
            ShowDirectMessage => "GET direct_messages/events/show",
            ListDirectMessages => "GET direct_messages/events/list",
            DestroyDirectMessage => "DELETE direct_messages/events/destroy",
            IndicateTyping => "POST direct_messages/indicate_typing",
            MarkRead => "POST direct_messages/mark_read",
            MediaInit => "POST media/upload (INIT)",
            MediaAppend => "POST media/upload (APPEND)",
            MediaFinalize => "POST media/upload (FINALIZE)",
            MediaStatus => "GET media/upload (STATUS)",
            NewWelcomeMessage => "POST direct_messages/welcome_messages/new",
            UpdateWelcomeMessage => "PUT direct_messages/welcome_messages/update",
            ListWelcomeMessages => "GET direct_messages/welcome_messages/list",
            ShowWelcomeMessage => "GET direct_messages/welcome_messages/show",
            DestroyWelcomeMessage => "DELETE direct_messages/welcome_messages/destroy",
            NewWelcomeRule => "POST direct_messages/welcome_messages/rules/new",
            ListWelcomeRules => "GET direct_messages/welcome_messages/rules/list",
            ShowWelcomeRule => "GET direct_messages/welcome_messages/rules/show",
            DestroyWelcomeRule => "DELETE direct_messages/welcome_messages/rules/destroy",
            NewCustomProfile => "POST custom_profiles/new",
            ShowCustomProfile => "GET custom_profiles/:id",
            ListCustomProfiles => "GET custom_profiles/list",
            DestroyCustomProfile => "DELETE custom_profiles/destroy",
            RegisterWebhook => "POST account_activity/all/:env_name/webhooks",
            ListWebhooks => "GET account_activity/all/:env_name/webhooks",
            ListAllWebhooks => "GET account_activity/all/webhooks",
            TriggerCrc => "PUT account_activity/all/:env_name/webhooks/:webhook_id",
            DeleteWebhook => "DELETE account_activity/all/:env_name/webhooks/:webhook_id",
            Subscribe => "POST account_activity/all/:env_name/subscriptions",
            CheckSubscription => "GET account_activity/all/:env_name/subscriptions",
            ListSubscriptions => "GET account_activity/all/:env_name/subscriptions/list",
            CountSubscriptions => "GET account_activity/all/subscriptions/count",
            Unsubscribe => "DELETE account_activity/all/:env_name/subscriptions/:user_id",
            BearerToken => "POST oauth2/token",
            RequestToken => "POST oauth/request_token",
            AccessToken => "POST oauth/access_token",
            VerifyCredentials => "GET account/verify_credentials",
            LookupUsers => "GET users/lookup",
            SendDmV2 => "POST /2/dm_conversations/with/:participant_id/messages",
            DmEventsV2 => "GET /2/dm_conversations/with/:participant_id/dm_events",
            MediaInitializeV2 => "POST /2/media/upload/initialize",
            MediaAppendV2 => "POST /2/media/upload/:id/append",
            MediaFinalizeV2 => "POST /2/media/upload/:id/finalize",
            MediaStatusV2 => "GET /2/media/upload (STATUS)",
            CreateWebhookV2 => "POST /2/webhooks",
            ListWebhooksV2 => "GET /2/webhooks",
            ValidateWebhookV2 => "PUT /2/webhooks/:webhook_id",
            DeleteWebhookV2 => "DELETE /2/webhooks/:webhook_id",
            SubscribeActivityV2 => "POST /2/activity/subscriptions",
            ListActivitySubscriptionsV2 => "GET /2/activity/subscriptions",
            DeleteActivitySubscriptionV2 => "DELETE /2/activity/subscriptions/:subscription_id",
            SubscribeAccountActivityV2 => {
                "POST /2/account_activity/webhooks/:webhook_id/subscriptions/all"
            }
            ListAccountActivitySubscriptionsV2 => {
                "GET /2/account_activity/webhooks/:webhook_id/subscriptions/all/list"
            }
            DeleteAccountActivitySubscriptionV2 => {
                "DELETE /2/account_activity/webhooks/:webhook_id/subscriptions/:user_id/all"
            }
        }
    }

    /// Calls on which Twitter runs a CRC against the webhook, where code 214 means it failed.
    pub(super) fn is_webhook_call(self) -> bool {
        matches!(self, Self::RegisterWebhook | Self::TriggerCrc)
    }

    /// X API v2 calls (a `/2/` path), whose errors are problem documents
    /// (`errors::classify_v2`).
    pub fn is_v2(self) -> bool {
        self.name().contains(" /2/")
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The HTTP method of each call.
pub(super) fn endpoint_method(endpoint: Endpoint) -> Method {
    use Endpoint::*;
    match endpoint {
        ShowDirectMessage
        | ListDirectMessages
        | MediaStatus
        | ListWelcomeMessages
        | ShowWelcomeMessage
        | ListWelcomeRules
        | ShowWelcomeRule
        | ShowCustomProfile
        | ListCustomProfiles
        | ListWebhooks
        | ListAllWebhooks
        | CheckSubscription
        | ListSubscriptions
        | CountSubscriptions
        | VerifyCredentials
        | LookupUsers
        | DmEventsV2
        | MediaStatusV2
        | ListWebhooksV2
        | ListActivitySubscriptionsV2
        | ListAccountActivitySubscriptionsV2 => Method::GET,
        DestroyDirectMessage
        | DestroyWelcomeMessage
        | DestroyWelcomeRule
        | DestroyCustomProfile
        | DeleteWebhook
        | Unsubscribe
        | DeleteWebhookV2
        | DeleteActivitySubscriptionV2
        | DeleteAccountActivitySubscriptionV2 => Method::DELETE,
        UpdateWelcomeMessage | TriggerCrc | ValidateWebhookV2 => Method::PUT,
        SendDirectMessage
        | IndicateTyping
        | MarkRead
        | MediaInit
        | MediaAppend
        | MediaFinalize
        | NewWelcomeMessage
        | NewWelcomeRule
        | NewCustomProfile
        | RegisterWebhook
        | Subscribe
        | BearerToken
        | RequestToken
        | AccessToken
        | SendDmV2
        | MediaInitializeV2
        | MediaAppendV2
        | MediaFinalizeV2
        | CreateWebhookV2
        | SubscribeActivityV2
        | SubscribeAccountActivityV2 => Method::POST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_registration_and_crc_calls_treat_214_as_a_crc_failure() {
        assert!(Endpoint::RegisterWebhook.is_webhook_call());
        assert!(Endpoint::TriggerCrc.is_webhook_call());
        assert!(!Endpoint::SendDirectMessage.is_webhook_call());
    }

    #[test]
    fn v2_calls_are_the_ones_with_a_2_path() {
        assert!(Endpoint::SendDmV2.is_v2());
        assert!(Endpoint::DeleteAccountActivitySubscriptionV2.is_v2());
        assert!(!Endpoint::LookupUsers.is_v2());
        assert!(!Endpoint::BearerToken.is_v2());
    }
}
