"""Domain events: a service announces what it has just recorded, and other apps react.

A service calls `emit("case.closed", case=case, actor=actor, at=now)` inside its own
transaction, after the source record is saved. Handlers registered with `@subscribe` run
synchronously in that same transaction, so whatever they write (point ledger entries, for
example) commits or rolls back together with the source record. A handler must be idempotent
for the same source record (the scoring ledger enforces it with a unique key), because a
periodic task that retries may announce the same thing twice.

Handlers are registered in an app's `AppConfig.ready()` (importing its `handlers.py`). An
event with no handler is a no-op, so the apps that emit do not depend on the apps that listen.

Events emitted (payload keys in brackets):
  case.resolved        [case, actor, at, on_time]
  case.closed          [case, actor, at]
  case.return_visit    [case, actor, at, satisfaction]
  case.overdue         [case, at]                 (once per overdue period, from the sweep)
  party.need.claimed   [need, member, actor, at]
  party.need.fulfilled [need, member, actor, at]
  party.meeting.recorded [meeting, present, actor, at]  (present: list of PartyMember)
Other apps document theirs beside the `emit` call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

_HANDLERS: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def subscribe(name: str):
    """Decorator: call `func(**payload)` whenever `name` is emitted. Registering the same
    function twice for an event has no effect."""

    def decorator(func):
        if func not in _HANDLERS[name]:
            _HANDLERS[name].append(func)
        return func

    return decorator


def unsubscribe(name: str, func) -> None:
    if func in _HANDLERS.get(name, []):
        _HANDLERS[name].remove(func)


def emit(name: str, **payload: Any) -> None:
    """Run every handler of `name` now, in the caller's transaction. A handler's exception
    propagates: the service's transaction rolls back and nothing is half recorded."""
    for func in list(_HANDLERS.get(name, [])):
        func(**payload)
