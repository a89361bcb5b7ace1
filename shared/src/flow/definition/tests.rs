use super::*;

#[test]
fn unknown_keys_are_reported_at_every_level_with_their_node() {
    let file: toml::Table = toml::from_str(
        r#"
        id = "x"
        colour = "blue"
        [handoff]
        resume_after = 5
        [[keywords]]
        word = ["menu"]
        [nodes.menu]
        txt = "hi"
        [[nodes.menu.quick_replies]]
        lable = "A"
        [[nodes.menu.buttons]]
        link = "https://a.example"
        "#,
    )
    .unwrap();
    let mut found: Vec<(Option<String>, String)> = unknown_keys(&file)
        .into_iter()
        .map(|p| (p.node, p.field))
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            (None, "colour".to_string()),
            (None, "handoff.resume_after".to_string()),
            (None, "keywords[0].word".to_string()),
            (Some("menu".to_string()), "buttons[0].link".to_string()),
            (
                Some("menu".to_string()),
                "quick_replies[0].lable".to_string()
            ),
            (Some("menu".to_string()), "txt".to_string()),
        ]
    );
}
