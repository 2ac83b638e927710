"""Charge statements through the services (issue 5 §4; R-3.4, R-6.5, R-7.7, R-7.8): drafted
from the repair record, the timeline and the parts issued, re-priced before acceptance,
frozen after it with a content hash and a Chinese PDF, adjusted by credit notes."""

from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.services import main_component_replace
from assets.tests.factories import MainComponentFactory
from charges import services, workflow
from charges.models import ChargeSettings, ChargeStatement, StatementState
from charges.services import StatementConflict
from charges.tests.factories import covered_device, resolved_request, sent_statement
from core.retention import purge_allowed
from core.signatures import content_hash
from customers.services import service_organisation_update
from customers.tests.factories import hospital_user
from maintenance.services import visit_special_create
from parts.services import stock_issue, stock_receive
from parts.tests.factories import SparePartFactory, StockLocationFactory
from service.repair_records.services import repair_record_save

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


def lines_of(statement):
    return [(line.kind, line.pricing, line.quantity, line.amount) for line in statement.lines.all()]


def issue_parts(part, quantity):
    def issue(request):
        location = StockLocationFactory()
        stock_receive(part=part, location=location, quantity=quantity, user=None)
        stock_issue(request=request, part=part, location=location, quantity=quantity, user=None)

    return issue


def test_warranty_quality_fault_is_free_including_travel_with_why():
    device = covered_device(accepted_on=dt.date(2026, 3, 1))
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=SHANGHAI), tick=False):
        request = resolved_request(
            device, parts_replaced=[{"name": "电源板", "serial_removed": "PS-1"}], arrivals=2
        )
        statement = services.charge_statement_for_read(request=request)
    assert statement is not None
    assert statement.number.startswith("CS-2026-")
    assert statement.state == StatementState.DRAFT
    assert lines_of(statement) == [
        ("parts", "free", D("1.00"), D("0.00")),
        ("labor", "free", D("1.50"), D("0.00")),
        ("travel", "free", D("2.00"), D("0.00")),  # one trip per arrival
    ]
    assert statement.total == D("0.00")
    labor = statement.lines.get(kind="labor")
    assert labor.reason_code == "warranty"
    assert labor.reason_params["until"] == "2027-03-01"
    # The archived wording is the site's language (zh-hans).
    assert "2027-03-01" in labor.reason_text and "质量" in labor.reason_text


def test_out_of_warranty_non_quality_parts_at_cost_labor_and_travel_at_list():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    part = SparePartFactory(cost_price=D("33.33"), list_price=D("50.00"))
    request = resolved_request(
        device, fault_cause="non_quality", before_resolve=issue_parts(part, 3)
    )
    statement = services.charge_statement_draft(request=request)
    assert lines_of(statement) == [
        ("parts", "cost", D("3.00"), D("99.99")),
        ("labor", "list", D("1.50"), D("270.00")),
        ("travel", "list", D("1.00"), D("300.00")),
    ]
    assert (statement.parts_total, statement.labor_total, statement.travel_total) == (
        D("99.99"),
        D("270.00"),
        D("300.00"),
    )
    assert statement.total == D("669.99")
    assert statement.lines.get(kind="labor").reason_code == "out_of_cover"


def test_record_parts_without_catalogue_price_are_zero_with_a_reason():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = resolved_request(device, parts_replaced=[{"name": "保险丝"}], labor_hours=D(0))
    statement = services.charge_statement_draft(request=request)
    parts = statement.lines.get(kind="parts")
    assert (parts.pricing, parts.amount, parts.reason_code) == (
        "cost",
        D("0.00"),
        "no_catalogue_price",
    )
    assert not statement.lines.filter(kind="labor").exists()  # no hours, no labor line


def test_rates_are_data():
    ChargeSettings.objects.filter(pk=1).update(labor_hour_list=D("200.00"))
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    statement = services.charge_statement_draft(request=resolved_request(device, arrivals=1))
    assert statement.labor_total == D("300.00")


def test_remote_fix_has_no_travel_and_undetermined_is_priced_as_quality():
    device = covered_device(accepted_on=dt.date(2026, 3, 1))
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=SHANGHAI), tick=False):
        request = resolved_request(device, arrivals=0, fault_cause="undetermined")
        statement = services.charge_statement_draft(request=request)
    assert lines_of(statement) == [("labor", "free", D("1.50"), D("0.00"))]
    assert (statement.cause, statement.priced_as) == ("undetermined", "quality")


