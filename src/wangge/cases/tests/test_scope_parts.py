"""The dispatch board reads the user's scope part by part (selectors.scope_parts,
ScopedCases): the parts must be disjoint, together exactly cases_for_user, and the counts and
pages the same as the one-query form gave, on random data, in a constant number of queries."""

import datetime as dt
import random

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from wangge.cases.choices import OPEN_STATES, CaseState
from wangge.cases.models import Case
from wangge.cases.selectors import ScopedCases, cases_for_user, scope_parts

from .conftest import IN_A1, IN_B2

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(world):
    t = world.t
    several = world.worker_b1  # a grid in village B, plus village A and a grid inside it
    world.add_post(several, t.village_a, "village_grid_chief")
    world.add_post(several, t.grid_a2, "grid_worker")
    superuser = get_user_model().objects.create_superuser("root", password="x" * 12)
    return [
        world.worker_a1,
        world.worker_a2,
        world.chief_a,
        world.chief_b,
        world.town_admin,
        world.county_admin,
        world.dept_staff,
        world.outsider,
        several,
        superuser,
    ]


@pytest.fixture
def random_cases(world, report, users):
    """Cases scattered over the grids, states, handlers, first responders and departments."""
    rnd = random.Random(20261123)
    t = world.t
    cases = [report(point=IN_A1 if i % 2 else IN_B2) for i in range(24)]
    people = [None, *users[:-1]]
    base = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
    for i, case in enumerate(cases):
        grid = rnd.choice(t.grids)
        state = rnd.choice(CaseState.values)
        reported = base + dt.timedelta(hours=rnd.randrange(0, 400))
        if i % 5 == 0 and i:
            reported = cases[i - 1].reported_at  # ties: the id decides
        Case.objects.filter(pk=case.pk).update(
            grid=grid,
            area=grid,
            area_path=grid.path,
            state=state,
            handler=rnd.choice(people),
            first_responder=rnd.choice(people),
            department=world.department if rnd.random() < 0.3 else None,
            reported_at=reported,
            resolved_at=reported + dt.timedelta(hours=rnd.randrange(1, 50)),
        )
        case.reported_at = reported
    return cases


FILTERS = [
    Q(),
    Q(state__in=OPEN_STATES),
    Q(state=CaseState.RESOLVED),
    Q(category__code="environment", state__in=OPEN_STATES),
]


def _ids(rows):
    return [c.pk for c in rows]


def test_parts_are_disjoint_and_make_up_the_scope(users, random_cases):
    for user in users:
        scope = set(cases_for_user(user=user).values_list("pk", flat=True))
        seen: set[int] = set()
        for part in scope_parts(user=user):
            ids = set(Case.objects.filter(part).values_list("pk", flat=True))
            assert not ids & seen, user
            seen |= ids
        assert seen == scope, user
    assert scope_parts(user=None) == []


@pytest.mark.parametrize(
    "order", [("-reported_at", "-id"), ("resolved_at", "id"), ("-resolved_at", "id")]
)
def test_counts_and_pages_match_the_single_query(users, random_cases, order):
    for user in users:
        for where in FILTERS:
            expected = _ids(cases_for_user(user=user).filter(where).order_by(*order))
            scoped = ScopedCases(user=user, queryset=Case.objects.filter(where), order=order)
            assert scoped.count() == len(expected) == len(scoped)
            n = len(expected)
            for start, stop in [(0, 5), (5, 10), (3, 7), (0, n), (max(n - 2, 0), n + 3)]:
                assert _ids(scoped[start:stop]) == expected[start:stop], (user, where, start)
            if n:
                assert scoped[n - 1].pk == expected[n - 1]


def test_the_board_lists_what_the_scope_query_lists(users, random_cases, client):
    for user in users:
        client.force_login(user)
        expected = _ids(
            cases_for_user(user=user).filter(state__in=OPEN_STATES).order_by("-reported_at", "-id")
        )
        r = client.get("/cases/")
        assert r.status_code == 200
        assert r.context["page"].paginator.count == len(expected)
        assert _ids(r.context["page"].object_list) == expected[:30]


def test_order_must_end_with_the_id(world):
    with pytest.raises(ValueError):
        ScopedCases(user=world.town_admin, queryset=Case.objects.all(), order=("-reported_at",))


def test_queries_do_not_grow_with_the_rows(world, report, users):
    def measure():
        scoped = ScopedCases(
            user=world.town_admin, queryset=Case.objects.filter(state__in=OPEN_STATES)
        )
        with CaptureQueriesContext(connection) as q:
            n = scoped.count()
            rows = scoped[0:30]
            [c.category_id for c in rows]
        return n, len(q)

    report()
    n_few, few = measure()
    for i in range(6):
        case = report(point=IN_B2 if i % 2 else IN_A1)
        Case.objects.filter(pk=case.pk).update(first_responder=world.town_admin)
    n_many, many = measure()
    assert n_many == n_few + 6
    # one count, the parts' (areas, handler, first responder) first keys — in one query where
    # the database takes ORDER BY and LIMIT in a UNION's parts, else one query each —, the
    # page's rows
    parts = len(scope_parts(user=world.town_admin))
    assert parts == 3
    key_queries = 1 if connection.features.supports_slicing_ordering_in_compound else parts
    assert few == many == 1 + key_queries + 1
