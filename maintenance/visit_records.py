"""The record of a visit (issue 4 §1, R-2.4): the checklist results, the photos, the
hospital's confirmation signature, and the service requests a failed item raises.

Signed means frozen (GUIDE 7): the signature stores the SHA-256 of what it vouches for (the
results, who did them and when, the photos), and nothing of a signed visit changes again.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, UnidentifiedImageError

from accounts.models import User
from assets.services import device_out_of_use_mark
from core.signing import SignatureRole, SignedDocument
from core.signing import workflow as signing
from service.models import Channel, Severity
from service.services import service_request_open

from . import notices
from .models import (
    ChecklistItemType,
    Visit,
    VisitFinding,
    VisitObligation,
    VisitPhoto,
    VisitState,
)
from .selectors import checklist_for

logger = logging.getLogger(__name__)


REQUIRED_TYPES = {ChecklistItemType.PASS_FAIL.value, ChecklistItemType.NUMBER.value}
PASS_VALUES = {True, "pass"}
FAIL_VALUES = {False, "fail"}


def _number(value: Any) -> int | float | None:
    """The reading as a finite number, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            return None
        if not parsed.is_finite():
            return None
        return int(parsed) if parsed == parsed.to_integral_value() else float(parsed)
    return None


def _within(item: dict[str, Any], value: int | float) -> bool:
    low, high = item.get("min"), item.get("max")
    return (low is None or value >= low) and (high is None or value <= high)


