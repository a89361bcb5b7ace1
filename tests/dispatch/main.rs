//! The dispatcher end to end: DynamoDB stream events (the JSON Lambda receives) against a real
//! `DynamoStore` on moto and the simulator.
//!
//! Stream events are built from the stored items themselves (read back raw with `GetItem`), so
//! the decode path sees exactly what the table holds; `tests/fixtures/dispatch_stream_event.json`
//! is a sample of the shape.

mod accounts;
mod budget;
mod conversation;
mod crash;
mod deferral;
mod delivery;
mod env;
mod recovery;
mod support;
mod usage;
mod x_api_v2;
