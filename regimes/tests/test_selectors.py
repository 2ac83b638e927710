"""Reads of the management regime: the current version, who lacks it (R-7.5), and the named
responsible person per department and device with its gaps (R-2.3)."""

import datetime as dt

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import DeviceStatus
from assets.tests.factories import DeviceFactory
from customers.models import HospitalRole
from customers.tests.factories import (
    ContactFactory,
    DepartmentFactory,
    HospitalFactory,
    hospital_user,
)
from regimes import selectors, services
from regimes.models import RegimeKind, RegimeVersion

from .factories import RegimeDocumentFactory, add_version

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def manager():
    return vendor_user(VendorRole.MANAGER)


def v(number: int, effective_from: dt.date) -> RegimeVersion:
    return RegimeVersion(number=number, effective_from=effective_from)


def current_number(versions: list[RegimeVersion], day: dt.date) -> int | None:
    version = selectors.current_version(versions, day)
    return version.number if version is not None else None


# --- the current version (pure) -------------------------------------------------------
def test_the_current_version_is_the_latest_in_effect():
    versions = [v(1, dt.date(2026, 1, 1)), v(2, TODAY), v(3, dt.date(2026, 7, 1))]
    assert current_number(versions, TODAY) == 2
    assert current_number(versions, TODAY - dt.timedelta(days=1)) == 1
    assert current_number(versions, dt.date(2026, 7, 1)) == 3


def test_no_version_is_current_before_the_first_takes_effect():
    assert selectors.current_version([v(1, dt.date(2026, 7, 1))], TODAY) is None
    assert selectors.current_version([], TODAY) is None


def test_the_current_version_follows_the_hospitals_own_date():
    """At 2026-06-15 20:00 UTC it is already the 16th in Shanghai, still the 15th in
    New York: a version effective on the 16th is current in one and not the other."""
    later = dt.datetime(2026, 6, 15, 20, 0, tzinfo=dt.UTC)
    shanghai = RegimeDocumentFactory(hospital=HospitalFactory(time_zone="Asia/Shanghai"))
    new_york = RegimeDocumentFactory(hospital=HospitalFactory(time_zone="America/New_York"))
    for document in (shanghai, new_york):
        add_version(document, TODAY)
        add_version(document, dt.date(2026, 6, 16))
    manager = vendor_user(VendorRole.MANAGER)
    with time_machine.travel(later, tick=False):
        in_shanghai = selectors.document_regime(document=shanghai, user=manager).current
        in_new_york = selectors.document_regime(document=new_york, user=manager).current
        assert in_shanghai is not None and in_shanghai.number == 2
        assert in_new_york is not None and in_new_york.number == 1


# --- who lacks the current version ----------------------------------------------------
@pytest.fixture
def hospital():
    return HospitalFactory()


def receive(document, version, *, department=None, contact=None, name="Recipient"):
    return services.regime_receipt_record(
        document=document,
        version=version,
        department=department,
        recipient_contact=contact,
        recipient_name=name,
        recorded_by=None,
    )


def test_departments_with_an_older_version_need_the_current_one(hospital, manager):
    icu, er, _lab = (DepartmentFactory(hospital=hospital, name=n) for n in ("ICU", "ER", "Lab"))
    document = RegimeDocumentFactory(hospital=hospital)
    v1 = add_version(document, dt.date(2026, 1, 1))
    old_receipt = receive(document, v1, department=icu)
    receive(document, v1, department=er)
    v2 = add_version(document, dt.date(2026, 6, 1))
    receive(document, v2, department=er)
    status = selectors.document_regime(document=document, user=manager)
    assert status.current == v2
    states = {s.recipient.name: s.state for s in status.departments}
    assert states == {"ER": "current", "ICU": "outdated", "Lab": "missing"}
    assert [s.recipient.name for s in status.departments_without_current] == ["ICU", "Lab"]
    assert status.receipt_is_outdated(old_receipt)
    assert [outdated for _r, outdated in status.receipt_rows].count(True) == 2  # both v1


def test_a_version_received_ahead_of_taking_effect_counts_as_current(hospital, manager):
    icu = DepartmentFactory(hospital=hospital, name="ICU")
    document = RegimeDocumentFactory(hospital=hospital)
    add_version(document, dt.date(2026, 1, 1))
    upcoming = add_version(document, dt.date(2026, 9, 1))
    receive(document, upcoming, department=icu)
    status = selectors.document_regime(document=document, user=manager)
    assert [s.state for s in status.departments] == ["current"]
    assert status.upcoming == [upcoming]


