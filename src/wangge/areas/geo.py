"""Point → grid lookup over the grids' GeoJSON boundaries with a shapely STRtree.

The index is built once per process and rebuilt when the boundaries change: every service
that edits a boundary or moves an area records a new generation of "areas.geo" in its
transaction (core.generations), which every process sees within a second of the commit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.utils.translation import gettext_lazy as _
from shapely.geometry import shape

try:
    # The ufunc itself: shapely.intersects_xy wraps it in argument handling that costs twice
    # the test of a prepared polygon.
    from shapely.lib import intersects_xy
except ImportError:  # pragma: no cover - another shapely layout
    from shapely import intersects_xy

from wangge.core import generations
from wangge.core.errors import DomainError

from .choices import AreaLevel

GENERATION = "areas.geo"


class PointOutsideGrids(DomainError):
    code = "outside_grids"


def bump_version() -> None:
    """Tell every process that the boundaries changed (in the caller's transaction)."""
    generations.changed(GENERATION)


def parse_geometry(geojson) -> shapely.Geometry:
    """Validate a GeoJSON geometry (or Feature) as a polygon; raise DomainError if it is not."""
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    try:
        geom = shape(geojson)
    except Exception as exc:  # noqa: BLE001 - shapely raises many kinds
        raise DomainError(_("The boundary is not valid GeoJSON."), field="boundary") from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise DomainError(_("The boundary must be a polygon."), field="boundary")
    if geom.is_empty or not geom.is_valid:
        raise DomainError(_("The boundary polygon is empty or crosses itself."), field="boundary")
    return geom


def validate_point(lat, lng) -> tuple[float, float]:
    try:
        lat_f, lng_f = float(lat), float(lng)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("The location is not a valid coordinate."), field="location") from exc
    # NaN fails every comparison, so the range check refuses it too.
    if not (-90 <= lat_f <= 90 and -180 <= lng_f <= 180):
        raise DomainError(_("The location is not a valid coordinate."), field="location")
    return lat_f, lng_f


# A polygon whose bounding box spans more cells than this is checked for every point instead
# of being listed in each cell (a county drawn as one grid, say).
MAX_CELLS_PER_POLYGON = 64


@dataclass
class GridIndex:
    """The active grid (and micro-grid) polygons, with two indexes over them: an STRtree for
    lookups of many points at once, and for single points a hash of square cells (half the
    size of a typical grid) listing the polygons whose bounding box meets each cell — one
    dictionary read and a test of two or three prepared polygons, a few times faster than
    building a shapely Point and asking the tree. Coordinates are (lng, lat)."""

    version: str
    tree: shapely.STRtree | None
    geoms: list
    area_ids: np.ndarray
    levels: list
    # id → path of every indexed area, as of the build: what an intake needs to check scope
    # and to file the report without reading the areas again.
    paths: dict
    cell: float = field(init=False, default=0.0)
    cells: dict = field(init=False, default_factory=dict)
    everywhere: list = field(init=False, default_factory=list)  # polygons tested for any point
    ids: list = field(init=False, default_factory=list)  # area_ids as Python ints

    def __post_init__(self):
        self.ids = [int(i) for i in self.area_ids]
        if not self.geoms:
            return
        bounds = shapely.bounds(np.asarray(self.geoms, dtype=object))
        sizes = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        # Half a typical grid: a point's cell lists two or three polygons, where a cell of a
        # whole grid lists four (every polygon meets four such cells).
        cell = float(np.median(sizes)) / 2
        self.cell = cell if math.isfinite(cell) and cell > 0 else 0.01
        for i, (x0, y0, x1, y1) in enumerate(bounds.tolist()):
            cx0, cx1 = math.floor(x0 / self.cell), math.floor(x1 / self.cell)
            cy0, cy1 = math.floor(y0 / self.cell), math.floor(y1 / self.cell)
            if (cx1 - cx0 + 1) * (cy1 - cy0 + 1) > MAX_CELLS_PER_POLYGON:
                self.everywhere.append(i)
                continue
            for cx in range(cx0, cx1 + 1):
                for cy in range(cy0, cy1 + 1):
                    self.cells.setdefault((cx, cy), []).append(i)

    @classmethod
    def build(cls, version: str) -> GridIndex:
        from .models import Area

        rows = list(
            Area.objects.filter(
                level__in=[AreaLevel.GRID, AreaLevel.MICROGRID],
                is_active=True,
                boundary__isnull=False,
            ).values_list("id", "level", "boundary", "path")
        )
        geoms, ids, levels, paths = [], [], [], []
        for area_id, level, boundary, path in rows:
            try:
                geom = shape(boundary)
            except Exception:  # noqa: BLE001 - a broken stored boundary must not stop lookups
                continue
            if geom.is_empty:
                continue
            shapely.prepare(geom)
            geoms.append(geom)
            ids.append(area_id)
            levels.append(level)
            paths.append(path)
        tree = shapely.STRtree(geoms) if geoms else None
        paths_by_id = dict(zip(ids, paths, strict=True))
        return cls(version, tree, geoms, np.array(ids, dtype=np.int64), levels, paths_by_id)

    def candidates(self, lat: float, lng: float) -> list[int]:
        """Indexes of the polygons that may contain the point (a superset)."""
        key = (math.floor(lng / self.cell), math.floor(lat / self.cell))
        found = self.cells.get(key, ())
        return [*found, *self.everywhere] if self.everywhere else found

    def lookup(self, lat: float, lng: float) -> tuple[int | None, int | None]:
        """Return (grid id, micro-grid id) containing the point; None where there is none.
        A point on a boundary is in the polygon (as the tree's "intersects")."""
        if self.tree is None or not (math.isfinite(lat) and math.isfinite(lng)):
            return None, None
        grid_id = micro_id = None
        geoms, levels, ids = self.geoms, self.levels, self.ids
        for i in self.candidates(lat, lng):
            if not intersects_xy(geoms[i], lng, lat):
                continue
            if levels[i] == AreaLevel.GRID:
                # Ties on a shared border go to the lowest id: stable and deterministic.
                if grid_id is None or ids[i] < grid_id:
                    grid_id = ids[i]
            elif micro_id is None or ids[i] < micro_id:
                micro_id = ids[i]
        return grid_id, micro_id

    def lookup_many(self, lats, lngs) -> np.ndarray:
        """Vectorized lookup: the grid id per point, -1 where outside every grid."""
        out = np.full(len(lats), -1, dtype=np.int64)
        if self.tree is None:
            return out
        points = shapely.points(np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float))
        pairs = self.tree.query(points, predicate="intersects")
        grid_mask = np.array([lvl == AreaLevel.GRID for lvl in self.levels])[pairs[1]]
        pt, geo = pairs[0][grid_mask], pairs[1][grid_mask]
        # Reverse order so that the first (lowest-index) polygon wins on a shared border.
        out[pt[::-1]] = self.area_ids[geo[::-1]]
        return out


