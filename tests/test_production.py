"""Production mode, for real (issue 10 §2, §3 and "Done when").

- `collectstatic` with the production settings succeeds; every `{% static %}` our templates
  name is in its manifest (under the manifest storage a missing one is a 500 on every page);
  pages render with the hashed names and whitenoise serves their compressed copies.
- The production settings boot on the supervised layout (embedded SQLite): a page over HTTPS
  as the proxy forwards it, its static files, and /healthz over plain HTTP for a local probe.
- The production layout of the README: PostgreSQL, two gunicorn processes, two huey workers
  on Redis, under a short mixed load of reads and writes with bearer tokens and a session,
  with no error; a killed worker comes back; the Redis queue is consumed by a worker that
  does not schedule; /healthz fails while the heartbeat is stale.

`collectstatic` runs with the production settings in a subprocess, once for the sources
(``tests/static_collection.py``: brotli takes a while), and every test here reads that
STATIC_ROOT.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.test import Client

from accounts.models import VendorRole
from accounts.tests.factories import UserFactory, vendor_user

from .database_template import copy_sqlite_template, postgres_template
from .served import (
    STALE_HEARTBEAT,
    environment,
    manage,
    postgres_admin,
    postgres_server_url,
    served,
    wait_for,
)
from .static_collection import collected_static

MANIFEST_STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]""")
HASHED_STATIC = re.compile(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.(?:css|js))"')


def production_environment(var_dir: Path, static_root: Path | None = None, **extra: str):
    env = environment(
        var_dir,
        MEDSERVICE_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        **extra,
    )
    if static_root is not None:
        env["STATIC_ROOT"] = str(static_root)
    return env


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    return collected_static(production_environment(tmp_path_factory.mktemp("collect")))


# --- static files under the manifest storage, in process -----------------------------------
@pytest.fixture
def manifest_static(static_root, settings):
    settings.STATIC_ROOT = static_root
    settings.STORAGES = MANIFEST_STORAGES
    settings.WHITENOISE_USE_FINDERS = False
    return static_root


def project_static_references() -> dict[str, list[str]]:
    """Static names that our own templates (not Django's or a library's) name."""
    templates: list[dict[str, Any]] = settings.TEMPLATES
    directories = [Path(d) for engine in templates for d in engine.get("DIRS", [])]
    for loader in cast(DjangoTemplates, engines["django"]).engine.template_loaders:
        # The cached and file-system loaders (ours) have get_dirs; the base class does not.
        directories.extend(Path(d) for d in loader.get_dirs())  # type: ignore[attr-defined]
    references: dict[str, list[str]] = {}
    for directory in directories:
        if not directory.is_relative_to(settings.BASE_DIR) or ".venv" in directory.parts:
            continue
        for path in directory.rglob("*.html"):
            for name in STATIC_TAG.findall(path.read_text(encoding="utf-8")):
                where = str(path.relative_to(settings.BASE_DIR))
                references.setdefault(name, []).append(where)
    return references


def test_every_static_file_a_template_names_is_collected(manifest_static):
    references = project_static_references()
    assert "vendor/bootstrap-icons/bootstrap-icons.min.css" in references  # the scan works
    missing = {}
    for name, templates in references.items():
        try:
            cast(ManifestFilesMixin, staticfiles_storage).stored_name(name)
        except ValueError:
            missing[name] = templates
    assert missing == {}


def test_the_icon_font_is_vendored_and_hashed(manifest_static):
    """The icon stylesheet names only fonts that are vendored, under their hashed names."""
    css_name = cast(ManifestFilesMixin, staticfiles_storage).stored_name(
        "vendor/bootstrap-icons/bootstrap-icons.min.css"
    )
    css = (manifest_static / css_name).read_text(encoding="utf-8")
    fonts = re.findall(r'url\("?(fonts/[^")?]+)', css)
    assert fonts and all(".woff2" in font for font in fonts), fonts
    for font in fonts:
        assert (manifest_static / "vendor/bootstrap-icons" / font).is_file()
    assert "http" not in css.split("*/", 1)[1]  # nothing from a CDN


@pytest.mark.django_db
def test_pages_render_with_hashed_names_and_whitenoise_serves_them(manifest_static):
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
        assert browser.get(url).status_code == 200, url
    browser.force_login(admin)
    assert browser.get("/admin/").status_code == 200

    served_css = anonymous.get(css_url, HTTP_ACCEPT_ENCODING="gzip")
    assert served_css.status_code == 200
    assert served_css["Content-Encoding"] == "gzip"
    assert "immutable" in served_css["Cache-Control"]  # hashed names are cached for ever


