"""Patrols 巡查: one open patrol per worker, route points, distance and duration, findings
become cases, and every bad input is refused with nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.cases.choices import Source
from wangge.cases.models import Case
from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.core.events import subscribe, unsubscribe
from wangge.fieldwork import services
from wangge.fieldwork.models import Patrol, PatrolFinding, PatrolPoint


@pytest.fixture
def finished_events():
    seen = []

    def handler(**payload):
        seen.append(payload)

    subscribe("fieldwork.patrol.finished")(handler)
    yield seen
    unsubscribe("fieldwork.patrol.finished", handler)


def _walk(start, n=5, step_deg=0.001, every_s=60):
    # About 111 m north per step, a minute apart: a walking pace.
    return [
        {
            "lat": 32.90 + i * step_deg,
            "lng": 115.805,
            "time": start + dt.timedelta(seconds=every_s * i),
        }
        for i in range(n)
    ]


def test_start_points_stop_measures_the_route(fw, finished_events):
    t0 = timezone.now() - dt.timedelta(minutes=40)
    patrol = services.patrol_start(actor=fw.worker, at=t0)
    assert patrol.area == fw.t.grid_a1 and patrol.is_open
    services.patrol_add_points(actor=fw.worker, patrol=patrol, points=_walk(t0))
    patrol = services.patrol_stop(actor=fw.worker, patrol=patrol, at=t0 + dt.timedelta(minutes=35))
    assert patrol.duration_minutes == 35
    assert patrol.point_count == 5
    assert 430 < patrol.distance_m < 460  # 4 × ~111 m
    assert len(finished_events) == 1
    ev = finished_events[0]
    assert ev["patrol"] == patrol and ev["actor"] == fw.worker and ev["at"] == patrol.ended_at


def test_one_open_patrol_per_worker(fw):
    services.patrol_start(actor=fw.worker)
    with pytest.raises(TransitionNotAllowed):
        services.patrol_start(actor=fw.worker)
    assert Patrol.objects.filter(worker=fw.worker).count() == 1


def test_stopping_twice_is_refused_and_changes_nothing(fw, finished_events):
    patrol = services.patrol_start(actor=fw.worker, at=timezone.now() - dt.timedelta(hours=1))
    stopped = services.patrol_stop(actor=fw.worker, patrol=patrol)
    with pytest.raises(TransitionNotAllowed) as exc:
        services.patrol_stop(
            actor=fw.worker, patrol=patrol, at=timezone.now() + dt.timedelta(hours=1)
        )
    assert exc.value.code == "transition_not_allowed" and str(exc.value)
    patrol.refresh_from_db()
    assert patrol.ended_at == stopped.ended_at
    assert len(finished_events) == 1


def test_stopping_someone_elses_patrol_is_refused(fw):
    patrol = services.patrol_start(actor=fw.worker)
    with pytest.raises(PermissionDenied):
        services.patrol_stop(actor=fw.worker_b, patrol=patrol)
    patrol.refresh_from_db()
    assert patrol.is_open


def test_only_patrollers_and_only_their_own_grid(fw):
    with pytest.raises(PermissionDenied):
        services.patrol_start(actor=fw.chief)
    with pytest.raises(PermissionDenied):
        services.patrol_start(actor=fw.worker, area=fw.t.grid_b1)
    assert not Patrol.objects.exists()


@pytest.mark.parametrize(
    "points",
    [
        [],
        ["not a point"],
        [{"lat": 95, "lng": 115.8, "time": "now"}],
        [{"lat": 32.9, "lng": 115.8}],
        [{"lat": 32.9, "lng": "abc", "time": timezone.now()}],
        [{"lat": 32.9, "lng": 115.8, "time": "2020-01-01T00:00:00+08:00"}],
        [{"lat": 32.9, "lng": 115.8, "time": timezone.now() + dt.timedelta(hours=2)}],
        [{"lat": 32.9, "lng": 115.8, "time": timezone.now()}] * 501,
    ],
    ids=[
        "empty",
        "not-object",
        "lat-out",
        "no-time",
        "bad-lng",
        "before-start",
        "future",
        "too-many",
    ],
)
def test_bad_points_are_refused_and_nothing_is_stored(fw, points):
    patrol = services.patrol_start(actor=fw.worker, at=timezone.now() - dt.timedelta(minutes=10))
    # One bad point spoils the batch: the good one before it is not stored either.
    good = {"lat": 32.9, "lng": 115.8, "time": timezone.now()}
    batch = [good, *points] if points else []
    with pytest.raises(DomainError) as exc:
        services.patrol_add_points(actor=fw.worker, patrol=patrol, points=batch)
    assert exc.value.field == "points"
    assert not PatrolPoint.objects.exists()


def test_points_of_someone_else_are_refused(fw):
    patrol = services.patrol_start(actor=fw.worker)
    with pytest.raises(PermissionDenied):
        services.patrol_add_points(
            actor=fw.worker_b,
            patrol=patrol,
            points=[{"lat": 32.9, "lng": 115.8, "time": timezone.now()}],
        )


def test_retried_upload_and_gps_jumps(fw):
    t0 = timezone.now() - dt.timedelta(minutes=30)
    patrol = services.patrol_start(actor=fw.worker, at=t0)
    batch = _walk(t0, n=3)
    services.patrol_add_points(actor=fw.worker, patrol=patrol, points=batch)
    once = Patrol.objects.get(pk=patrol.pk)
    services.patrol_add_points(actor=fw.worker, patrol=patrol, points=batch)
    again = Patrol.objects.get(pk=patrol.pk)
    assert (
        (again.point_count, again.distance_m)
        == (once.point_count, once.distance_m)
        == (3, once.distance_m)
    )
    # A fix 50 km away ten seconds later is a bad fix: not counted.
    jump = [{"lat": 33.35, "lng": 115.805, "time": t0 + dt.timedelta(seconds=130)}]
    services.patrol_add_points(actor=fw.worker, patrol=patrol, points=jump)
    assert Patrol.objects.get(pk=patrol.pk).distance_m == once.distance_m


def test_points_uploaded_after_the_stop_still_count_inside_its_time(fw):
    t0 = timezone.now() - dt.timedelta(minutes=30)
    patrol = services.patrol_start(actor=fw.worker, at=t0)
    services.patrol_stop(actor=fw.worker, patrol=patrol, at=t0 + dt.timedelta(minutes=10))
    services.patrol_add_points(actor=fw.worker, patrol=patrol, points=_walk(t0, n=3))
    assert Patrol.objects.get(pk=patrol.pk).point_count == 3
    with pytest.raises(DomainError):
        services.patrol_add_points(
            actor=fw.worker,
            patrol=patrol,
            points=[{"lat": 32.9, "lng": 115.8, "time": t0 + dt.timedelta(minutes=25)}],
        )


def test_finding_becomes_a_case_linked_to_the_patrol(fw):
    patrol = services.patrol_start(actor=fw.worker)
    case = services.patrol_report_finding(
        actor=fw.worker, patrol=patrol, description="路边堆放秸秆，存在火灾隐患"
    )
    assert case.source == Source.PATROL
    assert case.grid == fw.t.grid_a1
    assert case.reported_by == fw.worker
    assert PatrolFinding.objects.get(case=case).patrol == patrol
    located = services.patrol_report_finding(
        actor=fw.worker, patrol=patrol, description="井盖缺失", lat=32.905, lng=115.805
    )
    assert (located.grid, located.lat) == (fw.t.grid_a1, 32.905)
    # A point in the neighbouring grid is outside the worker's posts: refused, nothing saved.
    with pytest.raises(PermissionDenied):
        services.patrol_report_finding(
            actor=fw.worker, patrol=patrol, description="井盖缺失", lat=32.905, lng=115.815
        )
    assert PatrolFinding.objects.filter(patrol=patrol).count() == Case.objects.count() == 2


def test_finding_refused_on_a_stopped_patrol_or_empty(fw):
    patrol = services.patrol_start(actor=fw.worker)
    with pytest.raises(DomainError):
        services.patrol_report_finding(actor=fw.worker, patrol=patrol, description="   ")
    services.patrol_stop(actor=fw.worker, patrol=patrol)
    with pytest.raises(TransitionNotAllowed):
        services.patrol_report_finding(actor=fw.worker, patrol=patrol, description="垃圾乱倒")
    assert not Case.objects.exists() and not PatrolFinding.objects.exists()