def get_index(*, rebuild: bool = False) -> GridIndex:
    if rebuild:
        generations.forget(GENERATION)
    return generations.cached(GENERATION, GridIndex.build)


@dataclass(frozen=True)
class Located:
    """Where a point falls: the grid, and the micro-grid inside it when there is one."""

    grid_id: int
    grid_path: str
    micro_id: int | None
    micro_path: str | None

    @property
    def area_id(self) -> int:
        return self.micro_id or self.grid_id

    @property
    def area_path(self) -> str:
        return self.micro_path or self.grid_path


def locate(lat, lng) -> Located:
    """The grid (and micro-grid) containing the point from the index alone, no query; raise
    PointOutsideGrids when it is outside every grid. The areas are as of the index's build
    (at most a second behind another process's change): callers that store the ids check
    them on write (foreign keys), callers that need the rows use locate_point."""
    lat_f, lng_f = validate_point(lat, lng)
    index = get_index()
    grid_id, micro_id = index.lookup(lat_f, lng_f)
    if grid_id is None:
        raise _outside(lat_f, lng_f)
    micro_path = index.paths.get(micro_id) if micro_id else None
    if micro_path is not None and not micro_path.startswith(index.paths[grid_id]):
        micro_id = micro_path = None  # a micro-grid of a neighbouring grid on the border
    return Located(grid_id, index.paths[grid_id], micro_id, micro_path)


def _outside(lat_f: float, lng_f: float) -> PointOutsideGrids:
    return PointOutsideGrids(
        _("The location (%(lat).6f, %(lng).6f) is outside every grid. Choose the grid by hand.")
        % {"lat": lat_f, "lng": lng_f},
        field="location",
    )


def locate_point(lat, lng):
    """Return the grid (and micro-grid, if any) containing the point, or raise
    PointOutsideGrids: a point outside every grid gets a clear answer, never a guess."""
    from .models import Area

    lat_f, lng_f = validate_point(lat, lng)
    found: dict = {}
    for attempt in range(2):
        # A second pass only when a grid was deleted since this process built its index.
        grid_id, micro_id = get_index(rebuild=attempt > 0).lookup(lat_f, lng_f)
        if grid_id is None:
            break
        found = Area.objects.in_bulk([i for i in (grid_id, micro_id) if i])
        if grid_id in found:
            grid, micro = found[grid_id], found.get(micro_id)
            if micro is not None and micro.parent_id != grid.pk:
                micro = None  # a micro-grid of a neighbouring grid on the border
            return grid, micro
    raise _outside(lat_f, lng_f)
