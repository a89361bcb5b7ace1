//! Configuration: where credentials and settings come from.
