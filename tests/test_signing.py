"""The one signing workflow (``core.signing``, GUIDE 15), tested through the kinds that use
it: the order of the roles, the freeze after the last signature needed, the withdrawal of
signatures on a content change, the refusal of any change once frozen (services, API,
pages and admin alike), amendments, one vocabulary of who signs, and the sign pages:
nothing is offered for signing while the document is incomplete, and a refused submit
sends the drawing back to the pad."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import UserFactory, vendor_user
from assets.tests.factories import DeviceFactory
from core.errors import Conflict
from core.signatures import content_hash, decode_signature_data_url
from core.signing import SignatureRole
from core.signing import workflow as signing
from core.tests.apiclient import Api
from customers.tests.factories import HospitalFactory
from maintenance.models import Visit
from maintenance.tests.factories import VisitFactory
from maintenance.tests.factories import signature_data_url as visit_signature
from maintenance.visit_records import VISIT_RECORD, visit_complete
from return_visits.models import ReturnVisit, ReturnVisitSignature
from return_visits.selectors import sheet_content
from return_visits.services import return_visit_record, return_visit_sign, return_visits_generate
from return_visits.sheet import RETURN_VISIT_SHEET, ReturnVisitSheet
from return_visits.tests.factories import SIGNATURE, department_with_devices, sheet
from service.models import RepairRecord, Signature
from service.repair_records import services as records
from service.repair_records.services import REPAIR_RECORD
from service.tests.test_records import data_url, open_request, signature_png, write_record
from service.tests.test_records import sign as sign_record
from training import services as training
from training.models import TrainingSession
from training.tests.factories import make_session, sign_in

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)  # 12 March, 10:00 in Shanghai
IMAGE = decode_signature_data_url(SIGNATURE)
RECORD_IMAGE = signature_png()  # what the repair records' helper signs with


@pytest.fixture
def march():
    """The return visits' month: 12 March 2026."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")


@pytest.fixture
def device():
    return DeviceFactory()


@pytest.fixture
def sign_page(client, engineer, device) -> str:
    """The sign page of a complete repair record of a repaired request, for its engineer,
    who has signed it (the customer signs after the engineer)."""
    sign_record(write_record(open_request(device, engineer), engineer), "engineer", engineer)
    client.force_login(engineer)
    return reverse("records:record_sign", args=[RepairRecord.objects.get().request_id])


@pytest.fixture
def recorded(march, engineer) -> ReturnVisit:
    """A return visit of this month whose sheet is recorded, unsigned."""
    department, _devices = department_with_devices(hospital=HospitalFactory(), name="重症医学科")
    return_visits_generate(horizon_days=0)
    visit = ReturnVisit.objects.get(department=department)
    return_visit_record(visit=visit, user=engineer, **sheet(visit))
    visit.refresh_from_db()
    return visit


class OrderedSheet(ReturnVisitSheet):
    """The return-visit sheet, but the engineer signs first (no PDF: not the point here)."""

    ordered = True
    pdf_field = ""


ORDERED = OrderedSheet()


def row(visit: ReturnVisit, role: str, name: str, user=None) -> ReturnVisitSignature:
    return ReturnVisitSignature(visit=visit, role=role, signer_name=name, user=user)


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- order and freeze -----------------------------------------------------------------------
def test_an_ordered_kind_takes_its_roles_in_order_and_freezes_after_the_last(recorded, engineer):
    with pytest.raises(ValidationError) as refused:
        signing.add_signature(
            ORDERED, recorded, row(recorded, "hospital", "李娜"), IMAGE, now=NOW, actor=engineer
        )
    assert refused.value.error_dict["role"][0].code == "out_of_order"
    assert not ReturnVisitSignature.objects.exists()
    assert media_files() == []  # refused before any file is stored

    first = signing.add_signature(
        ORDERED, recorded, row(recorded, "engineer", "张伟", engineer), IMAGE, now=NOW, actor=None
    )
    recorded.refresh_from_db()
    assert not ORDERED.is_frozen(recorded) and recorded.content_hash == ""
    later = NOW + timedelta(minutes=5)
    second = signing.add_signature(
        ORDERED, recorded, row(recorded, "hospital", "李娜"), IMAGE, now=later, actor=None
    )

    recorded.refresh_from_db()
    assert ORDERED.is_frozen(recorded)
    assert (recorded.frozen_at, recorded.state) == (later, "done")  # the kind's own step
    assert recorded.content_hash == content_hash(sheet_content(recorded))
    for signature in (first, second):
        assert signature.content_hash == content_hash(sheet_content(recorded), IMAGE)
        assert signing.signature_matches(ORDERED, signature)
    # Frozen: a role that has signed never signs again.
    with pytest.raises(ValidationError) as again:
        signing.add_signature(
            ORDERED, recorded, row(recorded, "engineer", "张伟"), IMAGE, now=later, actor=None
        )
    assert str(ORDERED.already_signed_message) in again.value.messages
    assert ReturnVisitSignature.objects.count() == 2


