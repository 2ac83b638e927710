"""Real processes for the layout tests: `manage.py serve` (supervisord, gunicorn, huey) started
in a throwaway directory, its process tree read from /proc, and plain HTTP with urllib.

Waiting is polling with a generous deadline (a loaded machine is slow, never wrong); no test
asserts how long anything took.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
# The suite's own switches, never a served process's (conftest allows async-unsafe ORM
# calls for Playwright; the others would point the process at the suite's database/queue).
SUITE_ONLY = {
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "TEST_DATABASE_URL",
    "MEDSERVICE_TESTING",
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "ALLOWED_HOSTS",
    "MEDSERVICE_ENV",
    "MEDSERVICE_RUN_DIR",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "DEBUG",
    "PORT",
    "HOST",
}
# `manage.py shell -c` code that makes the worker's last heartbeat an hour old.
STALE_HEARTBEAT = (
    "import datetime as dt; from django.utils import timezone; "
    "from core.models import WorkerHeartbeat; "
    "WorkerHeartbeat.objects.update(beat_at=timezone.now() - dt.timedelta(hours=1))"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(var_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SUITE_ONLY and not k.startswith(("SECURE_", "MEDSERVICE_", "PYTEST_"))
    }
    env |= {"MEDSERVICE_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}
    return env | overrides


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run `manage.py ARGS` in the environment of the served layout; its stdout."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-3000:]}"
    return result.stdout


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except (OSError, http.client.HTTPException):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {timeout:.0f} s")
        time.sleep(0.2)


# --- a throwaway PostgreSQL database -------------------------------------------------------
def postgres_server_url() -> str:
    """The server the suite's PostgreSQL run uses, else the local one (user postgres)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url


def postgres_admin(url: str):
    import psycopg

    parts = urllib.parse.urlsplit(url)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password or "") or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=3,
    )


# --- processes ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    cmdline: str

    def alive(self) -> bool:
        """Still running as the same program (not a zombie, not a reused pid)."""
        current = read_proc(self.pid)
        return current is not None and current.cmdline == self.cmdline

    def started_at(self) -> float:
        """When the process started, as a Unix time (to 1/CLK_TCK of a second)."""
        ticks = int(Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + ticks / os.sysconf("SC_CLK_TCK")


def read_proc(pid: int) -> Proc | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    state, ppid = stat.rsplit(")", 1)[1].split()[:2]
    if state == "Z":
        return None
    return Proc(pid, int(ppid), raw.replace(b"\0", b" ").decode(errors="replace").strip())


def process_tree(root: int) -> list[Proc]:
    """``root`` and every process below it."""
    procs = [p for p in (read_proc(int(d)) for d in os.listdir("/proc") if d.isdigit()) if p]
    children: dict[int, list[Proc]] = {}
    for proc in procs:
        children.setdefault(proc.ppid, []).append(proc)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        if (node := read_proc(pid)) is not None:
            tree.append(node)
        todo.extend(child.pid for child in children.get(pid, []))
    return tree


# --- HTTP ---------------------------------------------------------------------------------
@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Browser:
    """Plain HTTP to 127.0.0.1:PORT, as the HTTPS proxy would forward it (`https=True` adds
    its ``X-Forwarded-Proto``), with a cookie jar and no redirects followed."""

    port: int
    https: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        all_headers = {"Accept-Language": "en", **self.headers, **(headers or {})}
        if self.https:
            all_headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            raw = connection.getresponse()
            response = Response(raw.status, dict(raw.getheaders()), raw.read())
            for name, value in raw.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
        finally:
            connection.close()
        return response

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return self.request("POST", path, body, **kwargs)

    def log_in(self, username: str, password: str) -> None:
        self.get("/accounts/login/")
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf}
        ).encode()
        scheme = "https" if self.https else "http"
        response = self.post(
            "/accounts/login/",
            form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"{scheme}://127.0.0.1:{self.port}/accounts/login/",
                "Host": f"127.0.0.1:{self.port}",
            },
        )
        assert response.status == 302, response.text[:2000]

    @property
    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")


# --- the served layout --------------------------------------------------------------------
@dataclass
class Served:
    """`manage.py serve` running: supervisord at ``pid`` (serve replaced itself with it)."""

    process: subprocess.Popen
    port: int
    env: dict[str, str]
    log: Path
    seen: set[Proc] = field(default_factory=set)

    @property
    def pid(self) -> int:
        return self.process.pid

    def browser(self, *, https: bool = False) -> Browser:
        return Browser(self.port, https=https)

    def tree(self) -> list[Proc]:
        tree = process_tree(self.pid)
        self.seen.update(tree)
        return tree

    def gunicorn_masters(self) -> list[Proc]:
        return [p for p in self.tree() if "gunicorn" in p.cmdline and p.ppid == self.pid]

    def gunicorn_workers(self) -> list[Proc]:
        masters = {p.pid for p in self.gunicorn_masters()}
        return [p for p in self.tree() if "gunicorn" in p.cmdline and p.ppid in masters]

    def huey_workers(self) -> list[Proc]:
        return [p for p in self.tree() if "run_worker" in p.cmdline and p.ppid == self.pid]

    def supervisorctl(self, *args: str) -> str:
        socket_path = Path(self.env["MEDSERVICE_VAR_DIR"]) / "run" / "supervisor.sock"
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "supervisor.supervisorctl",
                "-s",
                f"unix://{socket_path}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return result.stdout

    def healthz(self) -> Response:
        return self.browser().get("/healthz")

    def wait_healthy(self) -> dict[str, Any]:
        return wait_for(
            lambda: (r := self.healthz()).status == 200 and r.json(), "/healthz to answer 200"
        )

    def wait_workers_reported(self) -> None:
        """Every running worker has written its startup heartbeat, so none will write one
        later behind a test's back (a worker restarted by supervisord reports on start)."""

        def reported() -> bool:
            starts = [p.started_at() for p in self.huey_workers()]
            beat = self.healthz().json()["worker"]["last_heartbeat"]
            return (
                bool(starts)
                and beat is not None
                and (datetime.fromisoformat(beat).timestamp() >= max(starts))
            )

        wait_for(reported, "every worker's startup heartbeat")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.tree()
            self.process.send_signal(sig)
        return self.process.wait(timeout=120)

    def leftovers(self) -> list[Proc]:
        """Processes this layout started that still run after it stopped."""
        return [proc for proc in self.seen if proc.alive()]


@contextmanager
def served(env: dict[str, str], *serve_args: str) -> Iterator[Served]:
    """Start `manage.py serve` on a free port; stop it (SIGTERM) and kill what is left."""
    port = free_port()
    var_dir = Path(env["MEDSERVICE_VAR_DIR"])
    log = var_dir / "serve.log"
    env = env | {"PORT": str(port)}
    # Appending: supervisord's children write to the same file through their own descriptor.
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", *serve_args],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a stray signal to the suite never reaches it
        )
    layout = Served(process, port, env, log)
    try:
        wait_for(
            lambda: process.poll() is not None or layout.healthz().status,
            "the web process to answer",
        )
        assert process.poll() is None, layout.output()
        yield layout
    finally:
        try:
            layout.stop()
        except subprocess.TimeoutExpired:
            process.kill()
        for proc in layout.leftovers():
            os.kill(proc.pid, signal.SIGKILL)
