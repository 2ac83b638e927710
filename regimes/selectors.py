"""Reads of the management regime: the current version of a document, who has (not)
received it, and the named responsible persons per department and device (R-2.3) with
their gaps. Everything starts from the viewer's ``for_user`` querysets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q

from assets.models import Device, DeviceStatus
from core.timeutil import local_today
from customers.models import Contact, Department, Hospital

from .models import STANDARD_KINDS, RegimeDocument, RegimeReceipt, RegimeVersion

CURRENT = "current"  # received the current version (or a newer one announced ahead)
OUTDATED = "outdated"  # received only superseded versions: needs the current version
MISSING = "missing"  # received nothing


def hospital_today(hospital: Hospital) -> date:
    return local_today(hospital.time_zone)


def current_version(versions: Iterable[RegimeVersion], today: date) -> RegimeVersion | None:
    """The latest version in effect on ``today``: the highest number whose
    ``effective_from`` has come. ``None`` while no version is in effect yet."""
    in_effect = [v for v in versions if v.effective_from <= today]
    return max(in_effect, key=lambda v: v.number, default=None)


# --- receipts -------------------------------------------------------------------------
@dataclass(frozen=True)
class RecipientStatus:
    """A department or a responsible person, and what they received of a document."""

    recipient: Department | Contact
    state: str
    latest: RegimeReceipt | None

    @property
    def is_current(self) -> bool:
        return self.state == CURRENT


@dataclass
class DocumentStatus:
    document: RegimeDocument
    today: date
    versions: list[RegimeVersion]  # oldest first
    receipts: list[RegimeReceipt]  # newest first
    current: RegimeVersion | None
    departments: list[RecipientStatus] = field(default_factory=list)
    contacts: list[RecipientStatus] = field(default_factory=list)

    @property
    def upcoming(self) -> list[RegimeVersion]:
        return [v for v in self.versions if v.effective_from > self.today]

    @property
    def superseded(self) -> list[RegimeVersion]:
        if self.current is None:
            return []
        return [v for v in self.versions if v.number < self.current.number]

    def version_state(self, version: RegimeVersion) -> str:
        if version.effective_from > self.today:
            return "upcoming"
        if self.current is not None and version.number < self.current.number:
            return "superseded"
        return "current"

    def receipt_is_outdated(self, receipt: RegimeReceipt) -> bool:
        """A receipt of a version older than the current one: its recipient needs the
        current version."""
        return self.current is not None and receipt.version.number < self.current.number

    @property
    def versions_newest_first(self) -> list[RegimeVersion]:
        return list(reversed(self.versions))

    @property
    def receipt_rows(self) -> list[tuple[RegimeReceipt, bool]]:
        return [(r, self.receipt_is_outdated(r)) for r in self.receipts]

    @property
    def departments_without_current(self) -> list[RecipientStatus]:
        return [s for s in self.departments if not s.is_current]

    @property
    def contacts_without_current(self) -> list[RecipientStatus]:
        return [s for s in self.contacts if not s.is_current]

    @property
    def departments_with_current(self) -> int:
        return sum(1 for s in self.departments if s.is_current)

    @property
    def contacts_with_current(self) -> int:
        return sum(1 for s in self.contacts if s.is_current)


def _recipient_states(
    recipients: Sequence[Department | Contact],
    receipts: Sequence[RegimeReceipt],
    key: str,
    current: RegimeVersion,
) -> list[RecipientStatus]:
    latest: dict[int, RegimeReceipt] = {}
    for receipt in receipts:
        pk = getattr(receipt, key)
        if pk is None:
            continue
        best = latest.get(pk)
        if best is None or (receipt.version.number, receipt.received_at) > (
            best.version.number,
            best.received_at,
        ):
            latest[pk] = receipt
    statuses = []
    for recipient in recipients:
        found = latest.get(recipient.pk)
        if found is None:
            state = MISSING
        elif found.version.number >= current.number:
            state = CURRENT
        else:
            state = OUTDATED
        statuses.append(RecipientStatus(recipient=recipient, state=state, latest=found))
    return statuses


def _document_status(
    document: RegimeDocument,
    *,
    today: date,
    departments: Sequence[Department],
    contacts_by_department: dict[int, list[Contact]],
) -> DocumentStatus:
    versions = sorted(document.versions.all(), key=lambda v: v.number)
    receipts = sorted(
        (r for v in versions for r in v.receipts.all()),
        key=lambda r: (r.received_at, r.pk),
        reverse=True,
    )
    status = DocumentStatus(
        document=document,
        today=today,
        versions=versions,
        receipts=receipts,
        current=current_version(versions, today),
    )
    if status.current is None:
        return status
    expected = [
        d for d in departments if document.department_id in (None, d.pk)
    ]  # a department's own regime is expected from that department only
    people: dict[int, Contact] = {}
    for department in expected:
        for contact in contacts_by_department.get(department.pk, []):
            people.setdefault(contact.pk, contact)
    status.departments = _recipient_states(expected, receipts, "department_id", status.current)
    status.contacts = _recipient_states(
        sorted(people.values(), key=lambda c: c.name),
        receipts,
        "recipient_contact_id",
        status.current,
    )
    return status


def _documents(user, hospital: Hospital):
    return (
        RegimeDocument.objects.for_user(user)
        .filter(hospital=hospital)
        .select_related("department", "hospital")
        .prefetch_related(
            "versions__created_by",
            "versions__receipts__department",
            "versions__receipts__recipient_contact",
            "versions__receipts__recorded_by",
        )
    )


# --- responsible persons (R-2.3) ------------------------------------------------------
@dataclass(frozen=True)
class DeviceResponsibility:
    device: Device
    person: Contact | None
    inherited: bool  # the department's responsible person, not one named for the device

    @property
    def gap(self) -> bool:
        return self.person is None


@dataclass
class DepartmentResponsibility:
    department: Department
    devices: list[DeviceResponsibility]

    @property
    def person(self) -> Contact | None:
        return self.department.responsible_contact

    @property
    def gap(self) -> bool:
        return self.person is None

    @property
    def device_gaps(self) -> list[DeviceResponsibility]:
        return [d for d in self.devices if d.gap]


@dataclass
class HospitalRegime:
    hospital: Hospital
    today: date
    departments: list[DepartmentResponsibility]
    documents: list[DocumentStatus]

    @property
    def department_gaps(self) -> list[DepartmentResponsibility]:
        return [d for d in self.departments if d.gap]

    @property
    def devices(self) -> list[DeviceResponsibility]:
        """Every device, the ones without a responsible person first."""
        rows = [d for department in self.departments for d in department.devices]
        return sorted(rows, key=lambda d: not d.gap)

    @property
    def device_gaps(self) -> list[DeviceResponsibility]:
        return [d for department in self.departments for d in department.device_gaps]

    @property
    def missing_kinds(self) -> list[str]:
        """The standard regimes (R-7.5) the hospital has no document of yet."""
        present = {status.document.kind for status in self.documents}
        return [kind for kind in STANDARD_KINDS if kind not in present]


def _responsibilities(user, hospital: Hospital) -> list[DepartmentResponsibility]:
    departments = list(
        Department.objects.for_user(user)
        .filter(hospital=hospital)
        .select_related("responsible_contact__department")
        .order_by("name")
    )
    devices: dict[int, list[DeviceResponsibility]] = defaultdict(list)
    in_use = (
        Device.objects.for_user(user)
        .filter(hospital=hospital)
        .exclude(status=DeviceStatus.RETIRED)
        .select_related("product_model", "responsible_contact__department")
        .order_by("product_model__name", "serial_number")
    )
    by_pk = {d.pk: d for d in departments}
    for device in in_use:
        department = by_pk.get(device.department_id)
        if department is None:
            continue
        device.department = department  # the page names it: no query per device
        own = device.responsible_contact
        person = own or department.responsible_contact
        devices[department.pk].append(
            DeviceResponsibility(
                device=device, person=person, inherited=own is None and bool(person)
            )
        )
    return [DepartmentResponsibility(department=d, devices=devices[d.pk]) for d in departments]


def _contacts_by_department(
    responsibilities: Sequence[DepartmentResponsibility],
) -> dict[int, list[Contact]]:
    """The named responsible persons of each department: its own and its devices'."""
    people: dict[int, list[Contact]] = {}
    for row in responsibilities:
        named: dict[int, Contact] = {}
        if row.person is not None:
            named[row.person.pk] = row.person
        for device in row.devices:
            if device.person is not None:
                named.setdefault(device.person.pk, device.person)
        people[row.department.pk] = list(named.values())
    return people


