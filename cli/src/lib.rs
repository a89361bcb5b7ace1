//! dmbot's command line as a library: the local stack ([`serve::LocalStack`], which the `dmbot
//! serve` binary and the tests start alike) and the operator commands ([`ops`]). The `dmbot`
//! binary (`src/main.rs`) only parses its arguments and calls one of them.

pub mod ops;
pub mod serve;
