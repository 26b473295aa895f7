"""wangge.core.sqlite3: a transaction that finds the write lock taken waits for it in short
steps, and gives up after the busy timeout like SQLite's own handler; a transaction's commit
is on disk when it returns, flushed after the write lock is released; and the embedded
database's durability setting (settings: PRAGMA synchronous)."""

import os
import sqlite3
import threading
import time

import pytest
from django.db import connection

from wangge.core.sqlite3.base import DatabaseWrapper

pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only"),
    pytest.mark.django_db,
]


def _wrapper(path, timeout_ms: int, synchronous: str = "FULL") -> DatabaseWrapper:
    settings = dict(connection.settings_dict)
    settings.update(
        NAME=str(path),
        OPTIONS={
            "init_command": f"PRAGMA journal_mode=WAL; PRAGMA busy_timeout={timeout_ms}; "
            f"PRAGMA synchronous={synchronous};",
            "transaction_mode": "IMMEDIATE",
        },
        TEST={},
    )
    return DatabaseWrapper(settings, alias="wait-test")


def _database(
    tmp_path, name: str, *, schema="CREATE TABLE t (x)", timeout_ms=5000, synchronous="FULL"
):
    """(path, a connected backend) of a new database file holding `schema`."""
    path = tmp_path / name
    sqlite3.connect(path).execute(schema).connection.close()
    db = _wrapper(path, timeout_ms, synchronous)
    db.ensure_connection()
    return path, db


def _begin(db) -> None:
    """What transaction.atomic does first: BEGIN IMMEDIATE."""
    db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _transaction(db, sql: str, params=()) -> None:
    """`sql` in a transaction of its own, committed as an atomic block commits."""
    _begin(db)
    db.cursor().execute(sql, params)
    db.commit()
    db.set_autocommit(True)


def _synchronous(db) -> int:
    return db.connection.execute("PRAGMA synchronous").fetchone()[0]


def _hold_lock(path, seconds: float, held: threading.Event):
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    held.set()
    time.sleep(seconds)
    other.execute("COMMIT")
    other.close()


def test_a_transaction_waits_for_the_lock_in_short_steps(tmp_path, monkeypatch):
    from wangge.core.sqlite3 import base

    path, db = _database(tmp_path, "w.sqlite3")
    assert db._busy_timeout_ms == 5000
    slept = []

    class Clock:
        monotonic = staticmethod(time.monotonic)

        @staticmethod
        def sleep(seconds):
            slept.append(seconds)
            time.sleep(seconds)

    monkeypatch.setattr(base, "time", Clock)
    held = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(path, 0.2, held))
    holder.start()
    held.wait()
    # What transaction.atomic does: BEGIN IMMEDIATE, taken once the holder commits.
    _begin(db)
    db.cursor().execute("INSERT INTO t VALUES (1)")
    db.commit()
    holder.join()
    # It tried again and again, never sleeping longer than MAX_DELAY between tries (SQLite's
    # own handler sleeps up to 100 ms past the moment the lock is free).
    assert len(slept) > 10 and slept[0] == base.FIRST_DELAY and max(slept) <= base.MAX_DELAY
    assert db.connection.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert db.connection.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    db.close()


def test_the_busy_timeout_still_applies(tmp_path):
    path, db = _database(tmp_path, "w.sqlite3", timeout_ms=100)
    held = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(path, 0.6, held))
    holder.start()
    held.wait()
    from django.db.utils import OperationalError

    with pytest.raises((OperationalError, sqlite3.OperationalError)):
        _begin(db)
    holder.join()
    # The connection is usable afterwards, with its busy timeout back in place.
    assert db.connection.execute("PRAGMA busy_timeout").fetchone()[0] == 100
    db.close()