def _results_clean(
    checklist: list[dict[str, Any]], results: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each item's {"value", "ok", "note"}, or a ValidationError keyed by item."""
    errors: dict[str, str] = {}
    known = {item["key"] for item in checklist}
    unknown = sorted(str(key) for key in results if key not in known)
    if unknown:
        errors["results"] = _("Unknown checklist items: %(keys)s.") % {"keys": ", ".join(unknown)}
    cleaned: dict[str, dict[str, Any]] = {}
    for item in checklist:
        key, kind = item["key"], item["type"]
        given = results.get(key)
        entry = given if isinstance(given, dict) else {"value": given}
        value, note = entry.get("value"), str(entry.get("note") or "").strip()
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if kind in REQUIRED_TYPES:
                errors[key] = _("“%(label)s” is required.") % {"label": item["label"]}
            elif note:
                cleaned[key] = {"value": None, "ok": True, "note": note}
            continue
        if kind == ChecklistItemType.PASS_FAIL:
            normalised = value.lower() if isinstance(value, str) else value
            if normalised not in PASS_VALUES | FAIL_VALUES:
                errors[key] = _("“%(label)s”: choose pass or fail.") % {"label": item["label"]}
                continue
            cleaned[key] = {"value": normalised in PASS_VALUES, "ok": normalised in PASS_VALUES}
        elif kind == ChecklistItemType.NUMBER:
            number = _number(value)
            if number is None:
                errors[key] = _("“%(label)s” must be a number.") % {"label": item["label"]}
                continue
            cleaned[key] = {"value": number, "ok": _within(item, number)}
        else:
            cleaned[key] = {"value": str(value), "ok": True}
        cleaned[key]["note"] = note
    if errors:
        raise ValidationError(errors)
    return cleaned


def _limits(item: dict[str, Any]) -> str:
    low, high = item.get("min"), item.get("max")
    if low is not None and high is not None:
        return _("between %(min)s and %(max)s") % {"min": low, "max": high}
    if high is not None:
        return _("at most %(max)s") % {"max": high}
    return _("at least %(min)s") % {"min": low}


def _finding_description(
    visit: Visit, item: dict[str, Any], result: dict[str, Any], day: date
) -> str:
    facts = {
        "label": item["label"],
        "value": result["value"],
        "unit": item.get("unit") or "",
        "kind": visit.get_main_kind_display(),
        "date": day.isoformat(),
    }
    if item["type"] == ChecklistItemType.NUMBER:
        facts["limits"] = _limits(item)
        text = (
            _(
                "%(label)s: %(value)s %(unit)s, expected %(limits)s %(unit)s. "
                "Found on the %(kind)s of %(date)s."
            )
            % facts
        )
    else:
        text = _("%(label)s: failed. Found on the %(kind)s of %(date)s.") % facts
    if result.get("note"):
        text += " " + _("Note: %(note)s") % {"note": result["note"]}
    return " ".join(text.split())


def visit_content(visit: Visit) -> dict[str, Any]:
    """What the hospital's signature vouches for: the visit, who did it, when, the results,
    and the photos (by SHA-256) and the reason of a special inspection when there are any.
    Those two are left out when empty, so the hashes of records signed before they existed
    still match."""
    content: dict[str, Any] = {
        "visit": visit.key,
        "device": visit.device_id,
        "kinds": visit.kinds,
        "done_by": visit.done_by_id,
        "done_at": visit.done_at,
        "signer_name": visit.signer_name,
        "signed_at": visit.signed_at,
        "results": visit.results,
    }
    photos = sorted([photo.item_key, photo.sha256] for photo in visit.photos.all())
    if photos:
        content["photos"] = photos
    if visit.reason:
        content["reason"] = visit.reason
    return content


class VisitRecord(SignedDocument[Visit]):
    """The visit's record in the signing workflow: one signature, the hospital's, kept on the
    visit's row and given with the completion or later; it freezes the record."""

    key = "visit_record"
    model = Visit
    roles = (SignatureRole.HOSPITAL,)
    frozen_message = gettext_lazy("The hospital has signed this visit: it can no longer change.")

    def content(self, document: Visit) -> dict[str, Any]:
        return visit_content(document)

    def missing(self, document: Visit) -> list[str]:
        return [] if document.state == VisitState.DONE else [_("the visit's checklist results")]

    def is_frozen(self, document: Visit) -> bool:
        return document.is_signed

    def frozen_error(self, document: Visit) -> Exception:
        return ValidationError({"state": str(self.frozen_message)})


VISIT_RECORD = VisitRecord()


def visit_signature_matches(visit: Visit) -> bool:
    return bool(visit.signature_image) and signing.hash_matches(
        visit_content(visit), visit.signature_image, visit.content_hash
    )


SIGNATURE_FIELDS = ["signer_name", "signed_at", "content_hash", "signature_image"]


def _not_planned() -> ValidationError:
    return ValidationError({"state": _("Only a planned visit can be completed.")})


def _signature(
    signer_name: str, signature_data_url: str, errors: dict[str, str]
) -> tuple[str, bytes]:
    """The signer's name and the PNG of the signature, errors noted in ``errors``."""
    name = signing.clean_signer_name(
        signer_name, errors, missing=_("Give the name of the person signing for the hospital.")
    )
    return name, signing.signature_image(signature_data_url, errors)


def _apply_signature(visit: Visit, signer_name: str, image: bytes, now: datetime) -> None:
    """Sign ``visit`` (locked, done, with its results and photos): the hash binds them to the
    image. The caller stores the image (``signing.image_stored``) and saves
    ``SIGNATURE_FIELDS``."""
    visit.signer_name = signer_name
    visit.signed_at = now
    visit.content_hash = signing.signed_hash(VISIT_RECORD, visit, image)


def visit_complete(
    *,
    visit: Visit,
    user: User,
    results: dict[str, Any],
    signer_name: str = "",
    signature_data_url: str = "",
    raise_requests_for: Iterable[str] = (),
    now: datetime | None = None,
) -> Visit:
    """Record a planned visit as done: who, when, the checklist results; every obligation
    it covers is fulfilled. With ``signer_name`` and ``signature_data_url`` the hospital
    confirms it at once (R-2.4: the engineer hands over the phone); with neither it awaits
    the hospital's signature (``visit_sign``); one without the other is refused. Each item
    of ``raise_requests_for`` (a failed item or an out-of-limit reading) opens a service
    request found on the visit, linked to it; every other failed item must carry a note
    saying why none is needed, else the completion (and the hospital's signature with it)
    is refused on that item's key. A failed safety item (``"safety": true`` on the
    checklist) puts the device out of use (``assets.services.device_out_of_use_mark``) in
    the same transaction. Everything is checked before anything is written; a visit no
    longer planned is refused on ``state``."""
    now = now or timezone.now()
    raise_for = list(dict.fromkeys(raise_requests_for))
    if visit.state != VisitState.PLANNED:
        raise _not_planned()
    checklist = checklist_for(visit)
    by_key = {item["key"]: item for item in checklist}
    errors: dict[str, str] = {}
    try:
        cleaned = _results_clean(checklist, results or {})
    except ValidationError as exc:
        errors.update({field: messages[0] for field, messages in exc.message_dict.items()})
        cleaned = {}
    image = b""
    if (signer_name or "").strip() or (signature_data_url or "").strip():
        signer_name, image = _signature(signer_name, signature_data_url, errors)
    if not errors:
        not_failed = [k for k in raise_for if k not in by_key or cleaned.get(k, {}).get("ok", True)]
        if not_failed:
            errors["raise_requests_for"] = _(
                "Only a failed item or an out-of-limit reading can raise a service request: "
                "%(keys)s."
            ) % {"keys": ", ".join(not_failed)}
        errors.update(unaddressed_failures(checklist, cleaned, raise_for))
    if errors:
        raise ValidationError(errors)
    failed_safety = [
        item for item in checklist if item.get("safety") and not cleaned[item["key"]]["ok"]
    ]

    with transaction.atomic():
        # A second completion (or a concurrent one) finds the visit no longer planned.
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.state != VisitState.PLANNED:
            raise _not_planned()
        locked.state = VisitState.DONE
        locked.done_at = now
        locked.done_by = user
        locked.results = cleaned
        fields = ["state", "done_at", "done_by", "results", "updated_at"]
        if image:
            _apply_signature(locked, signer_name, image, now)
            fields += SIGNATURE_FIELDS
        with signing.image_stored(locked.signature_image, image, "visit-signature"):
            locked.save(update_fields=fields)
            VisitObligation.objects.filter(visit=locked).update(fulfilled_at=now)
            if raise_for:
                _raise_requests(locked, user, raise_for, by_key, cleaned, now)
            if failed_safety:
                _put_out_of_use(locked, user, failed_safety, cleaned, now)
    visit.refresh_from_db()
    return visit


def unaddressed_failures(
    checklist: list[dict[str, Any]],
    cleaned: dict[str, dict[str, Any]],
    raise_for: Iterable[str],
) -> dict[str, str]:
    """Patient safety first: each failed item or out-of-limit reading either raises a
    service request found on the visit or carries a written justification (its note). The
    items that do neither, each with the error naming it (a visit with any is refused)."""
    raising = set(raise_for)
    errors: dict[str, str] = {}
    for item in checklist:
        result = cleaned.get(item["key"])
        if result is None or result.get("ok", True) or item["key"] in raising:
            continue
        if not (result.get("note") or "").strip():
            errors[item["key"]] = _(
                "“%(label)s” failed: raise a service request for it, or write in its note "
                "why the visit can be completed without one."
            ) % {"label": item["label"]}
    return errors


def _put_out_of_use(
    visit: Visit,
    user: User,
    items: list[dict[str, Any]],
    cleaned: dict[str, dict[str, Any]],
    now: datetime,
) -> None:
    """A failed safety item (electrical safety, alarms, self-test) puts the device out of
    use (停用) until a request on it is resolved or an engineer clears it."""
    day = now.astimezone(ZoneInfo(visit.hospital.time_zone)).date()
    with translation.override(settings.LANGUAGE_CODE):
        failures = "; ".join(
            _finding_description(visit, item, cleaned[item["key"]], day) for item in items
        )
        reason = _("Safety check failed: %(failures)s") % {"failures": failures}
    device_out_of_use_mark(
        device=visit.device,
        user=user,
        reason=reason,
        visit_ref=visit.pk,
        item_keys=[item["key"] for item in items],
        now=now,
    )
    notices.publish_safety_failed(visit=visit, reason=reason)


def _raise_requests(
    visit: Visit,
    user: User,
    keys: list[str],
    by_key: dict[str, dict[str, Any]],
    cleaned: dict[str, dict[str, Any]],
    now: datetime,
) -> None:
    day = now.astimezone(ZoneInfo(visit.hospital.time_zone)).date()
    with translation.override(settings.LANGUAGE_CODE):
        descriptions = {
            key: _finding_description(visit, by_key[key], cleaned[key], day) for key in keys
        }
    for key in keys:
        request = service_request_open(
            device=visit.device,
            severity=Severity.NORMAL,
            channel=Channel.VISIT,
            description=descriptions[key],
            recorded_by=user,
            reported_at=now,
            now=now,
        )
        VisitFinding.objects.create(visit=visit, item_key=key, request=request)


def visit_sign(
    *,
    visit: Visit,
    user: User,
    signer_name: str,
    signature_data_url: str,
    now: datetime | None = None,
) -> Visit:
    """The hospital's confirmation signature (R-2.4) of a visit done without one: only a
    done, unsigned visit (refused on ``state`` otherwise). Once signed the visit is frozen
    (GUIDE 7): its hash covers the results and the photos."""
    now = now or timezone.now()

    def refuse() -> ValidationError:
        return ValidationError(
            {"state": _("Only a done visit that is not signed yet can be signed.")}
        )

    if visit.state != VisitState.DONE or VISIT_RECORD.is_frozen(visit):
        raise refuse()
    errors: dict[str, str] = {}
    signer_name, image = _signature(signer_name, signature_data_url, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.state != VisitState.DONE or VISIT_RECORD.is_frozen(locked):
            raise refuse()
        _apply_signature(locked, signer_name, image, now)
        with signing.image_stored(locked.signature_image, image, "visit-signature"):
            locked.save(update_fields=[*SIGNATURE_FIELDS, "updated_at"])
    logger.info("visit %s signed by %s (user %s)", locked.pk, signer_name, user.pk)
    visit.refresh_from_db()
    return visit


# --- photos --------------------------------------------------------------------------------

PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# A 48-megapixel phone camera fits; a decompression bomb does not.
MAX_PHOTO_PIXELS = 50_000_000
MAX_PHOTOS_PER_ITEM = 10


def _photos_frozen() -> ValidationError:
    return ValidationError({"state": _("Photos can be changed only while the visit is planned.")})


def _photo_error(message: str) -> ValidationError:
    return ValidationError({"photo": message})


def _ends_whole(data: bytes, image_format: str) -> bool:
    """Whether the file is not cut short. Pillow cannot be asked: WeasyPrint, once imported,
    sets the process-wide ``ImageFile.LOAD_TRUNCATED_IMAGES``, and a cut JPEG then loads."""
    if image_format == "JPEG":
        return data.rstrip(b"\x00")[-2:] == b"\xff\xd9"  # the end-of-image marker
    if image_format == "WEBP":
        return len(data) >= int.from_bytes(data[4:8], "little") + 8  # the RIFF length
    return True  # PNG: verify() reads every chunk up to IEND and fails on a short one


def _photo_bytes(upload: UploadedFile | None) -> tuple[bytes, str]:
    """The bytes of a readable JPEG, PNG or WebP photo of at most 10 MB, and its extension."""
    unreadable = _("Upload a photo in JPEG, PNG or WebP format.")
    too_large = _("The photo is too large (at most 10 MB).")
    if upload is None:
        raise _photo_error(_("Choose a photo."))
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise _photo_error(too_large)
    upload.seek(0)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _photo_error(too_large)
    if not data:
        raise _photo_error(unreadable)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format or ""
            width, height = probe.size
            if image_format not in PHOTO_FORMATS:
                raise _photo_error(unreadable)
            if width * height > MAX_PHOTO_PIXELS:
                raise _photo_error(too_large)
            probe.verify()
        if not _ends_whole(data, image_format):
            raise _photo_error(unreadable)
        with Image.open(io.BytesIO(data)) as image:
            if image_format == "JPEG":
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))  # cheap decode
            image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _photo_error(unreadable) from None
    return data, PHOTO_FORMATS[image_format]


