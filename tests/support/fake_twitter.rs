//! A fake Twitter API for tests.
