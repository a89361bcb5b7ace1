//! The stored form: JSON round trips, tampering, the content hash, synced ids.

use super::*;
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
fn coalesce_survives_the_stored_form_and_an_older_stored_flow_coalesces() {
    let off = Flow::from_toml_str(&format!("coalesce = false\n{MINIMAL}"), ".").unwrap();
    assert!(!off.coalesce());
    let back: Flow = serde_json::from_str(&serde_json::to_string(&off).unwrap()).unwrap();
    assert!(!back.coalesce());
    assert_eq!(back.content_hash(), off.content_hash());
    let on = Flow::from_toml_str(&format!("coalesce = true\n{MINIMAL}"), ".").unwrap();
    assert!(on.coalesce());
    assert_ne!(on.content_hash(), off.content_hash(), "it is content");
    // Stored before the key existed: no `coalesce` in the JSON.
    let mut json = serde_json::to_value(&off).unwrap();
    json["definition"]
        .as_object_mut()
        .unwrap()
        .remove("coalesce")
        .expect("stored when set");
    let older: Flow = serde_json::from_value(json).unwrap();
    assert!(older.coalesce());
    let unset = Flow::from_toml_str(MINIMAL, ".").unwrap();
    assert_eq!(
        older.content_hash(),
        unset.content_hash(),
        "a flow without the key keeps its hash"
    );
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
