import pytest

from wangge.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from wangge.core.models import AuditEntry
from wangge.party import services
from wangge.party.choices import BranchRatingState, RatingState, Star
from wangge.party.models import StarEvaluation, StarRating
from wangge.party.selectors import star_results_published

pytestmark = pytest.mark.django_db

ALL = list(Star.values)


def _snapshot(rating):
    rating = StarRating.objects.get(pk=rating.pk)
    return (
        rating.state,
        rating.self_stars,
        rating.public_stars,
        rating.proposed_stars,
        rating.stars,
        StarEvaluation.objects.filter(rating=rating).count(),
        AuditEntry.objects.count(),
    )


def _through(net, rating, upto):
    steps = [
        lambda r: services.star_self_evaluate(actor=net.m1.user, rating=r, stars=ALL),
        lambda r: services.star_peer_evaluate(actor=net.m2.user, rating=r, stars=ALL[:4]),
        lambda r: services.star_public_enter(
            actor=net.a1_secretary,
            rating=r,
            votes={s: (10, 2) for s in ALL[:4]} | {Star.INTEGRITY: (3, 9)},
        ),
        lambda r: services.star_propose(actor=net.a1_secretary, rating=r, stars=ALL[:4]),
        lambda r: services.star_approve(actor=net.va_organiser, rating=r),
    ]
    for step in steps[:upto]:
        rating = step(rating)
    return rating


@pytest.fixture
def rating(net):
    return services.star_rating_open(actor=net.a1_secretary, member=net.m1, year=2024)


def test_full_workflow(net, rating):
    rating = _through(net, rating, 5)
    assert rating.state == RatingState.APPROVED
    assert rating.public_stars == ALL[:4]
    assert rating.stars == ALL[:4] and rating.star_count == 4
    assert rating.approved_by == net.va_organiser
    stages = list(StarEvaluation.objects.filter(rating=rating).values_list("stage", flat=True))
    assert stages == ["self", "peer", "public", "proposal", "approval"]
    assert [r.member_id for r in star_results_published(branch=net.a1, year=2024)] == [net.m1.pk]


@pytest.mark.parametrize("done", [0, 1, 2, 3])
def test_cannot_skip_a_stage_and_refusal_changes_nothing(net, rating, done):
    rating = _through(net, rating, done)
    later = [
        lambda: services.star_peer_evaluate(actor=net.m3.user, rating=rating, stars=ALL),
        lambda: services.star_public_enter(
            actor=net.a1_secretary, rating=rating, votes={Star.STUDY: (5, 1)}
        ),
        lambda: services.star_propose(actor=net.a1_secretary, rating=rating, stars=ALL),
        lambda: services.star_approve(actor=net.va_organiser, rating=rating),
    ]
    # every stage after the next one is refused
    for attempt in later[done:]:
        before = _snapshot(rating)
        with pytest.raises(TransitionNotAllowed):
            attempt()
        assert _snapshot(rating) == before


def test_no_going_back(net, rating):
    rating = _through(net, rating, 3)
    before = _snapshot(rating)
    with pytest.raises(TransitionNotAllowed):
        services.star_self_evaluate(actor=net.m1.user, rating=rating, stars=ALL)
    with pytest.raises(TransitionNotAllowed):
        services.star_peer_evaluate(actor=net.m3.user, rating=rating, stars=ALL)
    assert _snapshot(rating) == before


