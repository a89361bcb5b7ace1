//! redb's errors as the port's: one map, and the `.db(path)` shorthand every call uses.

use std::path::Path;

use crate::store::StoreError;

/// Maps redb's errors onto the port's, saying what to do.
pub(super) fn db_error(path: &Path, e: impl Into<redb::Error>) -> StoreError {
    let e: redb::Error = e.into();
    let shown = path.display();
    match e {
        redb::Error::DatabaseAlreadyOpen => StoreError::InUse {
            path: path.to_path_buf(),
        },
        redb::Error::Corrupted(detail) => StoreError::Corrupt {
            what: format!("data file {shown}"),
            detail,
        },
        redb::Error::UpgradeRequired(v) => StoreError::Rejected(format!(
            "the data file {shown} has an old format ({v}): move it away to start fresh"
        )),
        redb::Error::Io(io) => StoreError::Unavailable(format!("I/O error on {shown}: {io}")),
        other => StoreError::Unavailable(format!("data file {shown}: {other}")),
    }
}

/// `.db(path)`: a redb result as the port's, naming the data file.
pub(super) trait Db<T> {
    fn db(self, path: &Path) -> Result<T, StoreError>;
}

impl<T, E: Into<redb::Error>> Db<T> for Result<T, E> {
    fn db(self, path: &Path) -> Result<T, StoreError> {
        self.map_err(|e| db_error(path, e))
    }
}