@pytest.mark.parametrize(
    ("reported", "pricing"),
    [
        (dt.datetime(2027, 3, 1, 23, 30, tzinfo=SHANGHAI), "free"),  # the last day
        (dt.datetime(2027, 3, 2, 0, 10, tzinfo=SHANGHAI), "list"),  # the next local day
    ],
)
def test_last_day_of_warranty_in_the_hospitals_day(reported, pricing):
    device = covered_device(accepted_on=dt.date(2026, 3, 1))
    with time_machine.travel(dt.datetime(2027, 3, 5, 10, tzinfo=SHANGHAI), tick=False):
        request = resolved_request(device, reported_at=reported)
        statement = services.charge_statement_draft(request=request)
    assert {line.pricing for line in statement.lines.all()} == {pricing}


def test_replaced_component_in_warranty_on_a_device_out_of_it():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    old = MainComponentFactory(device=device, serial_number="MB-1", name="主板")
    main_component_replace(
        component=old,
        new_serial_number="MB-2",
        replaced_on=dt.date(2026, 6, 1),
        removal_fate="sent_for_repair",
    )
    with time_machine.travel(dt.datetime(2027, 1, 20, 10, tzinfo=SHANGHAI), tick=False):
        request = resolved_request(
            device,
            parts_replaced=[{"name": "主板", "serial_removed": "MB-2", "serial_fitted": "MB-3"}],
        )
        statement = services.charge_statement_draft(request=request)
        plain = services.charge_statement_draft(request=resolved_request(device))
    assert statement.total == D("0.00")
    assert statement.lines.get(kind="parts").reason_code == "component_warranty"
    assert statement.lines.get(kind="labor").reason_params["serial"] == "MB-2"
    assert plain.total == D("570.00")  # the same device without the component: list price


def test_a_draft_follows_the_record_a_sent_statement_does_not():
    device = covered_device(accepted_on=dt.date(2026, 3, 1))
    part = SparePartFactory(cost_price=D("100.00"), list_price=D("150.00"))
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=SHANGHAI), tick=False):
        request = resolved_request(device, before_resolve=issue_parts(part, 2))
        statement = services.charge_statement_for_read(request=request)
        assert statement is not None and statement.total == D("0.00")
        author = request.repair_record.author
        repair_record_save(request=request, author=author, fault_cause="non_quality")
        repriced = services.charge_statement_for_read(request=request)
        assert repriced is not None and repriced.pk == statement.pk
        assert repriced.total == D("200.00")  # parts at cost, labor and travel still free
        assert repriced.state == StatementState.DRAFT
        sent = sent_statement(request)
        workflow.charge_statement_dispute(
            statement=sent, user=hospital_user(request.hospital), comment="为何收费？"
        )
        repair_record_save(request=request, author=author, fault_cause="quality")
        disputed = services.charge_statement_for_read(request=request)
    # The vendor answers a dispute; a record change does not re-price what was sent.
    assert disputed is not None and disputed.state == StatementState.DISPUTED
    assert disputed.total == D("200.00") and disputed.dispute_comment == "为何收费？"


def test_a_read_without_changes_does_not_rewrite():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    statement = services.charge_statement_draft(request=resolved_request(device))
    again = services.charge_statement_for_read(request=statement.request)
    assert again is not None and again.drafted_at == statement.drafted_at
    assert list(again.lines.values_list("pk", flat=True)) == list(
        statement.lines.values_list("pk", flat=True)
    )


def test_unresolved_request_has_no_statement():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = resolved_request(device, resolve=False)
    assert services.charge_statement_for_read(request=request) is None
    with pytest.raises(StatementConflict):
        services.charge_statement_draft(request=request)
    assert services.draft_missing_statements() == 0


def test_periodic_path_drafts_missing_statements_once():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = resolved_request(device)
    assert services.draft_missing_statements() == 1
    assert services.draft_missing_statements() == 0
    assert ChargeStatement.objects.get().request == request


def test_maintenance_visits_and_training_never_produce_a_charge():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    visit_special_create(device=device, user=vendor_user(VendorRole.ENGINEER), reason="异常")
    assert services.draft_missing_statements() == 0
    assert not ChargeStatement.objects.exists()


def pdffonts(path) -> str:
    return subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout


