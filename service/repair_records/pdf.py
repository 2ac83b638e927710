"""What the repair record shows, on its page and in its PDF: times in the hospital's zone,
corrections spelled out, signatures with their hashes. Reads only."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from assets.labels import qr_png
from core.signing import SignatureRole
from core.signing.pages import local_text, signature_row
from customers.services import service_organisation_get

from ..messages import event_label
from ..models import (
    FaultCause,
    RepairRecord,
    RepairRecordAmendment,
    RootCauseReport,
    ServiceEvent,
    ServiceRequest,
)
from ..sla import RESOLUTION_EVENTS
from ..timeline import EventType
from .services import REPAIR_RECORD, clean_parts, part_key


def zone_of(record: RepairRecord) -> ZoneInfo:
    return ZoneInfo(record.request.hospital.time_zone)


def parts_rows(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The one parts table of the record's page and PDF (issue 12 §2): stock issues and
    parts written by hand alike, one row per part (by name) with its total quantity and
    the serials of each unit replaced (removed → fitted), in the order first written."""
    try:
        lines = clean_parts(parts or [])
    except ValidationError:  # stored by an older rule: shown as it is
        lines = [dict(p, quantity=p.get("quantity") or 1) for p in parts or []]
    rows: dict[str, dict[str, Any]] = {}
    for line in lines:
        key = part_key(line)[0]
        row = rows.setdefault(key, {"name": line["name"], "quantity": 0, "serials": []})
        row["quantity"] += int(line["quantity"])
        if line.get("serial_removed") or line.get("serial_fitted"):
            row["serials"].append(
                {"removed": line.get("serial_removed", ""), "fitted": line.get("serial_fitted", "")}
            )
    return list(rows.values())


def parts_text(parts: list[dict[str, Any]]) -> str:
    lines = []
    for row in parts_rows(parts):
        serials = "; ".join(
            " → ".join(s for s in (pair["removed"], pair["fitted"]) if s) for pair in row["serials"]
        )
        text = f"{row['name']} ×{row['quantity']}"
        lines.append(f"{text} ({serials})" if serials else text)
    return "; ".join(lines)


def hours_text(hours: Any) -> str:
    """Labour hours with their unit (issue 12 §2): “2.5 小时”, “2.5 h”; no trailing zeros."""
    try:
        value = Decimal(str(hours if hours not in (None, "") else 0))
    except InvalidOperation:
        return str(hours)
    number = f"{value.normalize():f}" if value else "0"
    return _("%(hours)s h") % {"hours": number}


def field_label(name: str) -> str:
    return str(getattr(RepairRecord._meta.get_field(name), "verbose_name", name))


def display_value(name: str, value: Any, zone: ZoneInfo) -> str:
    """A content value (as stored in an amendment's JSON) for people."""
    if name == "fault_at":
        parsed = parse_datetime(value) if isinstance(value, str) else value
        return local_text(parsed, zone)
    if name == "parts_replaced":
        return parts_text(value)
    if name == "labor_hours":
        return hours_text(value)
    if name == "fault_cause":
        return str(FaultCause(value).label) if value in FaultCause.values else str(value)
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Change:
    label: str
    value: str


def amendment_changes(amendment: RepairRecordAmendment, zone: ZoneInfo) -> list[Change]:
    return [
        Change(field_label(name), display_value(name, value, zone))
        for name, value in amendment.changes.items()
    ]


def site_times(record: RepairRecord) -> dict[str, ServiceEvent | None]:
    """The arrival (first) and the resolution (last) of the request's timeline."""
    events = ServiceEvent.objects.filter(request=record.request).select_related("confirmation")
    events = events.order_by("occurred_at", "pk")
    arrived = events.filter(type=EventType.ARRIVED).first()
    resolved = events.filter(type__in=[str(t) for t in RESOLUTION_EVENTS]).last()
    return {"arrived": arrived, "resolved": resolved}


