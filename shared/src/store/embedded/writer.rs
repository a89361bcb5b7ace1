//! The group-commit writer: one thread applies every queued write operation in one
//! transaction and commits once (see the module documentation of `embedded`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

use redb::{Database, WriteTransaction};
use tokio::sync::oneshot;

use super::error::db_error;
use crate::store::StoreError;

/// The most operations one group commit takes (more wait for the next one).
pub(super) const MAX_GROUP: usize = 1024;

/// One write operation waiting for the writer thread, its result type erased.
pub(super) trait WriteJob: Send {
    /// Applies the operation in `txn`. After an `Err` the transaction is rolled back, so the
    /// operation may have written before failing; after an `Ok` it may be applied again, in a
    /// fresh transaction, when another operation of the group fails.
    fn apply(&mut self, txn: &WriteTransaction, path: &Path) -> Result<(), StoreError>;
    /// Hands the outcome to the caller: `Ok` once the group is committed, or the error.
    fn complete(self: Box<Self>, outcome: Result<(), StoreError>);
}

pub(super) struct Job<T, F> {
    pub(super) op: F,
    pub(super) output: Option<T>,
    pub(super) reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnMut(&WriteTransaction, &Path) -> Result<T, StoreError> + Send,
{
    fn apply(&mut self, txn: &WriteTransaction, path: &Path) -> Result<(), StoreError> {
        self.output = None;
        self.output = Some((self.op)(txn, path)?);
        Ok(())
    }

    fn complete(self: Box<Self>, outcome: Result<(), StoreError>) {
        let Job { output, reply, .. } = *self;
        let result = outcome.and_then(|()| {
            output.ok_or_else(|| {
                StoreError::Unavailable("a grouped write finished without a result".into())
            })
        });
        // The caller may have gone away (its future was dropped): the write stands anyway.
        let _ = reply.send(result);
    }
}

/// The writer thread: takes every queued operation, applies them in one transaction, commits
/// once, answers them all. Ends when the store is dropped (the queue's sender with it).
pub(super) fn writer_loop(
    db: Arc<Database>,
    path: PathBuf,
    jobs: mpsc::Receiver<Box<dyn WriteJob>>,
) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let (ops, started) = (group.len(), std::time::Instant::now());
        commit_group(&db, &path, group);
        tracing::trace!(
            ops,
            us = started.elapsed().as_micros() as u64,
            "group commit"
        );
    }
}

/// Applies `group` in arrival order in one transaction and commits it. An operation that fails
/// is answered with its error and the others are applied again without it.
pub(super) fn commit_group(db: &Database, path: &Path, mut group: Vec<Box<dyn WriteJob>>) {
    while !group.is_empty() {
        let txn = match db.begin_write() {
            Ok(txn) => txn,
            Err(e) => return fail_all(group, &db_error(path, e)),
        };
        let failed = group
            .iter_mut()
            .enumerate()
            .find_map(|(i, job)| job.apply(&txn, path).err().map(|e| (i, e)));
        match failed {
            None => {
                match txn.commit() {
                    Ok(()) => group.into_iter().for_each(|job| job.complete(Ok(()))),
                    Err(e) => fail_all(group, &db_error(path, e)),
                }
                return;
            }
            Some((i, e)) => {
                if let Err(abort) = txn.abort() {
                    // The next `begin_write` reports it if the file is really in trouble.
                    tracing::warn!(error = %db_error(path, abort), "rolling back a grouped write failed");
                }
                let job = group.remove(i);
                if matches!(e, StoreError::Unavailable(_)) {
                    // I/O trouble fails every operation alike: do not retry them one by one.
                    job.complete(Err(e.clone()));
                    return fail_all(group, &e);
                }
                job.complete(Err(e));
            }
        }
    }
}

pub(super) fn fail_all(group: Vec<Box<dyn WriteJob>>, e: &StoreError) {
    for job in group {
        job.complete(Err(e.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::error::Db;
    use redb::{ReadableDatabase, ReadableTable, TableDefinition};

    const T: TableDefinition<&str, u64> = TableDefinition::new("t");

    type Reply<V> = oneshot::Receiver<Result<V, StoreError>>;

    /// A job for [`commit_group`] and the receiver of its answer.
    fn job<V, F>(op: F) -> (Box<dyn WriteJob>, Reply<V>)
    where
        V: Send + 'static,
        F: FnMut(&WriteTransaction, &Path) -> Result<V, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            op,
            output: None,
            reply,
        };
        (Box::new(job), answer)
    }

    fn put(key: &'static str) -> impl FnMut(&WriteTransaction, &Path) -> Result<(), StoreError> {
        move |txn, path| {
            txn.open_table(T).db(path)?.insert(key, 1).db(path)?;
            Ok(())
        }
    }

    fn stored(db: &Database, key: &str) -> bool {
        let txn = db.begin_read().expect("read");
        match txn.open_table(T) {
            Ok(t) => t.get(key).expect("get").is_some(),
            Err(_) => false,
        }
    }

    fn answer<V>(mut rx: Reply<V>) -> Result<V, StoreError> {
        rx.try_recv().expect("every job of the group was answered")
    }

    #[test]
    fn a_failing_write_is_rolled_back_alone_and_the_rest_of_its_group_commits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.redb");
        let db = Database::create(&path).expect("create");

        let (a, a_rx) = job(put("a"));
        // Writes "b", then fails: "b" must not survive.
        let (b, b_rx) = job(
            |txn: &WriteTransaction, path: &Path| -> Result<(), StoreError> {
                put("b")(txn, path)?;
                Err(StoreError::Conflict { what: "b".into() })
            },
        );
        let (c, c_rx) = job(put("c"));
        // Runs after "a" in the same group, so it sees it.
        let (d, d_rx) = job(|txn: &WriteTransaction, path: &Path| {
            let t = txn.open_table(T).db(path)?;
            Ok(t.get("a").db(path)?.is_some())
        });
        commit_group(&db, &path, vec![a, b, c, d]);

        assert!(answer(a_rx).is_ok());
        assert!(matches!(answer(b_rx), Err(StoreError::Conflict { .. })));
        assert!(answer(c_rx).is_ok());
        assert!(answer(d_rx).expect("d succeeds"), "d sees a");
        assert!(stored(&db, "a") && stored(&db, "c"));
        assert!(!stored(&db, "b"), "the failed write left nothing behind");
    }

    #[test]
    fn an_unavailable_store_fails_the_whole_group_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.redb");
        let db = Database::create(&path).expect("create");

        let (a, a_rx) = job(put("a"));
        let (b, b_rx) = job(|_: &WriteTransaction, _: &Path| -> Result<(), StoreError> {
            Err(StoreError::Unavailable("disk gone".into()))
        });
        let (c, c_rx) = job(put("c"));
        commit_group(&db, &path, vec![a, b, c]);

        for rx in [a_rx, b_rx, c_rx] {
            assert!(matches!(answer(rx), Err(StoreError::Unavailable(m)) if m == "disk gone"));
        }
        assert!(!stored(&db, "a") && !stored(&db, "c"));
    }
}