def test_accept_freezes_hashes_and_stores_a_chinese_pdf(
    tmp_path, django_capture_on_commit_callbacks
):
    service_organisation_update(name="青岛青盾医疗设备有限公司", hotline="400-800-1234")
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = resolved_request(device)
    statement = sent_statement(request)
    admin = hospital_user(request.hospital)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.charge_statement_accept(statement=statement, user=admin)
    statement.refresh_from_db()
    assert statement.state == StatementState.ACCEPTED and statement.accepted_by == admin
    assert statement.content_hash == content_hash(services.statement_content(statement))
    path = tmp_path / "statement.pdf"
    path.write_bytes(statement.pdf.read())
    fonts = pdffonts(path)
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # embedded
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "费用结算单" in text and statement.number in text and "570.00" in text
    assert "青岛青盾医疗设备有限公司" in text
    # The lines' labels and units in Chinese only (issue 12 §4).
    assert "人工" in text and "上门差旅" in text and "小时" in text and "次" in text
    assert "labor" not in text.lower() and "travel" not in text.lower() and "pcs" not in text

    # Frozen: a later change of the record does not touch it.
    repair_record_save(request=request, author=request.repair_record.author, labor_hours=D(3))
    frozen = services.charge_statement_for_read(request=request)
    assert frozen is not None and frozen.total == D("570.00")
    with pytest.raises(StatementConflict) as exc:
        services.charge_statement_draft(request=request)
    assert exc.value.code == "frozen"
    with pytest.raises(StatementConflict):
        workflow.charge_statement_accept(statement=statement, user=admin)
    with pytest.raises(StatementConflict):
        workflow.charge_statement_dispute(statement=statement, user=admin, comment="x")


def test_credit_note_after_acceptance_records_the_difference():
    device = covered_device(accepted_on=dt.date(2026, 3, 1))
    part = SparePartFactory(cost_price=D("100.00"), list_price=D("150.00"))
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=SHANGHAI), tick=False):
        request = resolved_request(
            device, fault_cause="non_quality", before_resolve=issue_parts(part, 2)
        )
        statement = sent_statement(request)
        assert statement.total == D("200.00")
        workflow.charge_statement_accept(statement=statement, user=hospital_user(request.hospital))
        repair_record_save(
            request=request, author=request.repair_record.author, fault_cause="quality"
        )
        office = vendor_user(VendorRole.MANAGER)
        with pytest.raises(ValidationError):
            services.credit_note_issue(statement=statement, user=office, reason="  ")
        note = services.credit_note_issue(
            statement=statement, user=office, reason="经分析为质量故障"
        )
    statement.refresh_from_db()
    assert statement.total == D("200.00")  # the accepted statement never changes
    assert (note.total_before, note.total_after, note.total) == (
        D("200.00"),
        D("0.00"),
        D("-200.00"),
    )
    amounts = sorted(line.amount for line in note.lines.all())
    assert amounts[0] == D("-200.00") and sum(amounts) == D("-200.00")
    assert note.number.startswith("CN-2026-")
    with pytest.raises(ValidationError):  # nothing changed since
        services.credit_note_issue(statement=statement, user=office, reason="again")


def test_dispute_needs_a_comment_and_a_disputed_statement_cannot_be_accepted():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = resolved_request(device)
    statement = sent_statement(request)
    user = hospital_user(request.hospital)
    with pytest.raises(ValidationError) as exc:
        workflow.charge_statement_dispute(statement=statement, user=user, comment="  ")
    assert "comment" in exc.value.message_dict
    workflow.charge_statement_dispute(statement=statement, user=user, comment="工时不对")
    with pytest.raises(StatementConflict) as conflict:
        workflow.charge_statement_accept(statement=statement, user=user)
    assert conflict.value.code == "disputed"
    with pytest.raises(StatementConflict) as again:
        workflow.charge_statement_dispute(statement=statement, user=user, comment="再次")
    assert again.value.code == "already_disputed"
    assert list(statement.events.values_list("kind", flat=True)).count("disputed") == 1


def test_the_hospital_accepts_what_was_sent_not_a_later_price():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = resolved_request(device)
    statement = sent_statement(request)
    repair_record_save(request=request, author=request.repair_record.author, labor_hours=D(2))
    user = hospital_user(request.hospital)
    with pytest.raises(StatementConflict) as exc:
        workflow.charge_statement_accept(statement=statement, user=user, version=2)
    assert exc.value.code == "changed"
    accepted = workflow.charge_statement_accept(statement=statement, user=user, version=1)
    assert accepted.state == StatementState.ACCEPTED and accepted.total == D("570.00")