def arrivals(request: ServiceRequest, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Every arrival on site of the request's timeline, in order, with who arrived: the
    record shows them as the timeline has them (a correction is the timeline's)."""
    events = ServiceEvent.objects.filter(request=request, type=EventType.ARRIVED)
    rows = []
    for event in events.select_related("actor").order_by("occurred_at", "pk"):
        actor = event.actor
        rows.append(
            {
                "at": local_text(event.occurred_at, zone),
                "who": (actor.get_full_name() or actor.get_username()) if actor else "",
                "late": event.recorded_late,
            }
        )
    return rows


def request_facts(request: ServiceRequest) -> dict[str, Any]:
    """What the record page shows from the request before and beside the record (issue 12
    §2): the device, when it was reported and the symptom, the engineers' arrivals."""
    zone = ZoneInfo(request.hospital.time_zone)
    return {
        "device": request.device,
        "reported_at": local_text(request.reported_at, zone),
        "arrivals": arrivals(request, zone),
    }


def late_steps(record: RepairRecord, zone: ZoneInfo) -> list[dict[str, str]]:
    """The steps recorded late, with why and whether a manager confirmed them: the paper
    says so as plainly as the page."""
    events = ServiceEvent.objects.filter(request=record.request, recorded_late=True)
    rows = []
    for event in events.select_related("confirmation__confirmed_by").order_by("occurred_at"):
        confirmation = getattr(event, "confirmation", None)
        rows.append(
            {
                "step": event_label(event.type),
                "occurred_at": local_text(event.occurred_at, zone),
                "recorded_at": local_text(event.recorded_at, zone),
                "reason": event.late_reason,
                "confirmed": (
                    f"{confirmation.confirmed_by} {local_text(confirmation.confirmed_at, zone)}"
                    if confirmation
                    else ""
                ),
            }
        )
    return rows


def repair_record_context(record: RepairRecord, *, with_images: bool = True) -> dict[str, Any]:
    """Everything the record shows, its times already written in the hospital's zone."""
    zone = zone_of(record)
    request = record.request
    times = site_times(record)
    signatures = [
        signature_row(REPAIR_RECORD, s, zone, with_image=with_images)
        for s in REPAIR_RECORD.signatures(record).order_by("signed_at", "pk")
    ]
    amendments = []
    for amendment in record.amendments.select_related("author").order_by("created_at", "pk"):
        amendments.append(
            {
                "amendment": amendment,
                "created_at": local_text(amendment.created_at, zone),
                "author": amendment.author.get_full_name() or amendment.author.get_username(),
                "reason": amendment.reason,
                "changes": amendment_changes(amendment, zone),
                "content_hash": amendment.content_hash,
                "signatures": [
                    signature_row(REPAIR_RECORD, s, zone, with_image=with_images)
                    for s in amendment.signatures.order_by("signed_at", "pk")
                ],
            }
        )
    root_cause = RootCauseReport.objects.filter(request=request).first()
    return {
        **request_facts(request),
        "record": record,
        "service_request": request,
        "zone_name": request.hospital.time_zone,
        "fault_at": local_text(record.fault_at, zone),
        "arrived_at": local_text(times["arrived"].occurred_at if times["arrived"] else None, zone),
        "arrived_late": bool(times["arrived"] and times["arrived"].recorded_late),
        "resolved_at": local_text(
            times["resolved"].occurred_at if times["resolved"] else None, zone
        ),
        "resolved_late": bool(times["resolved"] and times["resolved"].recorded_late),
        "late_steps": late_steps(record, zone),
        "frozen_at": local_text(record.frozen_at, zone),
        "parts": parts_rows(record.parts_replaced or []),
        "labor_hours": hours_text(record.labor_hours),
        "signatures": signatures,
        "signature_roles": [(role, REPAIR_RECORD.role_label(role)) for role in REPAIR_RECORD.roles],
        "engineer_signed": any(s["signature"].role == SignatureRole.ENGINEER for s in signatures),
        "customer_signed": any(s["signature"].role == SignatureRole.HOSPITAL for s in signatures),
        "amendments": amendments,
        "root_cause": root_cause,
        "root_cause_explained_at": local_text(root_cause.explained_at, zone) if root_cause else "",
    }


def repair_record_pdf_bytes(record: RepairRecord) -> bytes:
    """The record as an A4 PDF in the vendor's language (the hospital's, zh-hans)."""
    from core.pdf import render_pdf  # loads WeasyPrint: only when a PDF is made

    number = record.request.number
    # The archived document does not depend on who clicked: the site's language and the
    # hospital's zone, whoever renders it (its words included, not only its template).
    with translation.override(settings.LANGUAGE_CODE), timezone.override(zone_of(record)):
        context = repair_record_context(record)
        context.update(
            {
                "organisation": service_organisation_get(),
                "qr": "data:image/png;base64,"
                + base64.b64encode(qr_png(number, scale=4, border=2)).decode("ascii"),
                "generated_at": local_text(timezone.now(), zone_of(record)),
            }
        )
        return render_pdf("records/repair_record_pdf.html", context)
