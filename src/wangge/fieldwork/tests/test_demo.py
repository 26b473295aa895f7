"""The fieldwork demo step on the tiny preset: norms, a month of work with closed reports that
agree with a recount, pledges, and a realistic phone home for the demo `worker` login."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from freezegun import freeze_time

from wangge import demo
from wangge.accounts.models import User
from wangge.fieldwork import compliance, services
from wangge.fieldwork.models import (
    ClosedDay,
    DailyNorm,
    DailyReport,
    Patrol,
    PatrolPoint,
    Pledge,
    PledgeCampaign,
    Visit,
)

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def tiny(db):
    return demo.build(preset="tiny", seed=5, today=TODAY, options={"cases": 80})


def test_demo_month_of_fieldwork_and_the_worker_home(tiny, client):
    assert DailyNorm.objects.filter(area__depth=1).count() == 1
    assert Patrol.objects.exists() and Visit.objects.exists()
    assert not Patrol.objects.filter(ended_at__isnull=True).exists()
    for p in Patrol.objects.filter(point_count__gt=0)[:20]:
        assert p.points.count() == p.point_count
    assert PatrolPoint.objects.exists()
    reports = DailyReport.objects.all()
    assert reports.exists() and not reports.exclude(status="closed").exists()
    compliant = reports.filter(required=True, compliant=True).count()
    assert 0 < compliant < reports.filter(required=True).count()
    # The closed reports agree with a recount from the records (cases included).
    for r in reports.order_by("?")[:40]:
        s = compliance.day_stats([r.worker_id], r.day, extra_tasks={r.worker_id: r.extra_tasks})[
            r.worker_id
        ]
        assert {k: getattr(r, k) for k in s.as_values()} == s.as_values()
        if r.required:
            norm = compliance.norm_for_path(r.area_path)
            assert (r.compliant, r.missing) == compliance.evaluate(s, norm)
    # The hourly close has nothing left to do for the demo month.
    assert ClosedDay.objects.filter(day=TODAY - dt.timedelta(days=1)).exists()
    assert services.close_days(now=dt.datetime(2026, 6, 15, 10, tzinfo=dt.UTC)) == {
        "days": 0,
        "reports": 0,
    }
    assert PledgeCampaign.objects.count() >= 2 and Pledge.objects.exists()

    # The demo `worker` login has a realistic phone home (one build for both checks: the
    # demo is the slow part).
    worker = User.objects.get(username="worker")
    client.force_login(worker)
    with freeze_time("2026-06-15 10:00:00+08:00"):  # the demo's today
        response = client.get(reverse("fieldwork:home"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["due_count"] >= 1  # key households waiting for a visit
    assert [c.title for c in ctx["to_sign"]] == ["秸秆禁烧网格员责任承诺书"]
    assert ctx["draft"].norm["patrols"] == 2
    month = DailyReport.objects.filter(worker=worker)
    assert month.count() >= 15
    assert month.filter(compliant=True).exists()
    assert client.get(reverse("fieldwork:report_list")).status_code == 200
    assert client.get(reverse("fieldwork:visit_list")).context["page"].paginator.count >= 20
    town = User.objects.get(username="town")
    client.force_login(town)
    day = month.order_by("-day").first().day
    page = client.get(reverse("fieldwork:compliance_day"), {"day": day.isoformat()})
    assert len(page.context["rows"]) >= 2