def test_named_responsible_persons_are_expected_to_receive_it(hospital, manager):
    head = ContactFactory(hospital=hospital, name="Head of ICU")
    icu = DepartmentFactory(hospital=hospital, name="ICU", responsible_contact=head)
    keeper = ContactFactory(hospital=hospital, name="Ventilator keeper")
    DeviceFactory(department=icu, responsible_contact=keeper)
    ContactFactory(hospital=hospital, name="Not responsible for anything")
    document = RegimeDocumentFactory(hospital=hospital)
    version = add_version(document, TODAY)
    receive(document, version, contact=head, name="Head of ICU")
    status = selectors.document_regime(document=document, user=manager)
    assert {s.recipient.name: s.state for s in status.contacts} == {
        "Head of ICU": "current",
        "Ventilator keeper": "missing",
    }
    # The head has no department on file, so the receipt names none: the ICU still lacks one.
    assert [s.state for s in status.departments] == ["missing"]


def test_a_departments_own_regime_is_expected_from_that_department_only(hospital, manager):
    icu = DepartmentFactory(hospital=hospital, name="ICU")
    DepartmentFactory(hospital=hospital, name="ER")
    document = RegimeDocumentFactory(hospital=hospital, department=icu)
    add_version(document, TODAY)
    status = selectors.document_regime(document=document, user=manager)
    assert [s.recipient.name for s in status.departments] == ["ICU"]


def test_nobody_is_missing_a_version_that_is_not_in_effect(hospital, manager):
    DepartmentFactory(hospital=hospital)
    document = RegimeDocumentFactory(hospital=hospital)
    add_version(document, dt.date(2026, 9, 1))
    status = selectors.document_regime(document=document, user=manager)
    assert status.current is None
    assert status.departments == [] and status.contacts == []


# --- responsible persons (R-2.3) ------------------------------------------------------
def test_departments_and_devices_without_a_responsible_person_are_the_gaps(hospital, manager):
    head = ContactFactory(hospital=hospital, name="Head")
    keeper = ContactFactory(hospital=hospital, name="Keeper")
    covered = DepartmentFactory(hospital=hospital, name="Covered", responsible_contact=head)
    bare = DepartmentFactory(hospital=hospital, name="Bare")
    inherits = DeviceFactory(department=covered, serial_number="INHERITS")
    named = DeviceFactory(department=bare, serial_number="NAMED", responsible_contact=keeper)
    orphan = DeviceFactory(department=bare, serial_number="ORPHAN")
    DeviceFactory(department=bare, serial_number="RETIRED", status=DeviceStatus.RETIRED)

    regime = selectors.hospital_regime(hospital=hospital, user=manager)
    assert [d.department.name for d in regime.department_gaps] == ["Bare"]
    assert [d.device.serial_number for d in regime.device_gaps] == ["ORPHAN"]
    rows = {d.device: d for d in regime.devices}
    assert set(rows) == {inherits, named, orphan}  # retired devices need nobody
    assert (rows[inherits].person, rows[inherits].inherited) == (head, True)
    assert (rows[named].person, rows[named].inherited) == (keeper, False)
    assert regime.devices[0].device == orphan  # gaps first


def test_a_department_user_sees_the_responsibilities_of_their_departments_only(hospital):
    mine = DepartmentFactory(hospital=hospital, name="Mine")
    DepartmentFactory(hospital=hospital, name="Theirs")
    DeviceFactory(department=mine)
    user = hospital_user(hospital, HospitalRole.DEPARTMENT_USER, departments=[mine])
    regime = selectors.hospital_regime(hospital=hospital, user=user)
    assert [d.department.name for d in regime.departments] == ["Mine"]


def test_standard_regimes_not_yet_established_are_listed(hospital, manager):
    RegimeDocumentFactory(hospital=hospital, kind=RegimeKind.INSPECTION)
    RegimeDocumentFactory(hospital=hospital, kind=RegimeKind.OTHER)
    regime = selectors.hospital_regime(hospital=hospital, user=manager)
    assert regime.missing_kinds == [RegimeKind.MAINTENANCE_RESPONSIBILITY, RegimeKind.EMERGENCY]


def test_the_overview_counts_gaps_per_hospital(manager):
    a, b = HospitalFactory(name="A"), HospitalFactory(name="B")
    DeviceFactory(department=DepartmentFactory(hospital=a))
    DeviceFactory(department=DepartmentFactory(hospital=a))
    RegimeDocumentFactory(hospital=b, kind=RegimeKind.EMERGENCY)
    summary = {
        s.hospital.name: s for s in selectors.regime_overview(hospitals=[a, b], user=manager)
    }
    assert (summary["A"].department_gaps, summary["A"].device_gaps) == (2, 2)
    assert (summary["B"].documents, summary["B"].department_gaps) == (1, 0)
    assert RegimeKind.EMERGENCY not in summary["B"].missing_kinds
