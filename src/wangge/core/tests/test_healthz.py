import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_json_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["status"] == "ok"
    assert data["database"] is True
    assert data["vendor"] == connection.vendor
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_reports_a_broken_database_as_503(client, monkeypatch):
    class Broken:
        def __enter__(self):
            raise RuntimeError("database is down")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(connection, "cursor", lambda: Broken())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_healthz_is_get_only(client):
    assert client.post("/healthz").status_code == 405
