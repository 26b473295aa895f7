"""Point → grid over 100,000 grid polygons with the production index (areas.geo.GridIndex).

Target (issue 6): at least 50,000 single-point lookups per second on one core. The baseline is
a plain scan testing every polygon, measured on a sample in the same run.
"""

from __future__ import annotations

import random
import time

import numpy as np
import shapely
from common import emit, setup_django

N_SIDE = 317  # 317 × 317 ≈ 100,489 square grids
SIZE = 0.004


def build_index():
    from wangge.areas.geo import GridIndex

    geoms = []
    for i in range(N_SIDE):
        for j in range(N_SIDE):
            x, y = 120.0 + i * SIZE, 45.0 + j * SIZE
            g = shapely.box(x, y, x + SIZE, y + SIZE)
            shapely.prepare(g)
            geoms.append(g)
    ids = np.arange(1, len(geoms) + 1, dtype=np.int64)
    return GridIndex(
        version=0,
        tree=shapely.STRtree(geoms),
        geoms=geoms,
        area_ids=ids,
        levels=["grid"] * len(geoms),
        paths={int(i): f"{int(i):016d}" for i in ids},
    )


def main():
    setup_django(bench_db=True)  # the index is in memory; "db" names the run
    index = build_index()
    rnd = random.Random(7)
    span = N_SIDE * SIZE
    pts = [(45.0 + rnd.random() * span, 120.0 + rnd.random() * span) for _ in range(50_000)]
    # warm up
    for lat, lng in pts[:1000]:
        index.lookup(lat, lng)
    t0 = time.perf_counter()
    misses = 0
    for lat, lng in pts:
        gid, _micro = index.lookup(lat, lng)
        misses += gid is None
    rate = len(pts) / (time.perf_counter() - t0)
    assert misses == 0, misses
    # baseline: test every polygon for a handful of points
    sample = pts[:20]
    t0 = time.perf_counter()
    for lat, lng in sample:
        p = shapely.Point(lng, lat)
        next(k for k, g in enumerate(index.geoms) if g.intersects(p))
    base_rate = len(sample) / (time.perf_counter() - t0)
    emit(
        "point_to_grid_lookups",
        rate,
        "lookups/s",
        baseline=base_rate,
        target=50_000,
        better="higher",
        target_of="value",
        polygons=len(index.geoms),
    )


if __name__ == "__main__":
    main()