def test_drafting_never_sends_and_a_hospital_cannot_accept_an_unsent_statement():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = resolved_request(device)
    assert services.draft_missing_statements() == 1
    statement = ChargeStatement.objects.get()
    assert statement.state == StatementState.DRAFT and not statement.is_visible_to_hospital
    user = hospital_user(request.hospital)
    assert not ChargeStatement.objects.for_user(user).exists()
    with pytest.raises(StatementConflict) as draft:
        workflow.charge_statement_accept(statement=statement, user=user)
    assert draft.value.code == "not_sent"
    workflow.charge_statement_review(statement=statement, user=vendor_user(VendorRole.MANAGER))
    services.charge_statement_for_read(request=request)
    statement.refresh_from_db()
    assert statement.state == StatementState.REVIEWED  # a read never moves it on
    with pytest.raises(StatementConflict) as reviewed:
        workflow.charge_statement_accept(statement=statement, user=user)
    assert reviewed.value.code == "not_sent"
    with pytest.raises(StatementConflict) as not_sent:
        workflow.charge_statement_dispute(statement=statement, user=user, comment="x")
    assert not_sent.value.code == "not_sent"
    statement.refresh_from_db()
    assert statement.state == StatementState.REVIEWED


def test_engineer_cannot_review_or_send_and_a_double_send_is_one():
    from django.core.exceptions import PermissionDenied

    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    statement = services.charge_statement_draft(request=resolved_request(device))
    engineer = vendor_user(VendorRole.ENGINEER)
    with pytest.raises(PermissionDenied):
        workflow.charge_statement_review(statement=statement, user=engineer)
    manager = vendor_user(VendorRole.MANAGER)
    workflow.charge_statement_review(statement=statement, user=manager)
    with pytest.raises(PermissionDenied):
        workflow.charge_statement_send(statement=statement, user=engineer)
    workflow.charge_statement_send(statement=statement, user=manager)
    with pytest.raises(StatementConflict) as twice:
        workflow.charge_statement_send(statement=statement, user=manager)
    assert twice.value.code == "already_sent"
    statement.refresh_from_db()
    assert statement.state == StatementState.SENT and statement.sent_by == manager
    assert list(statement.events.values_list("kind", flat=True)) == ["drafted", "reviewed", "sent"]


