//! What the engine needs to know about one inbound message.

use crate::domain::InboundMessage;

/// What the engine needs to know about one inbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineInput<'a> {
    /// The customer's text (a tapped quick reply sends its label as text).
    pub text: &'a str,
    /// `quick_reply_response.metadata`, when the customer tapped an option.
    pub quick_reply_metadata: Option<&'a str>,
    /// `initiated_via.welcome_message_id`, when the conversation was opened from one.
    pub welcome_message_id: Option<&'a str>,
    /// The customer's display name, for `{customer_name}`.
    pub customer_name: Option<&'a str>,
    /// When a person last wrote from the account in this conversation (ms since epoch), as the
    /// store recorded it.
    pub agent_last_active_ms: Option<u64>,
    /// The time of the message (ms since epoch). Prefer the message's own timestamp to the
    /// clock, so that a retry decides the same way.
    pub now_ms: u64,
    /// The bot's options reached the customer as a numbered list (X API v2 has no quick-reply
    /// buttons): a typed number or label of the current node's options picks that option as a
    /// tap would ([`crate::flow::choice::pick`]).
    pub typed_choices: bool,
    /// The surface cannot show welcome messages (X API v2): a new conversation whose first
    /// message matches nothing gets the default welcome message's node (the greeting, with its
    /// options) instead of `start` ([`super::Via::Greeting`]).
    pub no_welcome_messages: bool,
}

impl<'a> EngineInput<'a> {
    /// The input for a stored inbound message; `now_ms` is the message's creation time. The
    /// surface is v1.1's (taps, welcome messages) unless [`EngineInput::on_text_only_surface`]
    /// says otherwise.
    pub fn from_message(message: &'a InboundMessage, agent_last_active_ms: Option<u64>) -> Self {
        Self {
            text: &message.text,
            quick_reply_metadata: message.quick_reply_metadata.as_deref(),
            welcome_message_id: message.welcome_message_id.as_deref(),
            customer_name: message.customer_name.as_deref(),
            agent_last_active_ms,
            now_ms: message.created_ms,
            typed_choices: false,
            no_welcome_messages: false,
        }
    }

    /// The same input, with the options shown as a numbered list (`typed` true on X API v2).
    pub fn with_typed_choices(self, typed: bool) -> Self {
        Self {
            typed_choices: typed,
            ..self
        }
    }

    /// The same input for a surface that carries text only (`text_only` true on X API v2):
    /// options are typed ([`EngineInput::typed_choices`]) and there are no welcome messages
    /// ([`EngineInput::no_welcome_messages`]). The dispatcher sets both this way.
    pub fn on_text_only_surface(self, text_only: bool) -> Self {
        Self {
            typed_choices: text_only,
            no_welcome_messages: text_only,
            ..self
        }
    }
}
