from __future__ import annotations

import pytest

from portal.celery import app as celery_app


@pytest.mark.django_db
def test_it_says_ok_when_the_database_and_the_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_it_answers_503_naming_the_broker_when_the_broker_is_down(client, monkeypatch):
    # Nothing listens on port 1: the broker is really unreachable, not simulated.
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("down")


def test_it_refuses_anything_but_get(client):
    assert client.post("/healthz").status_code == 405
