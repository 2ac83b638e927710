"""Retention (issue 14 §1, R-7.6; 医疗器械监督管理条例): signed records, statements and archive
entries are never deleted, by the model, a queryset, a cascade or the admin; deleting a device,
hospital or contract that has records is refused with which records and how many, and one
without records may still go; a retired device keeps its archive; how long records are kept
is a setting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.db import models, transaction
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from accounts.tests.factories import UserFactory
from archive.tests import test_archive
from assets.models import Device, DeviceStatus, EmergencyProcedure
from assets.selectors import device_records_kept_until, device_retired_on
from assets.services import device_update
from assets.tests.factories import DeviceFactory, EmergencyProcedureFactory
from charges.models import ChargeLine, ChargeStatement, StatementState
from contracts.models import Contract
from contracts.tests.factories import ContractFactory
from core.retention import RecordRetained, is_retained, kept_until, records_kept_by
from core.retention import retained_models as retained
from core.retention.admin import KeepsRecordsAdminMixin
from customers.models import Hospital
from customers.tests.factories import HospitalFactory
from service.models import RepairRecord, RootCauseReport, ServiceRequest

pytestmark = pytest.mark.django_db

world = test_archive.world  # the archive's own world: one record of most kinds
entries_of = test_archive.entries_of

# The kinds the archive shows, and what they are made of (the brief of issue 14 §1).
KEPT = {
    "assets.EmergencyProcedure", "assets.MainComponent", "assets.DeviceOutOfUse",
    "service.ServiceRequest", "service.ServiceEvent", "service.Milestone",
    "service.RepairRecord", "service.RepairRecordAmendment", "service.RootCauseReport",
    "service.Signature", "maintenance.Visit", "maintenance.VisitFinding",
    "maintenance.VisitPhoto", "return_visits.ReturnVisit", "return_visits.ReturnVisitDeviceCheck",
    "return_visits.ReturnVisitSignature", "parts.StockMovement", "parts.Loan",
    "charges.ChargeStatement", "charges.ChargeLine", "charges.CreditNote",
    "charges.CreditNoteLine", "charges.StatementEvent", "charges.StatementVersion",
    "training.TrainingSession", "training.Attendance", "regimes.RegimeReceipt",
    "regimes.RegimeVersion", "assets.OperationLogEntry",
}  # fmt: skip


def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _request():
    request = RequestFactory().get("/")
    request.user = UserFactory(username="inspector", is_staff=True, is_superuser=True)
    return request


# --- what is kept ---------------------------------------------------------------------------
def test_every_kind_of_the_archive_is_kept():
    assert {model._meta.label for model in retained()} >= KEPT


def test_no_kept_record_can_be_deleted_by_any_path(world):
    """Every kept row of the world refuses ``delete()`` and its queryset's ``delete()``, and
    is still there afterwards."""
    tried = set()
    for model in retained():
        for row in model._default_manager.all():
            if not is_retained(row):
                continue
            tried.add(model._meta.label)
            with pytest.raises((RecordRetained, ProtectedError)), transaction.atomic():
                row.delete()
            with pytest.raises((RecordRetained, ProtectedError)), transaction.atomic():
                model._default_manager.filter(pk=row.pk).delete()
            assert model._default_manager.filter(pk=row.pk).exists()
    # The world holds one of most kinds: the guard was really tried on them.
    assert {
        "assets.EmergencyProcedure", "assets.MainComponent", "assets.DeviceOutOfUse",
        "service.ServiceRequest", "service.RepairRecord",
        "service.RootCauseReport", "maintenance.Visit", "return_visits.ReturnVisit",
        "return_visits.ReturnVisitDeviceCheck", "parts.StockMovement", "parts.Loan",
        "training.TrainingSession", "training.Attendance", "regimes.RegimeReceipt",
        "assets.OperationLogEntry",
    } <= tried  # fmt: skip


def test_a_record_without_a_protected_parent_is_refused_by_the_guard_itself(world):
    report = RootCauseReport.objects.get()
    with (
        translation.override("en"),
        pytest.raises(RecordRetained) as refused,
        transaction.atomic(),
    ):
        report.delete()
    assert refused.value.code == "record_retained"
    assert "1 × root-cause report" in refused.value.message
    assert RootCauseReport.objects.filter(pk=report.pk).exists()


def test_a_draft_statement_may_drop_its_lines_a_reviewed_one_keeps_them(world):
    statement = ChargeStatement.objects.create(
        request=world["request"], number="CS-2026-000001", state=StatementState.DRAFT,
        drafted_at=timezone.now(),
    )  # fmt: skip

    def line():
        return ChargeLine.objects.create(
            statement=statement, kind="labor", description="工时", quantity=1, unit_price=80,
            pricing="list", amount=80, reason_code="billable",
        )  # fmt: skip

    line()
    statement.lines.all().delete()  # the draft is priced again from the record
    line()
    ChargeStatement.objects.filter(pk=statement.pk).update(state=StatementState.REVIEWED)
    with pytest.raises(RecordRetained), transaction.atomic():
        statement.lines.all().delete()
    assert statement.lines.count() == 1


# --- a device, a hospital, a contract ------------------------------------------------------
def test_a_device_with_records_is_refused_and_names_them(world):
    device = world["device"]
    with translation.override("en"):
        kept = dict(records_kept_by([device]))
    assert kept["emergency procedure"] == 1
    assert kept["main components"] == 2
    assert kept["service request"] == 1
    assert kept["visit"] == kept["device check"] == kept["out-of-use record"] == 1
    with pytest.raises((RecordRetained, ProtectedError)), transaction.atomic():
        device.delete()
    assert Device.objects.filter(pk=device.pk).exists()


def test_a_cascade_alone_is_refused_too():
    """A device whose only record is an emergency procedure (deleted with it by CASCADE):
    the guard stops the cascade and nothing is deleted."""
    device = DeviceFactory()
    procedure = EmergencyProcedureFactory(device=device, department=device.department)
    with pytest.raises(RecordRetained), transaction.atomic():
        device.delete()
    assert Device.objects.filter(pk=device.pk).exists()
    assert EmergencyProcedure.objects.filter(pk=procedure.pk).exists()


def test_a_device_without_records_may_still_be_deleted():
    device = DeviceFactory()
    assert records_kept_by([device]) == []
    device.delete()
    assert not Device.objects.filter(pk=device.pk).exists()


def test_a_retired_device_keeps_its_archive_and_tells_until_when(client, world):
    device = world["device"]
    before = entries_of(device, world["manager"])
    with time_machine.travel(dt.datetime(2027, 6, 30, 17, tzinfo=dt.UTC)):  # 07-01 in Shanghai
        device_update(device=device, status=DeviceStatus.RETIRED)
    device.refresh_from_db()
    assert device_retired_on(device) == dt.date(2027, 7, 1)
    assert device_records_kept_until(device) == dt.date(2032, 7, 1)
    after = entries_of(device, world["manager"])
    assert set(before) <= set(after)  # every entry stays, the retirement is one more
    assert [e.detail for e in after if e not in before] == ["status"]
    assert records_kept_by([device])
    client.force_login(world["manager"])
    with translation.override("en"):
        page = client.get(
            reverse("assets:device_detail", args=[device.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
    assert page.status_code == 200
    assert "2032-07-01" in page.content.decode()


def test_a_device_in_service_is_kept_n_years_after_its_end(client, world, settings):
    assert device_records_kept_until(world["device"]) is None
    settings.RECORD_RETENTION_YEARS = 8
    client.force_login(world["manager"])
    page = client.get(reverse("assets:device_detail", args=[world["device"].pk]))
    assert "8" in page.content.decode().split('data-testid="records-kept">')[1][:40]


def test_kept_until_counts_whole_years_from_the_end_of_service(settings):
    assert kept_until(None) is None
    assert kept_until(dt.date(2026, 3, 31)) == dt.date(2031, 3, 31)
    assert kept_until(dt.date(2024, 2, 29)) == dt.date(2029, 2, 28)
    settings.RECORD_RETENTION_YEARS = 10
    assert kept_until(dt.date(2026, 3, 31)) == dt.date(2036, 3, 31)


# --- the admin ------------------------------------------------------------------------------
def test_no_admin_offers_to_delete_a_kept_record():
    request = _request()
    for model, model_admin in admin.site._registry.items():
        if model in retained():
            assert not model_admin.has_delete_permission(request), model
            assert "delete_selected" not in model_admin.get_actions(request), model
        for inline in model_admin.get_inline_instances(request):
            if inline.model in retained():
                assert not (inline.can_delete and inline.has_delete_permission(request)), inline


def _cascades_into_kept(model: type[models.Model], seen: set | None = None) -> bool:
    seen = set() if seen is None else seen
    for relation in model._meta.related_objects:
        if not (relation.one_to_many or relation.one_to_one):
            continue
        target = relation.related_model
        assert not isinstance(target, str)
        if relation.on_delete is not models.CASCADE or target in seen:
            continue
        seen.add(target)
        if target in retained() or _cascades_into_kept(target, seen):
            return True
    return False


def test_every_admin_that_could_cascade_into_records_refuses_with_the_reason():
    request = _request()
    for model, model_admin in admin.site._registry.items():
        if model_admin.has_delete_permission(request) and _cascades_into_kept(model):
            assert isinstance(model_admin, KeepsRecordsAdminMixin), model


def test_the_admin_refuses_a_kept_record_and_keeps_it(client, world):
    client = superuser_client(client)
    request = world["request"]
    url = reverse("admin:service_servicerequest_delete", args=[request.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:service_servicerequest_changelist")
    answer = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [request.pk], "post": "yes"}
    )
    assert answer.status_code in (200, 302)
    assert ServiceRequest.objects.filter(pk=request.pk).exists()
    assert RepairRecord.objects.filter(request=request).exists()


@pytest.mark.parametrize("target", ["device", "hospital", "contract"])
def test_the_admin_refuses_to_delete_an_owner_of_records_with_the_reason(client, world, target):
    client = superuser_client(client)
    device = world["device"]
    obj = {
        "device": device,
        "hospital": device.hospital,
        "contract": ContractFactory(hospital=device.hospital),
    }[target]
    if target == "contract":
        ServiceRequest.objects.filter(pk=world["request"].pk).update(contract=obj)
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk])
    with translation.override("en"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        posted = client.post(url, {"post": "yes"}, HTTP_ACCEPT_LANGUAGE="en")
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        bulk = client.post(
            changelist,
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    for answer in (page, posted, bulk):
        assert answer.status_code == 200
        text = answer.content.decode()
        assert "Records are kept and never deleted" in text
        assert "1 × service request" in text
    assert type(obj).objects.filter(pk=obj.pk).exists()
    assert ServiceRequest.objects.filter(pk=world["request"].pk).exists()


@pytest.mark.parametrize("model", [Device, Hospital, Contract])
def test_the_admin_deletes_an_owner_without_records(client, model):
    client = superuser_client(client)
    factories: dict[type[models.Model], Any] = {
        Device: DeviceFactory,
        Hospital: HospitalFactory,
        Contract: ContractFactory,
    }
    obj = factories[model]()
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not model.objects.filter(pk=obj.pk).exists()


def test_a_delete_that_races_past_the_page_is_answered_with_a_message(client, monkeypatch):
    """The page found no record, then one appeared before the POST: the guard refuses, the
    admin answers with the reason, not a 500."""
    client = superuser_client(client)
    device = DeviceFactory()
    EmergencyProcedureFactory(device=device, department=device.department)
    monkeypatch.setattr(
        admin.site._registry[Device],
        "get_deleted_objects",
        lambda objs, request: ([], {}, set(), []),
    )
    url = reverse("admin:assets_device_delete", args=[device.pk])
    with translation.override("en"):
        answer = client.post(url, {"post": "yes"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert answer.status_code == 200
    assert "Records are kept and never deleted" in answer.content.decode()
    assert Device.objects.filter(pk=device.pk).exists()


# --- the API ----------------------------------------------------------------------------------
def test_the_api_has_no_delete_operation(client):
    schema = client.get("/api/v1/openapi.json").json()
    deletes = [path for path, operations in schema["paths"].items() if "delete" in operations]
    assert deletes == []
