"""Settings from the environment (12-factor).

The embedded default needs nothing: SQLite under ``var/``, a generated secret key kept in
``var/secret_key``, an in-process SqliteHuey queue. Production mode (``MEDSERVICE_ENV=
production``) refuses to start without an explicit ``SECRET_KEY`` and ``ALLOWED_HOSTS``.

Variables: ``DATABASE_URL``, ``SECRET_KEY`` (or ``SECRET_KEY_FILE``), ``ALLOWED_HOSTS``
(comma-separated), ``DEBUG``, ``REDIS_URL`` (switches the queue to RedisHuey),
``MEDSERVICE_HUEY_NAME``, ``MEDSERVICE_ENV``, ``MEDSERVICE_VAR_DIR``, ``STATIC_ROOT``,
``MEDIA_ROOT``, ``EMAIL_HOST``/``EMAIL_PORT``/``EMAIL_TIMEOUT``, ``SITE_URL`` (absolute base
for QR labels), ``TIME_ZONE``; behind an HTTPS proxy in production: ``SECURE_SSL_REDIRECT``,
``SECURE_HSTS_SECONDS``, ``SECURE_HSTS_INCLUDE_SUBDOMAINS``, ``SECURE_HSTS_PRELOAD``,
``SECURE_PROXY_SSL_HEADER`` (README, "Running in production");
``LOGIN_FAILURE_LIMIT``/``LOGIN_LOCKOUT_MINUTES`` (failed logins before a lockout, and its
length), ``TRUSTED_PROXY_COUNT`` (reverse proxies in front of the app, for client addresses),
``EXPORT_INLINE_MAX_ROWS``/``EXPORT_KEEP_DAYS`` (list exports written at once, and how long the
worker's files are kept).
"""

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
import whitenoise.compress
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MEDSERVICE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = os.environ.get("MEDSERVICE_ENV", "").lower() == "production"
TESTING = "pytest" in sys.modules or os.environ.get("MEDSERVICE_TESTING") == "1"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    return number


