//! Tests of loading, validating and storing flows. Engine tests are in `engine/tests.rs`.

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
const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really an image but has bytes";

/// Writes `files` into a fresh directory and loads `toml` from there.
fn load_with_files(toml: &str, files: &[(&str, &[u8])]) -> Result<Flow, FlowErrors> {
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
}

#[test]
fn every_kind_of_problem_is_reported_at_once_with_node_and_field() {
    let long_label = "L".repeat(37);
    let toml = format!(
        r#"
id = "Bad Id!"
start = "menu"
fallback = "nowhere"
profile = "Ghost"
colour = "blue"

[[profiles]]
name = "{long_profile}"
avatar = "missing.png"

[[profiles]]
name = "Agent"
avatar = "media/clip.mp4"
role = "boss"

[[welcome_messages]]
name = "Hello"
node = "menu"
default = true

[[welcome_messages]]
name = "Second"
node = "long_welcome"
default = true

[[keywords]]
words = ["menu", "!!"]
goto = "menu"

[[keywords]]
words = ["MENÚ"]
goto = "faq"

[handoff]
resume_after_minutes = 0
resume_keywords = ["?"]

[nodes.menu]
text = "Hi {{customer_name}}, I'm {{bot_name}}"
media = "media/chart.bmp"
profile = "Nobody"
fallback = "gone"

[[nodes.menu.quick_replies]]
label = "{long_label}"
goto = "faq"

[[nodes.menu.quick_replies]]
label = "see https://acme.example"
description = "only this one has a description"
goto = "faq"

[[nodes.menu.quick_replies]]
label = "Elsewhere"
goto = "nowhere"

[[nodes.menu.quick_replies]]
goto = "faq"
metadata = "m"

[[nodes.menu.quick_replies]]
label = "Same metadata"
goto = "menu"
metadata = "m"

[nodes.faq]
txt = "typo"
buttons = [
  {{ label = "A", url = "javascript:alert(1)" }},
  {{ label = "B", url = "https://b.example" }},
  {{ label = "C", url = "https://c.example" }},
  {{ url = "https://d.example" }},
]

[nodes.long_welcome]
text = "{welcome_text}"

[nodes.island]
text = "Nobody comes here"
"#,
        long_profile = "P".repeat(49),
        welcome_text = "w".repeat(MAX_WELCOME_TEXT_CHARS + 1),
    );
    let p = problems(load_with_files(&toml, &[("media/clip.mp4", b"mp4")]));
    let cases: &[(Option<&str>, &str, &str)] = &[
        // File-level.
        (None, "colour", "not a known key"),
        (None, "id", "lower-case letters"),
        (None, "fallback", "unknown node \"nowhere\""),
        (None, "profile", "not in [[profiles]]"),
        // Profiles: name limit, missing avatar file, avatar not an image, role.
        (None, "profiles[0].name", "at most 48 characters"),
        (None, "profiles[0].avatar", "cannot be read"),
        (None, "profiles[1].avatar", "must be an image"),
        (None, "profiles[1].role", "\"bot\" or \"agent\""),
        // Keywords and hand-over.
        (None, "keywords[0].words[1]", "no letters or digits"),
        (
            None,
            "keywords[1].words[0]",
            "already leads to node \"menu\"",
        ),
        (None, "handoff.resume_after_minutes", "at least 1"),
        (None, "handoff.resume_keywords[0]", "no letters or digits"),
        // Welcome messages: placeholder, welcome text limit, two defaults.
        (None, "welcome_messages[0].node", "{customer_name}"),
        (None, "welcome_messages[1].node", "9990"),
        (None, "welcome_messages", "exactly one"),
        // The menu node.
        (Some("menu"), "text", "unknown placeholder {bot_name}"),
        (Some("menu"), "media", "extension"),
        (Some("menu"), "profile", "not in [[profiles]]"),
        (Some("menu"), "fallback", "unknown node \"gone\""),
        (
            Some("menu"),
            "quick_replies[0].label",
            "at most 36 characters",
        ),
        (Some("menu"), "quick_replies[1].label", "URL"),
        (Some("menu"), "quick_replies", "all options or on none"),
        (
            Some("menu"),
            "quick_replies[2].goto",
            "unknown node \"nowhere\"",
        ),
        (Some("menu"), "quick_replies[3].label", "is required"),
        (
            Some("menu"),
            "quick_replies[4].metadata",
            "already routes to node \"faq\"",
        ),
        // The faq node.
        (Some("faq"), "txt", "not a known key"),
        (Some("faq"), "text", "is required"),
        (Some("faq"), "buttons[0].url", "http(s)"),
        (Some("faq"), "buttons[3].label", "is required"),
        (Some("faq"), "buttons", "at most 3 buttons"),
        // Reachability.
        (Some("island"), "", "never reached"),
    ];
    for (node, field, needle) in cases {
        assert_has(&p, *node, field, needle);
    }
    assert_eq!(
        p.len(),
        cases.len(),
        "unexpected extra problems:\n{}",
        FlowErrors {
            problems: p.clone()
        }
    );
}

