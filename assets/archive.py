"""The device's own entries in its archive (the ``core.archive`` protocol, listed in
``archive/sources.py``): installation, acceptance and go-live (R-3.1), emergency procedures
and their receipts (R-5.1), main components replaced, out-of-use periods, the operation log
(R-5.4), and every change to the device record (its history)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.archive import (
    ArchiveDocument,
    ArchiveEntry,
    ArchiveQuery,
    SourcePage,
    in_window,
    keys_of,
    newest_first,
    url_of,
)

from .models import (
    AcceptanceCertificate,
    Device,
    DeviceOutOfUse,
    EmergencyProcedure,
    MainComponent,
    OperationLogEntry,
)
from .selectors import HISTORY_HIDDEN

INSTALLATION = "installation"
PROCEDURE = "procedure"
COMPONENT = "component"
OUT_OF_USE = "out_of_use"
CHANGE = "device_change"
OPERATION_LOG = "operation_log"
KINDS = {
    INSTALLATION: gettext_lazy("Installation and acceptance"),
    PROCEDURE: gettext_lazy("Emergency procedures"),
    COMPONENT: gettext_lazy("Main components replaced"),
    OUT_OF_USE: gettext_lazy("Out of use"),
    OPERATION_LOG: gettext_lazy("Operation log"),
    CHANGE: gettext_lazy("Changes to the device record"),
}


def entries(query: ArchiveQuery) -> SourcePage:
    devices = list(
        query.on_devices(Device.objects.for_user(query.visible_to), "pk").select_related("hospital")
    )
    if not devices:
        return SourcePage(0, [])
    zones = {device.pk: ZoneInfo(device.hospital.time_zone) for device in devices}
    found: list[ArchiveEntry] = []
    count = 0
    for kind, collect in (
        (INSTALLATION, _installation),
        (PROCEDURE, _procedures),
        (COMPONENT, _components),
        (OUT_OF_USE, _out_of_use),
        (OPERATION_LOG, _operation_log),
        (CHANGE, _changes),
    ):
        if query.wants(kind):
            kind_count, kind_entries = collect(devices, query, zones)
            count += kind_count
            found += kind_entries
    return SourcePage(count, newest_first(found)[: query.limit])


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _installation(devices: list[Device], query: ArchiveQuery, zones: dict[int, ZoneInfo]):
    certificates = _current_certificates(devices)
    urls = (url_of("assets:device_detail"), url_of("assets:acceptance_certificate_file"))
    found = []
    for device in devices:
        certificate = certificates.get(device.pk)
        found += _installation_of(device, query, zones[device.pk], certificate, urls)
    return len(found), newest_first(found)[: query.limit]


def _current_certificates(devices: list[Device]) -> dict[int, AcceptanceCertificate]:
    """Each device's current acceptance certificate (its newest upload), in one query."""
    current: dict[int, AcceptanceCertificate] = {}
    rows = AcceptanceCertificate.objects.filter(device__in=[d.pk for d in devices])
    for certificate in rows.order_by("device_id", "-uploaded_at", "-pk"):
        current.setdefault(certificate.device_id, certificate)
    return current


def _installation_of(
    device: Device,
    query: ArchiveQuery,
    zone: ZoneInfo,
    certificate: AcceptanceCertificate | None,
    urls: tuple,
) -> list[ArchiveEntry]:
    device_url, file_url = urls
    url = device_url(device.pk)
    certificate_url = file_url(certificate.pk) if certificate else ""
    steps = [
        (device.installed_on, _("Installed"), "", ""),
        (
            device.accepted_on,
            _("Accepted"),
            _("Acceptance certificate %(number)s") % {"number": device.acceptance_certificate_no}
            if device.acceptance_certificate_no
            else "",
            certificate_url,  # the uploaded certificate is the acceptance's document
        ),
        (device.live_on, _("In use (go-live)"), "", ""),
    ]
    return [
        ArchiveEntry(at=_local_midnight(day, zone), kind=INSTALLATION, title=title,
                     object_id=device.pk, url=url, detail=detail, pdf_url=document,
                     device_id=device.pk)
        for day, title, detail, document in steps
        if day is not None and query.holds(_local_midnight(day, zone))
    ]  # fmt: skip


def _procedures(devices: list[Device], query: ArchiveQuery, zones: dict[int, ZoneInfo]):
    procedures = query.on_devices(EmergencyProcedure.objects.for_user(query.visible_to))
    found = []
    for procedure in procedures.order_by("-created_at", "-pk"):
        url = reverse("assets:procedure_detail", args=[procedure.pk])
        versions = [
            (
                procedure.created_at,
                _("Emergency procedure: %(title)s") % {"title": procedure.title},
                "",
            ),
        ]
        if procedure.received_at is not None:
            versions.append(
                (
                    procedure.received_at,
                    _("Emergency procedure received: %(title)s") % {"title": procedure.title},
                    procedure.received_by,
                )
            )
        found += [
            ArchiveEntry(at=at, kind=PROCEDURE, title=title, object_id=procedure.pk, url=url,
                         detail=detail, device_id=procedure.device_id)
            for at, title, detail in versions
            if query.holds(at)
        ]  # fmt: skip
    return len(found), newest_first(found)[: query.limit]


