"""An import of the parts catalogue between its steps (issue 5 §5): upload → check all
rows in the background → the user confirms → import in the background.

No table: a job is two files under ``MEDIA_ROOT/imports/`` named by a random token that
only the uploader's session holds — ``<token>.xlsx`` (the upload) and ``<token>.json``
(state, progress, report). Progress goes to the JSON file rather than Django's cache:
the cache is the per-process LocMemCache, and the web workers and the huey consumer are
separate processes (see docs/decisions.md). Files are deleted after the import, on
cancel, and by a sweep one hour after they were last touched.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import translation
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_task, periodic_task

from .services import validate_rows
from .workbook import ImportFileError, file_error_message, read_rows
from .write import ImportConflict, RowImportError, import_rows

SESSION_KEY = "parts_import_token"
EXPIRES_AFTER_SECONDS = 3600
MAX_ERRORS_SHOWN = 1000
MAX_UPDATES_SHOWN = 200
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
RUNNING = {"queued", "validating", "confirmed", "importing"}


def import_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _path(token: str, suffix: str) -> Path:
    if not TOKEN.match(token or ""):
        raise ValueError("bad import token")
    return import_dir() / f"{token}{suffix}"


def upload_path(token: str) -> Path:
    return _path(token, ".xlsx")


# --- state --------------------------------------------------------------------------------
def state_read(token: str | None) -> dict[str, Any] | None:
    if not token or not TOKEN.match(token):
        return None
    try:
        return json.loads(_path(token, ".json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def state_write(token: str, **changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into the job's state; written whole and renamed into place, so a
    reader never sees half a file."""
    state = state_read(token) or {}
    state.update(changes)
    target = _path(token, ".json")
    temporary = target.with_suffix(f".{secrets.token_hex(4)}.tmp")
    temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, target)
    return state


def _progress(token: str, phase: str) -> Any:
    def report(done: int, total: int) -> None:
        state_write(token, phase=phase, done=done, total=total)

    return report


def job_for(token: str | None, user) -> dict[str, Any] | None:
    """The job's state if it exists and belongs to ``user``."""
    state = state_read(token)
    if state is None or state.get("user_id") != user.pk:
        return None
    return state


def job_error(state: dict[str, Any]) -> str:
    """Why the job failed, in the current language when the reason has a code (a refused
    file), else as the worker worded it in the uploader's language."""
    code = state.get("error_code")
    if code:
        return file_error_message(code, state.get("error_params") or {})
    return str(state.get("error") or "")


def _refuse_file(token: str, exc: ImportFileError) -> None:
    """The file cannot be imported: say why, and keep only the state that says it."""
    upload_path(token).unlink(missing_ok=True)
    state_write(
        token, state="failed", error=exc.message, error_code=exc.code, error_params=exc.params
    )


def job_percent(state: dict[str, Any]) -> int:
    total = state.get("total") or 0
    return min(100, int(100 * (state.get("done") or 0) / total)) if total else 0


# --- steps --------------------------------------------------------------------------------
def job_start(*, upload: UploadedFile, user, language: str) -> str:
    """Keep the upload and queue the check of its rows. The web process does not open the
    workbook: a hostile file costs the worker's sandbox, never a web process (issue 10 §7)."""
    import_files_sweep.call_local()
    import_dir().mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    path = upload_path(token)
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    state_write(
        token,
        state="queued",
        phase="check",
        user_id=user.pk,
        file_name=upload.name,
        language=language,
        created_at=time.time(),
        done=0,
        total=0,
    )
    import_validate(token)
    return token


def job_claim(token: str) -> bool:
    """True once per job: a second click (or a second tab) cannot import twice."""
    try:
        os.close(os.open(_path(token, ".claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def job_confirm(*, token: str, only_good: bool) -> bool:
    if not job_claim(token):
        return False
    state_write(token, state="confirmed", phase="import", only_good=only_good, done=0, total=0)
    import_run(token)
    return True


def job_discard(token: str) -> None:
    for suffix in (".xlsx", ".json", ".claim"):
        _path(token, suffix).unlink(missing_ok=True)


def _report(results) -> dict[str, Any]:
    bad = [r for r in results if not r.ok]
    updates = [r for r in results if r.ok and r.existing_id and r.changes]
    return {
        "total": len(results),
        "good": len(results) - len(bad),
        "bad": len(bad),
        "creates": sum(1 for r in results if r.ok and not r.existing_id),
        "updates": len(updates),
        "unchanged": sum(1 for r in results if r.ok and r.existing_id and not r.changes),
        "errors": [r.as_report() for r in bad[:MAX_ERRORS_SHOWN]],
        "more_errors": max(0, len(bad) - MAX_ERRORS_SHOWN),
        "updated_rows": [r.as_report() for r in updates[:MAX_UPDATES_SHOWN]],
        "more_updates": max(0, len(updates) - MAX_UPDATES_SHOWN),
    }


def _check(token: str):
    rows = read_rows(upload_path(token))
    state_write(token, total=len(rows))
    return validate_rows(rows, progress=_progress(token, "check"))


@db_task()
def import_validate(token: str) -> None:
    state = state_read(token)
    if state is None or state.get("state") != "queued":
        return
    with translation.override(state.get("language") or settings.LANGUAGE_CODE):
        state_write(token, state="validating")
        try:
            results = _check(token)
        except ImportFileError as exc:
            _refuse_file(token, exc)
            return
        state_write(token, state="validated", report=_report(results))


@db_task()
def import_run(token: str) -> None:
    from accounts.models import User

    state = state_read(token)
    if state is None or state.get("state") != "confirmed":
        return
    with translation.override(state.get("language") or settings.LANGUAGE_CODE):
        user = User.objects.filter(pk=state.get("user_id") or 0, is_active=True).first()
        if user is None or not user.has_perm("parts.add_sparepart"):
            state_write(token, state="failed", error=_("You may not import parts."))
            return
        state_write(token, state="importing")
        try:
            results = _check(token)
            report = _report(results)
            if report["bad"] and not state.get("only_good"):
                # The catalogue changed since the check (a model was deleted, say): show the
                # new report and ask again rather than import something else than was shown.
                _path(token, ".claim").unlink(missing_ok=True)
                state_write(
                    token,
                    state="validated",
                    report=report,
                    notice=_("The catalogue changed since the check: review the rows again."),
                )
                return
            if not report["good"]:
                state_write(token, state="failed", error=_("No row can be imported."))
                return
            outcome = import_rows(
                results,
                user=user,
                reason=_("Imported from %(file)s") % {"file": state.get("file_name") or ""},
                progress=_progress(token, "import"),
            )
        except ImportFileError as exc:
            _refuse_file(token, exc)
            return
        except ImportConflict as exc:
            state_write(token, state="failed", error=exc.message)
            return
        except RowImportError as exc:
            state_write(
                token,
                state="failed",
                error=_("Row %(row)s: %(message)s Nothing was imported.")
                % {"row": exc.row, "message": exc.message},
            )
            return
        upload_path(token).unlink(missing_ok=True)
        state_write(
            token,
            state="done",
            result={
                "created": outcome.created,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
                "skipped": outcome.skipped,
            },
        )


@periodic_task(crontab(minute="*/15"))
def import_files_sweep() -> int:
    """Delete the files of every job untouched for an hour; returns how many jobs."""
    folder = import_dir()
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