def test_a_kind_freezes_on_the_signatures_it_names_and_the_others_may_follow(engineer, device):
    """The repair record: the engineer signs first and does not freeze it; the customer's
    signature freezes it (``freezing_roles``); a role that signed cannot sign again then."""
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    first = sign_record(record, "engineer", engineer, name="张伟")
    assert first.content_hash == content_hash(records.record_content(record), RECORD_IMAGE)
    record.refresh_from_db()
    assert not REPAIR_RECORD.is_frozen(record)
    sign_record(record, "hospital", engineer, name="李护士")
    record.refresh_from_db()
    assert REPAIR_RECORD.is_frozen(record)
    with pytest.raises(ValidationError):
        sign_record(record, "engineer", engineer)


def test_an_incomplete_document_is_not_signed(engineer, device):
    request = open_request(device, engineer)
    record = write_record(request, engineer, diagnosis="", solution="")
    assert REPAIR_RECORD.missing(record) == ["diagnosis", "solution and work done"]
    with pytest.raises(ValidationError) as refused:
        sign_record(record, "engineer", engineer)
    assert refused.value.code == "incomplete"
    assert not Signature.objects.exists() and media_files() == []


# --- withdrawal on a change -------------------------------------------------------------------
def test_a_change_of_content_withdraws_the_signatures_given_before(
    recorded, engineer, django_capture_on_commit_callbacks
):
    signature = signing.add_signature(
        RETURN_VISIT_SHEET,
        recorded,
        row(recorded, "engineer", "张伟", engineer),
        IMAGE,
        now=NOW,
        actor=engineer,
    )
    image = Path(signature.image.path)
    before = RETURN_VISIT_SHEET.content(recorded)
    assert not signing.withdraw_if_changed(RETURN_VISIT_SHEET, recorded, before)
    assert ReturnVisitSignature.objects.count() == 1

    ReturnVisit.objects.filter(pk=recorded.pk).update(comments="希望增加培训")
    recorded.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert signing.withdraw_if_changed(RETURN_VISIT_SHEET, recorded, before)
    assert not ReturnVisitSignature.objects.exists()
    assert not image.exists()  # its image goes with it, once committed


def test_signing_again_before_the_freeze_replaces_the_earlier_signature(recorded, engineer):
    for name in ("工程师", "张伟"):
        signing.add_signature(
            RETURN_VISIT_SHEET,
            recorded,
            row(recorded, "engineer", name, engineer),
            IMAGE,
            now=NOW,
            actor=engineer,
        )
    assert list(ReturnVisitSignature.objects.values_list("signer_name", flat=True)) == ["张伟"]


# --- refused once frozen: services, API, pages, admin ------------------------------------
def test_a_frozen_sheet_refuses_changes_in_the_service_and_the_api(client, recorded, engineer):
    nurse_name = "李娜"
    return_visit_sign(
        visit=recorded, role="engineer", signer_name="张伟", signature_data_url=SIGNATURE,
        user=engineer,
    )  # fmt: skip
    return_visit_sign(
        visit=recorded, role="hospital", signer_name=nurse_name, signer_role="护士长",
        signature_data_url=SIGNATURE, user=engineer,
    )  # fmt: skip
    recorded.refresh_from_db()
    assert RETURN_VISIT_SHEET.is_frozen(recorded)

    with pytest.raises(Conflict) as service:
        return_visit_record(visit=recorded, user=engineer, **sheet(recorded, comments="改写"))
    assert service.value.code == "frozen"
    with pytest.raises(Conflict):
        signing.refuse_if_frozen(RETURN_VISIT_SHEET, recorded)

    api = Api(client, engineer)
    checks = recorded.device_checks.all()
    body = {
        "participants": [{"name": "王主任", "role": "科室主任"}],
        "devices": [{"device_id": c.device_id, "state": "normal"} for c in checks],
        "satisfaction": 1,
    }
    answer = api.post(f"/return-visits/{recorded.pk}/sheet", body)
    assert answer.status_code == 409
    assert answer.json()["errors"][0]["type"] == "frozen"
    recorded.refresh_from_db()
    assert recorded.satisfaction == 4 and recorded.comments == "服务及时"


