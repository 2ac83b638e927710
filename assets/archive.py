"""The device's own entries in its archive (the ``core.archive`` protocol, listed in
``archive/sources.py``): installation, acceptance and go-live (R-3.1), emergency procedures
and their receipts (R-5.1), main components replaced, out-of-use periods, the operation log
(R-5.4), and every change to the device record (its history)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.archive import (
    ArchiveEntry,
    ArchiveQuery,
    SourcePage,
    in_window,
    keys_of,
    newest_first,
)

from .models import (
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
    device = (
        Device.objects.for_user(query.visible_to)
        .select_related("hospital")
        .filter(pk=query.device_id)
        .first()
    )
    if device is None:
        return SourcePage(0, [])
    zone = ZoneInfo(device.hospital.time_zone)
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
            kind_count, kind_entries = collect(device, query, zone)
            count += kind_count
            found += kind_entries
    return SourcePage(count, newest_first(found)[: query.limit])


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _installation(device: Device, query: ArchiveQuery, zone: ZoneInfo):
    url = reverse("assets:device_detail", args=[device.pk])
    steps = [
        (device.installed_on, _("Installed"), ""),
        (
            device.accepted_on,
            _("Accepted"),
            _("Acceptance certificate %(number)s") % {"number": device.acceptance_certificate_no}
            if device.acceptance_certificate_no
            else "",
        ),
        (device.live_on, _("In use (go-live)"), ""),
    ]
    found = [
        ArchiveEntry(at=_local_midnight(day, zone), kind=INSTALLATION, title=title,
                     object_id=device.pk, url=url, detail=detail, device_id=device.pk)
        for day, title, detail in steps
        if day is not None and query.holds(_local_midnight(day, zone))
    ]  # fmt: skip
    return len(found), found


def _procedures(device: Device, query: ArchiveQuery, zone: ZoneInfo):
    procedures = EmergencyProcedure.objects.for_user(query.visible_to).filter(device=device)
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
                         detail=detail, device_id=device.pk)
            for at, title, detail in versions
            if query.holds(at)
        ]  # fmt: skip
    return len(found), found[: query.limit]


def _components(device: Device, query: ArchiveQuery, zone: ZoneInfo):
    replaced = MainComponent.objects.filter(device=device, replaced_on__isnull=False)
    found = []
    for component in replaced.select_related("replaces").order_by("-replaced_on", "-pk"):
        assert component.replaced_on is not None  # filtered above
        at = _local_midnight(component.replaced_on, zone)
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
                         url=reverse("assets:device_detail", args=[device.pk]),
                         detail=detail, device_id=device.pk)
        )  # fmt: skip
    return len(found), found[: query.limit]


def _out_of_use(device: Device, query: ArchiveQuery, zone: ZoneInfo):
    url = reverse("assets:device_detail", args=[device.pk])
    found = []
    for period in device.out_of_use_periods.order_by("-started_at", "-pk"):
        if query.holds(period.started_at):
            found.append(
                ArchiveEntry(at=period.started_at, kind=OUT_OF_USE, title=_("Put out of use"),
                             object_id=period.pk, url=url, detail=period.reason,
                             device_id=device.pk)
            )  # fmt: skip
        if period.cleared_at is not None and query.holds(period.cleared_at):
            found.append(
                ArchiveEntry(at=period.cleared_at, kind=OUT_OF_USE, title=_("Back in use"),
                             object_id=period.pk, url=url,
                             detail=period.clear_note or period.cleared_by_request,
                             device_id=device.pk)
            )  # fmt: skip
    return len(found), found


def _operation_log(device: Device, query: ArchiveQuery, zone: ZoneInfo):
    """The hospital's own record of use: start-up checks, usage read, events."""
    window = in_window(
        OperationLogEntry.objects.for_user(query.visible_to).filter(device=device),
        "recorded_at",
        query,
    ).order_by("-recorded_at", "-pk")
    if query.keys_only:
        return query.count(window), keys_of(window, "recorded_at", OPERATION_LOG, query.limit)
    url = reverse("assets:operation_log", args=[device.pk])
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
                         object_id=entry.pk, url=url, detail=detail, device_id=device.pk)
        )  # fmt: skip
    return query.count(window), found


def _changes(device: Device, query: ArchiveQuery, zone: ZoneInfo):
    """One entry per saved version of the device record, naming the fields changed (their
    old and new values are in the device page's history)."""
    window = in_window(
        device.history.order_by("-history_date", "-history_id"), "history_date", query
    )
    count = query.count(window)
    if query.keys_only:
        return count, keys_of(window, "history_date", CHANGE, query.limit)
    records: list = list(window[: query.limit + 1])
    if records and len(records) <= query.limit:
        # Each version is compared with the one before it, which may lie before the window.
        oldest = records[-1]
        records.append(
            device.history.filter(
                Q(history_date__lt=oldest.history_date)
                | Q(history_date=oldest.history_date, history_id__lt=oldest.history_id)
            )
            .order_by("-history_date", "-history_id")
            .first()
        )
    url = reverse("assets:device_detail", args=[device.pk]) + "#history"
    found = []
    for record, previous in itertools.pairwise(records):
        if previous is None:
            title, detail = _("Device record created"), ""
        else:
            delta = record.diff_against(previous, excluded_fields=HISTORY_HIDDEN)
            title = _("Device record changed")
            detail = "、".join(_field_label(change.field) for change in delta.changes)
        found.append(
            ArchiveEntry(at=record.history_date, kind=CHANGE, title=title,
                         object_id=record.history_id, url=url, detail=detail,
                         device_id=device.pk)
        )  # fmt: skip
    return count, found


def _field_label(name: str) -> str:
    field = Device._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


# Kept records (``core.retention``): never deleted, by any path; a predicate keeps a row only
# in that state.
RETAINED = {
    EmergencyProcedure: None,
    MainComponent: None,
    DeviceOutOfUse: None,
    OperationLogEntry: None,
}
