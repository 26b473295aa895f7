"""Shared helpers for benchmarks: each prints one JSON line per figure.

Benchmarks that need the county demo with a million cases run on their own database, never
on the one `wangge serve` uses: WANGGE_BENCH_DATABASE_URL, by default SQLite in
var/bench.sqlite3 (PostgreSQL: postgres://postgres@127.0.0.1:5432/wangge_bench). The first
run builds `wangge demo --preset county --cases 1000000` into it (a few minutes); later runs
reuse it. WANGGE_BENCH_CASES changes the number of cases of that first build.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")


BENCH_CASES = int(os.environ.get("WANGGE_BENCH_CASES", "1000000"))


def bench_database_url() -> str:
    default = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    return os.environ.get("WANGGE_BENCH_DATABASE_URL") or default


def setup_django(*, bench_db: bool = False):
    """Set Django up; with bench_db, on the benchmark database (see above)."""
    if bench_db:
        os.environ["DATABASE_URL"] = bench_database_url()
    import django

    django.setup()


def ensure_county_data(cases: int = BENCH_CASES) -> int:
    """Migrate the benchmark database and build the county demo into it when it is empty.
    Returns the number of cases in it."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from wangge.areas.models import Area
    from wangge.cases.models import Case

    if not Area.objects.exists():
        print(
            f"# building the county demo with {cases} cases into {bench_database_url()} …",
            file=sys.stderr,
            flush=True,
        )
        t0 = time.monotonic()
        call_command("demo", preset="county", cases=cases, stdout=sys.stderr)
        print(f"# built in {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    return Case.objects.count()


def db_vendor() -> str:
    from django.db import connection

    return "postgresql" if connection.vendor == "postgresql" else connection.vendor


def emit(
    bench: str,
    value: float,
    unit: str,
    *,
    baseline: float | None,
    target: float,
    better: str,
    target_of: str = "value",
    **extra,
) -> dict:
    ratio = (value / baseline) if baseline else None
    figure = ratio if target_of == "ratio" else value
    if better == "higher":
        met = figure is not None and figure >= target
    else:
        met = figure is not None and figure <= target
    line = {
        "bench": bench,
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3) if baseline is not None else None,
        "ratio": round(ratio, 3) if ratio is not None else None,
        "target": target,
        "target_of": target_of,
        "better": better,
        "met": bool(met),
        "db": db_vendor(),
        **extra,
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)
    return line


def p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out
