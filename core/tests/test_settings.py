"""Settings from the environment (issue 2 §1): what the test run relies on, and production
mode refusing to start without its secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

import medservice.settings as project_settings

BASE_DIR = Path(project_settings.__file__).resolve().parent.parent


def test_time_is_aware_and_language_is_chinese_by_default():
    """GUIDE: time is aware UTC; zh-hans by default with an English switch."""
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert "en" in dict(settings.LANGUAGES)
    assert settings.DEFAULT_HOSPITAL_TIME_ZONE == "Asia/Shanghai"


def test_huey_runs_inline_only_under_tests():
    assert settings.TESTING is True
    assert settings.HUEY["immediate"] is True


def test_sqlite_takes_the_write_lock_at_begin():
    options = project_settings._database("sqlite:////tmp/x.sqlite3")["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "busy_timeout" in options["init_command"]


def test_database_url_for_postgresql():
    config = project_settings._database("postgres://u:p@db.example:5433/medservice")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example", 5433, "medservice")
    assert "transaction_mode" not in config.get("OPTIONS", {})


def _import_settings(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    clean |= {"MEDSERVICE_VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-c", "import medservice.settings as s; print(len(s.SECRET_KEY))"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"ALLOWED_HOSTS": "example.org"}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 50}, "ALLOWED_HOSTS"),
    ],
    ids=["no-secret-key", "no-allowed-hosts"],
)
def test_production_refuses_to_start_without(tmp_path, env, missing):
    result = _import_settings(tmp_path, MEDSERVICE_ENV="production", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_embedded_default_generates_and_keeps_a_secret_key(tmp_path):
    first = _import_settings(tmp_path, MEDSERVICE_ENV="")
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "secret_key"
    key = key_file.read_text()
    assert len(key) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    second = _import_settings(tmp_path, MEDSERVICE_ENV="")
    assert second.returncode == 0
    assert key_file.read_text() == key


def test_debug_mode_starts(tmp_path):
    """``DEBUG=1`` starts (issue 10 §12). With DEBUG on, Django checks that every signal
    receiver accepts keyword arguments as it connects them, which a wrapped receiver hid."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    env |= {"MEDSERVICE_VAR_DIR": str(tmp_path), "MEDSERVICE_ENV": "", "DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
