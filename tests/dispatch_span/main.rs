//! The dispatcher's log spans, in a process of their own.
//!
//! tracing caches whether a callsite is enabled once for the whole process, from the subscriber
//! of the thread that reaches it first. In the `dispatch` binary a concurrent test with no
//! subscriber could reach the per-message span first and have it cached as disabled, and the
//! thread-local capture below would then see lines without their span (it happened in 1 CI run).
//! Alone here, the capture sees what production logs. The fixtures are the `dispatch` suite's.

// The shared fixtures serve the whole `dispatch` suite; this binary uses a part of them.
#[allow(dead_code, unused_imports)]
#[path = "../dispatch/env.rs"]
mod env;
mod span;
#[allow(dead_code, unused_imports)]
#[path = "../dispatch/support.rs"]
mod support;
