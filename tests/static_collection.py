"""``collectstatic`` once for the tests that serve the collected files.

The production and process-layout tests serve what ``collectstatic`` leaves (hashed names,
brotli and gzip copies): ten seconds of both cores each time, and each file collected it
on each database run. The collection is the same for all of them, so it is built once,
under ``var/test-templates/static-<hash>`` (``make clean`` removes it), named by a hash of
the static sources, ``uv.lock`` (the packages' own static files), the settings and this
module; a collection of older sources is removed. The tests only read it.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from .database_template import _locked, template_directory
from .served import manage

BASE_DIR = Path(__file__).resolve().parent.parent


def _sources_key() -> str:
    digest = hashlib.sha256()
    directories = [BASE_DIR / "static", *BASE_DIR.glob("[!.]*/static")]
    files = sorted(p for d in directories for p in d.rglob("*") if p.is_file())
    files += [BASE_DIR / "uv.lock", BASE_DIR / "medservice" / "settings.py", Path(__file__)]
    for path in files:
        digest.update(str(path.relative_to(BASE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def collected_static(env: dict[str, str]) -> Path:
    """The collected static files of the current sources; ``env`` is the environment the
    collection runs in (its ``STATIC_ROOT`` is replaced)."""
    directory = template_directory()
    target = directory / f"static-{_sources_key()}"
    with _locked("static"):
        if not (target / "staticfiles.json").exists():
            building = target.with_name(target.name + ".building")
            shutil.rmtree(building, ignore_errors=True)
            manage({**env, "STATIC_ROOT": str(building)}, "collectstatic", "--noinput", "-v", "0")
            shutil.rmtree(target, ignore_errors=True)
            building.rename(target)
        for stale in directory.glob("static-*"):
            if stale != target:
                shutil.rmtree(stale, ignore_errors=True)
    return target
