"""Pledges 责任承诺书: a town officer opens a campaign, each grid worker of the area signs on
the phone by typing their name; the roster says who has and who has not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.fieldwork import selectors, services
from wangge.fieldwork.models import Pledge, PledgeCampaign


@pytest.fixture
def campaign(fw):
    return services.campaign_create(
        actor=fw.town,
        area=fw.t.town,
        title="秸秆禁烧责任承诺书",
        text="本人承诺：管好责任网格，发现火点立即处置并报告。",
        deadline=timezone.localdate() + dt.timedelta(days=7),
    )


def test_campaign_needs_manage_fieldwork_and_sound_input(fw):
    ok = {"title": "防汛", "text": "承诺", "deadline": timezone.localdate()}
    with pytest.raises(PermissionDenied):
        services.campaign_create(actor=fw.worker, area=fw.t.town, **ok)
    with pytest.raises(PermissionDenied):  # the village A chief cannot open one for village B
        services.campaign_create(actor=fw.chief, area=fw.t.village_b, **ok)
    with pytest.raises(DomainError):
        services.campaign_create(actor=fw.town, area=fw.t.grid_a1, **ok)
    with pytest.raises(DomainError):
        services.campaign_create(actor=fw.town, area=fw.t.town, **{**ok, "title": " "})
    with pytest.raises(DomainError):
        services.campaign_create(
            actor=fw.town,
            area=fw.t.town,
            **{**ok, "deadline": ok["deadline"] - dt.timedelta(days=1)},
        )
    assert not PledgeCampaign.objects.exists()
    services.campaign_create(actor=fw.chief, area=fw.t.village_a, **ok)


def test_workers_sign_with_their_name_and_the_roster_follows(fw, campaign):
    assert set(selectors.campaign_roster(campaign, signed=False)) == {fw.worker, fw.worker_b}
    assert list(selectors.pledges_to_sign(fw.worker)) == [campaign]
    with pytest.raises(DomainError) as exc:
        services.pledge_sign(actor=fw.worker, campaign=campaign, signed_name="张三")
    assert "网格员甲" in str(exc.value)
    pledge = services.pledge_sign(actor=fw.worker, campaign=campaign, signed_name=" 网格员 甲 ")
    assert pledge.signed_at is not None and pledge.signed_name == "网格员 甲"
    with pytest.raises(TransitionNotAllowed):
        services.pledge_sign(actor=fw.worker, campaign=campaign, signed_name="网格员甲")
    assert Pledge.objects.count() == 1
    assert list(selectors.campaign_roster(campaign, signed=True)) == [fw.worker]
    assert list(selectors.campaign_roster(campaign, signed=False)) == [fw.worker_b]
    assert list(selectors.pledges_to_sign(fw.worker)) == []
    assert selectors.campaign_counts([campaign]) == {campaign.pk: (1, 2)}


def test_only_workers_of_the_area_sign_before_the_deadline(fw):
    village = services.campaign_create(
        actor=fw.chief,
        area=fw.t.village_a,
        title="防汛",
        text="承诺",
        deadline=timezone.localdate(),
    )
    with pytest.raises(PermissionDenied):
        services.pledge_sign(actor=fw.worker_b, campaign=village, signed_name="网格员乙")
    with pytest.raises(PermissionDenied):
        services.pledge_sign(actor=fw.chief, campaign=village, signed_name="村网格长")
    later = timezone.now() + dt.timedelta(days=2)
    with pytest.raises(TransitionNotAllowed):
        services.pledge_sign(actor=fw.worker, campaign=village, signed_name="网格员甲", at=later)
    assert not Pledge.objects.exists()


def test_campaign_visibility(fw, campaign):
    village_b = services.campaign_create(
        actor=fw.town, area=fw.t.village_b, title="防汛", text="承诺", deadline=timezone.localdate()
    )
    assert set(selectors.campaigns_for_user(user=fw.town)) == {campaign, village_b}
    assert set(selectors.campaigns_for_user(user=fw.worker)) == {campaign}
    assert set(selectors.campaigns_for_user(user=fw.chief)) == {campaign}
