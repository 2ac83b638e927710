"""Settings from the environment (issue 2 §1): what the test run relies on, and production
mode refusing to start without its secrets."""

from __future__ import annotations

import os
import secrets
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


def _production(tmp_path, *command, **env):
    # Not the suite's own switches: conftest allows async-unsafe ORM calls for Playwright.
    test_only = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG", "DATABASE_URL", "REDIS_URL"}
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("SECURE_") and k not in test_only
    }
    clean |= {
        "MEDSERVICE_VAR_DIR": str(tmp_path),
        "MEDSERVICE_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "service.example.org",
        **env,
    }
    return subprocess.run(
        [sys.executable, *command],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_silent_in_production(tmp_path):
    """Production defaults pass Django's deployment checklist without a warning (issue 10
    §2): HTTPS redirect, HSTS, secure cookies, the proxy's HTTPS header."""
    result = _production(tmp_path, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_https_settings_follow_the_environment_behind_a_proxy(tmp_path):
    show = (
        "import medservice.settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_PROXY_SSL_HEADER, s.SECURE_REDIRECT_EXEMPT)"
    )
    defaults = _production(tmp_path, "-c", show)
    assert defaults.returncode == 0, defaults.stderr
    assert defaults.stdout.split() == [
        "True", "31536000", "True", "('HTTP_X_FORWARDED_PROTO',", "'https')", "['^healthz$']"
    ]  # fmt: skip
    changed = _production(
        tmp_path,
        "-c",
        show,
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="no",
        SECURE_PROXY_SSL_HEADER="X-Scheme",
    )
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.split()[:5] == ["False", "600", "False", "('HTTP_X_SCHEME',", "'https')"]
