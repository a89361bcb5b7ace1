//! Flow defaults (`customer_name_fallback`, `typing`, `mark_read`), `[handoff]` and `[v2]`.

use super::super::HandoffSettings;
use super::super::definition::{FlowFile, HandoffFile};
use super::super::text::{self, Phrase};
use super::{Checker, DEFAULT_CUSTOMER_NAME, MAX_RESUME_AFTER_MINUTES};

/// The customer-name fallback, then whether replies show typing and mark messages read.
pub(super) fn check_defaults(c: &mut Checker, def: &FlowFile) -> (String, bool, bool) {
    let customer_name_fallback = def
        .customer_name_fallback
        .clone()
        .unwrap_or_else(|| DEFAULT_CUSTOMER_NAME.to_string());
    if customer_name_fallback.trim().is_empty()
        || customer_name_fallback.chars().count() > text::MAX_NAME_CHARS
    {
        c.problem(
            None,
            "customer_name_fallback",
            format!("must be 1 to {} characters", text::MAX_NAME_CHARS),
        );
    }
    let typing = def.typing.unwrap_or(true);
    let mark_read = def.mark_read.unwrap_or(true);
    (customer_name_fallback, typing, mark_read)
}

/// `[handoff]`: when a hand-over ends by itself (idle time, keywords).
pub(super) fn check_handoff(c: &mut Checker, handoff: &HandoffFile) -> HandoffSettings {
    let resume_after_ms = match handoff.resume_after_minutes {
        None => None,
        Some(0) => {
            c.problem(
                None,
                "handoff.resume_after_minutes",
                "must be at least 1 (leave it out to never resume by idle time)",
            );
            None
        }
        Some(m) if m > MAX_RESUME_AFTER_MINUTES => {
            c.problem(
                None,
                "handoff.resume_after_minutes",
                format!("must be at most {MAX_RESUME_AFTER_MINUTES} (one year)"),
            );
            None
        }
        Some(m) => Some(m * 60_000),
    };
    let mut resume_keywords = Vec::new();
    for (i, k) in handoff.resume_keywords.iter().enumerate() {
        match Phrase::new(k) {
            Some(p) => resume_keywords.push(p),
            None => c.problem(
                None,
                format!("handoff.resume_keywords[{i}]"),
                format!("{k:?} has no letters or digits, so it can never match"),
            ),
        }
    }
    HandoffSettings {
        resume_after_ms,
        resume_keywords,
    }
}

/// `[v2]`: whether messages spoken as a custom profile are signed on X API v2. Signing needs a
/// node that speaks as one, or it would change nothing.
pub(super) fn check_v2(c: &mut Checker, def: &FlowFile) -> bool {
    let signature = def.v2.signature.unwrap_or(false);
    let speaks_as_profile =
        def.profile.is_some() || def.nodes.values().any(|n| n.profile.is_some());
    if signature && !speaks_as_profile {
        c.problem(
            None,
            "v2.signature",
            "is true, but no node speaks as a custom profile, so there is no name to sign \
             with: set the top-level `profile` (or a node's), or remove it",
        );
    }
    signature
}
