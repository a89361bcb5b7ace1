//! The simulated day's measurements, from what the simulator recorded (every DM event in the
//! order it was stored, with its time) and nothing of the bot's: who was answered, how often,
//! in which order, after how long; and the ideal schedule X's send limit allows, to compare
//! the waits against.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

/// What a customer's first message says ([`FIRST_REPLY`] answers it in `flows/support.toml`).
pub const FIRST_TEXT: &str = "where is my order?";
/// What a customer who writes again says one window later ([`SECOND_REPLY`] answers it).
pub const SECOND_TEXT: &str = "refund please";
/// How the support flow's answer to [`FIRST_TEXT`] begins (its `order_status` node).
pub const FIRST_REPLY: &str = "Do you have your order number?";
/// How the support flow's answer to [`SECOND_TEXT`] begins (its `returns` node).
pub const SECOND_REPLY: &str = "You can return unworn items";

/// X's send limit, the windows it counts in and how compressed the clock is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The short window, in (compressed) seconds: X's 15 minutes.
    pub window_secs: u64,
    /// Sends per user in it (15).
    pub per_window: u32,
    /// The long window, in seconds (96 short ones: X's 24 hours).
    pub day_secs: u64,
    /// Sends per user (and per app) in it (1,440).
    pub per_day: u32,
}

/// One customer as the simulator saw the conversation.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    /// Positions (in the stored order) and times (Unix ms) of the customer's messages.
    pub messages: Vec<(usize, u64)>,
    /// Positions, times and what each reply answers: `Some(0)` the first message, `Some(1)`
    /// the second, `None` a reply the scenario does not recognise.
    pub replies: Vec<(usize, u64, Option<usize>)>,
}

impl Conversation {
    /// The latest message has a reply after it.
    pub fn answered(&self) -> bool {
        match (self.messages.last(), self.replies.last()) {
            (Some((m, _)), Some((r, _, _))) => r > m,
            _ => false,
        }
    }

    /// Some message was answered twice, or there are more replies than messages.
    pub fn doubled(&self) -> bool {
        let mut per: HashMap<usize, usize> = HashMap::new();
        for (_, _, answers) in &self.replies {
            if let Some(k) = answers {
                *per.entry(*k).or_default() += 1;
            }
        }
        per.values().any(|n| *n > 1) || self.replies.len() > self.messages.len()
    }

    /// A reply to an earlier message came after a reply to a later one, or a reply answers a
    /// message not written yet.
    pub fn out_of_order(&self) -> bool {
        let mut latest = 0;
        for (pos, _, answers) in &self.replies {
            let Some(k) = *answers else { continue };
            if k < latest || self.messages.get(k).is_none_or(|(m, _)| m > pos) {
                return true;
            }
            latest = k;
        }
        false
    }

    /// Milliseconds from the first message to the first reply after it.
    pub fn first_wait_ms(&self) -> Option<u64> {
        let (m, at) = *self.messages.first()?;
        let (_, replied, _) = self.replies.iter().find(|(r, _, _)| *r > m)?;
        Some(replied.saturating_sub(at))
    }
}

