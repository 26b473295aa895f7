"""Work pages on the county demo with a million cases: a grid worker's to-do list
(/cases/todo/) and the town dispatch board (/cases/, open cases of the town), p95 under 50 ms
each. Rendered in-process through Django's test Client (the full middleware stack, session
login, templates), one request after another.

The baseline of each is the p95 of /healthz through the same client, so the ratio says how
many trivial requests one page costs.
"""

from __future__ import annotations

from common import emit, ensure_county_data, p95, setup_django, timed

RUNS = 60


def busiest(role: str, count_field: str):
    """The user of `role` with the most open cases in their to-do (or scope)."""
    from django.db.models import Count

    from wangge.accounts.models import User
    from wangge.cases.choices import OPEN_STATES
    from wangge.cases.models import Case

    if count_field == "handler":
        row = (
            Case.objects.filter(state__in=OPEN_STATES, handler__posts__role=role)
            .values("handler")
            .annotate(n=Count("id"))
            .order_by("-n", "handler")
            .first()
        )
        return User.objects.get(pk=row["handler"]), row["n"]
    raise ValueError(count_field)


def main():
    setup_django(bench_db=True)
    cases = ensure_county_data()
    from django.test import Client

    from wangge.accounts.models import User
    from wangge.cases.choices import OPEN_STATES
    from wangge.cases.models import Case

    worker, open_cases = busiest("grid_worker", "handler")
    town = User.objects.get(username="town")
    town_area = town.posts.filter(role="town_admin").select_related("area").first().area
    town_open = Case.objects.filter(
        area_path__startswith=town_area.path, state__in=OPEN_STATES
    ).count()

    def measure(user, url):
        client = Client()
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        samples = timed(lambda: client.get(url), RUNS)
        health = timed(lambda: client.get("/healthz"), RUNS)
        return p95(samples), p95(health)

    value, base = measure(worker, "/cases/todo/")
    emit(
        "todo_page_p95",
        value,
        "ms",
        baseline=base,
        target=50,
        better="lower",
        target_of="value",
        via="django.test.Client in-process",
        baseline_is="/healthz p95",
        user=worker.username,
        open_cases_in_todo=open_cases,
        cases=cases,
    )
    value, base = measure(town, "/cases/")
    emit(
        "dispatch_board_p95",
        value,
        "ms",
        baseline=base,
        target=50,
        better="lower",
        target_of="value",
        via="django.test.Client in-process",
        baseline_is="/healthz p95",
        user=town.username,
        town=town_area.name,
        open_cases_in_town=town_open,
        cases=cases,
    )


if __name__ == "__main__":
    main()
