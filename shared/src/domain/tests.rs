use super::*;

#[test]
fn snowflake_ids_accept_digits_only() {
    assert!(UserId::parse("4337869213").is_ok());
    assert!(UserId::parse("").is_err());
    assert!(UserId::parse("12#34").is_err());
    assert!(EventId::parse("9544918301161553960000000000000000000").is_err());
}

#[test]
fn event_ids_order_numerically() {
    let a = EventId::parse("999").unwrap();
    let b = EventId::parse("1000").unwrap();
    assert!(a.numeric() < b.numeric());
}

#[test]
fn ids_deserialize_through_validation() {
    let ok: Result<UserId, _> = serde_json::from_str("\"123\"");
    assert!(ok.is_ok());
    let bad: Result<UserId, _> = serde_json::from_str("\"abc\"");
    assert!(bad.is_err());
}
