"""Chinese first, English too: every user-facing string has a zh-hans translation."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib  # type: ignore[import-untyped]
import pytest
from django.conf import settings
from django.test import Client

LOCALE = "zh_Hans"
CATALOGUE = Path(settings.BASE_DIR) / "locale" / LOCALE / "LC_MESSAGES" / "django.po"


SOURCE_SUFFIXES = {".py", ".html", ".txt"}
SKIP_DIRS = {".venv", "var", "static", "locale", "tests", "migrations", "node_modules", ".git"}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> polib.POFile:
    """Extract the messages of a copy of the source tree into a scratch catalogue, exactly
    as ``make messages-extract`` does, without touching the real one."""
    root = Path(settings.BASE_DIR)
    scratch = tmp_path_factory.mktemp("source")
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if (
            path.is_file()
            and path.suffix in SOURCE_SUFFIXES
            and not (SKIP_DIRS & set(relative.parts[:-1]))
        ):
            target = scratch / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    (scratch / "locale").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", LOCALE, "--no-obsolete", "-v0"],
        cwd=scratch,
        env=env,
        check=True,
    )
    return polib.pofile(str(scratch / "locale" / LOCALE / "LC_MESSAGES" / "django.po"))


def test_every_message_is_translated(extracted):
    translated = {
        (entry.msgctxt, entry.msgid): entry
        for entry in polib.pofile(str(CATALOGUE))
        if entry.translated() and not entry.obsolete
    }
    missing = [entry.msgid for entry in extracted if (entry.msgctxt, entry.msgid) not in translated]
    assert not missing, f"{len(missing)} messages lack a zh-hans translation: {missing[:20]}"


@pytest.mark.django_db
def test_pages_default_to_chinese():
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()


@pytest.mark.django_db
def test_english_on_request(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Log in" in response.content.decode()


def test_users_never_read_requirement_ids():
    """R-x.y ids belong in code docs and tests, never in what people read: no message of
    the catalogue (msgid or msgstr) and no template (pages, PDFs, mails) carries one, not
    even "R-1"."""
    import re

    rid = re.compile(r"\bR-\d")
    in_messages = [
        entry.msgid
        for entry in polib.pofile(str(CATALOGUE))
        if rid.search(entry.msgid + entry.msgstr)
    ]
    root = Path(settings.BASE_DIR)
    in_templates = [
        str(path.relative_to(root))
        for path in root.rglob("templates/**/*")
        if path.suffix in {".html", ".txt"}
        and ".venv" not in path.parts
        and rid.search(path.read_text())
    ]
    assert not in_messages and not in_templates, (in_messages, in_templates)


def test_the_api_description_carries_no_requirement_id():
    """The OpenAPI document is read by integrators (the API docs page): its descriptions
    come from the endpoints' docstrings, so the citations stay in comments there."""
    import json
    import re

    from medservice.api import api

    schema = json.dumps(api.get_openapi_schema(), ensure_ascii=False)
    found = [m.group(0) for m in re.finditer(r".{0,60}\bR-\d[\d.]*.{0,20}", schema)]
    assert not found, found