# --- production settings on the supervised layout, embedded SQLite --------------------------
def test_production_settings_serve_pages_static_files_and_healthz(request, static_root, tmp_path):
    env = production_environment(tmp_path / "var", static_root)
    if not copy_sqlite_template(request, tmp_path / "var" / "db.sqlite3"):
        manage(env, "migrate", "--noinput", "-v", "0")
    with served(env, "--web-workers", "1") as layout:
        # A local probe asks over plain HTTP: exempt from the HTTPS redirect.
        assert layout.wait_healthy()["database"]["ok"] is True

        plain = layout.browser().get("/accounts/login/")
        assert plain.status == 301
        assert plain.headers["Location"].startswith("https://127.0.0.1")

        browser = layout.browser(https=True)  # as the HTTPS proxy forwards it
        page = browser.get("/accounts/login/")
        assert page.status == 200
        assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
        assert "secure" in page.headers["Set-Cookie"].lower()
        hashed = HASHED_STATIC.findall(page.text)
        assert len(hashed) >= 4, page.text[:3000]  # bootstrap, icons, app css, scripts
        for url in hashed:
            static = browser.get(url, headers={"Accept-Encoding": "gzip"})
            assert static.status == 200, url
            assert static.headers.get("Content-Encoding") == "gzip", url
            assert "immutable" in static.headers["Cache-Control"]
        icons = next(u for u in hashed if "bootstrap-icons" in u)
        (font,) = re.findall(r'url\("?(fonts/[^")?]+)', browser.get(icons).text)
        assert browser.get(icons.rsplit("/", 1)[0] + "/" + font).status == 200

        assert layout.stop(signal.SIGINT) == 0  # Ctrl-C
        assert layout.leftovers() == []


# --- the production layout: PostgreSQL, Redis, 2 web processes, 2 workers -------------------
PASSWORD = secrets.token_urlsafe(16)
SEED = """
import json
from accounts.models import VendorRole
from accounts.services import api_token_create
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from customers.tests.factories import DepartmentFactory

manager = vendor_user(VendorRole.MANAGER, username="layout-manager")
manager.set_password(%(password)r)
manager.save()
engineer = vendor_user(VendorRole.ENGINEER, username="layout-engineer")
department = DepartmentFactory()
devices = [DeviceFactory(department=department).pk for _ in range(4)]
print(json.dumps({
    "engineer": engineer.pk,
    "devices": devices,
    "manager_token": api_token_create(user=manager, name="load")[1],
    "engineer_token": api_token_create(user=engineer, name="load")[1],
}))
"""


REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)


