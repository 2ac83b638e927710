"""The charges API (issue 5 §5, issue 12 §4): read the statement with its reasons and its
history; the vendor reviews and sends, the hospital accepts or disputes a sent statement
only, the vendor answers or corrects; hospital B never sees A's (404), a draft is a 404 for
the hospital, bad input is a 422, a step the state refuses a 409, a role that may not a 403."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from charges.models import ChargeStatement, StatementVersion
from charges.tests.factories import covered_device, resolved_request, sent_statement
from customers.models import HospitalRole
from customers.tests.factories import HospitalFactory, hospital_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_a():
    return resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1)))


@pytest.fixture
def sent_a(request_a):
    return sent_statement(request_a)


def post(client, request, action, body=None):
    return client.post(url(request, action), body or {}, content_type="application/json")


def url(request, action=""):
    return f"/api/v1/service-requests/{request.pk}/charges" + (f"/{action}" if action else "")


def test_read_drafts_the_statement_with_lines_and_reasons(client, request_a):
    client.force_login(vendor_user(VendorRole.DISPATCHER))
    response = client.get(url(request_a))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "draft" and body["request_id"] == request_a.pk
    assert Decimal(body["total"]) == Decimal("570.00")
    assert [(line["kind"], line["pricing"]) for line in body["lines"]] == [
        ("labor", "list"),
        ("travel", "list"),
    ]
    labor = body["lines"][0]
    assert (labor["unit"], labor["unit_label"], labor["label"]) == ("h", "h", "Labor")
    assert labor["reason_code"] == "out_of_cover"
    assert "Out of warranty since 2025-01-01" in labor["reason"]
    assert "labor at list price" in labor["reason"]
    assert ChargeStatement.objects.count() == 1
    assert client.get(url(request_a)).json()["number"] == body["number"]  # once
    assert [step["kind"] for step in body["history"]] == ["drafted"]


def test_unresolved_request_answers_404(client):
    request = resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1)), resolve=False)
    client.force_login(vendor_user(VendorRole.ADMIN))
    assert client.get(url(request)).status_code == 404
    assert not ChargeStatement.objects.exists()


def test_hospital_accepts_then_accepting_again_is_409(client, request_a, sent_a):
    client.force_login(hospital_user(request_a.hospital))
    response = client.post(url(request_a, "accept"), content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "accepted" and len(body["content_hash"]) == 64
    again = client.post(url(request_a, "accept"), content_type="application/json")
    assert again.status_code == 409
    assert again.json()["errors"][0]["type"] == "already_accepted"
    dispute = client.post(
        url(request_a, "dispute"), {"comment": "x"}, content_type="application/json"
    )
    assert dispute.status_code == 409


def test_department_user_of_the_department_may_accept(client, request_a, sent_a):
    user = hospital_user(
        request_a.hospital, HospitalRole.DEPARTMENT_USER, departments=[request_a.department]
    )
    client.force_login(user)
    assert client.post(url(request_a, "accept")).status_code == 200


def test_dispute_needs_a_comment_then_accepting_the_disputed_is_409(client, request_a, sent_a):
    client.force_login(hospital_user(request_a.hospital))
    empty = client.post(
        url(request_a, "dispute"), {"comment": " "}, content_type="application/json"
    )
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["loc"] == ["body", "comment"]
    missing = client.post(url(request_a, "dispute"), {}, content_type="application/json")
    assert missing.status_code == 422
    assert ChargeStatement.objects.get().state == "sent"
    ok = client.post(
        url(request_a, "dispute"), {"comment": "工时太多"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["dispute_comment"] == "工时太多"
    refused = client.post(url(request_a, "accept"))
    assert refused.status_code == 409 and refused.json()["errors"][0]["type"] == "disputed"


def test_vendor_staff_cannot_accept_for_the_hospital(client, request_a, sent_a):
    client.force_login(vendor_user(VendorRole.ADMIN))
    assert client.post(url(request_a, "accept")).status_code == 403
    assert ChargeStatement.objects.get().state == "sent"


@pytest.mark.parametrize("action", ["", "accept", "dispute"])
def test_hospital_b_gets_404(client, request_a, sent_a, action):
    client.force_login(hospital_user(HospitalFactory(name="乙医院")))
    if action:
        response = client.post(
            url(request_a, action), {"comment": "x"}, content_type="application/json"
        )
    else:
        response = client.get(url(request_a))
    assert response.status_code == 404
    assert not ChargeStatement.objects.filter(state__in=["accepted", "disputed"]).exists()


def test_other_department_user_gets_404(client, request_a):
    from customers.tests.factories import DepartmentFactory

    other = DepartmentFactory(hospital=request_a.hospital)
    client.force_login(
        hospital_user(request_a.hospital, HospitalRole.DEPARTMENT_USER, departments=[other])
    )
    assert client.get(url(request_a)).status_code == 404


def test_hospital_sees_no_draft_nor_reviewed_statement(client, request_a):
    hospital = hospital_user(request_a.hospital)
    client.force_login(hospital)
    assert client.get(url(request_a)).status_code == 404  # drafted by this read, not shown
    assert ChargeStatement.objects.get().state == "draft"
    assert client.get("/api/v1/charge-statements").json()["items"] == []
    manager = vendor_user(VendorRole.MANAGER)
    client.force_login(manager)
    reviewed = post(client, request_a, "review")
    assert reviewed.status_code == 200 and reviewed.json()["state"] == "reviewed"
    client.force_login(hospital)
    assert client.get(url(request_a)).status_code == 404
    # Reviewed but not sent: the hospital cannot accept (nor dispute) it.
    assert post(client, request_a, "accept").status_code == 404
    assert post(client, request_a, "dispute", {"comment": "x"}).status_code == 404
    assert ChargeStatement.objects.get().state == "reviewed"
    client.force_login(manager)
    assert post(client, request_a, "send").json()["state"] == "sent"
    client.force_login(hospital)
    assert client.get(url(request_a)).json()["state"] == "sent"
    assert [s["state"] for s in client.get("/api/v1/charge-statements").json()["items"]] == ["sent"]


def test_send_needs_a_review_and_a_second_send_is_one(client, request_a):
    client.force_login(vendor_user(VendorRole.MANAGER))
    client.get(url(request_a))
    refused = post(client, request_a, "send")
    assert refused.status_code == 409 and refused.json()["errors"][0]["type"] == "not_reviewed"
    assert post(client, request_a, "review").status_code == 200
    again = post(client, request_a, "review")
    assert again.status_code == 409 and again.json()["errors"][0]["type"] == "already_reviewed"
    assert post(client, request_a, "send").status_code == 200
    twice = post(client, request_a, "send")
    assert twice.status_code == 409 and twice.json()["errors"][0]["type"] == "already_sent"
    steps = [step["kind"] for step in client.get(url(request_a)).json()["history"]]
    assert steps == ["drafted", "reviewed", "sent"]  # one send


@pytest.mark.parametrize("role", [VendorRole.ENGINEER, VendorRole.DISPATCHER])
def test_engineer_and_dispatcher_cannot_review_send_answer_or_correct(client, request_a, role):
    client.force_login(vendor_user(role))
    client.get(url(request_a))
    for action, body in [
        ("review", None),
        ("send", None),
        ("answer", {"message": "x"}),
        ("correct", {"message": "x"}),
        ("lines", {"lines": [{"position": 0, "quantity": "1"}]}),
    ]:
        assert post(client, request_a, action, body).status_code == 403, action
    statement = ChargeStatement.objects.get()
    assert statement.state == "draft" and list(statement.events.values_list("kind", flat=True)) == [
        "drafted"
    ]


def test_hospital_cannot_take_the_vendors_steps(client, request_a, sent_a):
    client.force_login(hospital_user(request_a.hospital))
    for action in ("review", "send", "answer", "correct"):
        assert post(client, request_a, action, {"message": "x"}).status_code == 403, action


def test_dispute_answer_then_accept_with_the_history(client, request_a, sent_a):
    hospital = hospital_user(request_a.hospital, username="equipment")
    manager = vendor_user(VendorRole.MANAGER, username="manager-a")
    client.force_login(hospital)
    assert post(client, request_a, "dispute", {"comment": "差旅只有一次"}).status_code == 200
    client.force_login(manager)
    not_disputed = post(client, request_a, "accept")
    assert not_disputed.status_code == 403
    empty = post(client, request_a, "answer", {"message": " "})
    assert empty.status_code == 422 and empty.json()["errors"][0]["loc"] == ["body", "message"]
    answered = post(client, request_a, "answer", {"message": "两次到场，见维修记录"})
    assert answered.status_code == 200 and answered.json()["state"] == "sent"
    again = post(client, request_a, "answer", {"message": "again"})
    assert again.status_code == 409 and again.json()["errors"][0]["type"] == "not_disputed"
    client.force_login(hospital)
    body = client.get(url(request_a)).json()
    history = body["history"]
    assert [step["kind"] for step in history] == [
        "drafted",
        "reviewed",
        "sent",
        "disputed",
        "answered",
    ]
    assert history[3]["message"] == "差旅只有一次"
    assert history[3]["by"] == (hospital.get_full_name() or hospital.username)
    assert history[4]["message"] == "两次到场，见维修记录"
    assert history[4]["by"] == (manager.get_full_name() or manager.username)
    assert history[0]["by"] == "automatically"
    accepted = post(client, request_a, "accept?version=1")
    assert accepted.status_code == 200 and accepted.json()["history"][-1]["kind"] == "accepted"


def test_correct_makes_a_new_version_reviewed_and_sent_again(client, request_a, sent_a):
    from service.repair_records.services import repair_record_save

    hospital = hospital_user(request_a.hospital)
    client.force_login(hospital)
    post(client, request_a, "dispute", {"comment": "工时不对"})
    repair_record_save(request=request_a, author=request_a.repair_record.author, labor_hours=1)
    client.force_login(vendor_user(VendorRole.MANAGER))
    assert post(client, request_a, "correct", {"message": ""}).status_code == 422
    corrected = post(client, request_a, "correct", {"message": "工时改为1小时"})
    assert corrected.status_code == 200, corrected.content
    body = corrected.json()
    number = sent_a.number
    assert (body["state"], body["version"], body["number"]) == ("draft", 2, f"{number}-v2")
    assert Decimal(body["total"]) == Decimal("480.00")  # 1 h at 180.00 + one trip
    assert [(v["number"], v["state"], v["total"]) for v in body["versions"]] == [
        (number, "disputed", "570.00")
    ]
    assert StatementVersion.objects.get().content["lines"][0]["quantity"] == "1.50"
    client.force_login(hospital)
    assert client.get(url(request_a)).status_code == 404  # the new version is not sent yet
    client.force_login(vendor_user(VendorRole.MANAGER))
    post(client, request_a, "review")
    post(client, request_a, "send")
    client.force_login(hospital)
    stale = post(client, request_a, "accept?version=1")
    assert stale.status_code == 409 and stale.json()["errors"][0]["type"] == "changed"
    accepted = post(client, request_a, "accept?version=2")
    assert accepted.status_code == 200
    kinds = [(step["kind"], step["version"]) for step in accepted.json()["history"]]
    assert kinds == [
        ("drafted", 1),
        ("reviewed", 1),
        ("sent", 1),
        ("disputed", 1),
        ("corrected", 2),
        ("reviewed", 2),
        ("sent", 2),
        ("accepted", 2),
    ]
    assert accepted.json()["history"][4]["message"] == "工时改为1小时"


def test_office_edits_draft_lines_by_hand(client, request_a):
    client.force_login(vendor_user(VendorRole.MANAGER))
    client.get(url(request_a))
    bad = post(client, request_a, "lines", {"lines": [{"position": 0, "quantity": "-1"}]})
    assert bad.status_code == 422
    missing = post(client, request_a, "lines", {"lines": [{"position": 9, "quantity": "1"}]})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "lines", 0, "position"]
    edited = post(client, request_a, "lines", {"lines": [{"position": 0, "unit_price": "150"}]})
    assert edited.status_code == 200, edited.content
    body = edited.json()
    assert Decimal(body["total"]) == Decimal("525.00")  # 1.5 h at 150.00 + one trip at 300.00
    assert body["edited_by_hand"] and body["history"][-1]["kind"] == "edited"
    # A later read does not re-price a statement edited by hand.
    assert Decimal(client.get(url(request_a)).json()["total"]) == Decimal("525.00")
    post(client, request_a, "review")
    late = post(client, request_a, "lines", {"lines": [{"position": 0, "unit_price": "1"}]})
    assert late.status_code == 409 and late.json()["errors"][0]["type"] == "not_draft"
