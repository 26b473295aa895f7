"""Django's SQLite backend, with a finer wait for the write lock.

SQLite lets one connection write at a time. A connection that finds the lock taken calls its
busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 … ms between tries: a web worker that
arrives while the task worker writes a batch of new cases for 30 ms wakes up at 33 ms, and with
several processes writing (web workers, the task worker) most of their time goes to sleeping
past the moment the lock was free. Here, a transaction begins by trying to take the lock
itself, sleeping 0.1 ms at first and never more than 2 ms between tries, until the busy
timeout (PRAGMA busy_timeout, the same limit as before) has passed. Single statements outside
a transaction keep SQLite's own handler.
"""

from __future__ import annotations

import sqlite3
import time

from django.db.backends.sqlite3 import base

FIRST_DELAY = 0.0001
MAX_DELAY = 0.002


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        row = conn.execute("PRAGMA busy_timeout").fetchone()
        self._busy_timeout_ms = int(row[0]) if row else 0
        return conn

    def _start_transaction_under_autocommit(self):
        begin = f"BEGIN {self.transaction_mode}" if self.transaction_mode else "BEGIN"
        timeout_ms = getattr(self, "_busy_timeout_ms", 0)
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