#[test]
fn limit_problems_use_the_same_words_as_the_client_types() {
    let toml = format!(
        "id = \"x\"\nstart = \"a\"\n[nodes.a]\ntext = \"{}\"\n",
        "t".repeat(10_001)
    );
    let p = problems(Flow::from_toml_str(&toml, "."));
    let expected = crate::twitter::limits::MessageText::new("t".repeat(10_001)).unwrap_err();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].field, expected.field);
    assert_eq!(p[0].problem, expected.problem);
}

#[test]
fn twenty_one_quick_replies_are_too_many() {
    let mut toml = String::from("id = \"x\"\nstart = \"a\"\n[nodes.a]\ntext = \"hi\"\n");
    for i in 0..21 {
        toml.push_str(&format!(
            "[[nodes.a.quick_replies]]\nlabel = \"o{i}\"\ngoto = \"a\"\nmetadata = \"m{i}\"\n"
        ));
    }
    let p = problems(Flow::from_toml_str(&toml, "."));
    assert_has(&p, Some("a"), "quick_replies", "at most 20 options");
}

#[test]
fn an_empty_quick_reply_list_needs_an_option() {
    let toml = "id = \"x\"\nstart = \"a\"\n[nodes.a]\ntext = \"hi\"\nquick_replies = []\n";
    let p = problems(Flow::from_toml_str(toml, "."));
    assert_has(&p, Some("a"), "quick_replies", "at least 1 option");
}

#[test]
fn a_missing_media_file_is_a_problem_not_a_panic() {
    let toml = format!("{MINIMAL}media = \"media/nope.png\"\n");
    let p = problems(Flow::from_toml_str(&toml, "/definitely/not/here"));
    assert_has(&p, Some("menu"), "media", "cannot be read");
    assert_has(&p, Some("menu"), "media", "relative to the flow file");
}

#[test]
fn media_over_twitters_size_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("big.png")).unwrap();
    file.set_len(5 * 1024 * 1024 + 1).unwrap();
    let toml = format!("{MINIMAL}media = \"big.png\"\n");
    let p = problems(Flow::from_toml_str(&toml, dir.path()));
    assert_has(
        &p,
        Some("menu"),
        "media",
        "at most 5242880 bytes for dm_image",
    );
}

#[test]
fn media_categories_follow_the_extension() {
    let toml = r#"
id = "x"
start = "a"
[nodes.a]
text = "a"
media = "a.GIF"
quick_replies = [{ label = "b", goto = "b" }]
[nodes.b]
text = "b"
media = "b.mp4"
quick_replies = [{ label = "c", goto = "c" }]
[nodes.c]
text = "c"
media = "c.jpeg"
"#;
    let flow = load_with_files(toml, &[("a.GIF", PNG), ("b.mp4", PNG), ("c.jpeg", PNG)]).unwrap();
    let cat = |n: &str| flow.node(n).unwrap().media().unwrap().category;
    assert_eq!(cat("a"), MediaCategory::DmGif);
    assert_eq!(cat("b"), MediaCategory::DmVideo);
    assert_eq!(cat("c"), MediaCategory::DmImage);
    assert_eq!(MediaCategory::DmGif.as_str(), "dm_gif");
    let json = serde_json::to_value(flow.node("b").unwrap().media().unwrap()).unwrap();
    assert_eq!(json["category"], "dm_video");
}

#[test]
fn a_value_of_the_wrong_type_is_reported_with_its_line() {
    let toml = "id = \"x\"\nstart = \"a\"\n[nodes.a]\ntext = 5\n";
    let p = problems(Flow::from_toml_str(toml, "."));
    assert_eq!(p.len(), 1);
    assert!(p[0].problem.contains("line 4"), "{}", p[0].problem);
}

#[test]
fn text_that_is_not_toml_is_reported() {
    let p = problems(Flow::from_toml_str("id = ", "."));
    assert!(p[0].problem.contains("not valid TOML"), "{:?}", p[0]);
}

#[test]
fn a_missing_flow_file_is_reported_with_its_path() {
    let p = problems(Flow::load("/nowhere/flow.toml"));
    assert!(p[0].problem.contains("/nowhere/flow.toml"), "{:?}", p[0]);
}

