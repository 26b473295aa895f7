import pytest
import shapely

from wangge.areas import geo, services
from wangge.core.errors import DomainError
from wangge.testing.factories import make_area, square

pytestmark = pytest.mark.django_db

# Territory grids are 0.01° squares from lng 115.80 eastwards at lat 32.90.
IN_A1 = (32.905, 115.805)
IN_B2 = (32.905, 115.835)
NOWHERE = (31.0, 110.0)


def test_point_to_grid(territory):
    grid, micro = geo.locate_point(*IN_A1)
    assert grid == territory.grid_a1 and micro is None
    grid, _micro = geo.locate_point(*IN_B2)
    assert grid == territory.grid_b2


def test_point_to_micro_grid(territory):
    micro = make_area(territory.grid_a1, "一巷", "34120410020100101", square(115.80, 32.90, 0.005))
    grid, found = geo.locate_point(32.902, 115.802)
    assert grid == territory.grid_a1 and found == micro
    grid, found = geo.locate_point(32.908, 115.808)  # in the grid, outside the micro-grid
    assert grid == territory.grid_a1 and found is None


def test_point_outside_every_grid_is_a_clear_error(territory):
    with pytest.raises(geo.PointOutsideGrids) as exc:
        geo.locate_point(*NOWHERE)
    err = exc.value
    assert err.code == "outside_grids" and err.field == "location"
    assert "31.000000" in str(err.message) and "110.000000" in str(err.message)


@pytest.mark.parametrize(
    "lat,lng", [(91, 115), (32, 181), ("x", 1), (None, 1), (float("nan"), 1), (float("inf"), 1)]
)
def test_bad_coordinates_are_refused(territory, lat, lng):
    with pytest.raises(DomainError) as exc:
        geo.locate_point(lat, lng)
    assert exc.value.field == "location"


def test_shared_border_goes_to_the_lowest_id(territory):
    # lng 115.81 is the border between a1 and a2.
    grid, _ = geo.locate_point(32.905, 115.81)
    assert grid == min(territory.grid_a1, territory.grid_a2, key=lambda a: a.pk)


def test_vectorised_lookup(territory):
    index = geo.get_index()
    out = index.lookup_many([IN_A1[0], IN_B2[0], NOWHERE[0]], [IN_A1[1], IN_B2[1], NOWHERE[1]])
    assert list(out) == [territory.grid_a1.pk, territory.grid_b2.pk, -1]


def test_boundary_change_invalidates_the_cached_index(
    territory, django_capture_on_commit_callbacks
):
    far = (40.005, 120.005)
    assert geo.locate_point(*IN_A1)[0] == territory.grid_a1  # index built and cached
    built = geo.get_index()
    with django_capture_on_commit_callbacks(execute=True):
        services.area_update(actor=None, area=territory.grid_a1, boundary=square(120.0, 40.0))
    assert geo.get_index() is not built
    assert geo.locate_point(*far)[0] == territory.grid_a1
    with pytest.raises(geo.PointOutsideGrids):
        geo.locate_point(*IN_A1)


def test_deactivated_grids_leave_the_index(territory, django_capture_on_commit_callbacks):
    geo.locate_point(*IN_A1)
    with django_capture_on_commit_callbacks(execute=True):
        services.area_deactivate(actor=None, area=territory.grid_a1)
    with pytest.raises(geo.PointOutsideGrids):
        geo.locate_point(*IN_A1)


def test_a_change_committed_by_another_process_is_seen(territory, monkeypatch):
    """Another gunicorn worker (or the task worker) edited a boundary: its transaction wrote a
    new generation, which this process notices at its next check and rebuilds."""
    from wangge.core import generations
    from wangge.core.models import Generation

    built = geo.get_index()
    Generation.objects.filter(name=geo.GENERATION).update(token="written-elsewhere")
    assert geo.get_index() is built  # checked at most once a second
    monkeypatch.setattr(generations, "CHECK_SECONDS", 0)
    assert geo.get_index() is not built


