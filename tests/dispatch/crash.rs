//! A dispatch invocation killed mid-batch and redelivered loses and doubles nothing.

use crate::support::*;

/// The Lambda path's crash: an invocation dies mid-batch (its future dropped: a timeout, an
/// out-of-memory kill) while three of its sends were taken by Twitter but not yet answered, and
/// Lambda delivers the same batch again. Twitter's echoes reach the webhook (another function,
/// which stayed up) and are recorded as receipts.
#[tokio::test]
async fn a_dispatch_invocation_killed_mid_batch_and_redelivered_loses_and_doubles_nothing() {
    let env = env().await;
    let customers: Vec<String> = (0..10)
        .map(|i| (3_301_000_100u64 + i).to_string())
        .collect();
    let mut records = Vec::new();
    for (i, customer) in customers.iter().enumerate() {
        let key = env.owner_key(customer);
        records.push(
            env.inbound(&key, 1_600_000_000_000_000_100 + i as u64, "hello")
                .await,
        );
    }
    let event = env.stream_event(&records.iter().collect::<Vec<_>>()).await;
    // Three sends are taken by Twitter, then answered only after the invocation is gone.
    env.fake
        .fail_next(SEND, 3, Fault::AnswerLate(Duration::from_secs(5)));
    let mut config = env.config(FlowSource::Fixed(env.flow.clone()));
    config.lease_margin = Duration::ZERO;
    let first = env.dispatcher_with(config);
    let first_deadline = Instant::now() + Duration::from_secs(3);

    // Killed once every reply is on Twitter (three of them unanswered to the dispatcher).
    tokio::select! {
        _ = handle_stream_event(&first, &event, first_deadline) => {
            panic!("the invocation finished before it could be killed")
        }
        _ = async {
            while env.fake.sent_count() < customers.len() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        } => {}
    }
    drop(first);
    // Twitter echoes every message the account sent; the webhook records them.
    for sent in env.fake.sent_messages() {
        let to = sent["message_create"]["target"]["recipient_id"]
            .as_str()
            .unwrap()
            .to_string();
        let id = EventId::parse(sent["id"].as_str().unwrap()).unwrap();
        env.echo_arrives(&to, &id, true).await;
    }

    // Lambda delivers the batch again; the dead invocation's leases run out meanwhile.
    let response = handle_stream_event(&env.dispatcher(), &event, deadline()).await;

    assert!(failed_ids(&response).is_empty(), "{response:?}");
    for (customer, record) in customers.iter().zip(&records) {
        assert_eq!(env.texts_to(customer).len(), 1, "customer {customer}");
        assert!(matches!(
            env.status(record).await,
            InboundStatus::Answered {
                reply_event_id: Some(_),
                ..
            }
        ));
    }
    assert_eq!(env.fake.sent_count(), customers.len(), "0 doubled");
    assert_eq!(env.event_list_calls(), 0, "decided from the receipts alone");
}
