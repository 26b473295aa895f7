"""The demo cases (cases/demo.py) on the tiny preset: timelines the services could have
written, deadlines from the real calendar, rollups equal to a recount, the Open311 key."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from django.utils import timezone

from wangge import demo
from wangge.accounts.models import Post
from wangge.cases import deadlines, kpis, tasks
from wangge.cases import demo as demo_cases
from wangge.cases.choices import OPEN_STATES, CaseState, Satisfaction, Verb
from wangge.cases.models import Case, CaseAction, CaseCounter, Open311Client

TODAY = dt.date(2026, 6, 15)
N = 400


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def built(db):
    return demo.build(preset="tiny", seed=3, today=TODAY, options={"cases": N})


def _timelines():
    out: dict[int, list[CaseAction]] = {}
    for a in CaseAction.objects.order_by("case_id", "created_at", "id"):
        out.setdefault(a.case_id, []).append(a)
    return out


def test_every_case_has_a_consistent_timeline(built):
    assert built.counts["cases.Case"] == N == Case.objects.count()
    timelines = _timelines()
    midnight = timezone.make_aware(dt.datetime.combine(TODAY, dt.time()))
    first = midnight - dt.timedelta(days=366)
    for case in Case.objects.all():
        actions = timelines[case.pk]
        assert actions[0].verb == Verb.REPORT and actions[0].from_state == ""
        assert actions[0].created_at == case.reported_at
        assert actions[-1].to_state == case.state
        assert actions[-1].to_level == case.level
        for before, after in zip(actions, actions[1:], strict=False):
            assert after.from_state == before.to_state, (case.number, after.verb)
            assert after.from_level == before.to_level
            assert after.created_at >= before.created_at
        assert all(first <= a.created_at < midnight for a in actions)
        assert all(a.data["grid"] == case.grid_id for a in actions)
        verbs = [a.verb for a in actions]
        if case.state == CaseState.CLOSED:
            assert verbs.index(Verb.ACCEPT) < verbs.index(Verb.RESOLVE)
            assert verbs.index(Verb.RESOLVE) < verbs.index(Verb.RETURN_VISIT)
            assert case.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASICALLY)
            assert case.closed_at and case.resolved_at and case.return_visited_at
            assert case.settled_level
        if case.accepted_at:
            accept = next(a for a in actions if a.verb == Verb.ACCEPT)
            assert accept.data["on_time"] == (case.accepted_at <= case.respond_by)
        if case.department_reported_at:
            assert Verb.DISPATCH in verbs and Verb.REPORT_IN in verbs


def test_tracking_codes_are_those_the_intake_makes(built):
    codes = dict(Case.objects.values_list("tracking_code", "reported_at"))
    assert len(codes) == N
    for code, reported_at in codes.items():
        assert len(code) == 24 and int(code[:8], 16) == int(reported_at.timestamp()), code


def test_the_mix_of_states_channels_and_steps(built):
    states = Counter(Case.objects.values_list("state", flat=True))
    assert states[CaseState.CLOSED] > N * 0.6
    assert sum(states[s] for s in OPEN_STATES) >= 1
    verbs = Counter(CaseAction.objects.values_list("verb", flat=True))
    for verb in (Verb.ESCALATE, Verb.DISPATCH, Verb.REPORT_IN, Verb.CLOSE, Verb.WARN):
        assert verbs[verb] > 0, verb
    assert len(set(Case.objects.values_list("source", flat=True))) >= 5
    assert len(set(Case.objects.values_list("category", flat=True))) >= 8
    assert Case.objects.filter(level__in=["village", "town"]).exists()
    # Case numbers run on per year; the counter goes on from the last one.
    for year, last in CaseCounter.objects.values_list("year", "last"):
        numbers = Case.objects.filter(number__startswith=str(year)).values_list("number", flat=True)
        assert max(int(n[4:]) for n in numbers) == last == len(numbers)


def test_people_are_real_staff(built):
    posts = set(Post.objects.values_list("user_id", "area__path"))
    holders = {u for u, _ in posts}
    for case in Case.objects.all():
        assert case.first_responder_id in holders
        if case.handler_id:
            assert case.handler_id in holders
    for a in CaseAction.objects.exclude(actor=None):
        assert a.actor_id in holders
        assert a.actor_role not in ("", "public", "system")
    # The return visit is never made by the one who resolved the case.
    for case_id, actions in _timelines().items():
        resolver = None
        for a in actions:
            if a.verb == Verb.RESOLVE:
                resolver = a.actor_id
            if a.verb == Verb.RETURN_VISIT:
                assert a.actor_id != resolver, case_id


def test_deadlines_are_the_real_ones(built):
    reopened = set(
        CaseAction.objects.filter(verb=Verb.RETURN_VISIT, data__reopened=True).values_list(
            "case_id", flat=True
        )
    )
    cases = Case.objects.select_related("category__parent").prefetch_related(
        "category__limits", "category__parent__limits"
    )
    for case in cases:
        d = deadlines.compute_deadlines(case.category, case.urgency, case.reported_at)
        assert case.respond_by == d.respond_by
        assert case.working_time == d.working_time
        if case.pk not in reopened:
            assert (case.resolve_by, case.warn_at) == (d.resolve_by, d.warn_at), case.number


def test_the_calendar_table_agrees_with_the_walk_in_epoch_seconds():
    cal = deadlines.WorkCalendar(dt.date(2025, 9, 1), dt.date(2026, 3, 1))
    rnd = random.Random(5)
    base = timezone.make_aware(dt.datetime(2025, 9, 20)).timestamp()
    for _ in range(500):
        start = base + rnd.randrange(0, 120 * 86400)
        hours = rnd.choice([0.5, 1, 4, 7, 8, 11.2, 14, 28, 35, 3.2])
        moment = dt.datetime.fromtimestamp(start, tz=dt.UTC)
        expected = deadlines._walk_working_hours(moment, [dt.timedelta(hours=hours)])[0]
        assert cal.add(start, hours * 3600, True) == expected.timestamp()


def test_rollups_equal_a_recount(built):
    stored = kpis.stored()
    assert stored and stored == kpis.recount()
    if hasattr(kpis, "recount_durations"):
        assert kpis.stored_durations() == kpis.recount_durations()


def test_the_deadline_sweep_finds_nothing_left_to_do(built):
    midnight = timezone.make_aware(dt.datetime.combine(TODAY, dt.time()))
    assert tasks.sweep(now=midnight - dt.timedelta(seconds=1)) == {"yellow": 0, "red": 0}


def test_same_seed_same_cases(built):
    def signature():
        return list(
            Case.objects.order_by("number").values_list(
                "number", "tracking_code", "state", "grid__code", "handler__username"
            )
        )

    first = signature()
    demo.build(preset="tiny", seed=3, today=TODAY, reset=True, options={"cases": N})
    assert signature() == first


def test_demo_open311_key_posts_a_case(built, client):
    assert Open311Client.objects.filter(key_prefix="demo-ope").count() == 1
    grid = built.context.grids[0]
    ring = grid.boundary["coordinates"][0]
    lng = (ring[0][0] + ring[2][0]) / 2
    lat = (ring[0][1] + ring[2][1]) / 2
    before = Case.objects.count()
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": "demo-open311",
            "service_code": "environment",
            "lat": lat,
            "long": lng,
            "description": "路边垃圾没人清运",
            "phone": "13800138000",
        },
    )
    assert response.status_code == 201, response.content
    assert Case.objects.count() == before + 1
    case = Case.objects.order_by("-id").first()
    assert case.grid_id == grid.pk
    # Numbers go on after the demo's.
    assert int(case.number[4:]) == CaseCounter.objects.get(year=int(case.number[:4])).last


def test_the_demo_worker_finds_work_on_the_to_do_list(built, client):
    worker = Post.objects.get(user__username="worker", role="grid_worker")
    latest = Case.objects.order_by("-reported_at", "-id")[: demo_cases.LOGIN_RECENT]
    assert {c.grid_id for c in latest} == {worker.area_id}  # the year's last reports
    mine = Case.objects.filter(handler=worker.user, state__in=OPEN_STATES)
    assert mine.exists()
    client.force_login(worker.user)
    page = client.get("/cases/todo/").content.decode()
    assert all(c.number in page for c in mine)


def test_cases_option_and_zero(db):
    result = demo.build(preset="tiny", seed=1, today=TODAY, options={"cases": 0})
    assert Case.objects.count() == 0
    assert "cases.Case" not in result.counts
    assert Open311Client.objects.count() == 1