@pytest.fixture(scope="module")
def postgres_redis_layout(request, static_root, tmp_path_factory):
    server = postgres_server_url()
    try:
        postgres_admin(server).close()
        redis_client().ping()
    except Exception as exc:
        pytest.skip(f"the production layout needs PostgreSQL and Redis answering: {exc}")
    unique = secrets.token_hex(4)
    database = f"medservice_layout_{unique}"  # throwaway, dropped below
    huey_name = f"medservice-layout-{unique}"  # its own queue keys in the shared Redis
    parts = urllib.parse.urlsplit(server)
    database_url = urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))
    # On a PostgreSQL run, a copy of the suite's migrated template (else `migrate` below).
    with postgres_template(request) as template, postgres_admin(server) as admin:
        copied = f' TEMPLATE "{template}"' if template else ""
        admin.execute(f'CREATE DATABASE "{database}"{copied}')
    try:
        env = production_environment(
            tmp_path_factory.mktemp("layout"),
            static_root,
            DATABASE_URL=database_url,
            REDIS_URL=REDIS_URL,
            MEDSERVICE_HUEY_NAME=huey_name,
        )
        if not template:
            manage(env, "migrate", "--noinput", "-v", "0")
        seed = json.loads(
            manage(env, "shell", "-c", SEED % {"password": PASSWORD}).splitlines()[-1]
        )
        with served(env, "--web-workers", "2", "--huey-workers", "2") as layout:
            layout.wait_healthy()
            yield layout, seed
    finally:
        with postgres_admin(server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        client = redis_client()
        for key in client.scan_iter(match=f"*{huey_name.replace('-', '')}*"):
            client.delete(key)


def test_the_layout_is_two_web_processes_and_two_workers(postgres_redis_layout):
    layout, _ = postgres_redis_layout
    assert len(layout.gunicorn_masters()) == 1
    assert len(layout.gunicorn_workers()) == 2
    workers = sorted(p.cmdline for p in layout.huey_workers())
    assert [w.rsplit(" ", 1)[1] for w in workers] == ["0", "1"]  # run_worker --number K
    health = layout.healthz().json()
    assert health["database"] == {"ok": True, "vendor": "postgresql"}


def test_a_short_mixed_load_has_no_error(postgres_redis_layout):
    layout, seed = postgres_redis_layout
    manager = layout.browser(https=True)
    manager.log_in("layout-manager", PASSWORD)
    bearer = {
        who: {"Authorization": f"Bearer {seed[f'{who}_token']}"} for who in ("manager", "engineer")
    }
    failures: list[str] = []

    def expect(response, status: int, what: str):
        if response.status != status:
            failures.append(f"{what}: {response.status} {response.text[:300]}")
        return response

    def one_repair(n: int) -> None:
        api = layout.browser(https=True)

        def write(who: str, path: str, body: dict, what: str):
            headers = bearer[who] | {"Idempotency-Key": secrets.token_hex(8)}
            return expect(api.post(path, body, headers=headers), 201, what)

        created = write(
            "manager",
            "/api/v1/service-requests",
            {"device_id": seed["devices"][n % 4], "description": f"负载测试 {n}：报警"},
            "create",
        )
        if created.status != 201:
            return
        events = f"/api/v1/service-requests/{created.json()['id']}/events"
        write(
            "manager",
            events,
            {"type": "dispatched", "engineer_ids": [seed["engineer"]]},
            "dispatch",
        )
        write("engineer", events, {"type": "arrived"}, "arrive")
        expect(
            api.get(f"/api/v1/service-requests/{created.json()['id']}", headers=bearer["engineer"]),
            200,
            "read",
        )

    def reads(n: int) -> None:
        api = layout.browser(https=True)
        expect(api.get("/api/v1/service-requests?limit=20", headers=bearer["manager"]), 200, "list")
        for page in ("/service-requests/", "/dispatch/", "/"):
            expect(manager.get(page), 200, page)
        expect(layout.browser().get("/healthz"), 200, "healthz")

    with ThreadPoolExecutor(max_workers=6) as pool:
        jobs = [pool.submit(one_repair, n) for n in range(10)]
        jobs += [pool.submit(reads, n) for n in range(10)]
        for job in jobs:
            job.result()
    assert failures == []
    listed = layout.browser(https=True).get(
        "/api/v1/service-requests?limit=100", headers=bearer["manager"]
    )
    assert listed.json()["count"] == 10
    log = layout.log.read_text(errors="replace")
    assert "Traceback" not in log and '" 500 ' not in log


def test_a_killed_worker_comes_back_and_the_web_serves_meanwhile(postgres_redis_layout):
    layout, _ = postgres_redis_layout
    second = next(p for p in layout.huey_workers() if p.cmdline.endswith(" 1"))
    os.kill(second.pid, signal.SIGKILL)
    wait_for(lambda: not second.alive(), "the worker to die")
    assert layout.browser(https=True).get("/accounts/login/").status == 200
    wait_for(
        lambda: len([p for p in layout.huey_workers() if p.pid != second.pid]) == 2,
        "two workers again",
    )
    layout.wait_workers_reported()


def test_a_stale_heartbeat_fails_healthz_and_a_queued_beat_through_redis_mends_it(
    postgres_redis_layout,
):
    """Worker 0 (the scheduler) stopped, the heartbeat an hour old: 503 naming the worker.
    A heartbeat job put on the Redis queue by hand is run by worker 1, which does not
    schedule anything itself: the queue is shared, and /healthz is 200 again."""
    layout, _ = postgres_redis_layout
    layout.wait_workers_reported()
    layout.supervisorctl("stop", "worker:worker-0")
    try:
        manage(layout.env, "shell", "-c", STALE_HEARTBEAT)
        response = layout.healthz()
        assert response.status == 503
        assert response.json()["failing"] == ["worker"]
        manage(
            layout.env, "shell", "-c", "from core.tasks import worker_heartbeat; worker_heartbeat()"
        )
        assert layout.wait_healthy()["worker"]["ok"] is True
    finally:
        layout.supervisorctl("start", "worker:worker-0")


def test_sigterm_stops_the_whole_layout(postgres_redis_layout):
    layout, _ = postgres_redis_layout
    layout.tree()
    assert layout.stop(signal.SIGTERM) == 0
    assert layout.leftovers() == []


def test_the_example_environment_file_passes_the_deployment_checklist(tmp_path):
    """deploy/medservice.env.example, read by deploy/manage.sh as in the README (its paths
    moved into a temporary directory): `check --deploy` has nothing to say."""
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(50))
    example = (settings.BASE_DIR / "deploy" / "medservice.env.example").read_text()
    env_file = tmp_path / "medservice.env"
    env_file.write_text(
        example.replace("/etc/medservice/secret_key", str(key_file))
        .replace("/var/lib/medservice", str(tmp_path / "var"))
        .replace("/run/medservice", str(tmp_path / "run"))
        .replace("/var/backups/medservice", str(tmp_path / "backups"))
    )
    result = subprocess.run(
        ["sh", str(settings.BASE_DIR / "deploy" / "manage.sh"), "check", "--deploy"],
        env=environment(tmp_path / "unused", MEDSERVICE_ENV_FILE=str(env_file)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
