"""Reference data copies in memory follow the database: a change in this process is seen at
once, one committed by another process at the next check, a rolled-back one never."""

import pytest
from django.db import transaction

from wangge.core import generations
from wangge.core.models import Generation

pytestmark = pytest.mark.django_db


class Builder:
    def __init__(self):
        self.builds = []

    def __call__(self, token):
        self.builds.append(token)
        return {"built": len(self.builds)}


def test_built_once_then_served_from_memory():
    build = Builder()
    first = generations.cached("test.data", build)
    assert generations.cached("test.data", build) is first
    assert len(build.builds) == 1


def test_a_change_here_is_seen_at_once():
    build = Builder()
    first = generations.cached("test.data", build)
    token = generations.changed("test.data")
    second = generations.cached("test.data", build)
    assert second is not first
    assert build.builds[-1] == token == Generation.objects.get(name="test.data").token


def test_a_change_elsewhere_is_seen_at_the_next_check(monkeypatch):
    build = Builder()
    first = generations.cached("test.data", build)
    Generation.objects.filter(name="test.data").update(token="another-process")
    assert generations.cached("test.data", build) is first  # within the check interval
    monkeypatch.setattr(generations, "CHECK_SECONDS", 0)
    assert generations.cached("test.data", build) is not first
    assert build.builds[-1] == "another-process"


def test_a_rolled_back_change_is_not_kept(monkeypatch):
    monkeypatch.setattr(generations, "CHECK_SECONDS", 0)
    build = Builder()
    generations.cached("test.data", build)
    before = Generation.objects.get(name="test.data").token
    with pytest.raises(RuntimeError), transaction.atomic():
        generations.changed("test.data")
        raise RuntimeError
    assert Generation.objects.get(name="test.data").token == before
    generations.cached("test.data", build)
    assert build.builds[-1] == before  # rebuilt after the drop, at the surviving generation


def test_names_are_independent():
    a, b = Builder(), Builder()
    generations.cached("test.a", a)
    generations.cached("test.b", b)
    generations.changed("test.a")
    generations.cached("test.a", a)
    generations.cached("test.b", b)
    assert (len(a.builds), len(b.builds)) == (2, 1)
