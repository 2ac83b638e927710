"""Completion with or without the hospital's signature, signing later, and "signed means
frozen" (issue 4 §1, §5; R-2.4; GUIDE 7)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, hospital_user
from maintenance.models import Visit, VisitState
from maintenance.selectors import visit_display_state
from maintenance.tests.factories import (
    VisitFactory,
    photo_template,
    photo_upload,
    signature_data_url,
)
from maintenance.visit_records import (
    visit_complete,
    visit_content,
    visit_photo_add,
    visit_sign,
    visit_signature_matches,
)
from service.models import ServiceRequest

pytestmark = pytest.mark.django_db

DONE_AT = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
SIGNED_AT = datetime(2026, 3, 11, 6, 30, tzinfo=UTC)
PASSING = {"appearance": "pass", "self_test": "pass"}


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


@pytest.fixture
def visit():
    return VisitFactory()


@pytest.fixture
def department_user(visit):
    return hospital_user(
        visit.hospital,
        HospitalRole.DEPARTMENT_USER,
        departments=[visit.department],
        username="icu",
    )


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def done_unsigned(visit, engineer) -> Visit:
    return visit_complete(visit=visit, user=engineer, results=PASSING, now=DONE_AT)


def test_done_without_signature_awaits_the_hospital(visit, engineer, settings):
    done = done_unsigned(visit, engineer)
    assert (done.state, done.done_at, done.done_by) == (VisitState.DONE, DONE_AT, engineer)
    assert (done.signer_name, done.signed_at, done.content_hash) == ("", None, "")
    assert not done.signature_image
    assert not done.is_signed
    assert not visit_signature_matches(done)
    assert visit_display_state(done) == "awaiting_signature"
    assert all(o.fulfilled_at == DONE_AT for o in done.obligations.all())
    assert media_files(settings) == []


def test_done_and_signed_at_once(visit, engineer):
    done = visit_complete(
        visit=visit,
        user=engineer,
        results=PASSING,
        signer_name="王主任",
        signature_data_url=signature_data_url(),
        now=DONE_AT,
    )
    assert done.is_signed
    assert (done.signer_name, done.signed_at) == ("王主任", DONE_AT)
    assert visit_signature_matches(done)
    assert visit_display_state(done) == "done"


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"signer_name": "王主任"}, "signature"),
        ({"signature_data_url": signature_data_url()}, "signer_name"),
    ],
)
def test_half_a_signature_is_refused_on_the_missing_half(visit, engineer, settings, given, missing):
    with pytest.raises(ValidationError) as exc:
        visit_complete(visit=visit, user=engineer, results=PASSING, now=DONE_AT, **given)
    assert set(exc.value.message_dict) == {missing}
    visit.refresh_from_db()
    assert (visit.state, visit.results, visit.done_at) == (VisitState.PLANNED, {}, None)
    assert media_files(settings) == []


def test_department_user_signs_later(visit, engineer, department_user):
    done_unsigned(visit, engineer)
    signed = visit_sign(
        visit=Visit.objects.get(pk=visit.pk),
        user=department_user,
        signer_name="李护士长",
        signature_data_url=signature_data_url(),
        now=SIGNED_AT,
    )
    assert (signed.signer_name, signed.signed_at) == ("李护士长", SIGNED_AT)
    assert (signed.done_at, signed.done_by) == (DONE_AT, engineer)  # the work is unchanged
    assert signed.is_signed and visit_signature_matches(signed)
    assert visit_display_state(signed) == "done"


def test_signing_a_planned_or_signed_visit_is_refused(visit, engineer, department_user):
    with pytest.raises(ValidationError) as exc:
        visit_sign(
            visit=visit,
            user=department_user,
            signer_name="李护士长",
            signature_data_url=signature_data_url(),
        )
    assert set(exc.value.message_dict) == {"state"}
    done_unsigned(visit, engineer)
    visit_sign(
        visit=Visit.objects.get(pk=visit.pk),
        user=department_user,
        signer_name="李护士长",
        signature_data_url=signature_data_url(),
        now=SIGNED_AT,
    )
    stored = Visit.objects.get(pk=visit.pk)
    with pytest.raises(ValidationError) as exc:
        visit_sign(
            visit=stored,
            user=engineer,
            signer_name="someone else",
            signature_data_url=signature_data_url(),
        )
    assert set(exc.value.message_dict) == {"state"}
    again = Visit.objects.get(pk=visit.pk)
    assert (again.signer_name, again.signed_at, again.content_hash) == (
        "李护士长",
        SIGNED_AT,
        stored.content_hash,
    )


def test_a_stale_copy_cannot_sign_twice(visit, engineer, department_user):
    done_unsigned(visit, engineer)
    stale = Visit.objects.get(pk=visit.pk)
    visit_sign(
        visit=Visit.objects.get(pk=visit.pk),
        user=department_user,
        signer_name="李护士长",
        signature_data_url=signature_data_url(),
    )
    with pytest.raises(ValidationError) as exc:
        visit_sign(
            visit=stale,
            user=department_user,
            signer_name="other",
            signature_data_url=signature_data_url(),
        )
    assert "state" in exc.value.message_dict
    assert Visit.objects.get(pk=visit.pk).signer_name == "李护士长"


@pytest.mark.parametrize(
    ("signer_name", "signature", "fields"),
    [
        ("", "", {"signer_name", "signature"}),
        ("李护士长", "data:image/png;base64,AAAA", {"signature"}),
        (" ", signature_data_url(), {"signer_name"}),
    ],
)
def test_bad_signature_changes_nothing(
    visit, engineer, department_user, settings, signer_name, signature, fields
):
    done_unsigned(visit, engineer)
    with pytest.raises(ValidationError) as exc:
        visit_sign(
            visit=Visit.objects.get(pk=visit.pk),
            user=department_user,
            signer_name=signer_name,
            signature_data_url=signature,
        )
    assert set(exc.value.message_dict) == fields
    stored = Visit.objects.get(pk=visit.pk)
    assert (stored.content_hash, stored.signer_name, stored.signed_at) == ("", "", None)
    assert media_files(settings) == []


def test_signed_visit_is_frozen(engineer):
    device = DeviceFactory()
    photo_template(device)
    visit = VisitFactory(device=device)
    photo = visit_photo_add(
        visit=visit, user=engineer, item_key="panel_photo", upload=photo_upload()
    )
    done = visit_complete(
        visit=visit,
        user=engineer,
        results={
            "appearance": "fail",
            "leakage_current": {"value": 150, "note": "接地线松动，已当场紧固后复测合格"},
        },
        signer_name="王主任",
        signature_data_url=signature_data_url(),
        raise_requests_for=["appearance"],
        now=DONE_AT,
    )
    assert visit_content(done)["photos"] == [["panel_photo", photo.sha256]]
    assert visit_signature_matches(done)
    # No service changes a signed visit: not its results, not its photos, not its signature.
    for attempt in (
        lambda: visit_complete(visit=done, user=engineer, results={"appearance": "pass"}),
        lambda: visit_photo_add(
            visit=done, user=engineer, item_key="panel_photo", upload=photo_upload()
        ),
        lambda: visit_sign(
            visit=done, user=engineer, signer_name="x", signature_data_url=signature_data_url()
        ),
    ):
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert "state" in exc.value.message_dict
    assert ServiceRequest.objects.count() == 1
    assert done.photos.count() == 1
    # What was signed is bound to the hash: a changed photo no longer matches.
    done.photos.update(sha256="0" * 64)
    assert not visit_signature_matches(Visit.objects.get(pk=done.pk))


def test_sign_permission(visit, department_user):
    other_department = DepartmentFactory(hospital=visit.hospital)
    other_department_user = hospital_user(
        visit.hospital,
        HospitalRole.DEPARTMENT_USER,
        departments=[other_department],
        username="other-dept",
    )
    other_hospital_admin = hospital_user(DepartmentFactory().hospital, username="other-admin")
    allowed = {
        "department user": department_user,
        "equipment admin": hospital_user(visit.hospital, username="admin"),
        "engineer": vendor_user(VendorRole.ENGINEER, username="e"),
        "manager": vendor_user(VendorRole.MANAGER, username="m"),
    }
    refused = {
        "other department": other_department_user,
        "other hospital": other_hospital_admin,
        "dispatcher": vendor_user(VendorRole.DISPATCHER, username="d"),
    }
    for who, user in allowed.items():
        assert user.has_perm("maintenance.sign_visit", visit), who
    for who, user in refused.items():
        assert not user.has_perm("maintenance.sign_visit", visit), who
    # Outside the scope the visit is not even found (404 at the edges).
    assert not Visit.objects.for_user(other_hospital_admin).filter(pk=visit.pk).exists()
    assert not Visit.objects.for_user(other_department_user).filter(pk=visit.pk).exists()
    assert Visit.objects.for_user(department_user).filter(pk=visit.pk).exists()


@pytest.mark.parametrize(
    ("role", "complete", "special", "assign", "plan"),
    [
        (VendorRole.ADMIN, True, True, True, True),
        (VendorRole.MANAGER, True, True, True, True),
        (VendorRole.ENGINEER, True, True, False, False),
        (VendorRole.DISPATCHER, False, False, False, False),
    ],
)
def test_vendor_permissions(visit, role, complete, special, assign, plan):
    user = vendor_user(role, username=f"u-{role}")
    assert user.has_perm("maintenance.view_visit", visit)
    assert user.has_perm("maintenance.complete_visit", visit) is complete
    assert user.has_perm("maintenance.create_special_visit", visit.device) is special
    assert user.has_perm("maintenance.assign_visit", visit) is assign
    assert user.has_perm("maintenance.change_plan") is plan


def test_hospital_users_neither_complete_nor_plan(visit, department_user):
    admin = hospital_user(visit.hospital, username="admin")
    for user in (admin, department_user):
        assert user.has_perm("maintenance.view_visit", visit)
        for perm in ("complete_visit", "create_special_visit", "assign_visit", "change_plan"):
            assert not user.has_perm(f"maintenance.{perm}", visit), perm