#[test]
fn missing_required_keys_are_all_reported() {
    let toml = "[nodes.a]\n[[nodes.a.keywords]]\n[[welcome_messages]]\n";
    let p = problems(Flow::from_toml_str(toml, "."));
    assert_has(&p, None, "id", "is required");
    assert_has(&p, None, "start", "is required");
    assert_has(&p, Some("a"), "text", "is required");
    assert_has(&p, Some("a"), "keywords[0].goto", "is required");
    assert_has(&p, Some("a"), "keywords[0].words", "at least one word");
    assert_has(&p, None, "welcome_messages[0].name", "is required");
    assert_has(&p, None, "welcome_messages[0].node", "is required");
}

#[test]
fn errors_display_one_line_per_problem() {
    let e = Flow::from_toml_str("id = \"x\"\n[nodes.a]\ntext = \"\"\n", ".").unwrap_err();
    let shown = e.to_string();
    assert!(shown.starts_with("the flow has 2 problems"), "{shown}");
    assert!(shown.contains("\n  - start: is required"), "{shown}");
    assert!(shown.contains("\n  - node \"a\", text: "), "{shown}");
}

#[test]
fn a_stored_flow_round_trips_through_json_with_its_synced_ids() {
    let mut flow = example();
    flow.synced
        .welcome_messages
        .insert("Acme support greeting".into(), "844385345234".into());
    flow.synced
        .custom_profiles
        .insert("Acme Assistant".into(), "100001".into());
    let json = serde_json::to_string(&flow).unwrap();
    let back: Flow = serde_json::from_str(&json).unwrap();
    assert_eq!(back.id(), flow.id());
    assert_eq!(back.content_hash(), flow.content_hash());
    assert_eq!(back.synced, flow.synced);
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    // A stored flow has no files on disk.
    let m = back.media_files().next().unwrap();
    assert!(back.media_path(m).is_none());
    assert_eq!(
        back.welcome_by_twitter_id("844385345234").unwrap().node,
        "welcome"
    );
}

#[test]
fn a_tampered_stored_flow_is_refused_with_the_problem() {
    let flow = example();
    let mut json = serde_json::to_value(&flow).unwrap();
    json["definition"]["nodes"]["menu"]["quick_replies"][0]["label"] = "L".repeat(40).into();
    let err = serde_json::from_value::<Flow>(json)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("node \"menu\", quick_replies[0].label"),
        "{err}"
    );

    let mut json = serde_json::to_value(&flow).unwrap();
    json["media"]
        .as_object_mut()
        .unwrap()
        .remove("media/size-chart.png");
    let err = serde_json::from_value::<Flow>(json)
        .unwrap_err()
        .to_string();
    assert!(err.contains("stored flow's media list"), "{err}");

    let mut json = serde_json::to_value(&flow).unwrap();
    json["format"] = 99.into();
    assert!(serde_json::from_value::<Flow>(json).is_err());
}

#[test]
fn the_content_hash_ignores_formatting_and_follows_content() {
    let a = Flow::from_toml_str(MINIMAL, ".").unwrap();
    let reformatted = format!("# a comment\n{}", MINIMAL.replace("text = ", "text    =  "));
    let b = Flow::from_toml_str(&reformatted, ".").unwrap();
    assert_eq!(a.content_hash(), b.content_hash());
    let c = Flow::from_toml_str(&MINIMAL.replace("Hello", "Hello!"), ".").unwrap();
    assert_ne!(a.content_hash(), c.content_hash());

    let toml = format!("{MINIMAL}media = \"a.png\"\n");
    let d = load_with_files(&toml, &[("a.png", PNG)]).unwrap();
    let e = load_with_files(&toml, &[("a.png", b"\x89PNG other content")]).unwrap();
    assert_ne!(d.content_hash(), e.content_hash());
}

#[test]
fn synced_ids_are_used_only_while_valid() {
    let mut flow = example();
    let chart = flow
        .media_files()
        .find(|m| m.path == "media/size-chart.png")
        .unwrap()
        .clone();
    assert!(flow.media_id(&chart, 1_000).is_none());
    flow.synced.media.insert(
        chart.path.clone(),
        SyncedMedia {
            media_id: "48909183894931".into(),
            uploaded_ms: 1_000,
            sha256: chart.sha256.clone(),
        },
    );
    assert_eq!(
        flow.media_id(&chart, 2_000).unwrap().as_str(),
        "48909183894931"
    );
    assert!(flow.media_id(&chart, 1_000 + MEDIA_ID_USABLE_MS).is_none());
    let mut changed = chart.clone();
    changed.sha256 = "0".repeat(64);
    assert!(flow.media_id(&changed, 2_000).is_none());

    let name = flow.profiles()[0].name.clone();
    assert!(flow.custom_profile_id(&name).is_none());
    flow.synced
        .custom_profiles
        .insert(name.as_str().into(), "100001".into());
    assert_eq!(flow.custom_profile_id(&name).unwrap().as_str(), "100001");
}
