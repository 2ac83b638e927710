"""The inbox and the webhooks' lists as files (issue 14 §5): ``GET /inbox``,
``/webhook-subscriptions`` and ``/webhook-subscriptions/{id}/deliveries`` with
``format=csv|xlsx``. The inbox is the caller's own (its FilterSet, its order); the webhook
lists have no filters, so they are columns over the endpoint's rows. A subscription's
signing secret is never written."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exports import Column, ListExport, Table, label_of, table_response

from . import selectors
from .filters import InboxFilterSet
from .models import InboxMessage, WebhookDelivery, WebhookSubscription
from .routing import routed_kinds


def _kind_label(message: InboxMessage) -> Any:
    kind = routed_kinds().get(message.kind)
    return kind.label if kind else message.kind


def _inbox(request: HttpRequest):
    # The export is signed in, as every list of the API (``ListExport.rows``' request).
    return selectors.inbox_of(cast(User, request.user))


INBOX = ListExport(
    name="inbox",
    title=_("Inbox"),
    filterset=InboxFilterSet,
    rows=_inbox,
    columns=(
        Column(_("Sent at"), lambda m: m.created_at, 18),
        Column(_("Kind"), _kind_label, 18),
        Column(_("Subject"), lambda m: m.subject, 36),
        Column(_("Message"), lambda m: m.body, 50),
        Column(_("Read at"), lambda m: m.read_at, 18),
    ),
)

SUBSCRIPTION_COLUMNS = (
    Column(_("Name"), lambda s: s.name, 20),
    Column(_("Target address"), lambda s: s.url, 36),
    Column(_("Event kinds"), lambda s: ", ".join(s.event_kinds or ()), 36),
    Column(_("Active"), lambda s: s.active, 8),
    Column(_("Created at"), lambda s: s.created_at, 18),
)

DELIVERY_COLUMNS = (
    Column(_("Delivery id"), lambda d: str(d.delivery_id), 36),
    Column(_("Event kind"), lambda d: d.event_kind, 24),
    Column(_("State"), label_of("state"), 10),
    Column(_("Attempts"), lambda d: d.attempts, 8),
    Column(_("Response code"), lambda d: d.response_code, 8),
    Column(_("Last error"), lambda d: d.last_error, 30),
    Column(_("Written at"), lambda d: d.created_at, 18),
    Column(_("Sent at"), lambda d: d.sent_at, 18),
    Column(_("Next attempt"), lambda d: d.next_attempt_at, 18),
)


def subscriptions_response(
    subscriptions: QuerySet[WebhookSubscription], *, fmt: str
) -> StreamingHttpResponse | FileResponse:
    table = Table(columns=SUBSCRIPTION_COLUMNS, rows=subscriptions, title=_("Webhooks"))
    return table_response(table, fmt=fmt, name="webhook-subscriptions")


def deliveries_response(
    subscription: WebhookSubscription, deliveries: QuerySet[WebhookDelivery], *, fmt: str
) -> StreamingHttpResponse | FileResponse:
    # The body (the event's whole payload) is left out: it is JSON for machines.
    rows = deliveries.defer("body")
    table = Table(columns=DELIVERY_COLUMNS, rows=rows, title=subscription.name)
    return table_response(table, fmt=fmt, name=f"webhook-deliveries-{subscription.pk}")
