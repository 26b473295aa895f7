"""The intake database: on the embedded SQLite, the receipts 受理回执 of acknowledged reports
live in a file of their own beside the main one (settings.DATABASES["intake"]).

SQLite lets one connection write to a file at a time. The task worker writes each batch of
new cases (their rows, timelines, audit rows, rollups) in one transaction of tens of
milliseconds; a phone's report is acknowledged by one small insert of its receipt. In one
file every acknowledgement that arrives during a batch waits for it, and the web workers sit
idle while the machine has work to do. In a file of their own the receipts are written while
the batch is, and the worker marks them taken in there after the batch's commit, in a few
milliseconds (services.intake_process: the cases are the claim). Nothing else moves: the
task queue stays with the data its tasks are about (a task enqueued in a transaction is in
the same commit as the rows it names).

On PostgreSQL, which locks rows rather than files, there is no intake database and this
router has no opinion: everything is in one database.
"""

from __future__ import annotations

from django.conf import settings

INTAKE = "intake"
# (app label, model name) of the models kept in the intake database.
INTAKE_MODELS = frozenset({("cases", "intakereceipt")})


def separate() -> bool:
    """Whether the intake database is a database of its own."""
    return INTAKE in settings.DATABASES


def _ours(model_or_obj) -> bool:
    meta = model_or_obj._meta  # (an instance may be a lazy object: request.user)
    return (meta.app_label, meta.model_name) in INTAKE_MODELS


class IntakeRouter:
    def db_for_read(self, model, **hints):
        return INTAKE if _ours(model) and separate() else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        # A receipt names the user who sent it (a key without a constraint across the files).
        if _ours(obj1) or _ours(obj2):
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if not separate():
            return None
        ours = (app_label, model_name) in INTAKE_MODELS
        if db == INTAKE:
            return ours  # (nothing else, not even the operations that name no model)
        return False if ours else None
