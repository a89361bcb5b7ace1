//! The usage port: billable calls add up per owner, kind and day; ranges are inclusive and in
//! day order.

use dmbot_shared::store::usage::{BillableKind, DayUsage, Usage, UsageDay};

use super::*;

fn day(s: &str) -> UsageDay {
    UsageDay::parse(s).expect("a well-formed day")
}

fn acct(id: &str) -> UserId {
    UserId::parse(id).expect("digits")
}

fn counts(pairs: &[(BillableKind, u64)]) -> BTreeMap<BillableKind, u64> {
    pairs.iter().copied().collect()
}

pub async fn counts_add_up_by_kind_day_and_owner<S: Usage>(store: &S) {
    let a = acct("10");
    let (d1, d2, d3) = (day("2026-11-28"), day("2026-11-29"), day("2026-12-01"));
    let rec = |owner, d, kind, n| store.record(owner, d, kind, n);
    rec(Some(&a), &d1, BillableKind::DmSend, 2)
        .await
        .expect("record");
    rec(Some(&a), &d1, BillableKind::DmSend, 3)
        .await
        .expect("record");
    rec(Some(&a), &d1, BillableKind::DmReceivedDelivery, 1)
        .await
        .expect("record");
    rec(Some(&a), &d1, BillableKind::TypingIndicator, 0)
        .await
        .expect("a count of 0");
    rec(Some(&a), &d3, BillableKind::DmEventRead, 7)
        .await
        .expect("record");
    rec(Some(&a), &d2, BillableKind::MediaUpload, 1)
        .await
        .expect("record");
    rec(None, &d1, BillableKind::DmSend, 4)
        .await
        .expect("record for the app");
    rec(Some(&acct("11")), &d1, BillableKind::DmSend, 9)
        .await
        .expect("record");

    let all = store.usage(Some(&a), &d1, &d3).await.expect("usage");
    assert_eq!(
        all,
        vec![
            DayUsage {
                day: d1.clone(),
                counts: counts(&[
                    (BillableKind::DmSend, 5),
                    (BillableKind::DmReceivedDelivery, 1)
                ]),
            },
            DayUsage {
                day: d2.clone(),
                counts: counts(&[(BillableKind::MediaUpload, 1)]),
            },
            DayUsage {
                day: d3.clone(),
                counts: counts(&[(BillableKind::DmEventRead, 7)]),
            },
        ],
        "oldest day first, kinds apart, zero counts absent"
    );
    // Inclusive at both ends; a range that holds nothing, or is backwards, is empty.
    let middle = store.usage(Some(&a), &d2, &d2).await.expect("usage");
    assert_eq!(middle, all[1..2].to_vec());
    let tail = store
        .usage(Some(&a), &day("2026-11-30"), &d3)
        .await
        .expect("usage");
    assert_eq!(tail, all[2..].to_vec());
    assert!(
        store
            .usage(Some(&a), &d3, &d1)
            .await
            .expect("usage")
            .is_empty()
    );
    assert!(
        store
            .usage(Some(&a), &day("2027-01-01"), &day("2027-12-31"))
            .await
            .expect("usage")
            .is_empty()
    );
    // The app and other accounts are separate owners; an owner with nothing has nothing.
    let app = store.usage(None, &d1, &d3).await.expect("usage");
    assert_eq!(app.len(), 1);
    assert_eq!(app[0].counts, counts(&[(BillableKind::DmSend, 4)]));
    assert!(
        store
            .usage(Some(&acct("12")), &d1, &d3)
            .await
            .expect("usage")
            .is_empty()
    );
}

pub async fn concurrent_recorders_lose_no_count<S: Usage + Clone + 'static>(store: &S) {
    let d = day("2026-11-29");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20u32 {
        let (store, d) = (store.clone(), d.clone());
        tasks.spawn(async move {
            let account = acct("10");
            let kind = if i % 2 == 0 {
                BillableKind::DmSend
            } else {
                BillableKind::DmReceivedDelivery
            };
            store.record(Some(&account), &d, kind, 1 + i % 3).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("the task does not panic").expect("record");
    }
    let got = store.usage(Some(&acct("10")), &d, &d).await.expect("usage");
    let expect = |parity: u32| {
        (0..20u32)
            .filter(|i| i % 2 == parity)
            .map(|i| u64::from(1 + i % 3))
            .sum::<u64>()
    };
    assert_eq!(
        got,
        vec![DayUsage {
            day: d,
            counts: counts(&[
                (BillableKind::DmSend, expect(0)),
                (BillableKind::DmReceivedDelivery, expect(1)),
            ]),
        }]
    );
}
