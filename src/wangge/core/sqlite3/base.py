"""Django's SQLite backend, with a finer wait for the write lock, and commits that are flushed
to disk after the lock is released.

The wait. SQLite lets one connection write at a time. A connection that finds the lock taken
calls its busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 … ms between tries: a web worker
that arrives while the task worker writes a batch of new cases for 30 ms wakes up at 33 ms,
and with several processes writing (web workers, the task worker) most of their time goes to
sleeping past the moment the lock was free. Here, a transaction begins by trying to take the
lock itself, sleeping 0.1 ms at first and never more than 2 ms between tries, until the busy
timeout (PRAGMA busy_timeout, the same limit as before) has passed. Single statements outside
a transaction keep SQLite's own handler.

The flush. With synchronous=FULL (settings) SQLite writes a transaction's pages to the
write-ahead log and flushes the log to disk before it releases the write lock: every other
writer (the other web worker, the task worker) waits for the disk as well — a fraction of a
millisecond for every acknowledged report, twice that under load. Here a transaction runs
with synchronous=NORMAL (its commit writes the log without the flush and releases the lock)
and the commit flushes the log itself (fdatasync) before it returns — if the transaction
changed rows or the schema; the first flush of a connection flushes the log's directory entry
as well. The caller hears of its commit only once it is on disk, as with FULL, and the next
writer does not wait for that flush. Meanwhile another connection may already read the new
rows; whatever it writes after them lies later in the same log, so it cannot reach the disk
without them, and a request that answers with a row written by another (a retried report's
receipt) calls flush_commits() first. Under NORMAL SQLite still flushes the log before each
checkpoint and when the log starts over, as under FULL. Single statements outside a
transaction, and databases set to NORMAL or EXTRA, keep SQLite's own behaviour.
"""

from __future__ import annotations

import os
import sqlite3
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

FIRST_DELAY = 0.0001
MAX_DELAY = 0.002


def _log_of(conn) -> str | None:
    """The write-ahead log file of a connection whose commits are to be flushed by this backend
    (synchronous=FULL, WAL, a database file), else None."""
    if conn.execute("PRAGMA synchronous").fetchone()[0] != 2:  # FULL
        return None
    if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        return None
    path = next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    return f"{path}-wal" if path else None


def flush(log: str, *, directory: bool = False) -> None:
    """Put what was written to the log `log` on disk, with its directory entry when asked (a
    log that SQLite created a moment ago exists on disk only once its directory is flushed
    too; SQLite does it at the log's first flush under FULL). Never opens the database file
    itself: closing a descriptor of it would drop this process's locks on it."""
    try:
        fd = os.open(log, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fdatasync(fd)
        finally:
            os.close(fd)
        if directory:
            folder = os.open(os.path.dirname(log) or ".", os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
    except OSError as exc:
        # The transaction is committed but perhaps not on disk: the caller must not be told
        # it is done.
        raise OperationalError(f"The commit could not be written to disk: {exc}") from exc


class DatabaseWrapper(base.DatabaseWrapper):
    # (Set for each connection in get_new_connection; these hold before the first one.)
    _busy_timeout_ms = 0
    _log: str | None = None  # the log this backend flushes, None: SQLite's own flushing
    _flush_on_commit = False  # in a transaction whose commit this backend flushes

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        row = conn.execute("PRAGMA busy_timeout").fetchone()
        self._busy_timeout_ms = int(row[0]) if row else 0
        self._log = _log_of(conn)
        self._flush_on_commit = False
        # The log may have been made by this connection (SQLite deletes it when the last
        # connection closes): the first flush of each connection flushes the directory too.
        self._log_entry_flushed = False
        return conn

    def _flush_log(self) -> None:
        flush(self._log, directory=not self._log_entry_flushed)
        self._log_entry_flushed = True

    def _written(self) -> tuple[int, int]:
        """What tells whether a transaction wrote: the rows it changed and the schema's
        version (a schema change changes no rows)."""
        conn = self.connection
        return conn.total_changes, conn.execute("PRAGMA schema_version").fetchone()[0]

    def _start_transaction_under_autocommit(self):
        if self._log:
            self._flush_on_commit = True  # (first: FULL is restored whatever fails next)
            try:
                # Before BEGIN: the setting cannot change inside a transaction.
                with self.wrap_database_errors:
                    self.connection.execute("PRAGMA synchronous = NORMAL")
                self._begin()
                self._written_at_begin = self._written()
            except BaseException:
                self._end_deferred_flush()
                raise
        else:
            self._begin()

    def _begin(self):
        begin = f"BEGIN {self.transaction_mode}" if self.transaction_mode else "BEGIN"
        timeout_ms = self._busy_timeout_ms
        if self.transaction_mode not in ("IMMEDIATE", "EXCLUSIVE") or not timeout_ms:
            return super()._start_transaction_under_autocommit()
        conn = self.connection
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            deadline = time.monotonic() + timeout_ms / 1000
            delay = FIRST_DELAY
            while True:
                try:
                    conn.execute(begin)
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(delay)
                delay = min(delay * 2, MAX_DELAY)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {timeout_ms}")

    def _end_deferred_flush(self) -> None:
        """Back to FULL for what follows (single statements), once a transaction ended."""
        if not self._flush_on_commit:
            return
        if self.connection is not None:
            with self.wrap_database_errors:
                self.connection.execute("PRAGMA synchronous = FULL")
        self._flush_on_commit = False

    def flush_commits(self) -> None:
        """Put on disk what other connections committed and may not have flushed yet."""
        if self._log and self.connection is not None:
            self._flush_log()

    def _commit(self):
        if not self._flush_on_commit or self.connection is None:
            return super()._commit()
        # A transaction that changed nothing wrote nothing to the log (the task worker's look
        # for work, say): nothing to flush.
        wrote = self._written() != self._written_at_begin
        super()._commit()  # (one that fails leaves the transaction to the caller's rollback)
        self._end_deferred_flush()
        if wrote:
            self._flush_log()

    def _set_autocommit(self, autocommit):
        # The driver commits an open transaction when autocommit is turned on (an atomic
        # block interrupted in its commit ends so): that commit is flushed as well.
        pending = autocommit and self._flush_on_commit
        committing = pending and self.connection.in_transaction
        super()._set_autocommit(autocommit)
        if pending:
            self._end_deferred_flush()
            if committing:
                self._flush_log()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._end_deferred_flush()

    def _close(self):
        self._flush_on_commit = False  # (a transaction still open is rolled back)
        return super()._close()
