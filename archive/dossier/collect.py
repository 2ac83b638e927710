"""What goes into a dossier: the archive's entries in the range (the same sources and
scoping as the archive page), oldest first, and the stored document behind each entry that
has one (a signed record's archived PDF, the uploaded acceptance certificate), once each.

A hospital's dossier needs a range of at most ``MAX_DAYS`` days; any dossier holds at most
``MAX_ENTRIES`` entries and ``MAX_DOCUMENTS`` documents, so one request never renders for
minutes (docs/decisions.md, "The dossier is made in the request, within caps")."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assets.models import Device
from core.archive import ArchiveDocument, ArchiveEntry, ArchiveQuery
from customers.models import Hospital

from ..filters import Subject, archive_query
from ..selectors import timeline
from ..sources import installed_sources
from ..sources import kinds as known_kinds

MAX_DAYS = 366
MAX_ENTRIES = 3000
MAX_DOCUMENTS = 300


@dataclass(frozen=True)
class DossierRecord:
    """One stored document of the dossier, in the order it is appended."""

    entry: ArchiveEntry
    document: ArchiveDocument
    device: Device | None  # None: a record of the whole department or hospital
    kind_label: str
    local_at: datetime

    @property
    def title(self) -> str:
        """The bookmark: date, kind, number."""
        return f"{self.local_at:%Y-%m-%d} {self.kind_label} {self.document.number}"

    @property
    def file_name(self) -> str:
        """``date_kind_number.ext``: ASCII, so every unzip tool keeps it."""
        number = safe_name(self.document.number) or str(self.entry.object_id)
        return f"{self.local_at:%Y-%m-%d}_{self.entry.kind}_{number}{self.document.extension}"


@dataclass(frozen=True)
class Dossier:
    hospital: Hospital
    devices: list[Device]
    grouped: bool  # a hospital's: records grouped by device
    first_day: date | None
    last_day: date | None
    entries: list[ArchiveEntry]  # oldest first
    records: list[DossierRecord]
    kind_labels: dict[str, str]
    generated_at: datetime  # in the hospital's zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.hospital.time_zone)

    def device_label(self, device_id: int | None) -> str:
        device = self.device_by_id.get(device_id or 0)
        return f"{device.product_model} · {device.serial_number}" if device else ""

    @cached_property
    def device_by_id(self) -> dict[int, Device]:
        return {d.pk: d for d in self.devices}

    def counts(self) -> list[tuple[str, int]]:
        """Entries per kind, in the archive's order of kinds."""
        found: dict[str, int] = {}
        for entry in self.entries:
            found[entry.kind] = found.get(entry.kind, 0) + 1
        return [(label, found[kind]) for kind, label in self.kind_labels.items() if kind in found]


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:80]


def dossier_query(
    *,
    visible_to,
    device: Device | None = None,
    subject: Subject | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
) -> ArchiveQuery:
    """The archive query of a dossier: a device's whole life or range, a hospital's range
    (required, at most ``MAX_DAYS`` days); a ``ValidationError`` on ``from`` / ``to``."""
    if subject is not None:
        errors = {}
        if first_day is None:
            errors["from"] = [_("A hospital's dossier needs the first day.")]
        if last_day is None:
            errors["to"] = [_("A hospital's dossier needs the last day.")]
        if not errors and first_day and last_day and (last_day - first_day).days >= MAX_DAYS:
            errors["to"] = [
                _("At most %(days)d days in one dossier: make the range shorter.")
                % {"days": MAX_DAYS}
            ]
        if errors:
            raise ValidationError(errors)
    return archive_query(
        device=device,
        subject=subject,
        visible_to=visible_to,
        first_day=first_day,
        last_day=last_day,
        limit=MAX_ENTRIES,
    )


def dossier_size(**whose_and_when: Any) -> int:
    """How many entries the dossier would hold (keys only, no entry built): whether it is
    made in the request or by the worker. Refuses what ``collect_dossier`` refuses on the
    range and the cap of entries."""
    query = replace(dossier_query(**whose_and_when), limit=1)
    count = timeline(query).count
    _check_entries(count)
    return count


def _check_entries(count: int) -> None:
    if count > MAX_ENTRIES:
        raise ValidationError(
            {
                "to": _(
                    "%(count)d entries in this range; a dossier holds at most %(max)d: make "
                    "the range shorter."
                )
                % {"count": count, "max": MAX_ENTRIES}
            }
        )


def collect_dossier(
    *,
    visible_to,
    device: Device | None = None,
    subject: Subject | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
) -> Dossier:
    """The dossier of ``device`` (its whole life unless a range is given) or of a hospital
    ``subject`` (a range is required). A ``ValidationError`` on ``from`` / ``to`` when the
    range is missing, too long, or holds more than the caps."""
    query = dossier_query(
        visible_to=visible_to,
        device=device,
        subject=subject,
        first_day=first_day,
        last_day=last_day,
    )
    if device is not None:
        hospital, devices = device.hospital, [device]
    else:
        assert subject is not None
        hospital = subject.obj if subject.kind == "hospital" else subject.obj.hospital
        devices = list(subject.devices.select_related("product_model", "department"))
    # A dossier is a document: in the site's language whoever asks (like every PDF); its
    # refusals are in the asker's.
    with translation.override(settings.LANGUAGE_CODE):
        found = timeline(query)
    _check_entries(found.count)
    entries = list(reversed(found.entries))  # a dossier reads from the first day on
    with translation.override(settings.LANGUAGE_CODE):
        labels = {kind: str(label) for kind, label in known_kinds().items()}
        records = _records(entries, visible_to, labels, {d.pk: d for d in devices}, hospital)
    if len(records) > MAX_DOCUMENTS:
        raise ValidationError(
            {
                "to": _(
                    "%(count)d documents in this range; a dossier holds at most %(max)d: make "
                    "the range shorter."
                )
                % {"count": len(records), "max": MAX_DOCUMENTS}
            }
        )
    zone = ZoneInfo(hospital.time_zone)
    grouped = subject is not None
    if grouped:
        order = {d.pk: n for n, d in enumerate(devices)}
        # By device (in the list's order), then by time; department-wide records last.
        records.sort(key=lambda r: (order.get(r.entry.device_id or 0, len(order)), r.local_at))
    return Dossier(
        hospital=hospital,
        devices=devices,
        grouped=grouped,
        first_day=first_day,
        last_day=last_day,
        entries=entries,
        records=records,
        kind_labels=labels,
        generated_at=timezone.localtime(timezone.now(), zone),
    )


def _records(
    entries: list[ArchiveEntry],
    visible_to,
    labels: dict[str, str],
    devices: dict[int, Device],
    hospital: Hospital,
) -> list[DossierRecord]:
    """Each entry's document, in the entries' order, each document once (a return-visit
    sheet covers its department's devices: it comes with the first)."""
    with_documents = [e for e in entries if e.pdf_url]
    documents: dict[str, ArchiveDocument] = {}
    for source in installed_sources():
        if hasattr(source, "documents"):
            documents.update(source.documents(with_documents, visible_to=visible_to))
    zone = ZoneInfo(hospital.time_zone)
    records, seen = [], set()
    for entry in with_documents:
        document = documents.get(entry.pdf_url)
        if document is None or entry.pdf_url in seen:
            continue
        seen.add(entry.pdf_url)
        records.append(
            DossierRecord(
                entry=entry,
                document=document,
                device=devices.get(entry.device_id or 0),
                kind_label=labels.get(entry.kind, entry.kind),
                local_at=timezone.localtime(entry.at, zone),
            )
        )
    return records