def _kind_order(kind: str) -> int:
    """The standard regimes first, in the seed's order, then the others."""
    return STANDARD_KINDS.index(kind) if kind in STANDARD_KINDS else len(STANDARD_KINDS)


def hospital_regime(*, hospital: Hospital, user, today: date | None = None) -> HospitalRegime:
    """The hospital's regime page as ``user`` may see it."""
    today = today or hospital_today(hospital)
    responsibilities = _responsibilities(user, hospital)
    departments = [row.department for row in responsibilities]
    people = _contacts_by_department(responsibilities)
    documents = [
        _document_status(
            document, today=today, departments=departments, contacts_by_department=people
        )
        for document in _documents(user, hospital)
    ]
    documents.sort(key=lambda s: (_kind_order(s.document.kind), s.document.title))
    return HospitalRegime(
        hospital=hospital, today=today, departments=responsibilities, documents=documents
    )


def document_regime(*, document: RegimeDocument, user, today: date | None = None) -> DocumentStatus:
    """One document with its version history, receipts and who lacks the current version."""
    hospital = document.hospital
    today = today or hospital_today(hospital)
    responsibilities = _responsibilities(user, hospital)
    document = _documents(user, hospital).get(pk=document.pk)
    return _document_status(
        document,
        today=today,
        departments=[row.department for row in responsibilities],
        contacts_by_department=_contacts_by_department(responsibilities),
    )


