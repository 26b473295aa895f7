"""Extension points: other apps add their own demo data as extra steps.

An app adds a step in a module named `demo.py` inside the app (found automatically, like
`admin.py`), for example `src/wangge/cases/demo.py`:

    from wangge.demo.registry import register_step

    @register_step("cases", order=100)
    def build_cases(ctx):
        rng = ctx.rng("cases")            # deterministic for the build's --seed
        for grid in ctx.grids[:50]:       # Area objects, households already saved
            ...
        return {"cases.Case": n}          # counts printed in the summary (optional)

Options given to the build (`demo.build(..., options={"cases": 5000})`, `wangge demo
--cases 5000`) reach the steps as `ctx.options`; a step ignores the options it does not know.

A step runs after the territory, the staff and the households are saved, inside the build's
transaction (a failing step rolls the whole demo back). `ctx` is a `DemoContext`: see its
fields below. Steps run in increasing `order`, then by name.

Reset (`wangge demo --reset`) deletes every row that hangs off the territory or the users,
following foreign keys, and keeps reference data (tags, case categories …). An app whose
demo rows would survive that (no foreign key to an area, a user or their dependants) lists
the model with `wipe_on_reset(Model)`; a model that must survive although it points at an
area or a user is listed with `keep_on_reset(Model)`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import autodiscover_modules


@dataclass(order=True)
class Step:
    order: int
    name: str
    func: Callable[[DemoContext], dict[str, int] | None] = field(compare=False)


_STEPS: dict[str, Step] = {}
WIPE_ON_RESET: set[str] = set()  # model labels
KEEP_ON_RESET: set[str] = set()
_discovered = False


def register_step(name: str, *, order: int = 100):
    """Decorator: add `func(ctx)` as a demo step. Registering a name again replaces it."""

    def decorator(func):
        _STEPS[name] = Step(order, name, func)
        return func

    return decorator


def wipe_on_reset(model) -> None:
    WIPE_ON_RESET.add(model._meta.label)


def keep_on_reset(model) -> None:
    KEEP_ON_RESET.add(model._meta.label)


def discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("demo")
        _discovered = True


def steps() -> list[Step]:
    discover()
    return sorted(_STEPS.values())


@dataclass
class DemoContext:
    """What a step can use. Lists hold saved model instances, in tree order."""

    preset: str
    seed: int
    today: dt.date
    county: Any = None  # Area
    towns: list = field(default_factory=list)  # Area
    villages: list = field(default_factory=list)  # Area
    grids: list = field(default_factory=list)  # Area (ordinary and dedicated)
    microgrids: list = field(default_factory=list)  # Area
    departments: list = field(default_factory=list)  # accounts.Department
    users: dict = field(default_factory=dict)  # username → User (every demo user)
    logins: dict = field(default_factory=dict)  # username → User: the documented logins
    # Area id → list of users holding that role there, e.g. workers[grid.id] (full-time).
    workers: dict = field(default_factory=dict)
    village_chiefs: dict = field(default_factory=dict)
    # Grid id → list of household ids of that grid.
    households_by_grid: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)  # extra counts reported by steps
    # Options of the build for the steps, e.g. {"cases": 1_000_000} from `wangge demo --cases`.
    # A step reads its own with ctx.options.get(name) and picks a default per preset.
    options: dict = field(default_factory=dict)
    stdout: Any = None

    def rng(self, name: str) -> random.Random:
        """A random generator of its own for each step: adding a step elsewhere does not
        change what this one builds."""
        return random.Random(f"{self.seed}:{self.preset}:{name}")

    def log(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message + "\n")
