//! Reading flow files: TOML errors, missing files and keys, how errors display.

use super::*;
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