/// The conversations in `dms` (every stored DM event, oldest first) between `account` and
/// the customers who wrote to it, by customer id.
pub fn conversations(dms: &[Value], account: &str) -> BTreeMap<String, Conversation> {
    let mut out: BTreeMap<String, Conversation> = BTreeMap::new();
    for (pos, event) in dms.iter().enumerate() {
        let mc = &event["message_create"];
        let sender = mc["sender_id"].as_str().unwrap_or_default();
        let recipient = mc
            .pointer("/target/recipient_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let at = event["created_timestamp"]
            .as_str()
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(0);
        let text = mc
            .pointer("/message_data/text")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if recipient == account && sender != account {
            out.entry(sender.to_string())
                .or_default()
                .messages
                .push((pos, at));
        } else if sender == account && !recipient.is_empty() {
            let answers = if text.starts_with(FIRST_REPLY) {
                Some(0)
            } else if text.starts_with(SECOND_REPLY) {
                Some(1)
            } else {
                None
            };
            out.entry(recipient.to_string())
                .or_default()
                .replies
                .push((pos, at, answers));
        }
    }
    out
}

/// The times (Unix ms) of the account's sends, oldest first.
pub fn send_times(dms: &[Value], account: &str) -> Vec<u64> {
    dms.iter()
        .filter(|e| {
            e.pointer("/message_create/sender_id")
                .and_then(Value::as_str)
                == Some(account)
        })
        .filter_map(|e| e["created_timestamp"].as_str()?.parse().ok())
        .collect()
}

/// The index of X's rate window each send fell in: a window opens at the first send after the
/// previous one ended (whole seconds, as the simulator counts them) and lasts `window_secs`.
pub fn window_of_sends(times_ms: &[u64], window_secs: u64) -> HashMap<u64, usize> {
    let mut out = HashMap::new();
    let mut window: Option<(u64, usize)> = None;
    for t in times_ms {
        let secs = t / 1000;
        let (start, index) = match window {
            Some((start, index)) if secs < start + window_secs => (start, index),
            Some((_, index)) => (secs, index + 1),
            None => (secs, 0),
        };
        window = Some((start, index));
        out.insert(*t, index);
    }
    out
}

/// FIFO across conversations: pairs of answered customers where A wrote first before B did,
/// yet A's first reply came in a later rate window than B's; and how many customers were
/// overtaken so (at least once).
pub fn fifo_inversions(
    conversations: &BTreeMap<String, Conversation>,
    windows: &HashMap<u64, usize>,
) -> (usize, usize) {
    let mut firsts: Vec<(usize, usize)> = conversations
        .values()
        .filter_map(|c| {
            let (m, _) = *c.messages.first()?;
            let (_, at, _) = c.replies.iter().find(|(r, _, _)| *r > m)?;
            Some((m, *windows.get(at)?))
        })
        .collect();
    firsts.sort_unstable();
    let (mut pairs, mut overtaken) = (0, 0);
    for (i, (_, wa)) in firsts.iter().enumerate() {
        let later = firsts[i + 1..].iter().filter(|(_, wb)| wb < wa).count();
        pairs += later;
        overtaken += usize::from(later > 0);
    }
    (pairs, overtaken)
}

/// X's two send windows as the ideal sender meets them.
struct Slots {
    limits: Limits,
    short: Option<(f64, u32)>,
    long: Option<(f64, u32)>,
}

impl Slots {
    /// The earliest time at or after `t` (seconds) with room in both windows; takes the slot.
    fn take(&mut self, mut t: f64) -> f64 {
        let l = self.limits;
        loop {
            let short = open_at(&mut self.short, t, l.window_secs as f64);
            let long = open_at(&mut self.long, t, l.day_secs as f64);
            if short.1 >= l.per_window {
                t = short.0 + l.window_secs as f64;
                continue;
            }
            if long.1 >= l.per_day {
                t = long.0 + l.day_secs as f64;
                continue;
            }
            self.short = Some((short.0, short.1 + 1));
            self.long = Some((long.0, long.1 + 1));
            return t;
        }
    }
}

/// The window `w` as it stands at `t`: a new one opened at `t` when it had ended.
fn open_at(w: &mut Option<(f64, u32)>, t: f64, secs: f64) -> (f64, u32) {
    match *w {
        Some((start, used)) if t < start + secs => (start, used),
        _ => {
            *w = Some((t, 0));
            (t, 0)
        }
    }
}

/// The ideal schedule: customers' messages in arrival order (`(customer, time in seconds)`),
/// each answered at the earliest slot X's windows allow after it arrived and after every
/// earlier answer (FIFO), a message arriving while its customer's answer is still waiting
/// folded into that answer. Returns each customer's first wait in seconds, and the sends.
pub fn ideal_schedule(arrivals: &[(String, f64)], limits: Limits) -> (HashMap<String, f64>, usize) {
    let mut slots = Slots {
        limits,
        short: None,
        long: None,
    };
    let mut waits = HashMap::new();
    let mut pending: HashMap<&str, f64> = HashMap::new();
    let mut last = f64::MIN;
    let mut sends = 0;
    for (customer, at) in arrivals {
        if pending.get(customer.as_str()).is_some_and(|sent| sent > at) {
            continue;
        }
        let sent = slots.take(at.max(last));
        last = sent;
        sends += 1;
        pending.insert(customer.as_str(), sent);
        waits.entry(customer.clone()).or_insert(sent - at);
    }
    (waits, sends)
}

/// The `p`-th percentile (nearest rank) of `values`; 0 for none.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dm(from: &str, to: &str, text: &str, at: u64) -> Value {
        json!({"created_timestamp": at.to_string(), "message_create": {
            "sender_id": from, "target": {"recipient_id": to}, "message_data": {"text": text}}})
    }

    const LIMITS: Limits = Limits {
        window_secs: 4,
        per_window: 2,
        day_secs: 16,
        per_day: 5,
    };

    #[test]
    fn a_customer_answered_once_per_message_in_order_is_neither_doubled_nor_out_of_order() {
        let dms = [
            dm("c", "acct", FIRST_TEXT, 1_000),
            dm("acct", "c", "Do you have your order number? 1. Yes", 3_000),
            dm("c", "acct", SECOND_TEXT, 5_000),
            dm("acct", "c", "You can return unworn items...", 6_000),
        ];
        let c = &conversations(&dms, "acct")["c"];
        assert!(c.answered() && !c.doubled() && !c.out_of_order());
        assert_eq!(c.first_wait_ms(), Some(2_000));
    }

    #[test]
    fn one_reply_to_the_latest_of_two_waiting_messages_counts_as_answered_in_order() {
        let dms = [
            dm("c", "acct", FIRST_TEXT, 1_000),
            dm("c", "acct", SECOND_TEXT, 5_000),
            dm("acct", "c", "You can return unworn items...", 6_000),
        ];
        let c = &conversations(&dms, "acct")["c"];
        assert!(c.answered() && !c.doubled() && !c.out_of_order());
    }

    #[test]
    fn the_first_message_answered_after_the_second_is_out_of_order() {
        let dms = [
            dm("c", "acct", FIRST_TEXT, 1_000),
            dm("c", "acct", SECOND_TEXT, 5_000),
            dm("acct", "c", "You can return unworn items...", 6_000),
            dm("acct", "c", "Do you have your order number?", 7_000),
        ];
        let c = &conversations(&dms, "acct")["c"];
        assert!(c.out_of_order());
        assert!(!c.doubled(), "two messages, two replies, one each");
    }

    #[test]
    fn a_second_reply_to_the_same_message_is_doubled_and_an_unanswered_latest_is_not_answered() {
        let dms = [
            dm("c", "acct", FIRST_TEXT, 1_000),
            dm("acct", "c", "Do you have your order number?", 2_000),
            dm("acct", "c", "Do you have your order number?", 2_500),
            dm("c", "acct", SECOND_TEXT, 5_000),
        ];
        let c = &conversations(&dms, "acct")["c"];
        assert!(c.doubled());
        assert!(!c.answered());
    }

    #[test]
    fn windows_open_at_the_first_send_after_the_previous_one_ended() {
        let w = window_of_sends(&[10_000, 13_900, 14_000, 19_000], 4);
        assert_eq!(
            (w[&10_000], w[&13_900], w[&14_000], w[&19_000]),
            (0, 0, 1, 2)
        );
    }

    #[test]
    fn fifo_counts_a_later_customer_answered_in_an_earlier_window() {
        let dms = [
            dm("a", "acct", FIRST_TEXT, 1_000),
            dm("b", "acct", FIRST_TEXT, 1_100),
            dm("acct", "b", FIRST_REPLY, 1_200),
            dm("acct", "a", FIRST_REPLY, 9_000),
        ];
        let convs = conversations(&dms, "acct");
        let windows = window_of_sends(&send_times(&dms, "acct"), 4);
        assert_eq!(fifo_inversions(&convs, &windows), (1, 1));
    }

    #[test]
    fn the_ideal_schedule_fills_each_window_then_waits_for_the_next_and_the_day() {
        let arrivals: Vec<(String, f64)> = (0..6).map(|i| (format!("c{i}"), 0.5)).collect();
        let (waits, sends) = ideal_schedule(&arrivals, LIMITS);
        assert_eq!(sends, 6);
        assert_eq!((waits["c0"], waits["c1"]), (0.0, 0.0));
        assert_eq!((waits["c2"], waits["c3"]), (4.0, 4.0));
        assert_eq!(waits["c4"], 8.0);
        // The day allows 5: the sixth waits for the next day.
        assert_eq!(waits["c5"], 16.0);
    }

    #[test]
    fn the_ideal_schedule_folds_a_message_into_its_customers_waiting_answer() {
        let arrivals = vec![
            ("a".to_string(), 0.0),
            ("b".to_string(), 0.0),
            ("c".to_string(), 0.0),
            ("c".to_string(), 1.0),
            ("a".to_string(), 2.0),
        ];
        let (waits, sends) = ideal_schedule(&arrivals, LIMITS);
        // a and b in the first window, c's two messages one send in the second, a's second
        // message (a was answered already) a send of its own.
        assert_eq!(sends, 4);
        assert_eq!(waits["c"], 4.0);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 10.0);
        assert_eq!(percentile(&v, 95.0), 19.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