def test_the_embedded_database_commits_to_disk_before_answering():
    """synchronous=FULL: a commit (an acknowledged report's receipt) is on disk when it
    returns, and survives a power cut."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL


@pytest.mark.parametrize(("value", "pragma"), [("normal", "NORMAL"), ("", "FULL"), ("OFF", None)])
def test_the_durability_setting_is_checked(value, pragma):
    import os
    import subprocess
    import sys

    env = dict(os.environ, WANGGE_SQLITE_SYNCHRONOUS=value, DATABASE_URL="sqlite:///:memory:")
    env["DJANGO_SETTINGS_MODULE"] = "wangge.settings"
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS']['init_command'])"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if pragma:
        assert f"PRAGMA synchronous={pragma};" in done.stdout
    else:
        assert done.returncode != 0
        assert "WANGGE_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA" in done.stderr


def _watch_flushes(monkeypatch, during=None, folders=None) -> list[str]:
    """The files the backend flushes (their paths), calling `during()` in each flush before
    the real one; the folders it flushes go to `folders`."""
    from wangge.core.sqlite3 import base

    flushed = []
    real, real_fsync = os.fdatasync, os.fsync

    def fdatasync(fd):
        flushed.append(os.readlink(f"/proc/self/fd/{fd}"))
        if during is not None:
            during()
        real(fd)

    def fsync(fd):
        if folders is not None:
            folders.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(base.os, "fdatasync", fdatasync)
    monkeypatch.setattr(base.os, "fsync", fsync)
    return flushed


def test_a_commit_is_on_disk_when_it_returns_and_the_lock_is_free_during_the_flush(
    tmp_path, monkeypatch
):
    path, db = _database(tmp_path, "d.sqlite3")
    seen = []

    def another_writer():
        # Another process's connection, while the commit is being flushed: the write lock
        # is free (a zero busy timeout: no waiting), and the new row is there.
        other = sqlite3.connect(path, isolation_level=None, timeout=0)
        other.execute("BEGIN IMMEDIATE")
        seen.append(other.execute("SELECT count(*) FROM t").fetchone()[0])
        other.execute("ROLLBACK")
        other.close()

    flushed = _watch_flushes(monkeypatch, during=another_writer)
    _begin(db)
    db.cursor().execute("INSERT INTO t VALUES (1)")
    assert _synchronous(db) == 1  # NORMAL inside
    db.commit()
    db.set_autocommit(True)
    assert flushed == [f"{path}-wal"] and seen == [1]
    # Back to FULL for single statements, which SQLite flushes itself (under its lock).
    assert _synchronous(db) == 2
    db.cursor().execute("INSERT INTO t VALUES (2)")
    assert flushed == [f"{path}-wal"]
    # A transaction rolled back flushes nothing and leaves FULL behind as well.
    _begin(db)
    db.cursor().execute("INSERT INTO t VALUES (3)")
    db.rollback()
    db.set_autocommit(True)
    assert flushed == [f"{path}-wal"]
    assert _synchronous(db) == 2
    assert db.connection.execute("SELECT count(*) FROM t").fetchone()[0] == 2
    # A transaction that only read wrote nothing to the log: no flush.
    _transaction(db, "SELECT count(*) FROM t")
    assert flushed == [f"{path}-wal"]
    # A schema change (not counted among a transaction's changed rows) is flushed, whether
    # or not it comes through a schema editor, and after a transaction that changed rows.
    with db.schema_editor(atomic=False) as editor:
        _begin(db)
        editor.execute("CREATE TABLE u (y)")
        db.commit()
        db.set_autocommit(True)
    assert flushed == [f"{path}-wal"] * 2
    _transaction(db, "CREATE TABLE v (z)")
    assert flushed == [f"{path}-wal"] * 3
    # Autocommit turned on with the transaction open (an atomic block interrupted in its
    # commit): the driver commits it, and that commit is flushed too.
    _begin(db)
    db.cursor().execute("INSERT INTO t VALUES (4)")
    db.set_autocommit(True)
    assert flushed == [f"{path}-wal"] * 4
    assert not db.connection.in_transaction
    assert _synchronous(db) == 2
    db.close()


def test_the_acknowledgements_statement_transaction_is_flushed(tmp_path, monkeypatch):
    """core.bulk.one_statement_transaction, the transaction of an acknowledged report."""
    from wangge.core.bulk import _SQLiteStatementTransaction

    path, db = _database(tmp_path, "a.sqlite3", schema="CREATE TABLE t (x UNIQUE)")
    flushed = _watch_flushes(monkeypatch)
    with _SQLiteStatementTransaction(db):
        db.cursor().execute("INSERT INTO t VALUES (1)")
    assert flushed == [f"{path}-wal"]
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), _SQLiteStatementTransaction(db):
        db.cursor().execute("INSERT INTO t VALUES (1)")
    assert flushed == [f"{path}-wal"]
    assert _synchronous(db) == 2
    assert not db.connection.in_transaction
    db.close()


def test_a_commit_that_cannot_reach_the_disk_is_not_reported_done(tmp_path, monkeypatch):
    from django.db.utils import OperationalError

    from wangge.core.sqlite3 import base

    path, db = _database(tmp_path, "e.sqlite3")

    def failing(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(base.os, "fdatasync", failing)
    _begin(db)
    db.cursor().execute("INSERT INTO t VALUES (1)")
    with pytest.raises(OperationalError, match="could not be written to disk"):
        db.commit()
    assert _synchronous(db) == 2
    db.close()


@pytest.mark.parametrize("synchronous", ["NORMAL", "EXTRA"])
def test_other_settings_keep_sqlites_own_flushing(tmp_path, monkeypatch, synchronous):
    path, db = _database(tmp_path, "n.sqlite3", synchronous=synchronous)
    flushed = _watch_flushes(monkeypatch)
    _transaction(db, "INSERT INTO t VALUES (1)")
    assert flushed == []
    expected = {"NORMAL": 1, "EXTRA": 3}[synchronous]
    assert _synchronous(db) == expected
    db.close()


def test_each_connection_flushes_the_logs_directory_entry_once(tmp_path, monkeypatch):
    """SQLite deletes the log when the last connection closes and makes a new one (often
    with the same inode number) with the next write: a connection's first flush puts the
    log's directory entry on disk too."""
    path = tmp_path / "f.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    folders = []
    flushed = _watch_flushes(monkeypatch, folders=folders)
    for n in range(2):
        db = _wrapper(path, 5000)
        db.ensure_connection()
        for i in range(2):
            _transaction(db, "INSERT INTO t VALUES (%s)", [i])
        db.close()
        assert not os.path.exists(f"{path}-wal")  # deleted by the last connection
        assert folders == [str(tmp_path)] * (n + 1)
    assert flushed == [f"{path}-wal"] * 4
