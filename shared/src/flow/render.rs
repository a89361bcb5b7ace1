//! What one reply plan becomes on a surface that carries text only (X API v2 DMs: `text` and one
//! attachment; `docs/FLOWS.md`, "Rendering on X API v2"). The v1.1 surface sends the plan as it
//! is (quick replies, buttons and the custom profile are fields of the message).
//!
//! The text is the node's text, then, each block after a blank line:
//! - the quick-reply options as a numbered list, `1. Label` (with ` - description` when the
//!   options have descriptions); a typed `1`, `#1` or the label routes like a tap
//!   ([`super::choice::pick`]);
//! - the buttons, one `Label: https://…` line each;
//! - the signature line `— Profile name`, when the flow signs its messages and the node speaks
//!   as a custom profile.
//!
//! The result must still fit a Direct Message's text limit: a node that would not is refused
//! by `dmbot flow check --api v2` and, should one slip through, by [`plain_text`] at send time.

use crate::twitter::limits::{Buttons, LimitError, MessageText, QuickReply};

/// The field errors name, so that an operator knows the limit was hit after rendering.
const RENDERED_FIELD: &str =
    "text (with its options, buttons and signature written out for X API v2)";

/// The text-only form of a reply. `signature` is the custom profile's name when the flow signs.
pub fn plain_text(
    text: &MessageText,
    quick_reply: Option<&QuickReply>,
    buttons: Option<&Buttons>,
    signature: Option<&str>,
) -> Result<MessageText, LimitError> {
    MessageText::new(written_out(text, quick_reply, buttons, signature)).map_err(|e| LimitError {
        field: RENDERED_FIELD.to_owned(),
        problem: e.problem,
    })
}

/// The text [`plain_text`] sends, before its length is checked (`flow check --api v2` says by
/// how much a node is over).
pub(super) fn written_out(
    text: &MessageText,
    quick_reply: Option<&QuickReply>,
    buttons: Option<&Buttons>,
    signature: Option<&str>,
) -> String {
    let mut out = text.as_str().trim_end().to_owned();
    if let Some(quick_reply) = quick_reply {
        out.push('\n');
        for (n, option) in quick_reply.options().iter().enumerate() {
            out.push_str(&format!("\n{}. {}", n + 1, option.label.as_str()));
            if let Some(description) = &option.description {
                out.push_str(" - ");
                out.push_str(description.as_str());
            }
        }
    }
    if let Some(buttons) = buttons {
        out.push('\n');
        for button in buttons.as_slice() {
            out.push_str(&format!(
                "\n{}: {}",
                button.label.as_str(),
                button.url.as_str()
            ));
        }
    }
    if let Some(name) = signature {
        out.push_str("\n\n\u{2014} ");
        out.push_str(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twitter::limits::{Button, MAX_TEXT_CHARS, QuickReplyOption};

    fn text(s: &str) -> MessageText {
        MessageText::new(s).expect("valid text")
    }

    fn menu(descriptions: bool) -> QuickReply {
        let d = |s: &str| descriptions.then(|| s.to_owned());
        QuickReply::new(vec![
            QuickReplyOption::new(
                "Where is my order?",
                d("Track a parcel"),
                Some("order".into()),
            )
            .expect("option"),
            QuickReplyOption::new("Talk to a person", d("Opens a chat"), Some("agent".into()))
                .expect("option"),
        ])
        .expect("menu")
    }

    #[test]
    fn text_alone_is_unchanged() {
        let out = plain_text(&text("Hello!"), None, None, None).expect("fits");
        assert_eq!(out.as_str(), "Hello!");
    }

    #[test]
    fn options_become_a_numbered_list_and_buttons_label_url_lines() {
        let buttons = Buttons::new(vec![
            Button::new("Track", "https://example.com/track").expect("button"),
            Button::new("Help centre", "https://example.com/help").expect("button"),
        ])
        .expect("buttons");
        let out = plain_text(
            &text("How can we help?"),
            Some(&menu(false)),
            Some(&buttons),
            Some("Acme Assistant"),
        )
        .expect("fits");
        assert_eq!(
            out.as_str(),
            "How can we help?\n\n1. Where is my order?\n2. Talk to a person\n\n\
             Track: https://example.com/track\nHelp centre: https://example.com/help\n\n\
             \u{2014} Acme Assistant"
        );
    }

    #[test]
    fn descriptions_follow_their_label() {
        let out = plain_text(&text("Menu"), Some(&menu(true)), None, None).expect("fits");
        assert_eq!(
            out.as_str(),
            "Menu\n\n1. Where is my order? - Track a parcel\n2. Talk to a person - Opens a chat"
        );
    }

    #[test]
    fn a_reply_over_the_limit_once_written_out_is_refused_and_says_why() {
        let long = "x".repeat(MAX_TEXT_CHARS - 5);
        assert!(plain_text(&text(&long), None, None, None).is_ok());
        let error = plain_text(&text(&long), Some(&menu(false)), None, None)
            .expect_err("the options push it over");
        let message = error.to_string();
        assert!(message.contains("X API v2"), "{message}");
        assert!(message.contains("10000"), "{message}");
    }
}
