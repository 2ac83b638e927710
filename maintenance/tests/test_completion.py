"""Completing a visit: results, the hospital's signature, findings raised on the spot
(issue 4 §1)."""

from __future__ import annotations

import base64
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from PIL import Image, ImageDraw

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from maintenance.generation import visits_generate
from maintenance.models import Visit, VisitFinding, VisitState
from maintenance.selectors import checklist_for
from maintenance.visit_records import visit_complete, visit_signature_matches
from service.models import ServiceRequest

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def signature_png(*, ink: bool = True) -> bytes:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    if ink:
        draw = ImageDraw.Draw(image)
        draw.line([(10, 80), (60, 20), (120, 70), (200, 15), (280, 60)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(raw: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


SIGNATURE = data_url(signature_png())


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


def visit_of(kind: str) -> Visit:
    """A device live on 10 March 2025: patrols monthly, an inspection in June, the overhaul
    on 10 March 2026 covering all three."""
    device = DeviceFactory(live_on=date(2025, 3, 10))
    visits_generate(today=date(2026, 2, 20), horizon_days=130, devices=[device])
    visit = Visit.objects.filter(device=device, main_kind=kind).order_by("due_on").first()
    assert visit is not None
    return visit


def complete(visit, user, **kwargs):
    kwargs.setdefault("signer_name", "王主任")
    kwargs.setdefault("signature_data_url", SIGNATURE)
    kwargs.setdefault("now", NOW)
    return visit_complete(visit=visit, user=user, **kwargs)


def media_files(settings) -> list:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_checklist_for_unions_the_kinds_larger_first():
    overhaul = visit_of("overhaul")
    assert overhaul.kinds == ["overhaul", "inspection", "patrol"]
    keys = [item["key"] for item in checklist_for(overhaul)]
    assert keys == ["appearance", "self_test", "leakage_current", "safety", "remarks"]
    patrol = visit_of("patrol")
    assert [item["key"] for item in checklist_for(patrol)] == ["appearance", "self_test"]


def test_completed_patrol_fulfils_obligations_and_stores_results_and_hash(engineer):
    visit = visit_of("patrol")
    results = {"appearance": "pass", "self_test": {"value": True, "note": "正常"}}
    done = complete(visit, engineer, results=results)
    assert (done.state, done.done_at, done.done_by) == (VisitState.DONE, NOW, engineer)
    assert done.results == {
        "appearance": {"value": True, "ok": True, "note": ""},
        "self_test": {"value": True, "ok": True, "note": "正常"},
    }
    assert all(o.fulfilled_at == NOW for o in done.obligations.all())
    assert done.obligations.exists()
    assert len(done.content_hash) == 64
    assert (done.signer_name, done.signed_at) == ("王主任", NOW)
    assert visit_signature_matches(done)
    done.results["appearance"]["ok"] = False
    assert not visit_signature_matches(done)
    assert not done.findings.exists()


def test_out_of_limit_leakage_current_raises_one_request_found_on_the_visit(engineer):
    visit = visit_of("overhaul")
    results = {
        "appearance": "pass",
        "self_test": "pass",
        "leakage_current": "150",
        "safety": "pass",
    }
    done = complete(visit, engineer, results=results, raise_requests_for=["leakage_current"])
    assert done.results["leakage_current"] == {"value": 150, "ok": False, "note": ""}
    (finding,) = VisitFinding.objects.filter(visit=done)
    request = finding.request
    assert finding.item_key == "leakage_current"
    assert ServiceRequest.objects.count() == 1
    assert (request.channel, request.severity, request.device_id) == (
        "visit",
        "normal",
        visit.device_id,
    )
    assert (request.recorded_by, request.reported_at) == (engineer, NOW)
    assert "漏电流" in request.description
    assert "150" in request.description and "100" in request.description
    assert "µA" in request.description
    assert all(o.fulfilled_at == NOW for o in done.obligations.all())


def test_a_failed_pass_fail_item_can_raise_a_request(engineer):
    visit = visit_of("patrol")
    complete(
        visit,
        engineer,
        results={"appearance": "fail", "self_test": True},
        raise_requests_for=["appearance"],
    )
    (request,) = ServiceRequest.objects.all()
    assert request.channel == "visit"
    assert request.visit_finding.visit == visit


def test_raising_for_an_ok_item_is_refused_and_nothing_is_saved(engineer, settings):
    visit = visit_of("overhaul")
    results = {"appearance": "pass", "self_test": "pass", "leakage_current": 50, "safety": "pass"}
    with pytest.raises(ValidationError) as exc:
        complete(visit, engineer, results=results, raise_requests_for=["leakage_current"])
    assert "raise_requests_for" in exc.value.message_dict
    visit.refresh_from_db()
    assert (visit.state, visit.results, visit.content_hash) == (VisitState.PLANNED, {}, "")
    assert not visit.obligations.filter(fulfilled_at__isnull=False).exists()
    assert not ServiceRequest.objects.exists()
    assert media_files(settings) == []


@pytest.mark.parametrize(
    ("results", "field"),
    [
        ({"appearance": "pass"}, "self_test"),  # required pass/fail missing
        ({"appearance": "pass", "self_test": "maybe"}, "self_test"),
        ({"appearance": "pass", "self_test": "pass", "nonsense": 1}, "results"),
    ],
)
def test_bad_results_are_refused_per_item(engineer, results, field):
    visit = visit_of("patrol")
    with pytest.raises(ValidationError) as exc:
        complete(visit, engineer, results=results)
    assert field in exc.value.message_dict
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED


def test_missing_or_non_numeric_reading_is_refused(engineer):
    visit = visit_of("overhaul")
    base = {"appearance": "pass", "self_test": "pass", "safety": "pass"}
    with pytest.raises(ValidationError) as exc:
        complete(visit, engineer, results=base)
    assert "leakage_current" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        complete(visit, engineer, results={**base, "leakage_current": "abc"})
    assert "leakage_current" in exc.value.message_dict
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED


@pytest.mark.parametrize("signature", ["", data_url(signature_png(ink=False)), "data:image/png;x"])
def test_bad_signature_is_refused(engineer, settings, signature):
    visit = visit_of("patrol")
    with pytest.raises(ValidationError) as exc:
        complete(
            visit,
            engineer,
            results={"appearance": "pass", "self_test": "pass"},
            signature_data_url=signature,
        )
    assert "signature" in exc.value.message_dict
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED
    assert media_files(settings) == []


def test_signer_name_is_required(engineer):
    visit = visit_of("patrol")
    with pytest.raises(ValidationError) as exc:
        complete(
            visit, engineer, results={"appearance": "pass", "self_test": "pass"}, signer_name=" "
        )
    assert "signer_name" in exc.value.message_dict


def test_second_completion_is_refused_and_changes_nothing(engineer):
    visit = visit_of("patrol")
    complete(visit, engineer, results={"appearance": "pass", "self_test": "pass"})
    stored = Visit.objects.get(pk=visit.pk)
    other = vendor_user(VendorRole.ENGINEER, username="eng2")
    with pytest.raises(ValidationError) as exc:
        complete(
            Visit.objects.get(pk=visit.pk),
            other,
            results={"appearance": "fail", "self_test": "pass"},
            raise_requests_for=["appearance"],
            now=datetime(2026, 3, 11, tzinfo=UTC),
        )
    assert "state" in exc.value.message_dict
    again = Visit.objects.get(pk=visit.pk)
    assert (again.done_by, again.done_at, again.results, again.content_hash) == (
        stored.done_by,
        stored.done_at,
        stored.results,
        stored.content_hash,
    )
    assert not ServiceRequest.objects.exists()


def test_a_stale_planned_copy_is_refused_after_completion(engineer):
    visit = visit_of("patrol")
    stale = Visit.objects.get(pk=visit.pk)
    complete(visit, engineer, results={"appearance": "pass", "self_test": "pass"})
    with pytest.raises(ValidationError):
        complete(stale, engineer, results={"appearance": "pass", "self_test": "pass"})
