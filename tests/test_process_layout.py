"""`make run`'s processes, for real (issue 10 §2, §3): `manage.py serve` hands over to
supervisord (deploy/supervisord.conf), which runs gunicorn and the huey worker as separate
programs. A killed worker is restarted while the web keeps serving (and the other way round),
/healthz fails while the heartbeat is stale, and one signal stops everything with no orphan.
(Production settings on the same layout: tests/test_production.py.)

These boot real processes on an embedded SQLite database under a temporary directory."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from .database_template import copy_sqlite_template
from .served import BASE_DIR, STALE_HEARTBEAT, environment, manage, served, wait_for
from .static_collection import collected_static

# What `make run` sets for collectstatic and serve (the Makefile's own lines are checked
# below).
MAKE_RUN = {"MEDSERVICE_STATIC_COLLECTED": "1"}
HASHED = re.compile(r'(?:href|src)="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css)"')


@pytest.fixture(scope="module")
def migrated(request, tmp_path_factory):
    """A migrated embedded database to copy for each boot: a copy of the suite's migrated
    template (the processes are the subject here; the migrations ran when it was built),
    or ``manage.py migrate`` when there is none yet."""
    var_dir = tmp_path_factory.mktemp("migrated")
    if not copy_sqlite_template(request, var_dir / "db.sqlite3"):
        manage(environment(var_dir), "migrate", "--noinput", "-v", "0")
    return var_dir


def copy_of(migrated, target):
    shutil.copytree(migrated, target)
    return target


@pytest.fixture(scope="module")
def embedded(migrated, tmp_path_factory):
    """`make run`: the embedded defaults, one web master with two processes, one worker,
    static files collected (hashed, compressed) as the Makefile does, once for the sources
    (``tests/static_collection.py``)."""
    var_dir = copy_of(migrated, tmp_path_factory.mktemp("embedded") / "var")
    env = environment(var_dir, **MAKE_RUN)
    env["STATIC_ROOT"] = str(collected_static(env))
    with served(env) as layout:
        layout.wait_healthy()
        yield layout


def test_serve_runs_one_web_master_with_two_processes_and_one_worker(embedded):
    assert len(embedded.gunicorn_masters()) == 1
    assert len(embedded.gunicorn_workers()) == 2
    (worker,) = embedded.huey_workers()
    assert "--number 0" in worker.cmdline  # the one that schedules the periodic jobs
    assert "RUNNING" in embedded.supervisorctl("status", "worker:worker-0")


def test_make_run_serves_hashed_compressed_static_files_cached_for_ever(embedded):
    """Issue 12 §6: what a hospital's slow network gets from `make run` is what production
    serves: the page names hashed files; each comes brotli- (or gzip-) compressed with a
    cache of a year or more, marked immutable."""
    page = embedded.browser().get("/accounts/login/")
    assert page.status == 200
    match = HASHED.search(page.text)
    assert match is not None, page.text[:1500]
    for encoding in ("br", "gzip"):
        css = embedded.browser().get(match.group(1), headers={"Accept-Encoding": encoding})
        assert css.status == 200
        assert css.headers.get("Content-Encoding") == encoding
        cache = css.headers["Cache-Control"]
        assert "immutable" in cache
        max_age = int(re.search(r"max-age=(\d+)", cache).group(1))  # type: ignore[union-attr]
        assert max_age >= 365 * 24 * 3600
        assert len(css.body) < 50_000  # 232 kB of CSS before compression
    favicon = embedded.browser().get("/favicon.ico")
    assert favicon.status == 302
    assert re.fullmatch(r"/static/favicon\.[0-9a-f]{12}\.svg", favicon.headers["Location"])


def test_the_makefile_collects_and_serves_the_static_files_that_way():
    """`make run` runs collectstatic (when a static file changed; -B: as if all had) and
    serve with MAKE_RUN's variables (make -n prints the commands without running them)."""

    def commands(*args: str) -> list[str]:
        # -q (question) exits 1 when something is out of date: its listing is still whole.
        done = subprocess.run(
            ["make", "-n", *args], cwd=BASE_DIR, capture_output=True, text=True, check=False
        )
        return done.stdout.splitlines()

    settings = " ".join(f"{k}={v}" for k, v in MAKE_RUN.items())
    assert any(settings in line and "manage.py serve" in line for line in commands("run"))
    assert "static" in next(line for line in commands("-p", "-q") if line.startswith("run:"))
    assert any(
        settings in line and "manage.py collectstatic" in line for line in commands("-B", "static")
    )


def test_a_killed_worker_is_restarted_while_the_web_keeps_serving(embedded):
    (master,) = embedded.gunicorn_masters()
    (worker,) = embedded.huey_workers()
    browser = embedded.browser()
    os.kill(worker.pid, signal.SIGKILL)
    wait_for(lambda: not worker.alive(), "the worker to die")
    assert browser.get("/accounts/login/").status == 200
    (restarted,) = wait_for(
        lambda: [w for w in embedded.huey_workers() if w.pid != worker.pid], "a new worker"
    )
    assert restarted.cmdline == worker.cmdline
    # The web was never stopped: the same master serves on.
    assert embedded.gunicorn_masters() == [master]
    assert browser.get("/accounts/login/").status == 200
    assert embedded.wait_healthy()["worker"]["ok"] is True


def test_a_killed_web_is_restarted_while_the_worker_keeps_working(embedded):
    (master,) = embedded.gunicorn_masters()
    (worker,) = embedded.huey_workers()
    os.kill(master.pid, signal.SIGKILL)
    wait_for(
        lambda: [m for m in embedded.gunicorn_masters() if m.pid != master.pid],
        "a new web master",
    )
    embedded.wait_healthy()
    assert embedded.huey_workers() == [worker]
    wait_for(lambda: len(embedded.gunicorn_workers()) == 2, "two web processes again")


def test_healthz_fails_while_the_heartbeat_is_stale_and_recovers_with_the_worker(embedded):
    embedded.supervisorctl("stop", "worker:*")
    assert embedded.huey_workers() == []
    manage(embedded.env, "shell", "-c", STALE_HEARTBEAT)
    response = embedded.healthz()
    assert response.status == 503
    assert response.json()["failing"] == ["worker"]
    assert embedded.browser().get("/accounts/login/").status == 200  # the web serves on
    embedded.supervisorctl("start", "worker:*")
    assert embedded.wait_healthy()["failing"] == []  # a starting worker beats at once


def test_a_backup_taken_while_serving_restores_into_a_fresh_installation(embedded, tmp_path):
    """The embedded database is a WAL-mode file that the web and the worker hold open; the
    online backup copies it while they run (issue 10 §11)."""
    var_dir = embedded.env["MEDSERVICE_VAR_DIR"]
    archive = tmp_path / "medservice.tar.gz"
    assert manage(embedded.env, "backup", "--output", str(archive)).strip() == str(archive)
    assert embedded.browser().get("/accounts/login/").status == 200
    fresh = environment(tmp_path / "fresh")
    output = manage(fresh, "restore", str(archive))
    assert "secret key written" in output
    assert (tmp_path / "fresh" / "secret_key").read_text() == (
        Path(var_dir) / "secret_key"
    ).read_text()
    count = (
        "from core.models import WorkerHeartbeat as H; print(H.objects.filter(name='huey').count())"
    )
    assert manage(fresh, "shell", "-c", count).splitlines()[-1] == "1"


def test_sigterm_stops_every_process_it_started(embedded):
    assert len(embedded.tree()) == 5  # supervisord, web master and its two, the worker
    assert embedded.stop(signal.SIGTERM) == 0
    assert embedded.leftovers() == []
