"""Project-wide pytest setup. Factories live with each app (``<app>/tests/factories.py``)."""

import os

import pytest

# Playwright drives the browser from an event loop in the test thread; Django's ORM guard
# would refuse the test's own queries there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api_client(client):
    return client
