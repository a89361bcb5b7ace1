//! `check_for_v2`: over-limit nodes refused, every degradation listed once per kind with its
//! nodes; the `[v2] signature` setting; `reply_text`.

use super::*;
use crate::domain::ConversationState;
use crate::flow::tests::{PNG, example, load_with_files};
use crate::flow::{EngineInput, FlowErrors, Outcome, step};

const PROFILE: &str = r#"
profile = "Acme Assistant"
[[profiles]]
name = "Acme Assistant"
avatar = "bot.png"
"#;

/// A flow of one node `menu` with `text` and two options, plus `extra` top-level TOML.
fn menu_flow(text: &str, extra: &str) -> Result<Flow, FlowErrors> {
    let toml = format!(
        r#"
id = "long"
start = "menu"
{extra}
[nodes.menu]
text = "{text}"
quick_replies = [{{ label = "Yes", goto = "menu" }}, {{ label = "No", goto = "menu" }}]
"#
    );
    load_with_files(&toml, &[("bot.png", PNG)])
}

fn kinds(check: &V2Check) -> Vec<Degraded> {
    check.degradations.iter().map(|d| d.kind).collect()
}

fn nodes_of(check: &V2Check, kind: Degraded) -> Vec<&str> {
    let d = check.degradations.iter().find(|d| d.kind == kind);
    d.map(|d| d.nodes.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn the_example_flow_fits_v2_and_every_degradation_is_listed_once_with_its_nodes() {
    let flow = example();
    let check = check_for_v2(&flow);
    assert_eq!(check.problems, vec![]);
    assert_eq!(
        kinds(&check),
        vec![
            Degraded::QuickReplies,
            Degraded::Buttons,
            Degraded::CustomProfiles,
            Degraded::WelcomeMessages,
            Degraded::TypingIndicator,
            Degraded::ReadReceipts,
        ]
    );
    assert_eq!(
        nodes_of(&check, Degraded::Buttons),
        [
            "faq",
            "faq_stores",
            "faq_warranty",
            "order_lookup",
            "order_track",
            "return_start"
        ]
    );
    assert_eq!(
        nodes_of(&check, Degraded::WelcomeMessages),
        ["sizing", "welcome"]
    );
    let welcome = check.degradations[3].to_string();
    assert!(
        welcome.contains("\"welcome\" is sent as the reply"),
        "{welcome}"
    );
    assert!(welcome.contains("\"Acme size guide\""), "{welcome}");
    // Every node has options in the example; the line says so instead of naming them all.
    let every = flow.nodes().count();
    assert_eq!(nodes_of(&check, Degraded::QuickReplies).len(), every);
    let options = check.degradations[0].to_string();
    assert!(options.ends_with("(every node)"), "{options}");
    // Not signed: the profile is dropped, and the line says how to sign.
    let profiles = check.degradations[2].to_string();
    assert!(profiles.contains("dropped"), "{profiles}");
    assert!(profiles.contains("signature = true"), "{profiles}");
}

#[test]
fn a_node_over_the_limit_once_written_out_is_a_problem_naming_it_and_by_how_much() {
    // 9,990 characters fit v1.1; the two options ("\n\n1. Yes\n2. No", 14) push it 4 over.
    let flow = menu_flow(&"x".repeat(9_990), "").expect("valid on v1.1");
    let check = check_for_v2(&flow);
    assert_eq!(check.problems.len(), 1, "{:?}", check.problems);
    let problem = &check.problems[0];
    assert_eq!(problem.node.as_deref(), Some("menu"));
    assert_eq!(problem.field, "text");
    assert!(problem.problem.contains("10004 characters"), "{problem}");
    assert!(problem.problem.contains("4 over"), "{problem}");
    assert!(
        problem.problem.contains("quick replies and buttons"),
        "{problem}"
    );
    // 4 characters less and it fits.
    let flow = menu_flow(&"x".repeat(9_986), "").expect("valid");
    assert_eq!(check_for_v2(&flow).problems, vec![]);
}

#[test]
fn a_name_is_counted_at_its_longest_and_the_text_cut_as_the_engine_cuts_it() {
    // 9,936 characters, a 50-character name and the options (14) are exactly 10,000.
    let fits = format!("{}{{customer_name}}", "x".repeat(9_936));
    assert_eq!(
        check_for_v2(&menu_flow(&fits, "").unwrap()).problems,
        vec![]
    );
    let over = format!("{}{{customer_name}}", "x".repeat(9_937));
    let problems = check_for_v2(&menu_flow(&over, "").unwrap()).problems;
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].problem.contains("50-character name"),
        "{problems:?}"
    );
    // Without options a long name is cut to the limit, as on v1.1: nothing to refuse.
    let toml = format!(
        "id = \"a\"\nstart = \"m\"\n[nodes.m]\ntext = \"{}{{customer_name}}\"\n",
        "x".repeat(9_980)
    );
    let flow = Flow::from_toml_str(&toml, ".").expect("valid");
    assert_eq!(check_for_v2(&flow).problems, vec![]);
}

