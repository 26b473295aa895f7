import pytest

from wangge.testing.api import api_client
from wangge.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_nul_in_json_body_is_a_clear_400_and_changes_nothing(territory):
    from wangge.people.models import Resident

    client = api_client(UserFactory(is_superuser=True))
    response = client.post(
        "/api/residents/",
        data='{"name": "a\\u0000b", "tags": ["x\\u0000"]}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Resident.objects.exists()


def test_nul_in_query_string_is_refused(client, territory):
    response = client.get("/api/areas/?q=%00")
    assert response.status_code == 400


def test_ordinary_requests_pass(client):
    assert client.get("/healthz").status_code == 200