def _secret_key() -> tuple[str, Path | None]:
    """The key, and the file it was read from (``manage.py backup`` archives that file; a
    key given in the environment is the environment's to keep)."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key, None
    if os.environ.get("SECRET_KEY_FILE"):
        key_file = Path(os.environ["SECRET_KEY_FILE"])
        if not key_file.is_file():
            raise ImproperlyConfigured(f"SECRET_KEY_FILE {key_file} does not exist.")
        return key_file.read_text().strip(), key_file
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set when MEDSERVICE_ENV=production."
        )
    # The embedded default keeps one generated key so sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip(), key_file


SECRET_KEY, SECRET_KEY_FILE = _secret_key()
DEBUG = _env_bool("DEBUG", default=False)

_hosts = os.environ.get("ALLOWED_HOSTS")
if PRODUCTION and not _hosts:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when MEDSERVICE_ENV=production.")
ALLOWED_HOSTS = [h.strip() for h in (_hosts or "127.0.0.1,localhost,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    # Listed so the interactive API docs use ninja's bundled Swagger UI, not a CDN.
    "ninja",
    "simple_history",
    "csp",
    "rules.apps.AutodiscoverRulesConfig",
    "huey.contrib.djhuey",
    "core",
    "accounts",
    "customers",
    "assets",
    "contracts",
    "service",
    "parts",
    "charges",
    "maintenance",
    "training",
    "agenda",
    "regimes",
    "return_visits",
    "notify",
    "duty",
    "archive",
    "search",
    "exports",
    "kpis",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed on a slow network (static files come compressed from whitenoise,
    # which answers before this). Django's gzip pads each response against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A NUL character is never text (after the user is known: its page has the site's menu).
    "core.middleware.RefuseNulMiddleware",
    # After the user is known: the same write sent twice is done once (API keys, form tokens).
    "accounts.middleware.IdempotencyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "core.middleware.TimezoneMiddleware",
    # Last, as axes asks: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "medservice.urls"
WSGI_APPLICATION = "medservice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "customers.context_processors.service_organisation",
                "notify.context_processors.inbox",
            ],
            # {% submission_token %} in every form that writes, without a {% load %}.
            "builtins": ["core.templatetags.submission"],
        },
    },
]

# Forms render with the project's templates too (templates/_form.html).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- database -------------------------------------------------------------------------
_SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on busy_timeout
    # instead of failing with "database is locked" halfway through a transaction.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
        "PRAGMA busy_timeout=20000;"
    ),
}


def _database(url: str) -> dj_database_url.DBConfig:
    config = dj_database_url.parse(url, conn_max_age=0 if TESTING else 60)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = dict(_SQLITE_OPTIONS)
    return config


_database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
if TESTING and os.environ.get("TEST_DATABASE_URL"):
    _database_url = os.environ["TEST_DATABASE_URL"]
DATABASES = {"default": _database(_database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any login (right password or not) of a locked-out account or address.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A reset link is good for a day: long enough for a slow hospital mailbox, short enough
# that an old e-mail found later opens nothing.
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60

# Failed logins (django-axes, attempts kept in the database so every gunicorn process sees
# them): after LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES, an account (from
# any address) and an address (for any account) are refused until the oldest of those
# failures is that old. Failures while locked out do not extend the lockout, so the page
# can say when to try again. The same store throttles wrong API bearer tokens per address.
AXES_FAILURE_LIMIT = _env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=_env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = "accounts.lockout.lockout_parameters"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A success must not wipe the failures: an attacker's own account would reset the count of
# the address and of every account tried from it.
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False  # one line per failure in the log, not the whole request
# Failed logins are security events: the log names the account and the address.
AXES_SENSITIVE_PARAMETERS: list[str] = []
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
# How many reverse proxies (each appending to X-Forwarded-For) stand in front of gunicorn;
# 0 takes the connection's address. Wrong here means every user shares the proxy's address.
TRUSTED_PROXY_COUNT = _env_int("TRUSTED_PROXY_COUNT", 0)
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- records -------------------------------------------------------------------------
# How long a device's records are kept after its end of service life (医疗器械监督管理条例:
# at least five years). Records are never deleted by the application (``core.retention``);
# this is the date the archive promises. At least 5: the regulation's minimum.
RECORD_RETENTION_YEARS = _env_int("RECORD_RETENTION_YEARS", 5, minimum=5)

# --- i18n and time --------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Storage is UTC; this is only the zone pages fall back to when no hospital's zone applies.
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
DEFAULT_HOSPITAL_TIME_ZONE = "Asia/Shanghai"

# --- static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Production and `make run` (MEDSERVICE_STATIC_COLLECTED=1, after its collectstatic) serve
# what `manage.py collectstatic` put in STATIC_ROOT: hashed names (cached for ever by
# browsers) and their gzip/brotli copies, which a hospital's slow network needs. The tests
# and `runserver` serve straight from the finders: no collectstatic step, edits show at once.
STATIC_COLLECTED = PRODUCTION or (
    not TESTING and _env_bool("MEDSERVICE_STATIC_COLLECTED", default=False)
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_COLLECTED
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED
# Source maps are fetched by a developer's tools only; compressing the API docs' 10 MB of
# them would double the time collectstatic takes.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    *whitenoise.compress.Compressor.SKIP_COMPRESS_EXTENSIONS,
    "map",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- background jobs ------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        # The queue's key prefix in Redis: two installations sharing one Redis need two names.
        "name": os.environ.get("MEDSERVICE_HUEY_NAME", "medservice"),
        "url": REDIS_URL,
        "immediate": TESTING,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "medservice",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        # Tests run tasks inline; a real deployment never does (GUIDE: no immediate mode).
        "immediate": TESTING,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
# The heartbeat task runs every minute: three missed beats make /healthz fail.
WORKER_HEARTBEAT_STALE_AFTER_SECONDS = 180
# The outbox (core.outbox): a delivery that raises waits 30 s, 1 min, 2 min … at most an
# hour before its next try, and is "failed" (still listed in the admin) after 10 tries,
# about three hours; delivered events are kept for a month.
OUTBOX_MAX_ATTEMPTS = 10
OUTBOX_RETRY_BASE_SECONDS = 30
OUTBOX_RETRY_CAP_SECONDS = 3600
OUTBOX_KEEP_DAYS = 30

# --- mail -----------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "medservice@localhost")
# The outbox sends each e-mail inside the transaction that marks it sent; on SQLite that
# transaction holds the write lock, so a mail server that does not answer must not hold it
# for ever (Django's default is no timeout at all).
EMAIL_TIMEOUT = _env_int("EMAIL_TIMEOUT", 10, minimum=1)
if not PRODUCTION and not os.environ.get("EMAIL_HOST"):
    # Without a mail server (`make run`, development) each message is a file under var/mail.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# --- channels and webhooks (notify) ---------------------------------------------------------
# A delivery that fails (a robot answering 500, SMTP refusing) is tried again after 30 s,
# 1 min, 2 min … at most an hour, CHANNEL_MAX_ATTEMPTS times; a webhook for 24 hours.
CHANNEL_MAX_ATTEMPTS = _env_int("CHANNEL_MAX_ATTEMPTS", 10, minimum=1)
CHANNEL_RETRY_BASE_SECONDS = 30
CHANNEL_RETRY_CAP_SECONDS = 3600
CHANNEL_HTTP_TIMEOUT = _env_int("CHANNEL_HTTP_TIMEOUT", 10, minimum=1)
WEBHOOK_RETRY_BASE_SECONDS = 60
WEBHOOK_RETRY_CAP_SECONDS = 3600
WEBHOOK_RETRY_HOURS = 24
# Internal hosts or networks that robots, the SMS gateway and webhooks may call anyway
# (comma-separated names or CIDRs, e.g. "10.1.0.0/16,sms.intranet"); none by default.
WEBHOOK_ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("WEBHOOK_ALLOWED_HOSTS", "").split(",") if h.strip()
]

# --- API ------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

# --- security -------------------------------------------------------------------------
# Every script, style sheet, font and image is served from static/ (no CDN), so the policy
# is our own origin. Scripts: no inline code, no eval (pages declare behaviour with data
# attributes, static/js/app.js runs it; htmx is told not to eval, see base.html). Styles:
# no inline <style> element, but style="…" attributes stay (Bootstrap progress bars and
# widths computed by the server), which cannot run code. Images: data: for the drawn
# signatures (PNG data URLs) and blob: for photo previews. The API docs (ninja's Swagger UI,
# served from its static files) work under the same policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# A local probe (supervisor's operator, a load balancer) asks /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if PRODUCTION:
    # Defaults that make `manage.py check --deploy` silent; each can be changed behind a proxy.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a submission of the domain to the browsers' lists, hard to undo and
        # impossible for a hospital's internal host name: the operator's decision, not ours.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    # The header the HTTPS proxy sets (and strips from clients); empty when there is none.
    _proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto").strip()
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "filters": {"refusal_on_one_line": {"()": "core.log_filters.RefusalOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # A refusal (403) is one line naming the user and the path, not a traceback.
        "django.request": {"filters": ["refusal_on_one_line"]},
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint narrates every render step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Failures and lockouts are warnings; every successful login would be INFO noise.
        "axes": {"level": "WARNING"},
    },
}

APP_NAME = _("medservice")

# Exports (issue 14 §3): up to this many rows a list's file is written while the browser
# waits; above, by the worker, with a progress page. Finished files are kept this many days.
EXPORT_INLINE_MAX_ROWS = int(os.environ.get("EXPORT_INLINE_MAX_ROWS", "5000"))
EXPORT_KEEP_DAYS = int(os.environ.get("EXPORT_KEEP_DAYS", "7"))
