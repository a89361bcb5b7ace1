//! The send budget port: fixed windows granted up to the limit, shared exactly by concurrent
//! takers, corrected from X's headers.

use dmbot_shared::store::budget::{BudgetKey, BudgetScope, SendBudget, Taken, WindowSpec};

use super::*;

const MIN: u64 = 60_000;
/// 10:00 UTC on a day: the start of a quarter-hour window.
const T0: u64 = 1_795_946_400_000;

fn account(id: &str) -> BudgetKey {
    BudgetKey::new(
        BudgetScope::Account(UserId::parse(id).expect("digits")),
        WindowSpec::QUARTER_HOUR,
    )
}

fn app() -> BudgetKey {
    BudgetKey::new(BudgetScope::App, WindowSpec::QUARTER_HOUR)
}

fn granted(used: u64, start: u64) -> Taken {
    Taken::Granted {
        used,
        window_start_ms: start,
        window_end_ms: start + 15 * MIN,
    }
}

async fn take<S: SendBudget>(store: &S, key: &BudgetKey, limit: u32, now: u64) -> Taken {
    store.try_take(key, limit, now).await.expect("try_take")
}

pub async fn a_window_grants_up_to_its_limit_then_says_when_it_ends<S: SendBudget>(store: &S) {
    let key = account("10");
    for used in 1..=3 {
        assert_eq!(
            take(store, &key, 3, T0 + used * MIN).await,
            granted(used, T0)
        );
    }
    let spent = Taken::Spent {
        reset_at_ms: T0 + 15 * MIN,
    };
    assert_eq!(take(store, &key, 3, T0 + 5 * MIN).await, spent);
    assert_eq!(take(store, &key, 3, T0 + 15 * MIN - 1).await, spent);
    assert_eq!(
        take(store, &key, 0, T0 + 15 * MIN).await,
        Taken::Spent {
            reset_at_ms: T0 + 30 * MIN
        },
        "a limit of 0 is never granted"
    );
    // The next window grants again, and a larger limit grants more in the same window.
    assert_eq!(
        take(store, &key, 3, T0 + 15 * MIN).await,
        granted(1, T0 + 15 * MIN)
    );
    assert_eq!(
        take(store, &key, 3, T0 + 16 * MIN).await,
        granted(2, T0 + 15 * MIN)
    );
    assert_eq!(
        take(store, &key, 3, T0 + 5 * MIN).await,
        spent,
        "the old window is still spent"
    );
    assert_eq!(take(store, &key, 4, T0 + 5 * MIN).await, granted(4, T0));
}

pub async fn of_twenty_concurrent_takers_on_a_limit_of_15_exactly_15_are_granted<
    S: SendBudget + Clone + 'static,
>(
    store: &S,
) {
    let key = account("10");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (store, key) = (store.clone(), key.clone());
        tasks.spawn(async move { store.try_take(&key, 15, T0 + i).await });
    }
    let mut counts = Vec::new();
    let mut spent = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("the task does not panic").expect("try_take") {
            Taken::Granted { used, .. } => counts.push(used),
            Taken::Spent { reset_at_ms } => {
                assert_eq!(reset_at_ms, T0 + 15 * MIN);
                spent += 1;
            }
        }
    }
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=15).collect::<Vec<u64>>(),
        "each count granted once"
    );
    assert_eq!(spent, 5);
}

pub async fn a_slot_given_back_is_granted_again_and_the_count_never_goes_below_zero<
    S: SendBudget,
>(
    store: &S,
) {
    let key = account("10");
    assert_eq!(take(store, &key, 2, T0).await, granted(1, T0));
    assert_eq!(take(store, &key, 2, T0 + 1).await, granted(2, T0));
    assert!(matches!(
        take(store, &key, 2, T0 + 2).await,
        Taken::Spent { .. }
    ));
    store.give_back(&key, T0).await.expect("give back");
    assert_eq!(take(store, &key, 2, T0 + 3).await, granted(2, T0));
    // Giving back more than was taken, or to a window never used, leaves nothing owed.
    for _ in 0..4 {
        store.give_back(&key, T0).await.expect("give back");
    }
    store
        .give_back(&key, T0 + 60 * MIN)
        .await
        .expect("give back to an unused window");
    assert_eq!(take(store, &key, 2, T0 + 4).await, granted(1, T0));
    assert_eq!(
        take(store, &key, 2, T0 + 60 * MIN).await,
        granted(1, T0 + 60 * MIN)
    );
}

