"""service.signals.request_event_recorded: sent once per NEW event, after commit only
(issue 5 §1: how parts learns of a dispatch without service importing it)."""

from __future__ import annotations

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from parts.tests.factories import open_request
from service.services import TimelineConflict, service_request_record_event
from service.signals import request_event_recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    request_event_recorded.connect(receiver, dispatch_uid="test-signals")
    yield calls
    request_event_recorded.disconnect(dispatch_uid="test-signals")


def test_sent_after_commit_once_per_new_event(django_capture_on_commit_callbacks, sent):
    agent = vendor_user(VendorRole.DISPATCHER, username="agent")
    request = open_request(DeviceFactory(), by=agent)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        service_request_record_event(
            request=request, type="callback", occurred_at=None, actor=agent, idempotency_key="k"
        )
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert len(sent) == 1
    assert sent[0]["request"].pk == request.pk and sent[0]["actor"] == agent
    assert sent[0]["event"].type == "callback"

    with django_capture_on_commit_callbacks(execute=True) as replay:
        service_request_record_event(
            request=request, type="callback", occurred_at=None, actor=agent, idempotency_key="k"
        )
    assert replay == [] and len(sent) == 1


def test_not_sent_for_a_refused_event(django_capture_on_commit_callbacks, sent):
    agent = vendor_user(VendorRole.DISPATCHER, username="agent")
    request = open_request(DeviceFactory(), by=agent)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(TimelineConflict),
    ):
        service_request_record_event(request=request, type="closed", occurred_at=None, actor=agent)
    assert callbacks == [] and sent == []