def visit_photo_add(
    *,
    visit: Visit,
    user: User,
    item_key: str,
    upload: UploadedFile,
    now: datetime | None = None,
) -> VisitPhoto:
    """A photo for a checklist item of type photo, while the visit is planned (a signed
    visit is frozen). Refused on ``state``, ``item_key`` or ``photo`` (not a JPEG, PNG or
    WebP image, larger than 10 MB, too many for the item); nothing is stored then."""
    now = now or timezone.now()
    if visit.state != VisitState.PLANNED:
        raise _photos_frozen()
    errors: dict[str, str] = {}
    item = next((i for i in checklist_for(visit) if i["key"] == item_key), None)
    if item is None or item["type"] != ChecklistItemType.PHOTO:
        errors["item_key"] = _("Choose a checklist item that takes a photo.")
    data, extension = b"", ""
    try:
        data, extension = _photo_bytes(upload)
    except ValidationError as exc:
        errors["photo"] = exc.message_dict["photo"][0]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.state != VisitState.PLANNED:
            raise _photos_frozen()
        if locked.photos.filter(item_key=item_key).count() >= MAX_PHOTOS_PER_ITEM:
            raise _photo_error(
                _("At most %(n)s photos per checklist item.") % {"n": MAX_PHOTOS_PER_ITEM}
            )
        photo = VisitPhoto(
            visit=locked,
            item_key=item_key,
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=user,
            uploaded_at=now,
        )
        photo.image.save(
            f"photo-{uuid.uuid4().hex[:12]}.{extension}", ContentFile(data), save=False
        )
        try:
            photo.save()
        except Exception:
            photo.image.storage.delete(photo.image.name)
            raise
    return photo


def visit_photo_remove(*, photo: VisitPhoto, user: User) -> None:
    """Take a photo back while the visit is planned; the file goes once that is committed."""
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=photo.visit_id)
        if locked.state != VisitState.PLANNED:
            raise _photos_frozen()
        storage, name = photo.image.storage, photo.image.name
        VisitPhoto.objects.filter(pk=photo.pk).delete()
        transaction.on_commit(lambda: storage.delete(name))
    logger.info("visit photo %s removed by user %s", photo.pk, user.pk)
