"""`make bench`, the engineer's "my jobs" page on a hospital's slow network (issue 12 §6):
bytes transferred on a cold load and first contentful paint, under Chromium's "Slow 4G".

    python -m bench.page_weight [--runs 5] [--layout collected|finders] [--user engineer1]
    (python -m bench --only page_weight)

The demo is served the way `make run` serves it: a fresh var directory (``migrate``,
``seed_demo``, ``collectstatic`` with ``MEDSERVICE_STATIC_COLLECTED=1``) and ``manage.py
serve`` (supervisord, gunicorn, huey) on a free port; ``--layout finders`` serves the static
files as before issue 12 (straight from the finders, uncompressed, a 60-second cache), for
comparison. Playwright drives Debian's chromium: log in as the demo engineer, then for each
run a new page with the browser's cache cleared and the network throttled through the Chrome
DevTools Protocol (``Network.emulateNetworkConditions``) to DevTools' "Slow 4G" preset
(``SLOW_4G`` below), and load ``/my-jobs/``:

- transferred: the sum of ``encodedDataLength`` of every response of the load (bodies as
  sent, compressed or not, with their headers), from ``Network.loadingFinished``;
- first contentful paint: the ``first-contentful-paint`` entry of the page's Performance
  timeline (milliseconds from the start of the navigation).

Not a test: nothing here asserts a time (the budget is 150 KB and 1.5 s); the figures go
into docs/benchmarks.md by hand with the machine and the date.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PAGE = "/my-jobs/"

# Chrome DevTools' "Slow 4G" throttling preset (called "Fast 3G" until May 2024; the
# numbers did not change): ChromeDevTools/devtools-frontend, front_end/core/sdk/
# NetworkManager.ts, ``Slow4GConditions``: download 1.6 Mbit/s × 0.9, upload 750 kbit/s
# × 0.9 (bytes per second below), latency 150 ms × 3.75 (the added round trip of every
# request).
SLOW_4G = {
    "offline": False,
    "downloadThroughput": 1.6 * 1000 * 1000 / 8 * 0.9,  # 180,000 B/s
    "uploadThroughput": 750 * 1000 / 8 * 0.9,  # 84,375 B/s
    "latency": 150 * 3.75,  # 562.5 ms
}
# What the page may cost (issue 12 §6).
BUDGET_BYTES = 150 * 1000
BUDGET_FCP_MS = 1500


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(var_dir: Path, layout: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MEDSERVICE_", "PYTEST_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "STATIC_ROOT", "MEDIA_ROOT", "DEBUG"}
    }
    env |= {"MEDSERVICE_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}
    if layout == "collected":
        env["MEDSERVICE_STATIC_COLLECTED"] = "1"
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _wait_for(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10):  # noqa: S310 (our own server)
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _load(context, base: str) -> tuple[int, float, float, dict[str, int]]:
    """One cold load of PAGE under Slow 4G: (bytes transferred, FCP in ms, the HTML's first
    byte in ms, bytes by path)."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}

    def sent(event):
        if event["request"]["url"].startswith("http"):  # not the CSS's data: images
            urls[event["requestId"]] = event["request"]["url"]

    def finished(event):
        url = urls.get(event["requestId"])
        if url is None:
            return
        path = url.split("//", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
        sizes["/" + path] = sizes.get("/" + path, 0) + int(event["encodedDataLength"])

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    page.goto(base + PAGE, wait_until="load")
    page.wait_for_timeout(1000)  # late requests (the icon font, the favicon)
    fcp, first_byte = page.evaluate(
        "() => [(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime,"
        " performance.getEntriesByType('navigation')[0].responseStart]"
    )
    page.close()
    return sum(sizes.values()), float(fcp or 0), float(first_byte or 0), sizes


def measure(*, runs: int = 5, layout: str = "collected", user: str = "engineer1") -> dict:
    import django
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medservice.settings")
    django.setup()  # only to read the demo's password; the server is its own process
    from demo.catalogue import DEMO_PASSWORD

    with tempfile.TemporaryDirectory(prefix="bench-page-weight-") as scratch:
        var_dir = Path(scratch) / "var"
        env = _environment(var_dir, layout)
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "seed_demo", "--once")
        if layout == "collected":
            _manage(env, "collectstatic", "--noinput", "-v", "0")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_for(base + "/accounts/login/")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM)
                context = browser.new_context(
                    viewport={"width": 390, "height": 844},
                    device_scale_factor=3,
                    is_mobile=True,
                    has_touch=True,
                    locale="zh-CN",
                )
                login = context.new_page()
                login.goto(base + "/accounts/login/")
                login.fill("input[name=username]", user)
                login.fill("input[name=password]", DEMO_PASSWORD)
                login.click("button[type=submit]")
                login.wait_for_url(lambda url: "/accounts/login/" not in url)
                login.close()
                loads = [_load(context, base) for _ in range(runs)]
                browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=120)
    transferred = [load[0] for load in loads]
    paints = [load[1] for load in loads]
    return {
        "layout": layout,
        "runs": runs,
        "transferred_bytes": int(statistics.median(transferred)),
        "fcp_ms": statistics.median(paints),
        "fcp_ms_max": max(paints),
        "first_byte_ms": statistics.median(load[2] for load in loads),
        "by_path": loads[-1][3],
    }


def report(figures: dict) -> list[str]:
    kb = figures["transferred_bytes"] / 1000
    lines = [
        f"my jobs, cold, Slow 4G, static {figures['layout']} "
        f"(median of {figures['runs']}): {kb:.1f} kB transferred "
        f"(budget {BUDGET_BYTES / 1000:.0f}), first contentful paint "
        f"{figures['fcp_ms']:.0f} ms (max {figures['fcp_ms_max']:.0f}; budget {BUDGET_FCP_MS}), "
        f"the page's first byte at {figures['first_byte_ms']:.0f} ms",
    ]
    for path, size in sorted(figures["by_path"].items(), key=lambda item: -item[1]):
        lines.append(f"    {size / 1000:7.1f} kB  {path}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--layout", choices=["collected", "finders"], default="collected")
    parser.add_argument("--user", default="engineer1")
    args = parser.parse_args()
    print(f"{platform.node()} · {os.cpu_count()} cores · {platform.python_version()}", flush=True)
    for line in report(measure(runs=args.runs, layout=args.layout, user=args.user)):
        print(line, flush=True)


if __name__ == "__main__":
    main()