#[test]
fn the_signature_counts_toward_the_limit_when_the_flow_signs() {
    // "\n\n— Acme Assistant" is 18 characters.
    let text = "x".repeat(9_980);
    let unsigned = menu_flow(&text, PROFILE).expect("valid");
    assert_eq!(check_for_v2(&unsigned).problems, vec![]);
    let signed = menu_flow(&text, &format!("{PROFILE}\n[v2]\nsignature = true\n")).unwrap();
    assert!(signed.v2_signature());
    let problems = check_for_v2(&signed).problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].problem.contains("12 over"), "{problems:?}");
    assert!(
        problems[0].problem.contains("signature line"),
        "{problems:?}"
    );
}

#[test]
fn the_signature_setting_is_off_by_default_and_validated() {
    let plain = menu_flow("Hi", PROFILE).expect("valid");
    assert!(!plain.v2_signature());
    let signed = menu_flow("Hi", &format!("{PROFILE}\n[v2]\nsignature = true\n")).unwrap();
    assert!(signed.v2_signature());
    let profiles = check_for_v2(&signed).degradations;
    let line = profiles[1].to_string();
    assert!(line.contains("— <profile name>"), "{line}");

    let problems = |extra: &str| match menu_flow("Hi", extra) {
        Ok(_) => panic!("{extra} should be refused"),
        Err(e) => e.problems,
    };
    let unknown = problems(&format!("{PROFILE}\n[v2]\nsignatur = true\n"));
    assert_eq!(unknown[0].field, "v2.signatur", "{unknown:?}");
    let wrong_type = problems("[v2]\nsignature = \"yes\"\n");
    assert!(
        wrong_type[0].problem.contains("wrong type"),
        "{wrong_type:?}"
    );
    let nothing_to_sign = problems("[v2]\nsignature = true\n");
    assert_eq!(
        nothing_to_sign[0].field, "v2.signature",
        "{nothing_to_sign:?}"
    );
    assert!(nothing_to_sign[0].problem.contains("no node speaks"));
}

#[test]
fn the_signature_setting_survives_storage() {
    let signed = menu_flow("Hi", &format!("{PROFILE}\n[v2]\nsignature = true\n")).unwrap();
    let json = serde_json::to_string(&signed).expect("encode");
    let back: Flow = serde_json::from_str(&json).expect("decode");
    assert!(back.v2_signature());
    assert_ne!(
        signed.content_hash(),
        menu_flow("Hi", PROFILE).unwrap().content_hash()
    );
}

#[test]
fn only_the_features_a_flow_uses_are_listed() {
    let toml = "id = \"a\"\nstart = \"m\"\ntyping = false\n[nodes.m]\ntext = \"Hi\"\n";
    let flow = Flow::from_toml_str(toml, ".").expect("valid");
    assert_eq!(kinds(&check_for_v2(&flow)), vec![Degraded::ReadReceipts]);
}

#[test]
fn a_reply_is_signed_only_when_the_flow_signs() {
    let reply = |flow: &Flow| {
        let s = step(
            flow,
            &ConversationState::default(),
            &EngineInput {
                text: "hello",
                ..Default::default()
            },
        );
        let Outcome::Reply(plan) = s.outcome else {
            panic!("a reply")
        };
        reply_text(flow, &plan).expect("fits").as_str().to_owned()
    };
    let unsigned = reply(&menu_flow("Hi", PROFILE).unwrap());
    assert_eq!(unsigned, "Hi\n\n1. Yes\n2. No");
    let signed = menu_flow("Hi", &format!("{PROFILE}\n[v2]\nsignature = true\n")).unwrap();
    assert_eq!(
        reply(&signed),
        "Hi\n\n1. Yes\n2. No\n\n\u{2014} Acme Assistant"
    );
}

#[test]
fn a_node_only_a_non_default_welcome_message_leads_to_is_unreached_on_v2() {
    let toml = r#"
id = "w"
start = "menu"
welcome_messages = [
  { name = "Hello", node = "hello", default = true },
  { name = "Promo", node = "promo" },
]
[nodes.menu]
text = "menu"
[nodes.hello]
text = "Hello"
quick_replies = [{ label = "Details", goto = "details" }]
[nodes.details]
text = "Details"
[nodes.promo]
text = "Promo"
quick_replies = [{ label = "Buy", goto = "buy" }]
[nodes.buy]
text = "Buy"
"#;
    let flow = Flow::from_toml_str(toml, ".").expect("valid on v1.1");
    let check = check_for_v2(&flow);
    assert_eq!(nodes_of(&check, Degraded::UnreachedNodes), ["buy", "promo"]);
    // The example flow reaches its size guide by keywords too.
    assert!(!kinds(&check_for_v2(&example())).contains(&Degraded::UnreachedNodes));
}
