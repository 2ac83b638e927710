"""The process layout of ``deploy/supervisord.conf``, as the environment variables it reads.

One layout serves ``make run`` (the embedded defaults: one gunicorn master with two worker
processes, one huey consumer) and production (N web processes, M huey consumers): only the
numbers differ. ``manage.py serve`` builds the variables here and replaces itself with
supervisord.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

SUPERVISORD_CONFIG = Path(settings.BASE_DIR) / "deploy" / "supervisord.conf"

# The embedded defaults; each can be set in the environment or on `manage.py serve`.
DEFAULT_WEB_WORKERS = 2
DEFAULT_WEB_THREADS = 4
DEFAULT_HUEY_WORKERS = 1


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def default_run_dir() -> Path:
    """Where supervisord keeps its socket, pid and log: ``MEDSERVICE_RUN_DIR`` or var/run."""
    return Path(os.environ.get("MEDSERVICE_RUN_DIR") or Path(settings.VAR_DIR) / "run")


@dataclass(frozen=True)
class ProcessLayout:
    host: str
    port: int
    web_workers: int
    web_threads: int
    huey_workers: int
    run_dir: Path
    python: str = sys.executable

    def problems(self) -> list[str]:
        """Why this layout cannot run (empty when it can)."""
        found = []
        if not 0 < self.port < 65536:
            found.append(f"port {self.port} is not a TCP port")
        for name in ("web_workers", "web_threads", "huey_workers"):
            if getattr(self, name) < 1:
                found.append(f"{name.replace('_', ' ')} must be at least 1")
        return found

    @property
    def bind(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        return f"{host}:{self.port}"

    @property
    def socket(self) -> Path:
        return self.run_dir / "supervisor.sock"

    def environment(self) -> dict[str, str]:
        """The ``%(ENV_...)s`` values of deploy/supervisord.conf."""
        return {
            "MEDSERVICE_BIND": self.bind,
            "MEDSERVICE_WEB_WORKERS": str(self.web_workers),
            "MEDSERVICE_WEB_THREADS": str(self.web_threads),
            "MEDSERVICE_HUEY_WORKERS": str(self.huey_workers),
            "MEDSERVICE_RUN_DIR": str(self.run_dir),
            "MEDSERVICE_PYTHON": self.python,
        }

    def supervisord_command(self) -> list[str]:
        return [self.python, "-m", "supervisor.supervisord", "-c", str(SUPERVISORD_CONFIG)]