# --- the overview of every visible hospital -------------------------------------------
@dataclass(frozen=True)
class HospitalSummary:
    hospital: Hospital
    documents: int
    missing_kinds: list[str]
    department_gaps: int
    device_gaps: int


def regime_overview(*, hospitals: Sequence[Hospital], user) -> list[HospitalSummary]:
    """Counts per hospital in four grouped queries, whatever the number of hospitals."""
    ids = [h.pk for h in hospitals]
    kinds: dict[int, set[str]] = defaultdict(set)
    documents: dict[int, int] = defaultdict(int)
    rows = (
        RegimeDocument.objects.for_user(user)
        .filter(hospital_id__in=ids)
        .order_by()
        .values("hospital_id", "kind")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        kinds[row["hospital_id"]].add(row["kind"])
        documents[row["hospital_id"]] += row["n"]
    department_gaps = dict(
        Department.objects.for_user(user)
        .filter(hospital_id__in=ids, responsible_contact__isnull=True)
        .order_by()
        .values_list("hospital_id")
        .annotate(n=Count("pk"))
    )
    device_gaps = dict(
        Device.objects.for_user(user)
        .filter(hospital_id__in=ids)
        .exclude(status=DeviceStatus.RETIRED)
        .filter(
            Q(responsible_contact__isnull=True) & Q(department__responsible_contact__isnull=True)
        )
        .order_by()
        .values_list("hospital_id")
        .annotate(n=Count("pk"))
    )
    return [
        HospitalSummary(
            hospital=h,
            documents=documents.get(h.pk, 0),
            missing_kinds=[k for k in STANDARD_KINDS if k not in kinds[h.pk]],
            department_gaps=department_gaps.get(h.pk, 0),
            device_gaps=device_gaps.get(h.pk, 0),
        )
        for h in hospitals
    ]
