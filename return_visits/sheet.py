"""The return-visit sheet (设备回访单, R-7.1): record it while it is not signed by both
sides, sign it on screen (the vendor's engineer and the hospital's representative, in
either order), freeze it when both have signed, and archive its PDF.

Everything given is checked before anything is written; a ``ValidationError`` names the
field by its path (``devices.2.state``), which the API reports as
``["body", "devices", 2, "state"]``. A change of content after a signature withdraws it
(each side signs what is written), and a fault or hidden risk that raised a service request
stays on the sheet: the request exists.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from assets.models import Device
from core.errors import Conflict
from core.signing import SignatureRole, SignedDocument
from core.signing import workflow as signing
from service.models import Channel, Severity
from service.services import service_request_open

from .models import (
    FindingKind,
    ReturnVisit,
    ReturnVisitDeviceCheck,
    ReturnVisitFinding,
    ReturnVisitParticipant,
    ReturnVisitSignature,
    ReturnVisitState,
)
from .rules import is_return_visit_customer
from .selectors import department_devices, sheet_content
from .sheet_input import (
    MAX_NAME,
    MAX_TEXT,
    clean_text,
    devices_clean,
    findings_clean,
    participants_clean,
    satisfaction_clean,
    visited_on_clean,
)

logger = logging.getLogger(__name__)


# --- the kind of document -----------------------------------------------------------------
class ReturnVisitSheet(SignedDocument[ReturnVisit]):
    """The sheet in the signing workflow: recorded first, then signed by the vendor's
    engineer and the hospital in either order; the second signature freezes it (state done)
    and archives its PDF."""

    key = "return_visit_sheet"
    model = ReturnVisit
    roles = (SignatureRole.ENGINEER, SignatureRole.HOSPITAL)
    pdf_field = "pdf"
    frozen_message = gettext_lazy("Both sides have signed this sheet: it can no longer change.")

    def content(self, document: ReturnVisit) -> dict[str, Any]:
        return sheet_content(document)

    def missing(self, document: ReturnVisit) -> list[str]:
        return [] if document.is_recorded else [_("the return-visit sheet")]

    def is_frozen(self, document: ReturnVisit) -> bool:
        return document.is_frozen or document.state == ReturnVisitState.DONE

    def load(self, pk: Any) -> ReturnVisit:
        return ReturnVisit.objects.select_related("hospital", "department").get(pk=pk)

    def signatures(self, document: ReturnVisit) -> models.QuerySet[ReturnVisitSignature]:
        return document.signatures.all()

    def on_freeze(self, document: ReturnVisit, *, now: datetime, actor: Any) -> Iterable[str]:
        document.state = ReturnVisitState.DONE
        return ("state",)

    def pdf_bytes(self, document: ReturnVisit) -> bytes:
        from .pdf import sheet_pdf_bytes  # loads WeasyPrint: only when a PDF is made

        return sheet_pdf_bytes(document)

    def pdf_name(self, document: ReturnVisit) -> str:
        return f"return-visit-{document.month:%Y-%m}-{document.pk}.pdf"


RETURN_VISIT_SHEET = ReturnVisitSheet()


# --- helpers ------------------------------------------------------------------------------
def _require_open(visit: ReturnVisit) -> None:
    if visit.state == ReturnVisitState.CANCELLED:
        raise Conflict("cancelled", _("This return visit is cancelled."))
    signing.refuse_if_frozen(RETURN_VISIT_SHEET, visit)


def _request_description(visit: ReturnVisit, finding: dict[str, Any], day: date) -> str:
    facts = {
        "kind": FindingKind(finding["kind"]).label,
        "month": visit.month.strftime("%Y-%m"),
        "date": day.isoformat(),
        "description": finding["description"],
    }
    return _("%(kind)s found on the return visit of %(month)s (%(date)s): %(description)s") % facts


# --- writes -------------------------------------------------------------------------------
def return_visit_record(
    *,
    visit: ReturnVisit,
    user: User,
    participants: Iterable[Mapping[str, Any]],
    devices: Iterable[Mapping[str, Any]],
    satisfaction: int | None,
    findings: Iterable[Mapping[str, Any]] = (),
    training_given: str = "",
    comments: str = "",
    visited_on: date | str | None = None,
    now: datetime | None = None,
) -> ReturnVisit:
    """Write the sheet of a return visit that both sides have not signed yet.

    ``participants``: ``{"name", "role"}``, at least one. ``devices``: ``{"device", "state",
    "note"}`` for every device of the department (``state``: normal, attention,
    out_of_service). ``findings``: ``{"device", "kind", "description", "raise_request"}``; a
    line with ``raise_request`` opens a service request found on a visit, linked to the
    line. ``satisfaction``: 1-5. ``visited_on``: default the hospital's today.
    """
    now = now or timezone.now()
    zone = ZoneInfo(visit.hospital.time_zone)
    today = timezone.localtime(now, zone).date()
    errors: dict[str, str] = {}
    department_ids = set(
        Device.objects.filter(department_id=visit.department_id).values_list("pk", flat=True)
    )
    expected = {d.pk: d for d in department_devices(visit.department)}
    clean_participants = participants_clean(participants, errors)
    clean_devices = devices_clean(devices, department_ids, expected, errors)
    clean_findings = findings_clean(findings, department_ids, errors)
    clean_satisfaction = satisfaction_clean(satisfaction, errors)
    training = clean_text(training_given, limit=MAX_TEXT, key="training_given", errors=errors)
    remarks = clean_text(comments, limit=MAX_TEXT, key="comments", errors=errors)
    day = visited_on_clean(visited_on, visit, today, errors)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        locked = (
            ReturnVisit.objects.select_for_update()
            .select_related("hospital", "department")
            .get(pk=visit.pk)
        )
        _require_open(locked)
        before = sheet_content(locked) if locked.is_recorded else None
        locked.visited_on = day
        locked.training_given = training
        locked.satisfaction = clean_satisfaction
        locked.comments = remarks
        locked.recorded_at = now
        locked.recorded_by = user
        locked.save(
            update_fields=[
                "visited_on",
                "training_given",
                "satisfaction",
                "comments",
                "recorded_at",
                "recorded_by",
                "updated_at",
            ]
        )
        locked.participants.all().delete()
        ReturnVisitParticipant.objects.bulk_create(
            [
                ReturnVisitParticipant(visit=locked, position=n, **row)
                for n, row in enumerate(clean_participants)
            ]
        )
        locked.device_checks.all().delete()
        ReturnVisitDeviceCheck.objects.bulk_create(
            [
                ReturnVisitDeviceCheck(
                    visit=locked, device_id=row["device"], state=row["state"], note=row["note"]
                )
                for row in clean_devices
            ]
        )
        raised = list(locked.findings.filter(request__isnull=False))
        locked.findings.filter(request__isnull=True).delete()
        position = max((f.position for f in raised), default=-1) + 1
        by_id = Device.objects.in_bulk({f["device"] for f in clean_findings if f["raise_request"]})
        for n, row in enumerate(clean_findings, start=position):
            request = None
            if row["raise_request"]:
                with translation.override(settings.LANGUAGE_CODE):
                    description = _request_description(locked, row, day or today)
                request = service_request_open(
                    device=by_id[row["device"]],
                    severity=Severity.NORMAL,
                    channel=Channel.VISIT,
                    description=description,
                    recorded_by=user,
                    reported_at=now,
                    now=now,
                )
            ReturnVisitFinding.objects.create(
                visit=locked,
                position=n,
                device_id=row["device"],
                kind=row["kind"],
                description=row["description"],
                request=request,
            )
        if before is not None:
            signing.withdraw_if_changed(RETURN_VISIT_SHEET, locked, before)
    visit.refresh_from_db()
    return visit


def return_visit_sign(
    *,
    visit: ReturnVisit,
    role: str,
    signer_name: str,
    signature_data_url: str,
    user: User,
    signer_role: str = "",
    now: datetime | None = None,
) -> ReturnVisitSignature:
    """A signature drawn on screen, as the vendor's engineer or the hospital's
    representative, in either order; signing again in the same role replaces the earlier
    signature. The second side's signature freezes the sheet (state done, content hash) and
    its PDF is archived after commit.

    The engineer signs on their own account. The hospital signs on a hospital user's own
    account, or on the engineer's device handed over: then ``signer_role`` (the signer's
    position) is required, the signer is not the vendor's own person, and the signature
    says it was given on the engineer's device."""
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if problem := signing.role_error(RETURN_VISIT_SHEET, role):
        errors["role"] = problem
    signer_name = signing.clean_signer_name(signer_name, errors, max_length=MAX_NAME)
    image = signing.signature_image(signature_data_url, errors)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        locked = (
            ReturnVisit.objects.select_for_update()
            .select_related("hospital", "department")
            .get(pk=visit.pk)
        )
        _require_open(locked)
        if not locked.is_recorded:
            raise Conflict("not_recorded", _("Record the sheet before signing it."))
        handed_over = signing.signer_side(
            RETURN_VISIT_SHEET,
            locked,
            role=role,
            user=user,
            vendor_staff=user.is_vendor_staff,
            own_hospital=is_return_visit_customer(user, locked),
            signer_name=signer_name,
            signer_role=signer_role,
        )
        signature = ReturnVisitSignature(
            visit=locked,
            role=role,
            signer_name=signer_name,
            signer_role=signer_role.strip() if handed_over else "",
            on_vendor_device=handed_over,
            user=None if handed_over else user,  # the signer has no account here
        )
        signing.add_signature(RETURN_VISIT_SHEET, locked, signature, image, now=now, actor=user)
    visit.refresh_from_db()
    return signature


def signature_matches(signature: ReturnVisitSignature) -> bool:
    """Does the stored hash still match the sheet and the image? (An audit check.)"""
    return signing.signature_matches(RETURN_VISIT_SHEET, signature)


def return_visit_pdf(*, visit: ReturnVisit) -> ReturnVisit:
    """Render the signed sheet (Chinese, the vendor's header) and archive it with the
    visit, replacing an earlier file. ``Conflict`` while both sides have not signed."""
    if not visit.is_frozen:
        raise Conflict("not_signed", _("The PDF is archived once both sides have signed."))
    return signing.archive_pdf(RETURN_VISIT_SHEET, visit)
