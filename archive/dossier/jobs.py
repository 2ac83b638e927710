"""A big dossier is made by the worker (a hospital's year took minutes of WeasyPrint on the
two-core machine: 3,000 timeline rows in 92 s). The request that asks for it queues a job
and shows "preparing…"; the page polls until the file is there.

No table: a job is files under ``MEDIA_ROOT/dossiers/`` named by a random token,
``<token>.json`` (who asked, for what, the state) and ``<token>.pdf`` / ``.zip`` (the
file), like the catalogue import's jobs. Only the user who asked may read either (another
user's token is a 404). Files untouched for an hour are swept.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import time
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_task, periodic_task

from accounts.models import User
from assets.models import Device
from customers.models import Hospital

from ..filters import hospital_subject
from .collect import collect_dossier
from .forms import ZIP
from .package import dossier_zip
from .pdf import dossier_pdf

logger = logging.getLogger(__name__)
EXPIRES_AFTER_SECONDS = 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def dossier_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "dossiers"


def _path(token: str, suffix: str) -> Path:
    if not TOKEN.match(token or ""):
        raise ValueError("bad dossier token")
    return dossier_dir() / f"{token}{suffix}"


def file_path(token: str, state: dict[str, Any]) -> Path:
    return _path(token, ".zip" if state.get("shape") == ZIP else ".pdf")


def state_read(token: str | None) -> dict[str, Any] | None:
    if not token or not TOKEN.match(token):
        return None
    try:
        return json.loads(_path(token, ".json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _state_write(token: str, **changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into the job's state, written whole and renamed into place."""
    state = state_read(token) or {}
    state.update(changes)
    target = _path(token, ".json")
    temporary = target.with_suffix(f".{secrets.token_hex(4)}.tmp")
    temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, target)
    return state


def job_for(token: str | None, user) -> dict[str, Any] | None:
    """The job's state if it exists and ``user`` asked for it."""
    state = state_read(token)
    if state is None or state.get("user_id") != user.pk:
        return None
    return state


def job_start(
    *,
    user,
    whose: str,
    pk: int,
    first_day: date | None,
    last_day: date | None,
    shape: str,
    file_name: str,
    language: str,
) -> str:
    """Queue the dossier of device or hospital ``pk`` for ``user``; answers the token."""
    dossier_files_sweep.call_local()
    dossier_dir().mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    _state_write(
        token,
        state=QUEUED,
        user_id=user.pk,
        whose=whose,
        pk=pk,
        first_day=first_day.isoformat() if first_day else None,
        last_day=last_day.isoformat() if last_day else None,
        shape=shape,
        file_name=file_name,
        language=language,
        created_at=time.time(),
    )
    dossier_make(token)
    return token


@db_task()
def dossier_make(token: str) -> None:
    state = state_read(token)
    if state is None or state.get("state") != QUEUED:
        return
    _state_write(token, state=RUNNING)
    with translation.override(state.get("language") or settings.LANGUAGE_CODE):
        try:
            _make(token, state)
        except ValidationError as exc:  # the data changed since the request: say why
            _state_write(token, state=FAILED, error=" ".join(exc.messages))
        except Exception:
            logger.exception("Dossier %s failed", token)
            _state_write(token, state=FAILED, error="")
        else:
            _state_write(token, state=DONE)


def _make(token: str, state: dict[str, Any]) -> None:
    user = User.objects.get(pk=state["user_id"])  # scoped as the user who asked, now
    first_day = date.fromisoformat(state["first_day"]) if state["first_day"] else None
    last_day = date.fromisoformat(state["last_day"]) if state["last_day"] else None
    if state["whose"] == "device":
        device = (
            Device.objects.for_user(user)
            .select_related("hospital", "product_model", "department")
            .get(pk=state["pk"])
        )
        dossier = collect_dossier(
            visible_to=user, device=device, first_day=first_day, last_day=last_day
        )
    else:
        hospital = Hospital.objects.for_user(user).get(pk=state["pk"])
        subject = hospital_subject(hospital, visible_to=user)
        dossier = collect_dossier(
            visible_to=user, subject=subject, first_day=first_day, last_day=last_day
        )
    target = file_path(token, state)
    temporary = target.with_suffix(f".{secrets.token_hex(4)}.tmp")
    with temporary.open("wb") as out:
        if state["shape"] == ZIP:
            dossier_zip(dossier, out)
        else:
            dossier_pdf(dossier, out)
    os.replace(temporary, target)


@periodic_task(crontab(minute="*/15"))
def dossier_files_sweep() -> int:
    """Delete the files of every job untouched for an hour; answers how many jobs."""
    folder = dossier_dir()
    if not folder.is_dir():
        return 0
    newest: dict[str, float] = {}
    for path in folder.iterdir():
        token = path.name.split(".", 1)[0]
        if not TOKEN.match(token):
            continue
        try:
            newest[token] = max(newest.get(token, 0.0), path.stat().st_mtime)
        except FileNotFoundError:
            continue
    cutoff = time.time() - EXPIRES_AFTER_SECONDS
    expired = [token for token, mtime in newest.items() if mtime < cutoff]
    for token in expired:
        for path in folder.glob(f"{token}.*"):
            path.unlink(missing_ok=True)
    return len(expired)