def test_a_frozen_record_refuses_changes_in_the_service_the_parts_lines_and_the_page(
    client, engineer, device
):
    from service.repair_records.parts import repair_record_part_add

    request = open_request(device, engineer)
    record = write_record(request, engineer)
    sign_record(record, "hospital", engineer)
    for attempt in (
        lambda: write_record(request, engineer, solution="改写"),
        lambda: repair_record_part_add(request=request, line={"name": "保险丝"}, author=engineer),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.code == "frozen"
    client.force_login(engineer)
    page = client.post(reverse("records:record_edit", args=[request.pk]), {"solution": "改写"})
    assert page.status_code == 302
    assert RepairRecord.objects.get().solution == "更换电源板"


def test_a_session_signed_in_to_keeps_what_was_signed():
    session = make_session()
    assert not training.TRAINING_SESSION.is_frozen(session)
    sign_in(session)
    assert training.TRAINING_SESSION.is_frozen(session)
    with pytest.raises(ValidationError) as refused:
        training.training_session_update(session=session, place="另一个会议室")
    assert refused.value.code == "frozen"


def _admin_request():
    request = RequestFactory().post("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    request._messages = _NoMessages()  # type: ignore[attr-defined]  # the admin posts messages
    return request


class _NoMessages:
    def add(self, level, message, extra_tags=""):
        pass


class _StaleForm:
    """An admin form opened before the freeze, posted after it."""

    def __init__(self, changed):
        self.changed_data = changed


def test_the_admin_shows_a_signed_visit_read_only_refuses_a_stale_change_and_never_deletes(
    client, engineer
):
    visit_admin = admin.site._registry[Visit]
    open_visit = VisitFactory()
    request = _admin_request()
    assert "due_on" not in visit_admin.get_readonly_fields(request, open_visit)
    # A visit is an archive entry: kept even before it is signed (``core.retention``).
    assert not visit_admin.has_delete_permission(request, open_visit)

    signed = visit_complete(
        visit=VisitFactory(),
        user=engineer,
        results={"appearance": "pass", "self_test": "pass"},
        signer_name="王主任",
        signature_data_url=visit_signature(),
    )
    assert VISIT_RECORD.is_frozen(signed)
    readonly = visit_admin.get_readonly_fields(request, signed)
    assert {"due_on", "state", "results", "signer_name", "engineers"} <= set(readonly)
    assert not visit_admin.has_delete_permission(request, signed)
    stale = Visit.objects.get(pk=signed.pk)
    stale.due_on = stale.due_on + timedelta(days=3)
    with pytest.raises(PermissionDenied):
        visit_admin.save_model(request, stale, _StaleForm(["due_on"]), change=True)
    assert Visit.objects.get(pk=signed.pk).due_on == signed.due_on

    client.force_login(request.user)
    delete = reverse("admin:maintenance_visit_delete", args=[signed.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Visit.objects.filter(pk=signed.pk).exists()
    change = reverse("admin:maintenance_visit_change", args=[signed.pk])
    assert client.get(change).status_code == 200


def test_the_admin_freezes_only_what_attendees_signed_for():
    session_admin = admin.site._registry[TrainingSession]
    session = make_session()
    request = _admin_request()
    assert "place" not in session_admin.get_readonly_fields(request, session)
    sign_in(session)
    readonly = set(session_admin.get_readonly_fields(request, session))
    assert set(training.SIGNED_SESSION_FIELDS) <= readonly
    assert "content" not in readonly  # what was not signed for may still change
    with pytest.raises(PermissionDenied):
        session_admin.save_model(request, session, _StaleForm(["place"]), change=True)
    session_admin.save_model(request, session, _StaleForm(["content"]), change=True)


# --- amendments -------------------------------------------------------------------------
def test_an_amendment_corrects_a_frozen_document_and_is_signed_over_its_own_content(
    engineer, device
):
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    with pytest.raises(ValidationError) as unsigned:
        signing.amend(
            REPAIR_RECORD, record, author=engineer, reason="笔误", changes={"diagnosis": "x"},
            now=NOW,
        )  # fmt: skip
    assert unsigned.value.code == "not_frozen"
    sign_record(record, "hospital", engineer)
    record.refresh_from_db()
    frozen = REPAIR_RECORD.content(record)
    with pytest.raises(ValidationError) as same:
        signing.amend(
            REPAIR_RECORD, record, author=engineer, reason="核对",
            changes={"diagnosis": record.diagnosis}, now=NOW,
        )  # fmt: skip
    assert same.value.code == "no_change"

    amendment = signing.amend(
        REPAIR_RECORD, record, author=engineer, reason="诊断补充",
        changes={"diagnosis": "电源板电容老化", "solution": record.solution}, now=NOW,
    )  # fmt: skip
    assert amendment.changes == {"diagnosis": "电源板电容老化"}  # only what really changes
    assert amendment.content_hash == content_hash(
        {"record": record.content_hash, "reason": "诊断补充", "changes": amendment.changes}
    )
    record.refresh_from_db()
    assert REPAIR_RECORD.content(record) == frozen  # the signed record never changes
    assert signing.effective_content(REPAIR_RECORD, record)["diagnosis"] == "电源板电容老化"

    signature = sign_record(record, "hospital", engineer, amendment=amendment)
    assert signing.signature_matches(REPAIR_RECORD, signature)
    with pytest.raises(ValidationError):
        sign_record(record, "hospital", engineer, amendment=amendment)


# --- one vocabulary -------------------------------------------------------------------------
def test_one_vocabulary_of_who_signs():
    assert SignatureRole.values == ["engineer", "hospital"]
    for model in (Signature, ReturnVisitSignature):
        assert model._meta.get_field("role").choices == SignatureRole.choices
    assert set(REPAIR_RECORD.roles) | set(RETURN_VISIT_SHEET.roles) <= set(SignatureRole.values)
    root = Path(settings.BASE_DIR)
    packages = [
        folder
        for folder in root.iterdir()
        if folder.is_dir() and (folder / "__init__.py").exists() and folder.name != "tests"
    ]
    defined = [
        path.relative_to(root).as_posix()
        for package in packages
        for path in package.rglob("*.py")
        if "tests" not in path.parts and "class SignatureRole(" in path.read_text("utf-8")
    ]
    assert defined == ["core/signing/kinds.py"]


def test_the_repair_records_customer_became_the_hospital(engineer, device):
    migration = importlib.import_module("service.migrations.0007_one_signature_vocabulary")
    from django.apps import apps

    request = open_request(device, engineer)
    record = write_record(request, engineer)
    signature = sign_record(record, "hospital", engineer)
    Signature.objects.filter(pk=signature.pk).update(role="customer")  # as stored before
    migration.customer_to_hospital(apps, None)
    signature.refresh_from_db()
    assert signature.role == "hospital"
    assert records.signature_matches(signature)  # the role was never part of the hash
    migration.hospital_to_customer(apps, None)
    assert Signature.objects.get(pk=signature.pk).role == "customer"


# --- the sign pages -------------------------------------------------------------------------
def test_an_incomplete_record_offers_no_pad_and_says_what_is_missing(client, engineer, device):
    request = open_request(device, engineer)
    write_record(request, engineer, diagnosis="", fault_at=None)
    client.force_login(engineer)

    edit = client.get(reverse("records:record_edit", args=[request.pk])).content.decode()
    assert "<li data-missing>diagnosis</li>" in edit
    assert 'data-sign="engineer"' not in edit and 'data-sign="hospital"' not in edit
    assert edit.count("data-required-to-sign>") == 4  # the fields needed to sign, marked

    sign_url = reverse("records:record_sign", args=[request.pk]) + "?role=engineer"
    page = client.get(sign_url).content.decode()
    assert "<li data-missing>time of the fault</li>" in page
    assert "signature-canvas" not in page and "sign-submit" not in page

    write_record(request, engineer)  # complete now
    page = client.get(sign_url).content.decode()
    assert "data-sign-missing" not in page and "signature-canvas" in page


def test_a_refused_submit_sends_the_drawing_back_unless_the_drawing_was_refused(client, sign_page):
    # Handed over without the signer's position: refused, the drawing comes back.
    refused = client.post(
        sign_page, {"role": "hospital", "signer_name": "李护士", "signature": SIGNATURE}
    )
    assert refused.status_code == 422
    body = refused.content.decode()
    assert f'value="{SIGNATURE}"' in body
    assert "data-refused" not in body
    # An empty drawing is refused itself: the pad starts empty again.
    blank = data_url(signature_png(ink=False))
    refused = client.post(
        sign_page,
        {"role": "hospital", "signer_name": "李护士", "signer_role": "护士长", "signature": blank},
    )
    assert refused.status_code == 422 and "data-refused" in refused.content.decode()
    assert not Signature.objects.filter(role=SignatureRole.HOSPITAL).exists()


def test_a_sign_page_opened_before_one_vocabulary_still_signs_for_the_hospital(client, sign_page):
    assert client.get(sign_page + "?role=customer").status_code == 200
    posted = {"role": "customer", "signer_name": "李护士", "signer_role": "护士长"}
    response = client.post(sign_page, posted | {"signature": SIGNATURE})
    assert response.status_code == 302
    assert Signature.objects.get(role=SignatureRole.HOSPITAL).signer_name == "李护士"
