"""Demo data: a town like 程集镇 or a county like 科右前旗, with staff, households and residents.

    from wangge import demo
    demo.build(preset="town", seed=1, stdout=sys.stdout)   # or `wangge demo --preset town`
    demo.login_lines()                                      # the demo logins, for printing

Every demo user has the password `DEMO_PASSWORD` (wangge-demo-2026); the documented logins
are admin, town, chief, cadre, worker, dept, supervisor and editor. Other apps add their own
demo data with `wangge.demo.registry.register_step` (see registry.py).

The same preset and seed give the same data (names, ages, places, tags, logins) on the same
day; ages and leaves are counted from the day of the build.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from .logins import DEMO_PASSWORD, LOGINS
from .presets import PRESETS
from .registry import DemoContext, register_step

__all__ = [
    "DEMO_PASSWORD",
    "PRESETS",
    "DemoContext",
    "DemoDataExists",
    "build",
    "login_lines",
    "register_step",
]


class DemoDataExists(Exception):
    """The database already holds data and no reset was asked for."""


@dataclass
class BuildResult:
    preset: str
    seed: int
    seconds: float
    counts: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)
    wiped: dict[str, int] = field(default_factory=dict)
    context: DemoContext | None = None


def counts() -> dict[str, int]:
    """Rows per model of what the demo builds (plus what registered steps reported)."""
    from wangge.accounts.models import Department, DutyHours, Leave, Post, User
    from wangge.areas.choices import AreaLevel
    from wangge.areas.models import Area
    from wangge.people.models import Household, Resident, ServicePlan

    out = {}
    for level in AreaLevel:
        out[f"areas.Area[{level.value}]"] = Area.objects.filter(level=level).count()
    out["areas.Area[ab_partner]"] = Area.objects.filter(ab_partner__isnull=False).count()
    out.update(
        {
            "accounts.User": User.objects.count(),
            "accounts.Post": Post.objects.count(),
            "accounts.Department": Department.objects.count(),
            "accounts.DutyHours": DutyHours.objects.count(),
            "accounts.Leave": Leave.objects.count(),
            "people.Household": Household.objects.count(),
            "people.Resident": Resident.objects.count(),
            "people.Household.tags": Household.tags.through.objects.count(),
            "people.Resident.tags": Resident.tags.through.objects.count(),
            "people.ServicePlan": ServicePlan.objects.count(),
        }
    )
    return out


def build(
    preset: str = "town",
    seed: int = 1,
    stdout=None,
    *,
    reset: bool = False,
    today: dt.date | None = None,
    options: dict | None = None,
    print_logins: bool = True,
) -> BuildResult:
    """Build a demo preset (tiny, town, county) into the database, in one transaction.

    Refuses (DemoDataExists) when the database already holds areas, users or households,
    unless `reset` is true: then the existing data is wiped first (see reset.py). `options`
    go to the registered steps as `ctx.options` (e.g. {"cases": 1_000_000})."""
    from . import presets
    from . import reset as reset_mod
    from .builder import Builder

    plan = presets.get_plan(preset, seed)
    started = time.monotonic()
    existing = reset_mod.existing_data()
    if existing and not reset:
        what = ", ".join(f"{n} {k}" for k, n in existing.items())
        raise DemoDataExists(
            "The database is not empty (%s). Use --reset to wipe it and build the demo, "
            "or point DATABASE_URL at an empty database." % what
        )
    wiped: dict[str, int] = {}
    with transaction.atomic():
        if existing:
            wiped = reset_mod.wipe()
            if stdout is not None:
                _write(stdout, "已清除 / wiped: %d rows" % sum(wiped.values()))
        if stdout is not None:
            _write(stdout, f"正在生成 / building {plan.county_name} ({preset}, seed {seed}) …")
        builder = Builder(
            plan,
            seed=seed,
            today=today or timezone.localdate(),
            stdout=stdout,
            options=options,
        )
        ctx = builder.run()
    _refresh_statistics(stdout)
    result = BuildResult(
        preset=preset,
        seed=seed,
        seconds=time.monotonic() - started,
        counts={**counts(), **ctx.counts},
        timings=builder.timings,
        wiped=wiped,
        context=ctx,
    )
    if stdout is not None:
        for line in summary_lines(result, logins=print_logins):
            _write(stdout, line)
    return result


def _refresh_statistics(stdout=None) -> None:
    """After a bulk load, PostgreSQL's planner statistics and visibility map (what lets an
    index answer a count or a page of keys without visiting the table), which autovacuum
    would otherwise bring only some minutes later — or never where it is turned off: without
    them every table looks empty to the planner. VACUUM cannot run inside a transaction (a
    test's): there, ANALYZE alone."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    started = time.monotonic()
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute("ANALYZE")
        else:
            cursor.execute("VACUUM (ANALYZE)")
    if stdout is not None:
        _write(stdout, "  · statistics %.1fs" % (time.monotonic() - started))


def _write(stdout, line: str) -> None:
    # A Django OutputWrapper adds the newline itself unless the line has one; sys.stdout not.
    stdout.write(line + "\n")


def summary_lines(result: BuildResult, *, logins: bool = True) -> list[str]:
    lines = [f"演示数据 / demo data: preset={result.preset} seed={result.seed}"]
    width = max(len(k) for k in result.counts)
    for label, n in result.counts.items():
        lines.append(f"  {label:<{width}}  {n:>8}")
    lines.append(f"用时 / elapsed: {result.seconds:.1f} s")
    if logins:
        lines.extend(login_lines())
    return lines


def login_lines() -> list[str]:
    """The demo logins that exist in the database, with their posts, for printing."""
    from wangge.accounts.models import Post, User

    usernames = [u for u, _, _ in LOGINS]
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    if not users:
        return []
    posts: dict[int, list[str]] = {}
    active = Post.objects.active().filter(user__in=users.values())
    for p in active.select_related("area__parent").order_by("pk"):
        # "第一网格" is in every village: name grids with their village.
        area = p.area
        place = area.name if area.depth <= 3 else f"{area.parent.name}{area.name}"
        posts.setdefault(p.user_id, []).append(place)
    lines = [f"演示账号 / demo logins (密码 password: {DEMO_PASSWORD})"]
    for username, _role, label in LOGINS:
        user = users.get(username)
        if user is None:
            continue
        where = "、".join(dict.fromkeys(posts.get(user.pk, [])))
        lines.append(f"  {username:<10} {user.full_name} · {label} · {where}")
    return lines
