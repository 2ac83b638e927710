"""The signing workflow on a phone (390 px, zh-CN, Debian's chromium; ``core.signing``,
``js/signature-field.js``): a drawn signature is never thrown away when the form is refused,
not even when the phone's keyboard or a turn resizes the page, and the pad is offered only
once the document is complete."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from core.signatures import decode_signature_data_url
from maintenance.models import VisitState
from service.models import RepairRecord, Signature
from service.repair_records.services import repair_record_save, repair_record_sign
from service.tests.test_browser_record import _resolved_request
from service.tests.test_records import SIGNATURE
from tests.test_browser_maintenance import _draw_with_mouse, _login, _patrol_due_today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The pad's visible ink, counted in the page: pixels that are not transparent.
INK = """() => {
  const canvas = document.getElementById("signature-canvas");
  if (!canvas || !canvas.width) return 0;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
  return ink;
}"""
INKED = "() => (" + INK + ")() > 200"


def _ink(page) -> int:
    return page.evaluate(INK)


def test_a_refused_signature_keeps_its_drawing_through_resizes_and_is_then_saved(phone_page):
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    request = _resolved_request(engineer)
    repair_record_save(
        request=request,
        author=engineer,
        fault_at=timezone.now() - timedelta(hours=4),
        symptoms="开机报警 E12",
        diagnosis="电源板损坏",
        solution="更换电源板",
    )
    # The engineer has signed: the customer's turn (issue 12 §2).
    repair_record_sign(
        record=RepairRecord.objects.get(request=request),
        role="engineer",
        signer_name="张伟",
        signature_data_url=SIGNATURE,
        user=engineer,
    )
    page = phone_page
    _login(page, engineer.username)
    sign_url = f"/service-requests/{request.pk}/record/sign/?role=hospital"
    page.goto(sign_url)
    page.fill("#id_signer_name", "李护士")
    _draw_with_mouse(page, page.locator("#signature-canvas"))
    drawn = _ink(page)
    assert drawn > 200

    # Handed over, the position forgotten: refused, and the drawing comes back in the pad.
    page.click("#sign-submit")
    page.wait_for_load_state()
    assert page.locator("#id_signer_role ~ .invalid-feedback").inner_text().strip()
    assert page.locator("input[name=signature]").input_value().startswith("data:image/png")
    page.wait_for_function(INKED)
    assert page.locator("#signature-box .hint").is_hidden()

    # The phone's keyboard opens (the window shrinks, the box does not), then the phone
    # turns (the box widens): the drawing stays.
    page.fill("#id_signer_role", "护士长")
    page.set_viewport_size({"width": 390, "height": 480})
    page.wait_for_function(INKED)
    page.set_viewport_size({"width": 700, "height": 480})
    page.wait_for_function(INKED)

    page.click("#sign-submit")
    page.wait_for_url(re.compile(rf"/service-requests/{request.pk}/record/$"))
    page.locator("[data-state=frozen]").wait_for()
    signature = Signature.objects.get(record__request=request, role="hospital")
    assert (signature.signer_name, signature.signer_role) == ("李护士", "护士长")
    assert signature.on_vendor_device and signature.user is None
    assert RepairRecord.objects.get(request=request).frozen_at is not None


def test_an_incomplete_record_offers_no_pad_on_the_phone(phone_page):
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    request = _resolved_request(engineer)
    repair_record_save(request=request, author=engineer, symptoms="开机报警 E12")
    page = phone_page
    _login(page, engineer.username)
    page.goto(f"/service-requests/{request.pk}/record/")
    assert page.locator("[data-sign-missing]").is_visible()
    assert page.locator("[data-sign]").count() == 0
    assert page.locator("span[data-required-to-sign]").count() == 4  # marked in the form
    page.goto(f"/service-requests/{request.pk}/record/sign/?role=engineer")
    assert page.locator("[data-sign-missing] [data-missing]").count() == 3
    assert page.locator("#signature-canvas").count() == 0


def test_the_checklist_offers_the_pad_once_complete_and_keeps_the_drawing(phone_page):
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    visit, _department = _patrol_due_today(engineer)
    page = phone_page
    _login(page, engineer.username)
    page.goto(f"/visits/{visit.pk}/checklist/")

    # The hospital is to sign now, but nothing is filled in: no pad, and what is missing.
    page.click("label[data-sign-mode=now]")
    missing = page.locator("[data-sign-missing]")
    assert missing.is_visible()
    assert missing.locator("li").all_inner_texts() == ["外观及连接线检查", "漏电流"]
    assert not page.locator("#signature-canvas").is_visible()
    page.locator("[data-item=appearance] label[data-choice=pass]").click()
    assert missing.locator("li").all_inner_texts() == ["漏电流"]
    page.locator("[data-item=leakage_current] input[inputmode=decimal]").fill("50")
    assert missing.is_hidden()
    canvas = page.locator("#signature-canvas")
    assert canvas.is_visible()

    # Signed without the signer's name: refused, the drawing kept for the second try.
    _draw_with_mouse(page, canvas)
    page.click("#complete-submit")
    page.wait_for_load_state()
    assert page.locator("#id_signer_name ~ .invalid-feedback").inner_text().strip()
    page.wait_for_function(INKED)
    page.fill("#id_signer_name", "王主任")
    page.click("#complete-submit")
    page.wait_for_url(re.compile(rf"/visits/{visit.pk}/$"))
    visit.refresh_from_db()
    assert visit.state == VisitState.DONE and len(visit.content_hash) == 64
    assert visit.signer_name == "王主任"


def test_the_engineer_then_the_customer_sign_and_a_refused_drawing_is_kept(phone_page):
    """Issue 12 §2 on a phone: an incomplete record says what is missing (no pad) and links
    to the form; the engineer signs, then the customer; when the customer's submit is
    refused because the record changed meanwhile (the engineer's signature withdrawn), the
    drawing stays in the pad and is the one stored once the engineer has signed again."""
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    request = _resolved_request(engineer)
    repair_record_save(
        request=request,
        author=engineer,
        fault_at=timezone.now() - timedelta(hours=4),
        symptoms="开机报警 E12",
        parts_replaced=[{"name": "保险丝", "quantity": 1}, {"name": "保险丝", "quantity": 1}],
        labor_hours="2.5",
    )
    page = phone_page
    _login(page, engineer.username)
    record_url = f"/service-requests/{request.pk}/record/"

    # Incomplete: told what is missing, with a way to complete it, and no pad.
    page.goto(f"{record_url}sign/?role=engineer")
    missing = page.locator("[data-sign-missing] [data-missing]").all_inner_texts()
    assert missing == ["故障诊断", "解决方案及工作内容"]
    assert page.locator("#signature-canvas").count() == 0
    page.click("[data-sign-missing] a.btn-outline-primary")
    page.wait_for_url(re.compile(rf"{record_url}$"))
    assert page.locator("#id_diagnosis[required][aria-required=true]").count() == 1
    page.fill("#id_diagnosis", "保险丝熔断")
    page.fill("#id_solution", "更换保险丝，试机正常")
    page.click("form.record-form button[name=save]")
    page.wait_for_url(re.compile(rf"{record_url}$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The customer's turn comes after the engineer's.
    assert page.locator("[data-sign=hospital]").count() == 0
    page.goto(f"{record_url}sign/?role=hospital")
    assert page.locator("[data-sign-waiting]").is_visible()
    assert page.locator("#signature-canvas").count() == 0
    page.goto(record_url)
    page.click("[data-sign=engineer]")
    _draw_with_mouse(page, page.locator("#signature-canvas"))
    page.click("#sign-submit")
    page.wait_for_url(re.compile(rf"{record_url}$"))

    page.click("[data-sign=hospital]")
    page.wait_for_url(re.compile(r"/record/sign/\?role=hospital$"))
    page.fill("#id_signer_name", "李护士")
    page.fill("#id_signer_role", "护士长")
    _draw_with_mouse(page, page.locator("#signature-canvas"))
    assert _ink(page) > 200

    # Meanwhile the record is corrected on another phone: the engineer's signature goes.
    record = RepairRecord.objects.get(request=request)
    repair_record_save(request=request, author=engineer, checks_done="复查电源输入")
    assert not Signature.objects.filter(record=record).exists()
    page.click("#sign-submit")
    page.wait_for_load_state()
    assert page.locator("[data-sign-waiting]").is_visible()  # who signs first
    kept = page.locator("input[name=signature]").input_value()
    assert kept.startswith("data:image/png")
    page.wait_for_function(INKED)  # the strokes are back in the pad
    assert not Signature.objects.filter(record=record, role="hospital").exists()

    # The engineer signs again; the customer's kept drawing is sent as it was.
    repair_record_sign(
        record=record,
        role="engineer",
        signer_name="张伟",
        signature_data_url=kept,
        user=engineer,
    )
    page.click("#sign-submit")
    page.wait_for_url(re.compile(rf"{record_url}$"))
    page.locator("[data-state=frozen]").wait_for()
    customer = Signature.objects.get(record=record, role="hospital")
    assert customer.signer_name == "李护士"
    with customer.image.open("rb") as handle:
        assert handle.read() == decode_signature_data_url(kept)
    # One parts line with its quantity, the hours with their unit.
    assert page.locator("[data-part-row]").count() == 1
    assert "×2" in page.locator("[data-part-row]").inner_text()
    assert page.locator("[data-labor-hours]").inner_text().strip() == "2.5 小时"
