"""Chinese first, English too: every user-facing string has a zh-hans translation."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

LOCALE = "zh_Hans"
CATALOGUE = Path(settings.BASE_DIR) / "locale" / LOCALE / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> polib.POFile:
    """Extract the messages of the current source tree into a scratch catalogue."""
    scratch = tmp_path_factory.mktemp("locale")
    with override_settings(LOCALE_PATHS=[scratch]):
        call_command(
            "makemessages",
            locale=[LOCALE],
            ignore_patterns=[".venv/*", "var/*", "static/vendor/*", "bench/*", "tests/*"],
            no_obsolete=True,
            verbosity=0,
        )
    return polib.pofile(str(scratch / LOCALE / "LC_MESSAGES" / "django.po"))


def test_every_message_is_translated(extracted):
    translated = {
        (entry.msgctxt, entry.msgid): entry
        for entry in polib.pofile(str(CATALOGUE))
        if entry.translated() and not entry.obsolete
    }
    missing = [
        entry.msgid
        for entry in extracted
        if (entry.msgctxt, entry.msgid) not in translated
    ]
    assert not missing, f"{len(missing)} messages lack a zh-hans translation: {missing[:20]}"


@pytest.mark.django_db
def test_pages_default_to_chinese(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()


@pytest.mark.django_db
def test_english_on_request(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Log in" in response.content.decode()
