"""With the real fieldwork and supervision services: their events write the entries once,
and the recount over their tables agrees with the ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.core.events import emit
from wangge.scoring.models import PointEntry
from wangge.scoring.recount import recount

pytestmark = pytest.mark.django_db


def test_patrol_and_inspection_through_their_services(world):
    from wangge.fieldwork import services as fs
    from wangge.supervision import services as ss
    from wangge.testing.factories import user_with_post

    now = timezone.now()
    p = fs.patrol_start(actor=world.worker_a1, area=world.t.grid_a1, at=now - dt.timedelta(hours=2))
    p = fs.patrol_stop(actor=world.worker_a1, patrol=p, at=now - dt.timedelta(hours=1))
    emit("fieldwork.patrol.finished", patrol=p, actor=world.worker_a1, at=now)
    e = PointEntry.objects.get(source_type="fieldwork.patrol")
    assert (e.subject_id, e.source_id, e.area_path) == (world.worker_a1.pk, p.pk, p.area_path)

    supervisor = user_with_post(world.t.town, "supervisor")
    insp = ss.inspection_record(
        actor=supervisor,
        area=world.t.village_a,
        inspected_on=timezone.localdate(),
        checks=["ledgers_checked"],
        staff_expected=5,
        staff_present=3,
    )
    v = PointEntry.objects.get(source_type="supervision.inspection")
    assert (v.subject_kind, v.subject_id, v.source_id) == ("village", world.t.village_a.pk, insp.pk)
    result = recount()
    assert (len(result.missing), result.extra, result.orphans) == (0, [], [])
    assert result.expected == 2