def test_history_says_who_when_and_what():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = resolved_request(device)
    manager = vendor_user(VendorRole.MANAGER, first_name="Wei", last_name="Zhang")
    with time_machine.travel(dt.datetime(2026, 9, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        statement = sent_statement(request, manager=manager)
    user = hospital_user(request.hospital)
    with time_machine.travel(dt.datetime(2026, 9, 2, 1, 30, tzinfo=dt.UTC), tick=False):
        workflow.charge_statement_dispute(statement=statement, user=user, comment="差旅不对")
        workflow.charge_statement_answer(statement=statement, user=manager, message="见记录")
    from charges.history import history_of

    steps = history_of(statement)
    assert [(s.kind, s.message) for s in steps] == [
        ("drafted", ""),
        ("reviewed", ""),
        ("sent", ""),
        ("disputed", "差旅不对"),
        ("answered", "见记录"),
    ]
    assert steps[1].who == manager.get_full_name() and steps[0].who == "automatically"
    assert steps[3].local_at == "2026-09-02 09:30"  # Shanghai time
    statement.refresh_from_db()
    assert statement.state == StatementState.SENT


def test_credit_note_answers_a_dispute_and_sends_it_back(tmp_path):
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = resolved_request(device)
    statement = sent_statement(request)
    workflow.charge_statement_dispute(
        statement=statement, user=hospital_user(request.hospital), comment="工时太多"
    )
    repair_record_save(request=request, author=request.repair_record.author, labor_hours=D(1))
    note = services.credit_note_issue(
        statement=statement, user=vendor_user(VendorRole.MANAGER), reason="工时更正为1小时"
    )
    statement.refresh_from_db()
    assert statement.state == StatementState.SENT and note.total == D("-90.00")
    credited = statement.events.get(kind="credited")
    assert credited.data == {"credit_note": note.number, "total": "-90.00"}
    assert credited.message == "工时更正为1小时"
    # The hospital accepts it with the credit note; the archived PDF shows both.
    workflow.charge_statement_accept(statement=statement, user=hospital_user(request.hospital))
    statement = services.charge_statement_render_pdf(statement_id=statement.pk)
    path = tmp_path / "statement.pdf"
    path.write_bytes(statement.pdf.read())
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert note.number in text and "-90.00" in text and "480.00" in text


def test_correcting_keeps_the_version_as_sent():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = resolved_request(device)
    statement = sent_statement(request)
    manager = vendor_user(VendorRole.MANAGER)
    with pytest.raises(StatementConflict):
        workflow.charge_statement_answer(statement=statement, user=manager, message="x")
    corrected = workflow.charge_statement_correct(statement=statement, user=manager, message="改价")
    assert (corrected.version, corrected.state) == (2, StatementState.DRAFT)
    assert corrected.display_number == f"{statement.number}-v2"
    old = corrected.versions.get()
    assert (old.version, old.number, old.state, old.total) == (
        1,
        statement.number,
        "sent",
        D("570.00"),
    )
    with pytest.raises(StatementConflict) as draft:
        workflow.charge_statement_correct(statement=corrected, user=manager, message="again")
    assert draft.value.code == "not_sent"


def test_a_dispute_tells_the_service_managers_once(django_capture_on_commit_callbacks):
    from core.models import OutboxDelivery
    from notify.models import InboxMessage

    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = resolved_request(device)
    manager = vendor_user(VendorRole.MANAGER)
    hospital = hospital_user(request.hospital)
    with django_capture_on_commit_callbacks(execute=True):
        statement = sent_statement(request, manager=manager)
    assert not OutboxDelivery.objects.exclude(state="delivered").exists()
    told = InboxMessage.objects.get(user=hospital)  # sent: the hospital is told
    assert statement.number in told.subject
    with django_capture_on_commit_callbacks(execute=True):
        workflow.charge_statement_dispute(
            statement=statement, user=hospital, comment="差旅只有一次"
        )
    assert not OutboxDelivery.objects.exclude(state="delivered").values("last_error").exists()
    notice = InboxMessage.objects.get(user=manager)
    assert "差旅只有一次" in notice.body and statement.number in notice.subject
    assert notice.url == f"/service-requests/{request.pk}/charges/#answer"  # the reply form


def test_reading_in_another_language_does_not_reprice():
    from django.utils import translation

    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    part = SparePartFactory(name_zh="电源板", name_en="Power board")
    request = resolved_request(device, before_resolve=issue_parts(part, 1))
    statement = services.charge_statement_draft(request=request)  # tests speak English
    assert "电源板" in statement.lines.get(kind="parts").description
    with translation.override("zh-hans"):
        again = services.charge_statement_for_read(request=request)
    assert again is not None and again.drafted_at == statement.drafted_at


def test_the_migration_writes_the_history_of_existing_statements():
    """Existing statements keep their state; their history is written from the rows."""
    import importlib

    from django.apps import apps

    backfill = importlib.import_module("charges.migrations.0004_statement_history_backfill")
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    draft = services.charge_statement_draft(request=resolved_request(device))
    disputed = sent_statement(resolved_request(device))
    user = hospital_user(device.hospital)
    workflow.charge_statement_dispute(statement=disputed, user=user, comment="太贵")
    accepted = sent_statement(resolved_request(device))
    workflow.charge_statement_accept(statement=accepted, user=user)
    from charges.models import StatementEvent

    with purge_allowed():  # a throwaway database: as before the workflow existed
        StatementEvent.objects.all().delete()
    backfill.backfill(apps, None)
    backfill.backfill(apps, None)  # once per statement
    assert list(draft.events.values_list("kind", flat=True)) == ["drafted"]
    assert [(e.kind, e.message, e.actor) for e in disputed.events.order_by("occurred_at")] == [
        ("drafted", "", None),
        ("disputed", "太贵", user),
    ]
    assert list(accepted.events.values_list("kind", flat=True)) == ["drafted", "accepted"]
    assert ChargeStatement.objects.get(pk=draft.pk).state == StatementState.DRAFT


def test_a_sent_statement_reaches_the_acceptors_and_the_department_contact(
    django_capture_on_commit_callbacks,
):
    """Issue 13 §2: a statement sent → the hospital's users and the department contact."""
    from customers.tests.factories import ContactFactory
    from notify.models import Delivery, InboxMessage

    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = resolved_request(device)
    department = request.department
    department.responsible_contact = ContactFactory(
        hospital=request.hospital, department=department, email="icu-head@hospital.example"
    )
    department.save()
    acceptor = hospital_user(request.hospital)
    with django_capture_on_commit_callbacks(execute=True):
        statement = sent_statement(request)
    assert InboxMessage.objects.get(user=acceptor).subject.find(statement.number) >= 0
    mail = Delivery.objects.get(
        channel="email", address="icu-head@hospital.example", kind="charges.statement_sent"
    )
    assert statement.number in mail.subject and mail.state == "sent"
    assert mail.about_id == request.pk  # listed on the request's "who was told"
