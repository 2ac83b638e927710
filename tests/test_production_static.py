"""Static files as production serves them (issue 10 §2): `collectstatic` into a fresh
STATIC_ROOT with whitenoise's compressed manifest storage, every `{% static %}` a template
names is in the manifest, pages render with the hashed names and whitenoise serves them.

Under the manifest storage a template naming a file that is not collected is a 500 on every
page that extends it; outside production nothing notices, so this is checked here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.template import engines
from django.test import Client, override_settings

from accounts.models import VendorRole
from accounts.tests.factories import UserFactory, vendor_user

MANIFEST_STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]""")


@pytest.fixture(scope="module")
def collected_root(tmp_path_factory) -> Path:
    """One `collectstatic` per module (it compresses every file: a couple of seconds)."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, STORAGES=MANIFEST_STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def production_static(collected_root, settings):
    settings.STATIC_ROOT = collected_root
    settings.STORAGES = MANIFEST_STORAGES
    settings.WHITENOISE_USE_FINDERS = False
    return collected_root


def template_files() -> list[Path]:
    directories = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    loaders = engines["django"].engine.template_loaders
    for loader in loaders:
        directories.extend(Path(d) for d in loader.get_dirs())
    return sorted({path for d in directories if d.is_dir() for path in d.rglob("*.html")})


def project_static_references() -> dict[str, list[str]]:
    """Static names that our own templates (not Django's or a library's) name."""
    references: dict[str, list[str]] = {}
    for path in template_files():
        if not path.is_relative_to(settings.BASE_DIR) or ".venv" in path.parts:
            continue
        for name in STATIC_TAG.findall(path.read_text(encoding="utf-8")):
            references.setdefault(name, []).append(str(path.relative_to(settings.BASE_DIR)))
    return references


def test_every_static_file_a_template_names_is_collected(production_static):
    references = project_static_references()
    assert "vendor/bootstrap-icons/bootstrap-icons.min.css" in references  # the scan works
    missing = {}
    for name, templates in references.items():
        try:
            staticfiles_storage.stored_name(name)
        except ValueError:
            missing[name] = templates
    assert missing == {}


def test_the_icon_font_is_vendored_and_hashed(production_static):
    """The icon stylesheet names only fonts that are vendored, under their hashed names."""
    css_name = staticfiles_storage.stored_name("vendor/bootstrap-icons/bootstrap-icons.min.css")
    css = (production_static / css_name).read_text(encoding="utf-8")
    fonts = re.findall(r'url\("?(fonts/[^")?]+)', css)
    assert fonts and all(".woff2" in font for font in fonts), fonts
    for font in fonts:
        assert (production_static / "vendor/bootstrap-icons" / font).is_file()
    assert "http" not in css.split("*/", 1)[1]  # nothing from a CDN


@pytest.mark.django_db
def test_pages_render_with_hashed_names_and_whitenoise_serves_them(production_static):
    manager = vendor_user(VendorRole.MANAGER, username="mgr")
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    login = anonymous.get("/accounts/login/")
    assert login.status_code == 200
    css_url = staticfiles_storage.url("vendor/bootstrap/bootstrap.min.css")
    assert re.search(r"bootstrap\.min\.[0-9a-f]{12}\.css$", css_url), css_url
    assert css_url in login.content.decode()

    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(manager)
    for url in ("/", "/dispatch/", "/calendar/", "/calendar/week/", "/service-requests/new/"):
        response = browser.get(url)
        assert response.status_code == 200, url
    browser.force_login(admin)
    assert browser.get("/admin/").status_code == 200

    served = anonymous.get(css_url, HTTP_ACCEPT_ENCODING="gzip")
    assert served.status_code == 200
    assert served["Content-Encoding"] == "gzip"
    assert "immutable" in served["Cache-Control"]  # hashed names are cached for ever
