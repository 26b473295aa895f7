"""The list rows written in Python ({% case_rows %}) are exactly cases/_row.html's."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from wangge.cases.models import Case
from wangge.cases.templatetags.cases_tags import case_rows

from .conftest import IN_B2

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_rows_equal_the_template(world, report, language):
    cases = [report(), report(urgency="urgent"), report(point=IN_B2), report()]
    Case.objects.filter(pk=cases[0].pk).update(warning="red")
    Case.objects.filter(pk=cases[1].pk).update(warning="yellow", department=world.department)
    Case.objects.filter(pk=cases[2].pk).update(
        handler=None, state="closed", title="<b>x</b>", warning="red"
    )
    rows = list(
        Case.objects.select_related("category", "grid", "grid__parent", "handler", "department")
    )
    with translation.override(language):
        expected = "".join(render_to_string("cases/_row.html", {"c": c}) for c in rows)
        assert str(case_rows(rows)) == expected
    assert "&lt;b&gt;x&lt;/b&gt;" in expected
