"""service.events: the outbox events service writes with its changes, once per NEW step,
in the step's own transaction (issue 5 §1: how parts learns of a dispatch without service
importing it; issue 11 §2: the outbox replaced the after-commit signal)."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from core.models import OutboxEvent
from parts.tests.factories import open_request
from service import events
from service.models import ServiceEvent
from service.services import TimelineConflict, service_request_record_event

pytestmark = pytest.mark.django_db


def written(name: str) -> list[dict]:
    return list(
        OutboxEvent.objects.filter(name=name).order_by("pk").values_list("payload", flat=True)
    )


def test_written_once_per_new_step_with_its_ids():
    agent = vendor_user(VendorRole.DISPATCHER, username="agent")
    request = open_request(DeviceFactory(), by=agent)
    assert written(events.REQUEST_OPENED) == [
        {
            "request_id": request.pk,
            "device_id": request.device_id,
            "hospital_id": request.hospital_id,
        }
    ]
    service_request_record_event(
        request=request, type="callback", occurred_at=None, actor=agent, idempotency_key="k"
    )
    step = ServiceEvent.objects.get(request=request, type="callback")
    assert written("service.request_callback") == [
        {"request_id": request.pk, "event_id": step.pk, "type": "callback", "actor_id": agent.pk}
    ]
    # The same step sent again is not a new step: no second event.
    service_request_record_event(
        request=request, type="callback", occurred_at=None, actor=agent, idempotency_key="k"
    )
    assert len(written("service.request_callback")) == 1


def test_a_dispatch_with_engineers_tells_who_was_assigned():
    agent = vendor_user(VendorRole.DISPATCHER, username="agent")
    engineer = vendor_user(VendorRole.ENGINEER, username="eng")
    request = open_request(DeviceFactory(), by=agent)
    service_request_record_event(
        request=request, type="dispatched", occurred_at=None, actor=agent, engineers=[engineer]
    )
    step = ServiceEvent.objects.get(request=request, type="dispatched")
    assert written("service.request_dispatched")[0]["event_id"] == step.pk
    assert written(events.ENGINEERS_ASSIGNED) == [
        {"request_id": request.pk, "event_id": step.pk, "engineer_ids": [engineer.pk]}
    ]


def test_not_written_for_a_refused_step():
    agent = vendor_user(VendorRole.DISPATCHER, username="agent")
    request = open_request(DeviceFactory(), by=agent)
    with pytest.raises(TimelineConflict):
        service_request_record_event(request=request, type="closed", occurred_at=None, actor=agent)
    assert not OutboxEvent.objects.filter(name__in=events.STEPS_RECORDED).exists()


def test_gone_with_a_step_whose_transaction_rolls_back():
    agent = vendor_user(VendorRole.DISPATCHER, username="agent")
    request = open_request(DeviceFactory(), by=agent)
    with pytest.raises(RuntimeError), transaction.atomic():
        service_request_record_event(
            request=request, type="callback", occurred_at=None, actor=agent
        )
        assert len(written("service.request_callback")) == 1  # inside: written with the step
        raise RuntimeError("the caller failed after the step")
    assert not ServiceEvent.objects.filter(request=request, type="callback").exists()
    assert written("service.request_callback") == []


def test_every_step_type_has_its_event_name():
    assert events.step_recorded("dispatched") == "service.request_dispatched"
    assert len(events.STEPS_RECORDED) == 15  # the 14 steps and a call noted (issue 13 §3)
    assert events.step_recorded("call") == "service.request_call"
    with pytest.raises(ValueError):
        events.step_recorded("exploded")
