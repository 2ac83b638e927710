"""The statement page and the statements list (issue 5 §5, issue 12 §4): lines with why,
totals, the vendor's steps, accept and dispute for the hospital once sent, the history, the
PDF link once accepted, scoping (a draft is a 404 for the hospital)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from charges import services, workflow
from charges.models import ChargeStatement
from charges.tests.factories import covered_device, resolved_request, sent_statement
from customers.tests.factories import HospitalFactory, hospital_user

pytestmark = pytest.mark.django_db


def cells(html: str, kind: str) -> list[str]:
    """The text of each cell of the line of ``kind``, tags dropped, spaces squeezed."""
    row = re.search(rf'<tr data-kind="{kind}">(.*?)</tr>', html, re.S)
    assert row is not None, kind
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]


@pytest.fixture
def request_a():
    return resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1)))


def test_statement_page_shows_lines_why_and_buttons_for_the_hospital(client, request_a):
    sent_statement(request_a)
    client.force_login(hospital_user(request_a.hospital))
    response = client.get(reverse("charges:statement", args=[request_a.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Out of warranty since 2025-01-01" in body
    assert "570.00" in body
    assert reverse("charges:statement_accept", args=[request_a.pk]) in body
    assert reverse("charges:statement_dispute", args=[request_a.pk]) in body


def test_vendor_sees_the_statement_without_the_hospitals_buttons(client, request_a):
    client.force_login(vendor_user(VendorRole.ENGINEER))
    body = client.get(reverse("charges:statement", args=[request_a.pk])).content.decode()
    assert "570.00" in body
    assert reverse("charges:statement_accept", args=[request_a.pk]) not in body


def test_accept_then_pdf(client, request_a, django_capture_on_commit_callbacks):
    sent_statement(request_a)
    client.force_login(hospital_user(request_a.hospital))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("charges:statement_accept", args=[request_a.pk]))
    assert response.status_code == 302
    assert ChargeStatement.objects.get().state == "accepted"
    page = client.get(reverse("charges:statement", args=[request_a.pk])).content.decode()
    assert reverse("charges:statement_pdf", args=[request_a.pk]) in page
    pdf = client.get(reverse("charges:statement_pdf", args=[request_a.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_empty_dispute_shows_the_field_error_and_changes_nothing(client, request_a):
    sent_statement(request_a)
    client.force_login(hospital_user(request_a.hospital))
    response = client.post(
        reverse("charges:statement_dispute", args=[request_a.pk]), {"comment": ""}
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert ChargeStatement.objects.get().state == "sent"
    client.post(reverse("charges:statement_dispute", args=[request_a.pk]), {"comment": "太贵"})
    assert ChargeStatement.objects.get().dispute_comment == "太贵"


def test_unresolved_request_page_says_no_statement_yet(client):
    request = resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1)), resolve=False)
    client.force_login(vendor_user(VendorRole.ADMIN))
    response = client.get(reverse("charges:statement", args=[request.pk]))
    assert response.status_code == 200
    assert "No charge statement yet" in response.content.decode()
    assert client.get(reverse("charges:statement_pdf", args=[request.pk])).status_code == 404


def test_list_is_scoped(client, request_a):
    sent_statement(request_a)
    other_hospital = HospitalFactory(name="SECRET-OTHER")
    other = resolved_request(
        covered_device(accepted_on=dt.date(2024, 1, 1), hospital=other_hospital)
    )
    sent_statement(other)
    client.force_login(hospital_user(request_a.hospital))
    body = client.get(reverse("charges:statement_list")).content.decode()
    assert request_a.number in body and other.number not in body
    client.force_login(vendor_user(VendorRole.DISPATCHER))
    body = client.get(reverse("charges:statement_list")).content.decode()
    assert request_a.number in body and other.number in body


def test_hospital_b_gets_404_on_every_page(client, request_a):
    services.charge_statement_draft(request=request_a)
    client.force_login(hospital_user(HospitalFactory(name="乙医院")))
    for name in ("statement", "statement_pdf"):
        assert client.get(reverse(f"charges:{name}", args=[request_a.pk])).status_code == 404
    for name in ("statement_accept", "statement_dispute"):
        response = client.post(reverse(f"charges:{name}", args=[request_a.pk]), {"comment": "x"})
        assert response.status_code == 404
    assert ChargeStatement.objects.get().state == "draft"


def test_credit_note_page_for_the_vendor_office(client, request_a):
    statement = sent_statement(request_a)
    url = reverse("charges:credit_note_create", args=[request_a.pk])
    manager = vendor_user(VendorRole.MANAGER)
    client.force_login(manager)
    assert client.get(url).status_code == 302  # a sent statement is corrected, not credited
    workflow.charge_statement_accept(statement=statement, user=hospital_user(request_a.hospital))
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 200  # the error, nothing saved
    assert not statement.credit_notes.exists()
    response = client.post(url, {"reason": "same prices"})
    assert response.status_code == 200 and b"Nothing changed" in response.content
    from service.repair_records.services import repair_record_save

    repair_record_save(request=request_a, author=request_a.repair_record.author, labor_hours=1)
    assert client.post(url, {"reason": "工时更正"}).status_code == 302
    note = statement.credit_notes.get()
    assert note.total == -90  # half an hour less at 180.00
    page = client.get(reverse("charges:statement", args=[request_a.pk])).content.decode()
    assert note.number in page
    client.force_login(vendor_user(VendorRole.ENGINEER))
    assert client.get(url).status_code == 403


def test_hospital_gets_404_for_a_draft_or_reviewed_statement(client, request_a):
    statement = services.charge_statement_draft(request=request_a)
    hospital = hospital_user(request_a.hospital)
    client.force_login(hospital)
    page = reverse("charges:statement", args=[request_a.pk])
    response = client.get(page)
    assert response.status_code == 404
    body = response.content.decode()
    assert "has not sent the charge statement" in body and "570.00" not in body
    assert request_a.number not in client.get(reverse("charges:statement_list")).content.decode()
    workflow.charge_statement_review(statement=statement, user=vendor_user(VendorRole.MANAGER))
    assert client.get(page).status_code == 404
    accept = client.post(reverse("charges:statement_accept", args=[request_a.pk]))
    assert accept.status_code == 404
    assert ChargeStatement.objects.get().state == "reviewed"


def test_manager_reviews_and_sends_from_the_page_and_the_engineer_may_not(client, request_a):
    page = reverse("charges:statement", args=[request_a.pk])
    client.force_login(vendor_user(VendorRole.ENGINEER))
    body = client.get(page).content.decode()
    assert reverse("charges:statement_review", args=[request_a.pk]) not in body
    assert client.post(reverse("charges:statement_review", args=[request_a.pk])).status_code == 403
    client.force_login(vendor_user(VendorRole.MANAGER))
    body = client.get(page).content.decode()
    assert reverse("charges:statement_review", args=[request_a.pk]) in body
    assert client.post(reverse("charges:statement_review", args=[request_a.pk])).status_code == 302
    client.force_login(vendor_user(VendorRole.ENGINEER))
    assert client.post(reverse("charges:statement_send", args=[request_a.pk])).status_code == 403
    client.force_login(vendor_user(VendorRole.MANAGER))
    assert client.post(reverse("charges:statement_send", args=[request_a.pk])).status_code == 302
    again = client.post(reverse("charges:statement_send", args=[request_a.pk]), follow=True)
    assert "The statement was sent already." in again.content.decode()
    statement = ChargeStatement.objects.get()
    assert statement.state == "sent"
    assert list(statement.events.values_list("kind", flat=True)) == ["drafted", "reviewed", "sent"]


def test_labels_and_units_are_chinese_only(client, request_a):
    sent_statement(request_a)
    client.force_login(hospital_user(request_a.hospital))
    response = client.get(
        reverse("charges:statement", args=[request_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    labor_cells = cells(response.content.decode(), "labor")
    assert labor_cells[:2] == ["人工", "1.50 小时"]
    travel_cells = cells(response.content.decode(), "travel")
    assert travel_cells[:2] == ["上门差旅", "1.00 次"]


def test_dispute_shows_the_reason_to_the_manager_who_answers(client, request_a):
    statement = sent_statement(request_a)
    hospital = hospital_user(request_a.hospital)
    workflow.charge_statement_dispute(statement=statement, user=hospital, comment="差旅只有一次")
    manager = vendor_user(VendorRole.MANAGER)
    client.force_login(manager)
    disputed = client.get(reverse("charges:statement_list"), {"state": "disputed"})
    assert list(disputed.context["page_obj"]) == [statement]
    page = client.get(reverse("charges:statement", args=[request_a.pk])).content.decode()
    assert "差旅只有一次" in page and 'id="dispute-reason"' in page
    reply = reverse("charges:statement_reply", args=[request_a.pk])
    empty = client.post(reply, {"message": " "})
    assert empty.status_code == 200 and "is-invalid" in empty.content.decode()
    assert ChargeStatement.objects.get().state == "disputed"
    assert client.post(reply, {"message": "两次到场"}).status_code == 302
    client.force_login(hospital)
    page = client.get(reverse("charges:statement", args=[request_a.pk])).content.decode()
    assert 'id="vendor-answer"' in page and "两次到场" in page
    assert reverse("charges:statement_accept", args=[request_a.pk]) in page
    assert page.count('data-step="') == 5  # drafted, reviewed, sent, disputed, answered


def test_manager_edits_draft_lines_on_the_page(client, request_a):
    services.charge_statement_draft(request=request_a)
    client.force_login(vendor_user(VendorRole.MANAGER))
    edit = reverse("charges:statement_edit", args=[request_a.pk])
    bad = client.post(edit, {"quantity-0": "-1"})
    assert bad.status_code == 200 and "0" in bad.content.decode()
    assert ChargeStatement.objects.get().total == 570
    assert client.post(edit, {"quantity-0": "1", "unit_price-1": "250"}).status_code == 302
    statement = ChargeStatement.objects.get()
    assert statement.total == 430 and statement.edited_by_hand  # 1 h × 180 + 1 × 250
    assert client.post(edit, {"reprice": "1"}).status_code == 302
    statement.refresh_from_db()
    assert statement.total == 570 and not statement.edited_by_hand


def test_credit_note_page_answers_a_dispute(client, request_a):
    from service.repair_records.services import repair_record_save

    statement = sent_statement(request_a)
    workflow.charge_statement_dispute(
        statement=statement, user=hospital_user(request_a.hospital), comment="工时太多"
    )
    repair_record_save(request=request_a, author=request_a.repair_record.author, labor_hours=1)
    client.force_login(vendor_user(VendorRole.MANAGER))
    url = reverse("charges:credit_note_create", args=[request_a.pk])
    page = client.get(url)
    assert page.status_code == 200 and "工时太多" in page.content.decode()
    assert client.post(url, {"reason": "工时更正"}).status_code == 302
    statement.refresh_from_db()
    assert statement.state == "sent" and statement.credit_notes.get().total == -90


@pytest.mark.parametrize("value", ["-1", "NaN", "Infinity", "1e400", "x" * 5000, "10000001"])
def test_absurd_line_values_are_refused_and_change_nothing(client, request_a, value):
    services.charge_statement_draft(request=request_a)
    client.force_login(vendor_user(VendorRole.MANAGER))
    edit = reverse("charges:statement_edit", args=[request_a.pk])
    response = client.post(edit, {"quantity-0": "1", "unit_price-0": value})
    assert response.status_code == 200 and "alert-danger" in response.content.decode()
    statement = ChargeStatement.objects.get()
    assert statement.total == 570 and not statement.edited_by_hand


def test_an_earlier_version_stays_readable_on_the_page(client, request_a):
    from service.repair_records.services import repair_record_save

    statement = sent_statement(request_a)
    manager = vendor_user(VendorRole.MANAGER)
    repair_record_save(request=request_a, author=request_a.repair_record.author, labor_hours=1)
    workflow.charge_statement_correct(statement=statement, user=manager, message="工时更正")
    client.force_login(manager)
    page = client.get(reverse("charges:statement", args=[request_a.pk])).content.decode()
    assert f"{statement.number}-v2" in page and "480.00" in page
    earlier = re.search(r'<details class="mb-2" data-version="1">(.*?)</details>', page, re.S)
    assert earlier is not None
    text = " ".join(re.sub(r"<[^>]+>", " ", earlier.group(1)).split())
    assert statement.number in text and "570.00" in text
    assert "Labor 1.50 h 180.00 270.00" in text  # the reader's words, not the stored ones


def test_the_request_page_links_a_hospital_to_its_statement_only_once_sent(client, request_a):
    """A hospital user is never sent from the request to a statement page that is a 404."""
    statement = services.charge_statement_draft(request=request_a)
    link = reverse("charges:statement", args=[request_a.pk])
    request_page = reverse("service:request_detail", args=[request_a.pk])
    client.force_login(vendor_user(VendorRole.MANAGER))
    assert link in client.get(request_page).content.decode()
    client.force_login(hospital_user(request_a.hospital))
    assert link not in client.get(request_page).content.decode()
    manager = vendor_user(VendorRole.MANAGER)
    statement = workflow.charge_statement_review(statement=statement, user=manager)
    workflow.charge_statement_send(statement=statement, user=manager)
    assert link in client.get(request_page).content.decode()
    assert client.get(link).status_code == 200