pub async fn x_saying_none_remain_refuses_takes_until_its_reset<S: SendBudget>(store: &S) {
    let key = account("10");
    let reset = T0 + 20 * MIN;
    assert_eq!(take(store, &key, 15, T0).await, granted(1, T0));
    // X counted calls we did not (another app on the same token): 14 used, 1 remains.
    store
        .observe(&key, 15, 1, Some(reset), T0 + MIN)
        .await
        .expect("observe");
    assert_eq!(take(store, &key, 15, T0 + 2 * MIN).await, granted(15, T0));
    // An older, looser observation never lowers the count.
    store
        .observe(&key, 15, 10, Some(reset), T0 + 3 * MIN)
        .await
        .expect("observe");
    let spent_until = |reset_at_ms| Taken::Spent { reset_at_ms };
    assert_eq!(
        take(store, &key, 15, T0 + 3 * MIN).await,
        spent_until(T0 + 15 * MIN)
    );
    // None remain and X resets 5 minutes into our next window: refused until then.
    store
        .observe(&key, 15, 0, Some(reset), T0 + 4 * MIN)
        .await
        .expect("observe");
    assert_eq!(
        take(store, &key, 15, T0 + 15 * MIN).await,
        spent_until(reset)
    );
    assert_eq!(take(store, &key, 15, reset - 1).await, spent_until(reset));
    assert_eq!(
        take(store, &key, 15, reset).await,
        granted(1, T0 + 15 * MIN)
    );
}

pub async fn budgets_of_the_app_and_of_each_account_are_separate<S: SendBudget>(store: &S) {
    let (a, b) = (account("10"), account("11"));
    let day = BudgetKey::new(a.scope.clone(), WindowSpec::DAY);
    assert_eq!(take(store, &a, 1, T0).await, granted(1, T0));
    assert!(matches!(take(store, &a, 1, T0).await, Taken::Spent { .. }));
    assert_eq!(
        take(store, &b, 1, T0).await,
        granted(1, T0),
        "another account"
    );
    assert_eq!(take(store, &app(), 1, T0).await, granted(1, T0), "the app");
    let day_start = T0 - T0 % WindowSpec::DAY.length_ms;
    assert_eq!(
        take(store, &day, 1, T0).await,
        Taken::Granted {
            used: 1,
            window_start_ms: day_start,
            window_end_ms: day_start + WindowSpec::DAY.length_ms,
        },
        "another window of the same account"
    );
    store
        .observe(&app(), 1, 0, None, T0)
        .await
        .expect("observe");
    assert!(matches!(
        take(store, &app(), 5, T0).await,
        Taken::Granted { used: 2, .. }
    ));
}

pub async fn the_block_from_x_is_read_until_its_reset<S: SendBudget>(store: &S) {
    let reset = T0 + 20 * MIN;
    let key = &account("10");
    let blocked = |now| store.blocked_until(key, now);
    assert_eq!(
        blocked(T0 + 16 * MIN).await.expect("read"),
        None,
        "nothing observed yet"
    );
    assert_eq!(take(store, key, 15, T0).await, granted(1, T0));
    assert_eq!(
        blocked(T0 + 16 * MIN).await.expect("read"),
        None,
        "a take blocks nothing"
    );
    // None remain and X resets 5 minutes into our next window.
    store
        .observe(key, 15, 0, Some(reset), T0 + 4 * MIN)
        .await
        .expect("observe");
    assert_eq!(
        blocked(T0 + 5 * MIN).await.expect("read"),
        None,
        "our window is spent, not blocked"
    );
    assert_eq!(blocked(T0 + 15 * MIN).await.expect("read"), Some(reset));
    assert_eq!(blocked(reset - 1).await.expect("read"), Some(reset));
    assert_eq!(blocked(reset).await.expect("read"), None, "after the reset");
    assert_eq!(
        blocked(T0 + 31 * MIN).await.expect("read"),
        None,
        "the window after"
    );
    assert_eq!(
        store
            .blocked_until(&account("11"), T0 + 16 * MIN)
            .await
            .expect("blocked_until"),
        None,
        "another account"
    );
    // Reading changes nothing: the next window is still refused until the reset.
    assert_eq!(
        take(store, key, 15, T0 + 16 * MIN).await,
        Taken::Spent { reset_at_ms: reset }
    );
}

pub async fn a_take_at_a_later_time_reserves_a_slot_in_that_window<S: SendBudget>(store: &S) {
    let key = account("10");
    let later = T0 + 15 * MIN;
    assert_eq!(take(store, &key, 2, later).await, granted(1, later));
    assert_eq!(take(store, &key, 2, later + MIN).await, granted(2, later));
    assert_eq!(
        take(store, &key, 2, later).await,
        Taken::Spent {
            reset_at_ms: later + 15 * MIN
        },
        "the later window is spent"
    );
    assert_eq!(
        take(store, &key, 2, T0 + MIN).await,
        granted(1, T0),
        "the current window still grants"
    );
    assert_eq!(take(store, &key, 2, T0 + 2 * MIN).await, granted(2, T0));
}
