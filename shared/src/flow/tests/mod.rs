//! Tests of loading, validating and storing flows. Engine tests are in `engine/tests/`.
//!
//! Helpers and the example flow here; `problems.rs` (what validation reports), `parsing.rs`
//! (TOML and file errors), `stored.rs` (the stored JSON form, hashes, synced ids).

mod parsing;
mod problems;
mod stored;

use std::path::{Path, PathBuf};

use super::*;
use crate::twitter::limits::MAX_WELCOME_TEXT_CHARS;

pub(crate) fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows/support.toml")
}

pub(crate) fn example() -> Flow {
    match Flow::load(example_path()) {
        Ok(f) => f,
        Err(e) => panic!("the example flow must validate: {e}"),
    }
}

/// A tiny valid PNG (the header is all Twitter's category check looks at: the extension).
pub(crate) const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really an image but has bytes";

/// Writes `files` into a fresh directory and loads `toml` from there.
pub(crate) fn load_with_files(toml: &str, files: &[(&str, &[u8])]) -> Result<Flow, FlowErrors> {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    Flow::from_toml_str(toml, dir.path())
}

fn problems(result: Result<Flow, FlowErrors>) -> Vec<FlowProblem> {
    match result {
        Ok(_) => panic!("the flow should not validate"),
        Err(e) => e.problems,
    }
}

/// Whether a problem at (node, field) whose text contains `needle` was reported.
fn has(problems: &[FlowProblem], node: Option<&str>, field: &str, needle: &str) -> bool {
    problems
        .iter()
        .any(|p| p.node.as_deref() == node && p.field == field && p.problem.contains(needle))
}

fn assert_has(problems: &[FlowProblem], node: Option<&str>, field: &str, needle: &str) {
    assert!(
        has(problems, node, field, needle),
        "expected a problem at {node:?} {field:?} containing {needle:?}; got:\n{}",
        FlowErrors {
            problems: problems.to_vec()
        }
    );
}

const MINIMAL: &str = r#"
id = "mini"
start = "menu"
[nodes.menu]
text = "Hello"
"#;

#[test]
fn the_example_flow_validates_cleanly_and_uses_every_feature() {
    let flow = example();
    assert_eq!(flow.id(), "acme-support");
    assert_eq!(flow.start(), "menu");
    assert!(flow.nodes().count() >= 10);
    assert!(flow.nodes().any(|n| n.is_handoff()));
    assert!(flow.nodes().any(|n| n.media().is_some()));
    assert!(flow.nodes().any(|n| n.buttons().is_some()));
    assert!(flow.nodes().any(|n| {
        n.quick_reply()
            .is_some_and(|q| q.options()[0].description.is_some())
    }));
    assert!(flow.nodes().any(|n| n.fallback().is_some()));
    assert!(flow.nodes().any(|n| !n.keywords.is_empty()));
    assert!(!flow.keywords.is_empty());
    assert_eq!(flow.welcome_messages().len(), 2);
    let default = flow.default_welcome().unwrap();
    assert_eq!(default.node, "welcome");
    assert!(
        default
            .message_data(None)
            .unwrap()
            .data()
            .quick_reply
            .is_some()
    );
    let roles: Vec<ProfileRole> = flow.profiles().iter().map(|p| p.role).collect();
    assert_eq!(roles, vec![ProfileRole::Bot, ProfileRole::Agent]);
    assert!(flow.handoff.resume_after_ms.is_some());
    assert!(!flow.handoff.resume_keywords.is_empty());
    // Three files: the size chart and two avatars, each under 50 KB, hashed.
    let media: Vec<&MediaFile> = flow.media_files().collect();
    assert_eq!(media.len(), 3);
    for m in media {
        assert!(m.bytes > 0 && m.bytes < 50 * 1024, "{m:?}");
        assert_eq!(m.sha256.len(), 64);
        assert_eq!(m.category, MediaCategory::DmImage);
        assert_eq!(m.media_type(), "image/png");
        assert!(flow.media_path(m).unwrap().is_file());
    }
}

#[test]
fn the_example_images_are_real_pngs() {
    let flow = example();
    for m in flow.media_files() {
        let bytes = std::fs::read(flow.media_path(m).unwrap()).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", m.path);
        assert_eq!(&bytes[12..16], b"IHDR");
    }
}

#[test]
fn a_minimal_flow_is_valid_and_defaults_apply() {
    let flow = Flow::from_toml_str(MINIMAL, ".").unwrap();
    let menu = flow.node("menu").unwrap();
    assert!(menu.typing && menu.mark_read && !menu.handoff);
    assert_eq!(flow.fallback, "menu");
    assert_eq!(flow.customer_name_fallback, "there");
    assert!(flow.default_welcome().is_none());
    assert!(
        flow.coalesce(),
        "waiting messages get one reply unless told otherwise"
    );
}
