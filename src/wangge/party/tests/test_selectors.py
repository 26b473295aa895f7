import pytest
from django.http import Http404

from wangge.accounts.choices import Role
from wangge.party import selectors
from wangge.testing.factories import UserFactory, user_with_post

pytestmark = pytest.mark.django_db


def _names(qs):
    return {o.name for o in qs}


def test_town_organiser_sees_everything_in_the_town(net):
    assert _names(selectors.orgs_for_user(user=net.town_organiser)) == {
        "程集镇党委",
        "程集村党委",
        "王庄村党支部",
        "第一网格党支部",
        "第二网格党支部",
        "联合党小组",
    }
    assert selectors.members_for_user(user=net.town_organiser).count() == 5


def test_village_organiser_sees_its_subtree_only(net):
    assert _names(selectors.orgs_for_user(user=net.va_organiser)) == {
        "程集村党委",
        "第一网格党支部",
        "第二网格党支部",
        "联合党小组",
    }
    with pytest.raises(Http404):
        selectors.org_get(user=net.va_organiser, pk=net.vb.pk)
    with pytest.raises(Http404):
        selectors.member_get(user=net.va_organiser, pk=net.m5.pk)


def test_branch_secretary_sees_its_branch(net):
    """A grid branch organiser without any post sees the branch's party subtree only."""
    assert _names(selectors.orgs_for_user(user=net.a1_secretary)) == {"第一网格党支部"}
    assert {m.pk for m in selectors.members_for_user(user=net.a1_secretary)} == {
        net.m1.pk,
        net.m2.pk,
        net.m3.pk,
    }
    with pytest.raises(Http404):
        selectors.member_get(user=net.a1_secretary, pk=net.m4.pk)


def test_grid_worker_and_stranger_see_nothing(net):
    worker = user_with_post(net.t.grid_a1, Role.GRID_WORKER)
    assert not selectors.orgs_for_user(user=worker).exists()
    assert not selectors.members_for_user(user=UserFactory()).exists()


def test_organiser_is_the_top_of_its_area(net):
    assert selectors.is_org_organiser(net.va_organiser, net.va)
    assert not selectors.is_org_organiser(net.va_organiser, net.a1)
    assert selectors.is_org_organiser(net.town_organiser, net.town)
    assert not selectors.is_org_organiser(net.town_organiser, net.va)
    assert selectors.is_org_organiser(net.a1_secretary, net.a1)


def test_branch_of(net):
    from wangge.party import services
    from wangge.party.choices import OrgKind

    hh_org = services.org_create(
        actor=None, parent=net.a1, name="中心户", kind=OrgKind.CENTRAL_HOUSEHOLD, area=net.t.grid_a1
    )
    assert selectors.branch_of(hh_org) == net.a1
    assert selectors.branch_of(net.group) == net.va
    assert selectors.branch_of(net.town) is None