def test_each_stage_has_its_own_permission(net, rating):
    before = _snapshot(rating)
    with pytest.raises(PermissionDenied):  # someone else's self-evaluation
        services.star_self_evaluate(actor=net.m2.user, rating=rating, stars=ALL)
    assert _snapshot(rating) == before
    rating = _through(net, rating, 1)
    with pytest.raises(PermissionDenied):  # no self peer review
        services.star_peer_evaluate(actor=net.m1.user, rating=rating, stars=ALL)
    with pytest.raises(PermissionDenied):  # organiser without a member record
        services.star_peer_evaluate(actor=net.va_organiser, rating=rating, stars=ALL)
    rating = _through(net, StarRating.objects.get(pk=rating.pk), 0)
    services.star_peer_evaluate(actor=net.m2.user, rating=rating, stars=ALL)
    with pytest.raises(DomainError):  # once per peer
        services.star_peer_evaluate(actor=net.m2.user, rating=rating, stars=ALL)
    services.star_peer_evaluate(actor=net.m3.user, rating=rating, stars=ALL[:2])
    with pytest.raises(PermissionDenied):  # a member of the branch is not its organiser
        services.star_public_enter(actor=net.m2.user, rating=rating, votes={Star.STUDY: (5, 1)})
    with pytest.raises(PermissionDenied):  # the superior organiser is not the branch's
        services.star_public_enter(
            actor=net.va_organiser, rating=rating, votes={Star.STUDY: (5, 1)}
        )
    services.star_public_enter(actor=net.a1_secretary, rating=rating, votes={Star.STUDY: (5, 1)})
    with pytest.raises(PermissionDenied):
        services.star_propose(actor=net.town_organiser, rating=rating, stars=ALL)
    services.star_propose(actor=net.a1_secretary, rating=rating, stars=[Star.STUDY])
    with pytest.raises(PermissionDenied):  # the branch cannot approve its own proposal
        services.star_approve(actor=net.a1_secretary, rating=rating)
    with pytest.raises(PermissionDenied):  # nor the town, which is not the direct superior
        services.star_approve(actor=net.town_organiser, rating=rating)
    rating = services.star_approve(actor=net.va_organiser, rating=rating)
    assert rating.stars == [Star.STUDY]


def test_peer_from_another_branch_is_refused(net, rating):
    from wangge.testing.factories import UserFactory

    rating = _through(net, rating, 1)
    services.member_update(actor=None, member=net.m4, user=UserFactory())
    with pytest.raises(PermissionDenied):
        services.star_peer_evaluate(
            actor=net.m4.__class__.objects.get(pk=net.m4.pk).user, rating=rating, stars=ALL
        )


def test_approval_cannot_add_stars_and_return_goes_back(net, rating):
    rating = _through(net, rating, 4)
    with pytest.raises(DomainError):
        services.star_approve(actor=net.va_organiser, rating=rating, stars=ALL)
    rating = services.star_return(actor=net.va_organiser, rating=rating, reason="服务星依据不足")
    assert rating.state == RatingState.PUBLIC_EVALUATED
    rating = services.star_propose(actor=net.a1_secretary, rating=rating, stars=ALL[:3])
    rating = services.star_approve(actor=net.va_organiser, rating=rating, stars=ALL[:2])
    assert rating.star_count == 2


def test_unknown_star_refused(net, rating):
    with pytest.raises(DomainError):
        services.star_self_evaluate(actor=net.m1.user, rating=rating, stars=["gold"])
    assert StarRating.objects.get(pk=rating.pk).state == RatingState.OPEN


def test_open_for_branch(net):
    rows = services.star_ratings_open_for_branch(actor=net.a1_secretary, branch=net.a1, year=2025)
    assert {r.member_id for r in rows} == {net.m1.pk, net.m2.pk, net.m3.pk}
    again = services.star_ratings_open_for_branch(actor=net.a1_secretary, branch=net.a1, year=2025)
    assert again == []
    with pytest.raises(DomainError):
        services.star_rating_open(actor=None, member=net.m1, year=2025)


def test_results_published_per_branch_only_approved(net, rating):
    _through(net, rating, 4)
    assert list(star_results_published(branch=net.a1, year=2024)) == []


def test_branch_star_rating(net):
    r = services.branch_rating_propose(actor=net.vb_organiser, org=net.vb, year=2024, stars=4)
    with pytest.raises(PermissionDenied):
        services.branch_rating_approve(actor=net.vb_organiser, rating=r)
    r = services.branch_rating_approve(actor=net.town_organiser, rating=r)
    assert r.state == BranchRatingState.APPROVED
    with pytest.raises(TransitionNotAllowed):
        services.branch_rating_propose(actor=net.vb_organiser, org=net.vb, year=2024, stars=5)
    with pytest.raises(DomainError):
        services.branch_rating_propose(actor=None, org=net.a1, year=2024, stars=3)
    with pytest.raises(DomainError):
        services.branch_rating_propose(actor=None, org=net.va, year=2024, stars=6)
