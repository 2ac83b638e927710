"""Checking a return-visit sheet as given (a form or the API) before anything is written:
each function adds its messages to ``errors`` under the field's path (``devices.2.state``)
and returns the cleaned value. An empty row of a form is skipped, keeping the indexes of the
rows given, so an error names the row the person sees."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from assets.models import Device

from .models import DeviceState, FindingKind, ReturnVisit

MAX_TEXT = 5000
MAX_NAME = 100
MAX_NOTE = 500
MAX_PARTICIPANTS = 30
MAX_FINDINGS = 100


def clean_text(value: Any, *, limit: int, key: str, errors: dict[str, str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[key] = _("Give a text.")
        return ""
    text = value.strip()
    if len(text) > limit:
        errors[key] = _("At most %(limit)s characters.") % {"limit": limit}
    return text


def device_pk(value: Any) -> int | None:
    if isinstance(value, Device):
        return value.pk
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def list_rows(value: Any, key: str, errors: dict[str, str]) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        errors[key] = _("Give a list.")
        return []
    rows = list(value)
    for n, row in enumerate(rows):
        if not isinstance(row, Mapping):
            errors[f"{key}.{n}"] = _("Give an object.")
    return [row if isinstance(row, Mapping) else {} for row in rows]


def participants_clean(value: Any, errors: dict[str, str]) -> list[dict[str, str]]:
    rows = list_rows(value, "participants", errors)
    clean = []
    for n, row in enumerate(rows):
        name = clean_text(
            row.get("name"), limit=MAX_NAME, key=f"participants.{n}.name", errors=errors
        )
        role = clean_text(
            row.get("role"), limit=MAX_NAME, key=f"participants.{n}.role", errors=errors
        )
        if not name and not role:
            continue  # an empty row of a form
        if not name:
            errors[f"participants.{n}.name"] = _("Give the participant's name.")
        clean.append({"name": name, "role": role})
    if len(clean) > MAX_PARTICIPANTS:
        errors["participants"] = _("At most %(n)s participants.") % {"n": MAX_PARTICIPANTS}
    elif not clean and not any(k.startswith("participants") for k in errors):
        errors["participants"] = _("Name at least one of the department's people who took part.")
    return clean


def devices_clean(
    value: Any, department_ids: set[int], expected: dict[int, Device], errors: dict[str, str]
) -> list[dict[str, Any]]:
    rows = list_rows(value, "devices", errors)
    clean: list[dict[str, Any]] = []
    seen: set[int] = set()
    for n, row in enumerate(rows):
        device_id = device_pk(row.get("device"))
        if device_id is None or device_id not in department_ids:
            errors[f"devices.{n}.device"] = _("This is not a device of the department.")
        elif device_id in seen:
            errors[f"devices.{n}.device"] = _("This device is listed twice.")
        else:
            seen.add(device_id)
        state = row.get("state")
        if state not in DeviceState.values:
            errors[f"devices.{n}.state"] = _("Choose normal, needs attention or out of service.")
        note = clean_text(row.get("note"), limit=MAX_NOTE, key=f"devices.{n}.note", errors=errors)
        clean.append({"device": device_id, "state": state, "note": note})
    missing = [device for pk, device in expected.items() if pk not in seen]
    if missing and not any(k.startswith("devices.") for k in errors):
        errors["devices"] = _(
            "Give the state of every device of the department; missing: %(devices)s."
        ) % {"devices": ", ".join(f"{d.product_model.name} {d.serial_number}" for d in missing)}
    return clean


def findings_clean(
    value: Any, department_ids: set[int], errors: dict[str, str]
) -> list[dict[str, Any]]:
    rows = list_rows(value, "findings", errors)
    clean: list[dict[str, Any]] = []
    for n, row in enumerate(rows):
        key = f"findings.{n}"
        description = clean_text(
            row.get("description"), limit=MAX_TEXT, key=f"{key}.description", errors=errors
        )
        device_given = row.get("device") not in (None, "")
        if not description and not device_given:
            continue  # an empty row of a form
        device_id = device_pk(row.get("device"))
        if device_id is None:
            errors[f"{key}.device"] = _("Choose the device.")
        elif device_id not in department_ids:
            errors[f"{key}.device"] = _("This is not a device of the department.")
        kind = row.get("kind") or FindingKind.FAULT
        if kind not in FindingKind.values:
            errors[f"{key}.kind"] = _("Choose a fault or a hidden risk.")
        if not description:
            errors[f"{key}.description"] = _("Describe what was found.")
        raise_request = row.get("raise_request", False)
        if not isinstance(raise_request, bool):
            errors[f"{key}.raise_request"] = _("Give true or false.")
        clean.append(
            {
                "device": device_id,
                "kind": kind,
                "description": description,
                "raise_request": raise_request is True,
            }
        )
    if len(clean) > MAX_FINDINGS:
        errors["findings"] = _("At most %(n)s findings.") % {"n": MAX_FINDINGS}
    return clean


def satisfaction_clean(value: Any, errors: dict[str, str]) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        errors["satisfaction"] = _("Give the department's satisfaction from 1 to 5.")
        return None
    return value


def visited_on_clean(
    value: Any, visit: ReturnVisit, today: date, errors: dict[str, str]
) -> date | None:
    if value in (None, ""):
        value = today
    if isinstance(value, str):
        value = parse_date(value)
    if isinstance(value, datetime) or not isinstance(value, date):
        errors["visited_on"] = _("Give the date of the visit.")
        return None
    # The visit of a month is made in that month: not before it (a February visit recorded
    # in December), not after it, and not in the future.
    if value > today:
        errors["visited_on"] = _("The date of the visit cannot be in the future.")
    elif not visit.window_start <= value <= visit.window_end:
        errors["visited_on"] = _(
            "The return visit of %(month)s is made between %(start)s and %(end)s."
        ) % {
            "month": visit.month.strftime("%Y-%m"),
            "start": visit.window_start.isoformat(),
            "end": visit.window_end.isoformat(),
        }
    return value
