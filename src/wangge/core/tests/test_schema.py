"""The OpenAPI schema is valid and complete, and a schema-driven fuzz run (schemathesis) over
every operation, as a superuser, never gets a server error."""

from __future__ import annotations

import io

import hypothesis
import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, Phase
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from wangge.testing.api import FAST_PASSWORD_HASHERS, api_client
from wangge.testing.factories import UserFactory, make_household, make_resident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The production hasher costs ~0.3 s per user; these tests make hundreds of users.
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


def test_schema_generates_without_warnings_and_validates(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns every drf-spectacular warning (unresolvable field, missing
    # serializer, …) into a failure; --validate checks it against the OpenAPI 3 meta-schema.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(out), stdout=io.StringIO()
    )
    text = out.read_text()
    for path in (
        "/api/auth/token/",
        "/api/areas/",
        "/api/areas/{id}/boundary/",
        "/api/areas/locate/",
        "/api/households/",
        "/api/residents/{id}/reveal-id/",
        "/api/tags/",
        "/api/posts/",
        "/api/users/me/",
    ):
        assert f"  {path}:" in text, path


def test_schema_and_docs_are_served(territory):
    client = api_client(UserFactory())
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    resident = schema["components"]["schemas"]["Resident"]["properties"]
    assert "id_number" not in resident and "id_number_masked" in resident
    assert client.get("/api/docs/").status_code == 200


# Generous enough to reach into every operation, small enough for the normal suite.
FUZZ_SETTINGS = hypothesis.settings(
    max_examples=15,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


# No server error, and every answer matches its documented body and content type.
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def _keep_test_connection():
    """schemathesis calls the WSGI application directly, so Django's request signals would
    close the database connection after each request (the test's transaction is not in
    autocommit mode) — on PostgreSQL that ends the test transaction. Django's own test client
    disconnects the same handler."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_fuzzing_every_operation_finds_no_server_error(territory, _keep_test_connection):
    from wangge.wsgi import application

    root = UserFactory(is_superuser=True, is_staff=True)
    token = api_client(root) and root.auth_token.key
    household = make_household(territory.grid_a1)
    make_resident(household, relation="head")

    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @FUZZ_SETTINGS
        @hypothesis.given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers={"Authorization": f"Token {token}"})
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect them all
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 15
    assert not failures, "\n\n".join(failures)
