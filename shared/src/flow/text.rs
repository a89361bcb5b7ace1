//! Text handling for flows: keyword matching and placeholders.
//!
//! Customers type on phones, in many languages, with or without accents and capitals. Keywords
//! therefore match on a *folded* form of the text: Unicode NFD decomposition, combining marks
//! removed (so `é` becomes `e`), then lower case. Matching is on whole words: the text and the
//! keyword are both split into words (runs of letters and digits; everything else separates),
//! and a keyword matches when its words appear one after another in the text. So `"menu"`
//! matches `"Menú, please"` but not `"menus"`, and `"return label"` matches
//! `"where's my RETURN   label?"`.
//!
//! Limitation: scripts written without spaces between words (Chinese, Japanese, Thai) are one
//! "word" per run, so a keyword only matches a whole run there.
//!
//! Placeholders: a node's text may say `{customer_name}`; [`render`] fills it in at reply time and
//! makes sure the result is still a valid [`MessageText`].

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::twitter::limits::{MAX_TEXT_CHARS, MessageText};

/// The placeholders a node's text may use.
pub const PLACEHOLDERS: &[&str] = &[CUSTOMER_NAME];

/// `{customer_name}`: the customer's display name as Twitter reported it, or the flow's
/// `customer_name_fallback` when unknown.
pub const CUSTOMER_NAME: &str = "customer_name";

/// How many characters of a customer's name are used in a reply. Twitter display names are at
/// most 50 characters; anything longer did not come from Twitter and is cut.
pub const MAX_NAME_CHARS: usize = 50;

/// Folds text for comparison: NFD, combining marks removed, lower case.
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The folded words of a text: maximal runs of alphanumeric characters.
pub fn words(s: &str) -> Vec<String> {
    fold(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A keyword or key phrase, already split into folded words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// The keyword as the flow file wrote it (for messages and docs).
    pub written: String,
    words: Vec<String>,
}

impl Phrase {
    /// Compiles a keyword; `None` when it holds no letters or digits (it could never match).
    pub fn new(written: &str) -> Option<Self> {
        let words = words(written);
        if words.is_empty() {
            return None;
        }
        Some(Self {
            written: written.to_string(),
            words,
        })
    }

    /// How many words the phrase has (longer phrases are more specific and win ties).
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Always false: a phrase has at least one word.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether the phrase occurs as whole, consecutive words in `text_words`.
    pub fn occurs_in(&self, text_words: &[String]) -> bool {
        text_words
            .windows(self.words.len())
            .any(|w| w == self.words.as_slice())
    }
}

/// Every `{name}` in the text whose name is made of ASCII letters, digits and underscores:
/// these look like placeholders, known or not. Other braces are ordinary characters.
pub fn placeholders_in(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    found.push(name);
                    rest = &after[close + 1..];
                } else {
                    rest = after;
                }
            }
            None => break,
        }
    }
    found
}

/// Cleans a customer name for use in a reply: control characters dropped, whitespace trimmed,
/// at most [`MAX_NAME_CHARS`] characters. `None` when nothing is left.
fn clean_name(name: &str) -> Option<String> {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(MAX_NAME_CHARS)
        .collect();
    (!cleaned.trim().is_empty()).then_some(cleaned)
}

/// Cuts `s` to at most `max` characters, ending with `…` when something was cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Fills the placeholders of a validated text.
///
/// The template is already a valid [`MessageText`]; the filled-in text may be longer (a long
/// name) and is then cut to Twitter's 10,000 characters. Should the result still not be a valid
/// text (it cannot, but a reply must never fail here), the template itself is returned.
pub fn render(template: &MessageText, customer_name: Option<&str>, fallback: &str) -> MessageText {
    let raw = template.as_str();
    if !raw.contains('{') {
        return template.clone();
    }
    let name = customer_name
        .and_then(clean_name)
        .unwrap_or_else(|| fallback.to_string());
    let filled = raw.replace(&format!("{{{CUSTOMER_NAME}}}"), &name);
    MessageText::new(truncate_chars(&filled, MAX_TEXT_CHARS)).unwrap_or_else(|_| template.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase(s: &str) -> Phrase {
        Phrase::new(s).unwrap()
    }

    #[test]
    fn folding_removes_accents_and_case() {
        assert_eq!(fold("MENÚ Déjà Vu"), "menu deja vu");
        assert_eq!(fold("Ångström"), "angstrom");
        // Precomposed and decomposed forms fold to the same text.
        assert_eq!(fold("e\u{301}"), fold("\u{e9}"));
    }

    #[test]
    fn keywords_match_whole_words_only() {
        let menu = phrase("menu");
        assert!(menu.occurs_in(&words("Show me the menu!")));
        assert!(menu.occurs_in(&words("MENÚ")));
        assert!(!menu.occurs_in(&words("menus")));
        assert!(!menu.occurs_in(&words("submenu")));
    }

    #[test]
    fn multi_word_keywords_match_consecutive_words() {
        let p = phrase("return label");
        assert!(p.occurs_in(&words("where's my RETURN   label?")));
        assert!(p.occurs_in(&words("return-label")));
        assert!(!p.occurs_in(&words("label for my return")));
        assert!(!p.occurs_in(&words("return the label")));
    }

    #[test]
    fn keywords_without_letters_or_digits_are_refused() {
        assert!(Phrase::new("  !? ").is_none());
        assert!(Phrase::new("👍").is_none());
    }

    #[test]
    fn placeholders_are_found_and_stray_braces_ignored() {
        assert_eq!(
            placeholders_in("Hi {customer_name}, {oops} { not one } {}"),
            vec!["customer_name", "oops"]
        );
        assert!(placeholders_in("a { b").is_empty());
    }

    #[test]
    fn render_fills_the_name_or_the_fallback() {
        let t = MessageText::new("Hi {customer_name}!").unwrap();
        assert_eq!(render(&t, Some("Jordan"), "there").as_str(), "Hi Jordan!");
        assert_eq!(render(&t, None, "there").as_str(), "Hi there!");
        assert_eq!(render(&t, Some(" \u{7} "), "there").as_str(), "Hi there!");
    }

    #[test]
    fn render_cuts_an_overlong_result_to_the_limit() {
        let body = "x".repeat(MAX_TEXT_CHARS - 20);
        let t = MessageText::new(format!("{body}{{customer_name}}")).unwrap();
        let out = render(&t, Some(&"N".repeat(500)), "there");
        assert_eq!(out.as_str().chars().count(), MAX_TEXT_CHARS);
        assert!(out.as_str().ends_with('…'));
    }

    #[test]
    fn render_never_yields_blank_text() {
        let t = MessageText::new("{customer_name}").unwrap();
        assert_eq!(render(&t, Some("  "), "  ").as_str(), "{customer_name}");
    }
}
