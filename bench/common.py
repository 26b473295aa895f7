"""Shared helpers for benchmarks: each prints one JSON line per figure."""

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


def setup_django():
    import django

    django.setup()


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
