"""API: the caller's own inbox (a person's messages are theirs alone, whatever their role)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from core.api import READ_ERRORS, WRITE_ERRORS, Id, Input, PageIn, page, page_of
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.filtering import api_filter, filter_query
from core.permissions import require_perm

from . import selectors, services, webhooks
from .exports import INBOX, deliveries_response, subscriptions_response
from .filters import InboxFilterSet
from .models import SmsGateway
from .webhooks import EVENT_KINDS

router = Router(tags=["inbox"])


class InboxMessageOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    url: str
    created_at: AwareDatetime
    read_at: AwareDatetime | None


@filter_query(InboxFilterSet)
class InboxQuery(Input):
    """The filters of GET /inbox."""


@router.get(
    "/inbox", response={200: page_of(InboxMessageOut), **READ_ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def inbox_list(
    request, filters: Query[InboxQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """The caller's messages, unread first, newest first (the inbox page's list)."""
    messages = api_filter(filters, selectors.inbox_of(request.user), request=request)
    if output.format:
        return INBOX.response(messages, fmt=output.format)
    return page(messages, paging)


# --- my notifications ---------------------------------------------------------------------
class PreferenceOut(Schema):
    kind: str
    label: str
    channels: list[str]


class PreferenceIn(Input):
    kind: str
    channels: list[str]


class PreferencesIn(Input):
    preferences: list[PreferenceIn]


@router.get("/notification-preferences", response={200: list[PreferenceOut], **READ_ERRORS})
def preferences_read(request):
    """The caller's own channels per kind of notification (the inbox is always on)."""
    return [PreferenceOut(**row) for row in selectors.preferences_of(request.user)]


@router.put("/notification-preferences", response={200: list[PreferenceOut], **WRITE_ERRORS})
def preferences_write(request, payload: PreferencesIn):
    """Set the caller's channels for the kinds named; other kinds keep theirs."""
    services.preferences_set(
        user=request.user, choices={p.kind: p.channels for p in payload.preferences}
    )
    return [PreferenceOut(**row) for row in selectors.preferences_of(request.user)]


# --- webhooks (vendor administrators) -----------------------------------------------------
webhooks_router = Router(tags=["webhooks"])


class WebhookPayload(Schema):
    """The JSON body of every webhook request (stable; see docs/webhooks.md)."""

    id: UUID = Field(description="The delivery id, also in X-Medservice-Delivery.")
    event: str = Field(description="The event kind, also in X-Medservice-Event.")
    occurred_at: AwareDatetime
    data: dict[str, Any] = Field(description="The ids of what the event concerns.")


class EventKindOut(Schema):
    kind: str
    description: str


class SubscriptionOut(Schema):
    id: int
    name: str
    url: str
    event_kinds: list[str]
    active: bool
    created_at: AwareDatetime


class SubscriptionIn(Input):
    name: str = Field(max_length=100)
    url: str = Field(max_length=500)
    secret: str = Field(min_length=16, max_length=200)
    event_kinds: list[str]
    active: bool = True


class SubscriptionPatch(Input):
    name: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=500)
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    event_kinds: list[str] | None = None
    active: bool | None = None


class WebhookDeliveryOut(Schema):
    id: int
    delivery_id: UUID
    subscription_id: int
    event_kind: str
    state: str
    attempts: int
    response_code: int | None
    last_error: str
    created_at: AwareDatetime
    sent_at: AwareDatetime | None
    next_attempt_at: AwareDatetime | None
    body: WebhookPayload

    @staticmethod
    def resolve_body(obj) -> dict:
        return json.loads(obj.body)


def _admin_only(request) -> None:
    require_perm(request, "notify.manage_webhooks")


@webhooks_router.get("/webhook-event-kinds", response={200: list[EventKindOut], **READ_ERRORS})
def webhook_event_kinds(request):
    """The event kinds a subscription can name."""
    _admin_only(request)
    return [EventKindOut(kind=k, description=str(v)) for k, v in EVENT_KINDS.items()]


@webhooks_router.get(
    "/webhook-subscriptions",
    response={200: page_of(SubscriptionOut), **WRITE_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def webhook_subscription_list(request, paging: Query[PageIn], output: Query[ExportQuery]):
    _admin_only(request)
    subscriptions = selectors.webhook_subscriptions_for(request.user)
    if output.format:
        return subscriptions_response(subscriptions, fmt=output.format)
    return page(subscriptions, paging)


@webhooks_router.post("/webhook-subscriptions", response={201: SubscriptionOut, **WRITE_ERRORS})
def webhook_subscription_create(request, payload: SubscriptionIn):
    """A target in a private, loopback or link-local range is refused (422 on ``url``)."""
    _admin_only(request)
    return Status(201, webhooks.webhook_subscription_save(**payload.dict()))


@webhooks_router.patch(
    "/webhook-subscriptions/{subscription_id}", response={200: SubscriptionOut, **WRITE_ERRORS}
)
def webhook_subscription_patch(request, subscription_id: Id, payload: SubscriptionPatch):
    subscription = get_object_or_404(
        selectors.webhook_subscriptions_for(request.user), pk=subscription_id
    )
    _admin_only(request)
    return webhooks.webhook_subscription_save(
        subscription=subscription, **payload.dict(exclude_unset=True)
    )


@webhooks_router.get(
    "/webhook-subscriptions/{subscription_id}/deliveries",
    response={200: page_of(WebhookDeliveryOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def webhook_delivery_list(
    request, subscription_id: Id, paging: Query[PageIn], output: Query[ExportQuery]
):
    """The delivery log, newest first, with each response code."""
    subscription = get_object_or_404(
        selectors.webhook_subscriptions_for(request.user), pk=subscription_id
    )
    deliveries = subscription.deliveries.order_by("-created_at", "-pk")
    if output.format:
        return deliveries_response(subscription, deliveries, fmt=output.format)
    return page(deliveries, paging)


@webhooks_router.post(
    "/webhook-deliveries/{webhook_delivery_id}/redeliver",
    response={202: WebhookDeliveryOut, **WRITE_ERRORS},
)
def webhook_delivery_redeliver(request, webhook_delivery_id: Id):
    """Send a delivery again now, with the same id and body."""
    delivery = get_object_or_404(
        selectors.webhook_deliveries_for(request.user), pk=webhook_delivery_id
    )
    _admin_only(request)
    return Status(202, webhooks.webhook_redeliver(delivery=delivery))


# --- the SMS gateway ---------------------------------------------------------------------
class SmsGatewayIo(Input):
    method: str = "POST"
    url: str = Field(max_length=500)
    headers: dict[str, str] = {}
    body: str = ""
    active: bool = True


@webhooks_router.get("/sms-gateway", response={200: SmsGatewayIo, **WRITE_ERRORS})
def sms_gateway_read(request):
    _admin_only(request)
    return get_object_or_404(SmsGateway, pk=1)


@webhooks_router.put("/sms-gateway", response={200: SmsGatewayIo, **WRITE_ERRORS})
def sms_gateway_write(request, payload: SmsGatewayIo):
    """The request template must carry {phone} and {text} (422 on ``body`` otherwise)."""
    _admin_only(request)
    return services.sms_gateway_save(**payload.dict())