def test_a_grid_deleted_behind_the_index_is_not_returned(territory):
    geo.get_index()  # built while grid_b2 exists
    from wangge.areas.models import Area

    Area.objects.filter(pk=territory.grid_b2.pk).delete()  # no version bump
    with pytest.raises(geo.PointOutsideGrids):
        geo.locate_point(*IN_B2)


@pytest.mark.parametrize(
    "geojson",
    [
        {"type": "Point", "coordinates": [1, 2]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},  # bow-tie
        {"type": "Polygon", "coordinates": "nonsense"},
        "not json",
        [1, 2, 3],
    ],
)
def test_parse_geometry_refuses_what_is_not_a_valid_polygon(geojson):
    with pytest.raises(DomainError) as exc:
        geo.parse_geometry(geojson)
    assert exc.value.field == "boundary"


def test_parse_geometry_accepts_a_feature():
    geom = geo.parse_geometry({"type": "Feature", "properties": {}, "geometry": square(1, 2)})
    assert geom.geom_type == "Polygon"


def _tree_lookup(index, lat, lng):
    """The reference: every polygon the STRtree finds intersecting the point, lowest id."""
    grid = micro = None
    for i in index.tree.query(shapely.Point(lng, lat), predicate="intersects"):
        aid = int(index.area_ids[i])
        if index.levels[i] == "grid":
            grid = aid if grid is None else min(grid, aid)
        else:
            micro = aid if micro is None else min(micro, aid)
    return grid, micro


def test_single_point_lookup_equals_the_tree_on_borders_corners_and_large_polygons():
    """The cell hash of single-point lookups answers as the STRtree would: points inside, on
    shared borders and corners, outside, in micro-grids and in a polygon too large for it."""
    import random

    import numpy as np

    from wangge.areas.geo import GridIndex

    geoms, levels = [], []
    for i in range(12):
        for j in range(9):
            x, y = 115.0 + i * 0.01, 32.0 + j * 0.013  # grids sharing borders
            geoms.append(shapely.box(x, y, x + 0.01, y + 0.013))
            levels.append("grid")
    geoms.append(shapely.Polygon([(115.002, 32.002), (115.008, 32.003), (115.005, 32.01)]))
    levels.append("microgrid")
    geoms.append(shapely.box(114.0, 31.0, 118.0, 34.0))  # spans far more than 64 cells
    levels.append("grid")
    geoms.append(shapely.box(120.0, 40.0, 120.5, 40.4))  # alone, large, elsewhere
    levels.append("grid")
    for g in geoms:
        shapely.prepare(g)
    ids = np.array([1000 - k for k in range(len(geoms))], dtype=np.int64)  # not in build order
    index = GridIndex("t", shapely.STRtree(geoms), geoms, ids, levels, {})
    assert len(index.everywhere) == 2 and index.cells

    rnd = random.Random(3)
    points = [(rnd.uniform(30.9, 34.2), rnd.uniform(113.9, 118.2)) for _ in range(3000)]
    points += [(rnd.uniform(39.9, 40.5), rnd.uniform(119.9, 120.6)) for _ in range(500)]
    points += [(32.0 + j * 0.013, 115.0 + i * 0.01) for i in range(13) for j in range(10)]
    points += [(32.0065, 115.0 + i * 0.01) for i in range(13)]  # on vertical borders
    points += [(32.0 + j * 0.013, 115.004) for j in range(10)]  # on horizontal borders
    points += [(40.0, 120.25), (40.4, 120.5), (0.0, 0.0), (-89.9, -179.9)]
    for lat, lng in points:
        assert index.lookup(lat, lng) == _tree_lookup(index, lat, lng), (lat, lng)
    assert index.lookup(32.004, 115.005) == (int(ids[len(geoms) - 2]), int(ids[108]))
    assert index.lookup(float("nan"), 115.0) == (None, None)
