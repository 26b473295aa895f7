"""The API's one error format, in the user's language."""

import pytest

from wangge.accounts.choices import Role
from wangge.testing.api import FAST_PASSWORD_HASHERS, api_client
from wangge.testing.factories import make_household, user_with_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture
def worker(territory):
    return user_with_post(territory.grid_a1, Role.GRID_WORKER)


def test_not_found_is_json_in_chinese_by_default_and_english_on_request(worker):
    client = api_client(worker)
    zh = client.get("/api/households/424242/")
    assert zh.status_code == 404
    assert zh.json() == {"code": "not_found", "detail": "未找到。"}
    en = client.get("/api/households/424242/", HTTP_ACCEPT_LANGUAGE="en")
    assert en.json() == {"code": "not_found", "detail": "Not found."}


def test_validation_errors_name_the_first_field_and_keep_all_messages(territory, worker):
    response = api_client(worker).post(
        "/api/households/", {"area": territory.grid_a1.pk}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["field"] in ("number", "address")
    assert set(body["errors"]) == {"number", "address"}
    assert body["detail"]


def test_domain_errors_carry_code_detail_and_field(territory, worker):
    make_household(territory.grid_a1, number="H1")
    response = api_client(worker).post(
        "/api/households/",
        {"number": "H1", "area": territory.grid_a1.pk, "address": "x"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "The household number H1 already exists.",
        "field": "number",
    }


def test_other_api_errors_share_the_shape(worker):
    client = api_client(worker)
    response = client.delete("/api/households/1/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    response = client.post("/api/households/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    response = api_client().get("/api/areas/")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "detail"}


def test_forbidden_is_json(territory):
    volunteer = user_with_post(territory.grid_a1, Role.VOLUNTEER)
    response = api_client(volunteer).post(
        "/api/households/",
        {"number": "H2", "area": territory.grid_a1.pk, "address": "x"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_api_root_lists_the_resources(worker):
    response = api_client(worker).get("/api/")
    assert response.status_code == 200
    assert {"areas", "households", "residents", "tags", "posts", "users"} <= set(response.json())
