//! The endpoint families of API v1.1 (`/1.1/...`), one file each; [`super::router`] lists
//! their endpoints.

pub(crate) mod activity;
pub(crate) mod dm;
pub(crate) mod media;
pub(crate) mod profiles;
pub(crate) mod users;
pub(crate) mod welcome;
