"""Notifications 消息提醒 of the case loop.

The services call `notify(...)` inside their transaction; the in-app Notification rows are
written on commit (nothing is announced for a write that rolled back), and a background task
(`tasks.send_notifications`, ids only) hands them to the configured senders, so that a slow SMS
gateway never holds up a request. Senders are classes named in the setting
WANGGE_NOTIFY_SENDERS (dotted paths) with a `send(notification)` method; the default only logs.
A sender that fails is logged and the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from operator import attrgetter

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .choices import NotificationVerb

logger = logging.getLogger(__name__)

DEFAULT_SENDERS = ["wangge.cases.notify.LogSender"]

TEXTS = {
    NotificationVerb.ASSIGNED: _("Case %(number)s “%(title)s” is assigned to you."),
    NotificationVerb.TRANSFERRED: _("Case %(number)s “%(title)s” was transferred to you."),
    NotificationVerb.ESCALATED: _("Case %(number)s “%(title)s” was escalated to you."),
    NotificationVerb.DISPATCHED: _(
        "Case %(number)s “%(title)s” was dispatched to your department: please report in."
    ),
    NotificationVerb.RETURNED: _(
        "Case %(number)s “%(title)s” was returned by the department and is with you again."
    ),
    NotificationVerb.REOPENED: _(
        "Case %(number)s “%(title)s” was reopened: the reporter is not satisfied."
    ),
    NotificationVerb.DUE_SOON: _("Case %(number)s “%(title)s” is due soon."),
    NotificationVerb.OVERDUE: _("Case %(number)s “%(title)s” is overdue."),
}


def mask_phone(phone: str) -> str:
    """13812348000 → 138****8000: enough to tell numbers apart in a log, not to call."""
    phone = str(phone or "")
    if len(phone) < 7:
        return "*" * len(phone) or "-"
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


class LogSender:
    """The default sender: writes what an SMS gateway would send to the log."""

    def send(self, notification) -> None:
        logger.info(
            "SMS to %s: %s",
            mask_phone(getattr(notification.recipient, "phone", "")),
            notification.text,
        )


def _recipient_ids(recipients: Iterable, actor) -> list[int]:
    """The ids of `recipients` (users or ids), each once, without None and the actor."""
    actor_id = getattr(actor, "pk", None)
    ids = []
    for r in recipients:
        pk = getattr(r, "pk", r)
        if pk and pk != actor_id and pk not in ids:
            ids.append(pk)
    return ids


def notify(case, verb: str, recipients: Iterable, *, actor=None) -> None:
    """Announce `verb` about `case` to `recipients` (users or ids; None and the actor are left
    out, each person once) when the current transaction commits."""
    ids = _recipient_ids(recipients, actor)
    if not ids:
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = str(TEXTS[verb] % {"number": case.number, "title": case.title[:40]})
    transaction.on_commit(partial(_write_many, [(case.pk, str(verb), ids, text[:300])]))


def prepare_notices(items: Iterable[tuple]):
    """The notifications of (case, verb, recipients, actor) items, as notify() would make
    them, converted ahead of the transaction that writes them (write_notices), for the intake
    worker, which tells hundreds of handlers at once: for cases not saved yet, their key and
    number are read when written."""
    from wangge.core.bulk import new, prepare

    from .models import Notification

    now = timezone.now()
    templates = {}
    notices = []
    for case, verb, recipients, actor in items:
        if verb not in templates:
            with translation.override(settings.LANGUAGE_CODE):
                templates[verb] = str(TEXTS[verb])
        for pk in _recipient_ids(recipients, actor):
            n = new(Notification, recipient_id=pk, case=case, verb=str(verb), created_at=now)
            n._template = templates[verb]
            notices.append(n)
    return prepare(notices, late={"case_id": attrgetter("case.pk"), "text": _notice_text})


def _notice_text(notice) -> str:
    case = notice.case
    return (notice._template % {"number": case.number, "title": case.title[:40]})[:300]


def write_notices(rows) -> list[int]:
    """Write prepared notifications (prepare_notices) in the current transaction, in one
    insert (they commit or roll back with what they announce), and ask for their sending:
    with the database task backend in the same transaction (one write fewer), with another
    backend when it commits."""
    from wangge.core.bulk import insert

    ids = [n.pk for n in insert(rows) if n.pk is not None]
    if ids:
        if _queue_is_transactional():
            _enqueue_sending(ids)
        else:
            transaction.on_commit(partial(_enqueue_sending, ids))
    return ids


def _queue_is_transactional() -> bool:
    """Whether a task enqueued now is stored in the current database transaction (the
    database task backend), so that it runs only if that transaction commits."""
    from .tasks import send_notifications

    try:
        backend = send_notifications.get_backend()
    except Exception:  # noqa: BLE001 - a broken queue is reported when the task is enqueued
        return False
    return type(backend).__module__.startswith("django_tasks_db")


def _write_many(rows: list[tuple[int, str, list[int], str]]) -> list[int]:
    ids = _insert(rows)
    _enqueue_sending(ids)
    return ids


def _insert(rows: list[tuple[int, str, list[int], str]]) -> list[int]:
    from wangge.core.bulk import insert

    from .models import Notification

    now = timezone.now()
    created = insert(
        [
            Notification(recipient_id=pk, case_id=case_id, verb=verb, text=text, created_at=now)
            for case_id, verb, recipient_ids, text in rows
            for pk in recipient_ids
        ]
    )
    return [n.pk for n in created if n.pk is not None]


def _enqueue_sending(ids: list[int]) -> None:
    try:
        from .tasks import send_notifications

        send_notifications.enqueue(ids)
    except Exception:  # noqa: BLE001 - a broken queue must not break the case's request
        logger.exception("could not queue %d case notification(s) for sending", len(ids))


def senders() -> list:
    out = []
    for path in getattr(settings, "WANGGE_NOTIFY_SENDERS", DEFAULT_SENDERS):
        try:
            out.append(import_string(path)())
        except Exception:  # noqa: BLE001 - a misconfigured sender is reported, not fatal
            logger.exception("notification sender %s cannot be loaded", path)
    return out


def deliver(notification_ids: Iterable[int]) -> int:
    """Hand the notifications to every sender; returns the number of successful sends.
    Failures are logged, never raised."""
    from .models import Notification

    notifications = list(
        Notification.objects.filter(pk__in=list(notification_ids)).select_related("recipient")
    )
    sent = 0
    for sender in senders():
        for n in notifications:
            try:
                sender.send(n)
            except Exception:  # noqa: BLE001 - one failing gateway must not stop the others
                logger.exception(
                    "sender %s failed for notification %s", type(sender).__name__, n.pk
                )
            else:
                sent += 1
    return sent