def _components(devices: list[Device], query: ArchiveQuery, zones: dict[int, ZoneInfo]):
    replaced = query.on_devices(MainComponent.objects.filter(replaced_on__isnull=False))
    found = []
    for component in replaced.select_related("replaces").order_by("-replaced_on", "-pk"):
        assert component.replaced_on is not None  # filtered above
        at = _local_midnight(component.replaced_on, zones[component.device_id])
        if not query.holds(at):
            continue
        old = component.replaces
        detail = _("%(old)s replaced by %(new)s") % {
            "old": old.serial_number if old else "—",
            "new": component.serial_number,
        }
        if old is not None and old.removal_fate:
            detail += " · " + old.get_removal_fate_display()
        found.append(
            ArchiveEntry(at=at, kind=COMPONENT,
                         title=_("Main component replaced: %(name)s") % {"name": component.name},
                         object_id=component.pk,
                         url=reverse("assets:device_detail", args=[component.device_id]),
                         detail=detail, device_id=component.device_id)
        )  # fmt: skip
    return len(found), newest_first(found)[: query.limit]


def _out_of_use(devices: list[Device], query: ArchiveQuery, zones: dict[int, ZoneInfo]):
    device_url = url_of("assets:device_detail")
    found = []
    for period in query.on_devices(DeviceOutOfUse.objects.all()).order_by("-started_at", "-pk"):
        url, device_id = device_url(period.device_id), period.device_id
        if query.holds(period.started_at):
            found.append(
                ArchiveEntry(at=period.started_at, kind=OUT_OF_USE, title=_("Put out of use"),
                             object_id=period.pk, url=url, detail=period.reason,
                             device_id=device_id)
            )  # fmt: skip
        if period.cleared_at is not None and query.holds(period.cleared_at):
            found.append(
                ArchiveEntry(at=period.cleared_at, kind=OUT_OF_USE, title=_("Back in use"),
                             object_id=period.pk, url=url,
                             detail=period.clear_note or period.cleared_by_request,
                             device_id=device_id)
            )  # fmt: skip
    return len(found), newest_first(found)[: query.limit]


def _operation_log(devices: list[Device], query: ArchiveQuery, zones: dict[int, ZoneInfo]):
    """The hospital's own record of use: start-up checks, usage read, events."""
    window = in_window(
        query.on_devices(OperationLogEntry.objects.for_user(query.visible_to)),
        "recorded_at",
        query,
    ).order_by("-recorded_at", "-pk")
    if query.keys_only:
        return query.count(window), keys_of(window, "recorded_at", OPERATION_LOG, query.limit)
    url = url_of("assets:operation_log")
    titles = {
        "startup_check": _("Start-up check"),
        "usage": _("Usage recorded"),
        "event": _("Event"),
    }
    found = []
    for entry in window[: query.limit]:
        detail = entry.summary + (f" · {entry.note}" if entry.note else "")
        found.append(
            ArchiveEntry(at=entry.recorded_at, kind=OPERATION_LOG, title=titles[entry.kind],
                         object_id=entry.pk, url=url(entry.device_id), detail=detail,
                         device_id=entry.device_id)
        )  # fmt: skip
    return query.count(window), found


def _changes(devices: list[Device], query: ArchiveQuery, zones: dict[int, ZoneInfo]):
    """One entry per saved version of the device record, naming the fields changed (their
    old and new values are in the device page's history)."""
    history = Device.history.model.objects  # type: ignore[attr-defined]
    window = in_window(
        query.on_devices(history.all(), "id").order_by("-history_date", "-history_id"),
        "history_date",
        query,
    )
    count = query.count(window)
    if query.keys_only:
        return count, keys_of(window, "history_date", CHANGE, query.limit)
    records: list = list(window[: query.limit])
    url = url_of("assets:device_detail")
    found = []
    for index, record in enumerate(records):
        # Each version is compared with the device's one before it, which may lie on
        # the next rows or before the window.
        previous = next((r for r in records[index + 1 :] if r.id == record.id), None)
        if previous is None:
            previous = (
                history.filter(id=record.id)
                .filter(
                    Q(history_date__lt=record.history_date)
                    | Q(history_date=record.history_date, history_id__lt=record.history_id)
                )
                .order_by("-history_date", "-history_id")
                .first()
            )
        if previous is None:
            title, detail = _("Device record created"), ""
        else:
            delta = record.diff_against(previous, excluded_fields=HISTORY_HIDDEN)
            title = _("Device record changed")
            detail = "、".join(_field_label(change.field) for change in delta.changes)
        found.append(
            ArchiveEntry(at=record.history_date, kind=CHANGE, title=title,
                         object_id=record.history_id, url=url(record.id) + "#history",
                         detail=detail, device_id=record.id)
        )  # fmt: skip
    return count, found


def _field_label(name: str) -> str:
    field = Device._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


# Kept records (``core.retention``): never deleted, by any path; a predicate keeps a row only
# in that state.
RETAINED = {
    # The signed acceptance certificate: kept always (a correction is a new upload).
    AcceptanceCertificate: None,
    EmergencyProcedure: None,
    MainComponent: None,
    DeviceOutOfUse: None,
    OperationLogEntry: None,
}


def documents(entries: list[ArchiveEntry], *, visible_to) -> dict[str, ArchiveDocument]:
    """The uploaded acceptance certificates behind ``entries``' ``pdf_url`` (the dossier
    adds them to its files)."""
    wanted = {e.pdf_url for e in entries if e.kind == INSTALLATION and e.pdf_url}
    if not wanted:
        return {}
    file_url = url_of("assets:acceptance_certificate_file")
    rows = AcceptanceCertificate.objects.for_user(visible_to).filter(
        device__in={e.device_id for e in entries if e.pdf_url in wanted}
    )
    found = {}
    for certificate in rows.select_related("device", "uploaded_by"):
        url = file_url(certificate.pk)
        if url in wanted:
            device = certificate.device
            found[url] = ArchiveDocument(
                file=certificate.document,
                number=device.acceptance_certificate_no or device.serial_number,
            )
    return found
