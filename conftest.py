"""Project-wide pytest setup. Factories live with each app (``<app>/tests/factories.py``)."""

import os
import uuid

import pytest

# Playwright drives the browser from an event loop in the test thread; Django's ORM guard
# would refuse the test's own queries there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Files that take minutes (real processes, hundreds of requests) go to the workers first, then
# the browser tests, then the rest: with `--dist loadfile` the two workers then end together
# instead of one of them running the fuzzing file alone at the end. xdist would send the
# files with the most tests first (one long test is last), so its reordering is turned off.
LONG_FILES = (
    "tests/test_api_fuzz.py",
    "tests/test_production.py",
    "tests/test_hostile_input.py",
    "tests/test_process_layout.py",
    "tests/test_permission_matrix.py",
)


def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist
        config.option.loadscopereorder = False


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        path = item.nodeid.partition("::")[0]
        if path in LONG_FILES:
            return LONG_FILES.index(path)
        return len(LONG_FILES) + (0 if "/test_browser" in path else 1)

    items.sort(key=rank)  # stable: each file keeps its own order
    if os.environ.get("TEST_DATABASE_URL") and not os.environ.get("MEDSERVICE_BROWSER_ON_PG"):
        # The browser tests run once, on SQLite: what they check is the page in Chromium;
        # the views' database work runs on PostgreSQL through the client tests, and a live
        # server's flush per test costs a PostgreSQL run minutes (docs/decisions.md).
        skip = pytest.mark.skip(reason="browser tests run on SQLite (MEDSERVICE_BROWSER_ON_PG=1)")
        for item in items:
            if item.nodeid.partition("::")[0].rpartition("/")[2].startswith("test_browser"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's fixture, except that each xdist worker's test database is a copy of
    one template migrated once per set of migrations (``tests/database_template.py``)
    instead of a replay of every migration by every worker."""
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    from tests import database_template

    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    verbosity = request.config.option.verbose
    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        if (
            django_db_use_migrations
            and not keepdb
            and database_template.template_supported(aliases)
        ):
            db_cfg = database_template.setup_databases_from_template(
                aliases,
                serialized_aliases,
                verbosity=verbosity,
                fresh_for_run=_run_id(request.config) if django_db_createdb else "",
            )
        else:  # --nomigrations, --reuse-db: pytest-django's own way
            if not django_db_use_migrations:
                _disable_migrations()
            db_cfg = setup_databases(
                verbosity=verbosity,
                interactive=False,
                aliases=aliases,  # type: ignore[arg-type]  # any collection of aliases works
                serialized_aliases=serialized_aliases,
                keepdb=keepdb,
            )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            database_template.end_stray_sessions(db_cfg)
            teardown_databases(db_cfg, verbosity=verbosity)


def _run_id(config) -> str:
    """The same for every xdist worker of one run."""
    workerinput = getattr(config, "workerinput", None)
    return workerinput["testrunuid"] if workerinput else uuid.uuid4().hex


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _data_migration_rows(request):
    """Rows that data migrations load (charge rules, SLA policies) are part of the schema's
    promise, but a transactional test flushes them, and xdist runs a file's tests together,
    so a later test of any kind may find them gone. Put them back before each database test;
    the loaders are idempotent and the check costs one query."""
    uses_db = request.node.get_closest_marker("django_db") or (
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not uses_db:
        return
    request.getfixturevalue("_django_db_helper")  # pytest-django's database access
    from tests.data_rows import reload_data_migration_rows

    reload_data_migration_rows()


@pytest.fixture(autouse=True)
def _english():
    """Tests read English messages; the zh-hans default is tested on purpose in
    ``tests/test_i18n.py`` and the browser tests (which ask for zh-CN)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """pytest-django's client, asking for English pages (see ``_english``)."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def _chromium():
    """Debian's chromium driven by Playwright (``playwright install`` cannot download)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield _SettlingBrowser(browser)
        browser.close()


class _SettlingBrowser:
    """The browser, whose contexts let their last requests finish before they close.

    A page loaded at the end of a test may still be fetching its htmx fragments
    (``hx-trigger="load"``). Closing the browser does not stop the live server's thread
    from serving them, and on SQLite that thread shares the test's connection: the
    teardown's flush and a request running at once broke the flush (a foreign key
    failed) and left rows behind for the next tests on that worker."""

    def __init__(self, browser):
        self._browser = browser

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        pending: set = set()
        context.on("request", lambda request: pending.add(request))
        context.on("requestfinished", lambda request: pending.discard(request))
        context.on("requestfailed", lambda request: pending.discard(request))
        close = context.close

        def settle_then_close(**close_options):
            for _ in range(100):  # at most 5 s; a page that never settles fails its test
                if not pending or not context.pages:
                    break
                context.pages[0].wait_for_timeout(50)
            close(**close_options)

        context.close = settle_then_close
        return context


@pytest.fixture
def phone_page(_chromium, live_server):
    """A 390-px-wide phone-sized page in zh-hans, pointed at the live server."""
    context = _chromium.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        base_url=live_server.url,
        has_touch=True,
    )
    page = context.new_page()
    violations = _csp_violations(page)
    yield page
    context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def desktop_page(_chromium, live_server):
    context = _chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    violations = _csp_violations(page)
    yield page
    context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"


def _csp_violations(page) -> list[str]:
    """What the browser refused under the Content-Security-Policy (an inline script or
    handler, eval, a style element, another origin): it says so on the console only, and
    the page then silently lacks that behaviour. Every browser test fails on one. (Give
    Playwright's ``wait_for_function`` a function, "() => …": a bare expression is eval'ed
    in the page, and the policy refuses that too.)"""
    found: list[str] = []

    def on_console(message) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or EVAL in text):
            found.append(f"{page.url}: {text}")

    page.on("console", on_console)
    # htmx, told not to eval (base.html), skips hx-on code and js-prefixed values without a word.
    page.add_init_script(
        "document.addEventListener('htmx:evalDisallowedError', function (event) {"
        f"  console.error('{EVAL}: ' + (event.target.outerHTML || '').slice(0, 200));"
        "});"
    )
    return found


EVAL = "htmx refused to eval"
