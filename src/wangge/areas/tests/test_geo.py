import pytest

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
