//! What validation reports: every problem at once, with its node and field; Twitter's limits;
//! media files.

use super::*;
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
