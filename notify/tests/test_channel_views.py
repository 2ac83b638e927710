""" "My notifications" (page and API) and the request page's "who was told" fragment."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import UserFactory, vendor_user
from notify.models import Delivery, NotificationPreference
from notify.services import notify_users

pytestmark = pytest.mark.django_db


def test_preferences_page_saves_my_channels_and_keeps_the_inbox(client):
    me = UserFactory(username="me")
    client.force_login(me)
    page = client.get(reverse("notify:preferences"))
    assert page.status_code == 200
    assert 'name="channels-sla_at_risk" value="email"' in page.content.decode()
    client.post(reverse("notify:preferences"), {"channels-sla_at_risk": ["wecom", "sms"]})
    pref = NotificationPreference.objects.get(user=me, kind="sla_at_risk")
    assert pref.channels == ["inbox", "wecom", "sms"]


def test_preferences_api_is_mine_only_and_refuses_an_unknown_channel(client):
    me, other = UserFactory(username="me"), UserFactory(username="other")
    client.force_login(me)
    bad = client.put(
        "/api/v1/notification-preferences",
        {"preferences": [{"kind": "sla_at_risk", "channels": ["pigeon"]}]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert ["body", "channels"] in [e["loc"] for e in bad.json()["errors"]]
    ok = client.put(
        "/api/v1/notification-preferences",
        {"preferences": [{"kind": "sla_at_risk", "channels": ["dingtalk"]}]},
        content_type="application/json",
    )
    assert ok.status_code == 200
    row = next(r for r in ok.json() if r["kind"] == "sla_at_risk")
    assert row["channels"] == ["inbox", "dingtalk"]
    assert not NotificationPreference.objects.filter(user=other).exists()


def test_request_page_lists_who_was_told(client, django_capture_on_commit_callbacks):
    from assets.tests.factories import DeviceFactory
    from service.services import service_request_open

    manager = vendor_user(VendorRole.MANAGER, last_name="张", first_name="伟", email="z@x.cn")
    request = service_request_open(
        device=DeviceFactory(), severity="normal", channel="hotline", description="x",
        recorded_by=manager,
    )  # fmt: skip
    notify_users(
        users=[manager], kind="sla_at_risk", subject="at risk", body="b",
        url=f"/service/requests/{request.pk}/", dedupe_key_prefix="t:1", about=request,
    )  # fmt: skip
    client.force_login(manager)
    detail = client.get(reverse("service:request_detail", args=[request.pk])).content.decode()
    url = reverse("notify:deliveries_for", args=["service.servicerequest", request.pk])
    assert url in detail
    fragment = client.get(url).content.decode()
    assert "张伟" in fragment
    assert Delivery.objects.filter(about_id=request.pk).count() == 2  # inbox + e-mail
    assert "✓" in fragment


def test_fragment_of_an_unknown_model_or_record_is_404(client):
    client.force_login(vendor_user(VendorRole.MANAGER))
    assert client.get("/notifications/told/auth.nothing/1/").status_code == 404
    assert client.get("/notifications/told/service.servicerequest/999999/").status_code == 404
