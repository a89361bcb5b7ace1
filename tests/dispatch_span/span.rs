//! Every line logged while a message is handled carries its conversation and event id: the
//! dispatcher opens one span per message, so lines deep inside (the send's retries, the store's)
//! need not repeat them and cannot be misattributed when conversations run concurrently.

use std::io::Write;
use std::sync::Mutex;

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::support::*;

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// The captured lines that contain `needle`.
    fn lines_with(&self, needle: &str) -> Vec<String> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_string)
            .collect()
    }
}

#[tokio::test]
async fn a_retry_logged_while_handling_a_message_names_its_conversation_and_event() {
    let logs = Captured::default();
    let writer = logs.clone();
    // This thread only: the test runtime polls the dispatcher on it.
    let _guard = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .set_default();
    let env = env().await;
    let key = env.owner_key(CUSTOMER);
    let record = env.inbound(&key, 1_600_000_000_000_000_001, "hello").await;
    env.fake.fail_next(SEND, 1, Fault::Status(503));

    let handled = env.dispatcher().handle(&record, deadline()).await.unwrap();

    assert!(matches!(handled, Handled::Replied { .. }));
    let retries = logs.lines_with("send failed; retrying");
    assert_eq!(retries.len(), 1, "{retries:?}");
    let line = &retries[0];
    assert!(line.contains(&format!("conversation={key}")), "{line}");
    assert!(
        line.contains(&format!("event={}", record.message.event_id)),
        "{line}"
    );
}
