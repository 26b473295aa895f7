"""Reference data kept in each process's memory, rebuilt when it changes anywhere.

Hot paths (point → grid, the case categories of every report) read small, rarely edited
tables; reading them from the database on every request costs more than the work itself.
A process keeps its copy here, tagged with the data's generation (core.models.Generation: a
random token that every change replaces in its own transaction). Before handing the copy
out, the process compares the tags, at most once every CHECK_SECONDS per name: a change
made by another process (another gunicorn worker, the task worker, another machine) is seen
within that time of its commit; a change made by this process is seen at once.

    index = generations.cached("areas.geo", build_index)    # build_index(token) -> value
    generations.changed("areas.geo")                         # inside the changing transaction

A token rather than a counter: a restored or rolled-back table can never bring back a
generation an old copy was built at.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

CHECK_SECONDS = 1.0

_lock = threading.RLock()
# name -> [token the copy was built at, the copy, monotonic time of the last check]
_local: dict[str, list[Any]] = {}


def _read_token(name: str) -> str | None:
    from .models import Generation

    return Generation.objects.filter(name=name).values_list("token", flat=True).first()


def current(name: str) -> str:
    """The generation of `name` in the database (created on first use)."""
    token = _read_token(name)
    if token is None:
        from .models import Generation

        Generation.objects.get_or_create(name=name, defaults={"token": uuid.uuid4().hex})
        token = _read_token(name)
    return token


def cached(name: str, build: Callable[[str], Any]) -> Any:
    """This process's copy of `name`, built by `build(token)` when there is none or when the
    generation moved since it was built."""
    entry = _local.get(name)
    now = time.monotonic()
    if entry is not None and now - entry[2] < CHECK_SECONDS:
        return entry[1]
    with _lock:
        entry = _local.get(name)
        if entry is not None and now - entry[2] < CHECK_SECONDS:
            return entry[1]
        token = current(name)
        if entry is None or entry[0] != token:
            entry = [token, build(token), now]
            _local[name] = entry
        else:
            entry[2] = now
        return entry[1]


def changed(name: str) -> str:
    """Record that `name` changed: a new generation, written in the caller's transaction (other
    processes see it when that commits), and this process's copy dropped at once."""
    from .models import Generation

    token = uuid.uuid4().hex
    if not Generation.objects.filter(name=name).update(token=token):
        Generation.objects.get_or_create(name=name, defaults={"token": token})
    forget(name)
    return token


def forget(name: str | None = None) -> None:
    """Drop this process's copy of `name` (all copies when None): rebuilt on the next use.
    Tests call it between tests, whose rolled-back data the copies may hold."""
    with _lock:
        if name is None:
            _local.clear()
        else:
            _local.pop(name, None)


def on_change(announce: Callable[[], Any], *senders, unless=None) -> None:
    """Call `announce()` (which records a new generation) whenever an instance of one of
    `senders` (models or "app_label.Model") is saved or deleted, in the writing transaction;
    fixtures loaded raw are left alone, and so is a save for which `unless(**kwargs)` holds.
    Queryset writes send no signals: the models' querysets announce those themselves."""

    def handler(sender, **kwargs):
        if kwargs.get("raw") or (unless is not None and unless(**kwargs)):
            return
        announce()

    from django.db.models import signals

    for sender in senders:
        for signal in (signals.post_save, signals.post_delete):
            signal.connect(
                handler,
                sender=sender,
                weak=False,
                dispatch_uid=f"generations:{announce.__module__}.{announce.__name__}:{sender}:"
                f"{signal is signals.post_save}",
            )
