"""Boundaries for demo areas: rectangles that tile their parent exactly.

A parent rectangle is cut into rows, each row into cells, with slightly uneven widths so that
the map does not look like graph paper. Every cut coordinate is rounded once and then shared
by both neighbours, so the children cover the parent with no gap and no overlap and point →
grid lookup is unambiguous away from the borders. Coordinates are (lng, lat), as in GeoJSON.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

DIGITS = 6  # ~0.1 m: enough for a map, few enough to keep the GeoJSON small


@dataclass(frozen=True)
class Rect:
    x0: float  # west (lng)
    y0: float  # south (lat)
    x1: float  # east
    y1: float  # north

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, lng) of the centre, rounded for the centroid columns."""
        return round((self.y0 + self.y1) / 2, 7), round((self.x0 + self.x1) / 2, 7)

    def geojson(self) -> dict:
        ring = [
            [self.x0, self.y0],
            [self.x1, self.y0],
            [self.x1, self.y1],
            [self.x0, self.y1],
            [self.x0, self.y0],
        ]
        return {"type": "Polygon", "coordinates": [ring]}

    def inset(self, fraction: float) -> Rect:
        dx, dy = self.width * fraction, self.height * fraction
        return Rect(self.x0 + dx, self.y0 + dy, self.x1 - dx, self.y1 - dy)

    def contains(self, lng: float, lat: float) -> bool:
        return self.x0 < lng < self.x1 and self.y0 < lat < self.y1


def around(lat: float, lng: float, height_deg: float, width_deg: float) -> Rect:
    return Rect(
        round(lng - width_deg / 2, DIGITS),
        round(lat - height_deg / 2, DIGITS),
        round(lng + width_deg / 2, DIGITS),
        round(lat + height_deg / 2, DIGITS),
    )


def _cuts(start: float, end: float, weights: list[float]) -> list[float]:
    """Boundaries start=c0 < c1 < … < cn=end proportional to weights, rounded once."""
    total = sum(weights)
    cuts, acc = [start], 0.0
    for w in weights[:-1]:
        acc += w
        cuts.append(round(start + (end - start) * acc / total, DIGITS))
    cuts.append(end)
    return cuts


def tile(rect: Rect, n: int, rng: random.Random, *, rows: int | None = None) -> list[Rect]:
    """Cut `rect` into `n` rectangles, returned in snake order (row 0 west→east, row 1
    east→west, …) so that consecutive cells always share an edge: pairing them gives AB
    partners that really are neighbours."""
    if n < 1:
        return []
    if rows is None:
        # Roughly square cells on the ground: a degree of longitude shrinks with cos(lat).
        lat = (rect.y0 + rect.y1) / 2
        w_km = rect.width * math.cos(math.radians(lat))
        rows = round(math.sqrt(n * rect.height / max(w_km, 1e-9)))
    rows = max(1, min(n, rows))
    per_row = [n // rows] * rows
    for i in rng.sample(range(rows), n % rows):
        per_row[i] += 1
    ys = _cuts(rect.y0, rect.y1, [c * rng.uniform(0.85, 1.15) for c in per_row])
    cells: list[Rect] = []
    for r, count in enumerate(per_row):
        xs = _cuts(rect.x0, rect.x1, [rng.uniform(0.7, 1.3) for _ in range(count)])
        row = [Rect(xs[i], ys[r], xs[i + 1], ys[r + 1]) for i in range(count)]
        cells.extend(row if r % 2 == 0 else reversed(row))
    return cells


def scatter(rect: Rect, n: int, rng: random.Random, *, clusters: int = 1) -> list[tuple]:
    """`n` (lat, lng) points strictly inside `rect`, gathered around a few hamlets (自然庄)."""
    inner = rect.inset(0.08)
    core = rect.inset(0.2)
    centres = [
        (rng.uniform(core.x0, core.x1), rng.uniform(core.y0, core.y1)) for _ in range(clusters)
    ]
    sx, sy = rect.width * 0.12, rect.height * 0.12
    points = []
    for _ in range(n):
        cx, cy = centres[rng.randrange(clusters)]
        x = min(max(rng.gauss(cx, sx), inner.x0), inner.x1)
        y = min(max(rng.gauss(cy, sy), inner.y0), inner.y1)
        points.append((round(y, DIGITS), round(x, DIGITS)))
    return points
