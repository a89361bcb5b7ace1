//! The Account Activity webhook envelope.
