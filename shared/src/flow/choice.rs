//! A typed answer to a list of options, for the surfaces without quick-reply buttons (X API v2
//! DMs carry text only, so the options are sent as a numbered list; see `docs/FLOWS.md`,
//! "Rendering on X API v2").
//!
//! [`pick`] maps what the customer typed to the option it names, so that the flow routes it
//! exactly like a tap on that option:
//! - a number of the list: `2`, `2.`, `2)`, `#2` (surrounding spaces ignored);
//! - the option's label, compared on whole words, ignoring case, accents and punctuation: the
//!   reply is the label (`where is my order` for `Where is my order?`), or the label appears in
//!   it as whole words (`I'd like to talk to a person` for `Talk to a person`), when exactly one
//!   option's label does. When several do, the longest label wins; a tie picks nothing.
//!
//! Anything else picks nothing: the reply is free text, and the flow handles it as such.

use super::text::{Phrase, words};

/// The index (0-based) of the option `reply` names among `labels` (in list order), if any.
pub fn pick<S: AsRef<str>>(reply: &str, labels: &[S]) -> Option<usize> {
    if let Some(n) = list_number(reply) {
        return (1..=labels.len()).contains(&n).then(|| n - 1);
    }
    let said = words(reply);
    if said.is_empty() {
        return None;
    }
    let mut best: Option<(usize, usize)> = None; // (index, label length in words)
    let mut tied = false;
    for (index, label) in labels.iter().enumerate() {
        let Some(label) = Phrase::new(label.as_ref()) else {
            continue; // no letters or digits: only its number picks it
        };
        if !label.occurs_in(&said) {
            continue;
        }
        match best {
            Some((_, len)) if len > label.len() => {}
            Some((_, len)) if len == label.len() => tied = true,
            _ => {
                best = Some((index, label.len()));
                tied = false;
            }
        }
    }
    if tied { None } else { best.map(|(i, _)| i) }
}

/// `2`, `2.`, `2)` or `#2`: the number, if `reply` is only that. Numbers too long to be a list
/// position are not one.
fn list_number(reply: &str) -> Option<usize> {
    let s = reply.trim();
    let s = s.strip_prefix('#').unwrap_or(s);
    let s = s
        .strip_suffix('.')
        .or_else(|| s.strip_suffix(')'))
        .unwrap_or(s);
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MENU: [&str; 3] = ["Where is my order?", "Talk to a person", "Returns"];

    #[test]
    fn numbers_in_every_written_form_pick_that_option() {
        for reply in ["2", "2.", "#2", " 2 ", "2)", "#2."] {
            assert_eq!(pick(reply, &MENU), Some(1), "{reply:?}");
        }
        assert_eq!(pick("1", &MENU), Some(0));
        assert_eq!(pick("3", &MENU), Some(2));
    }

    #[test]
    fn numbers_outside_the_list_pick_nothing() {
        for reply in [
            "0",
            "4",
            "#0",
            "99999999999999999999",
            "2.5",
            "-1",
            "#",
            ".",
        ] {
            assert_eq!(pick(reply, &MENU), None, "{reply:?}");
        }
    }

    #[test]
    fn labels_match_ignoring_case_accents_and_punctuation() {
        assert_eq!(pick("where is my order", &MENU), Some(0));
        assert_eq!(pick("WHERE IS MY ORDER???", &MENU), Some(0));
        assert_eq!(pick("returns", &MENU), Some(2));
        let menu = ["Café crème", "Thé"];
        assert_eq!(pick("cafe CREME", &menu), Some(0));
        assert_eq!(pick("the", &menu), Some(1));
        // Composed and decomposed forms of the same letter are the same.
        assert_eq!(pick("Cafe\u{301} cre\u{300}me", &menu), Some(0));
    }

    #[test]
    fn a_label_inside_a_sentence_counts_on_whole_words_only() {
        assert_eq!(pick("I'd like to talk to a person please", &MENU), Some(1));
        assert_eq!(pick("my returns", &MENU), Some(2));
        // "Returns" is not the word "returnsx", nor part of "returnsy".
        assert_eq!(pick("returnsx", &MENU), None);
        assert_eq!(pick("talk to a personal shopper", &MENU), None);
    }

    #[test]
    fn the_longest_label_wins_and_a_tie_picks_nothing() {
        let menu = ["Order", "Order status", "Refund"];
        assert_eq!(pick("order status please", &menu), Some(1));
        assert_eq!(pick("order", &menu), Some(0));
        assert_eq!(pick("order or refund?", &menu), None);
    }

    #[test]
    fn free_text_and_empty_replies_pick_nothing() {
        for reply in ["", "   ", "hello", "?!", "🙂"] {
            assert_eq!(pick(reply, &MENU), None, "{reply:?}");
        }
        assert_eq!(pick::<&str>("1", &[]), None);
        // A label with no letters or digits can only be picked by number.
        assert_eq!(pick("👍", &["👍", "👎"]), None);
        assert_eq!(pick("2", &["👍", "👎"]), Some(1));
    }
}
