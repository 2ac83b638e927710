"""The filters of the service-request lists: one FilterSet per list, used by the page, the
API and the export alike (``core.filtering``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assets.models import Device, ProductModel
from core.filtering import (
    ChoiceFilter,
    DayFilter,
    ListFilterSet,
    RecordFilter,
    TextFilter,
    in_scope,
)
from customers.models import Hospital, ServiceRegion

from . import selectors
from .forms import STATE_FILTERS, engineers_queryset
from .hotline.phone import variants as phone_variants
from .models import (
    Call,
    CallKind,
    CallOutcome,
    FaultCause,
    Milestone,
    ServiceRequest,
    Severity,
)

# What a request can be waiting for, as the homes count them (issue 13 §4).
WAITING_FOR = [
    ("engineer", _("An engineer")),
    ("hospital_signature", _("The hospital's signature")),
]


# The promises of the default policies (service/migrations/0002), in the order of a
# request's life: what the KPIs count and the request list filters by (issue 14 §2).
PROMISES = [
    ("callback", _("Called back")),
    ("on_site", _("Engineer on site")),
    ("solution", _("Solution proposed")),
    ("resolved", _("Repair done")),
    ("restored", _("Use restored")),
]
PROMISE_OUTCOME_LABELS = {
    "met": _("kept"),
    "breached": _("broken"),
    "not_applicable": _("not applicable"),
}


def _promise_choices() -> list[tuple[str, str]]:
    return [
        (f"{key}.{outcome}", f"{label}: {PROMISE_OUTCOME_LABELS[outcome]}")
        for key, label in PROMISES
        for outcome in selectors.PROMISE_OUTCOMES
    ]


def _engineers(request: Any) -> QuerySet:
    return engineers_queryset()


def _regions(request: Any) -> QuerySet:
    """The regions of the hospitals the viewer may see."""
    hospitals = Hospital.objects.for_user(request.user)
    return ServiceRegion.objects.filter(hospitals__in=hospitals).distinct().order_by("name")


class BoardFilterSet(ListFilterSet):
    """The dispatch board and ``GET /service-requests``: open requests by the live state of
    their promises (as of ``now``), hospital, engineer, severity."""

    state = ChoiceFilter(
        label=_("Promises"),
        choices=STATE_FILTERS,
        empty_label=None,
        method="by_state",
        api_default="open",
        api_description="The live state of the promises: open (all), at_risk or breached",
    )
    hospital = RecordFilter(
        label=_("Hospital"), queryset=in_scope(Hospital), empty_label=_("All hospitals")
    )
    engineer = RecordFilter(
        label=_("Engineer"),
        field_name="engineers",
        queryset=_engineers,
        empty_label=_("All engineers"),
    )
    severity = ChoiceFilter(
        label=_("Severity"), choices=Severity.choices, empty_label=_("Any severity")
    )

    def __init__(self, *args: Any, now: datetime | None = None, **kwargs: Any) -> None:
        # One instant for the filter and the page's countdowns.
        self.now = now or timezone.now()
        super().__init__(*args, **kwargs)

    def by_state(
        self, requests: QuerySet[ServiceRequest], name: str, state: str
    ) -> QuerySet[ServiceRequest]:
        return selectors.requests_in_state(requests, state=state, now=self.now)  # type: ignore[arg-type]


class RequestFilterSet(BoardFilterSet):
    """The request list: closed requests too, and the number or serial searched."""

    q = TextFilter(
        label=_("Number or serial"),
        method="search",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "SR-2026-000123"}),
    )
    state = ChoiceFilter(
        label=_("Promises"),
        choices=[("", _("All requests")), *STATE_FILTERS, ("closed", _("Closed"))],
        empty_label=None,
        method="by_state",
    )

    waiting = ChoiceFilter(
        label=_("Waiting for"),
        choices=WAITING_FOR,
        empty_label=_("Anything"),
        method="by_waiting",
        api_description="engineer: open and nobody assigned; "
        "hospital_signature: the repair record signed by the engineer, not yet by the hospital",
    )
    reported_on = DayFilter(
        label=_("Reported on"),
        method="by_reported_on",
        api_description="Reported on this day, in the caller's time zone",
    )

    reported_from = DayFilter(
        label=_("Reported from"),
        method="by_reported_from",
        api_description="Reported on or after this day, in the caller's time zone",
    )
    reported_to = DayFilter(
        label=_("Reported until"),
        method="by_reported_to",
        api_description="Reported on or before this day, in the caller's time zone",
    )
    promise = ChoiceFilter(
        label=_("Promise"),
        choices=_promise_choices,
        empty_label=_("Any promise"),
        method="by_promise",
        api_description="A promise and how it ended: <key>.met (kept in time), "
        "<key>.breached (kept late, or missed with the clock still running) or "
        "<key>.not_applicable (a remote fix before anyone went on site)",
    )
    model = RecordFilter(
        label=_("Model"),
        field_name="device__product_model",
        queryset=in_scope(ProductModel),
        empty_label=_("All models"),
    )
    region = RecordFilter(
        label=_("Service region"),
        field_name="hospital__region",
        queryset=_regions,
        empty_label=_("All regions"),
    )

    fault_cause = ChoiceFilter(
        label=_("Fault cause"), choices=FaultCause.choices, empty_label=_("Any cause")
    )
    symptom = TextFilter(
        label=_("Symptom contains"),
        method="by_symptom",
        max_length=100,
        api_description="Words of the fault report (case ignored)",
    )
    # Reached from a device (the key figures' MTBF); no list of every device in the form.
    device = RecordFilter(label=_("Device"), queryset=in_scope(Device), widget=forms.HiddenInput)

    field_order = [
        "q",
        "state",
        "hospital",
        "engineer",
        "severity",
        "waiting",
        "reported_on",
        "reported_from",
        "reported_to",
        "promise",
        "model",
        "region",
        "fault_cause",
        "symptom",
        "device",
    ]

    def by_state(
        self, requests: QuerySet[ServiceRequest], name: str, state: str
    ) -> QuerySet[ServiceRequest]:
        if state == "closed":
            return requests.filter(is_open=False)
        # A state of the promises lists the board's way: nearest deadline first.
        return selectors.dispatch_board(requests=super().by_state(requests, name, state))  # type: ignore[arg-type]

    def by_waiting(
        self, requests: QuerySet[ServiceRequest], name: str, value: str
    ) -> QuerySet[ServiceRequest]:
        if value == "engineer":
            return selectors.requests_without_engineer(requests)  # type: ignore[arg-type]
        return selectors.requests_awaiting_hospital_signature(requests)  # type: ignore[arg-type]

    def by_reported_on(
        self, requests: QuerySet[ServiceRequest], name: str, day: date
    ) -> QuerySet[ServiceRequest]:
        return selectors.requests_reported_on(
            requests,  # type: ignore[arg-type]
            day=day,
            time_zone=self.user.display_time_zone(),
        )

    def _local_midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=ZoneInfo(self.user.display_time_zone()))

    def by_reported_from(
        self, requests: QuerySet[ServiceRequest], name: str, day: date
    ) -> QuerySet[ServiceRequest]:
        return requests.filter(reported_at__gte=self._local_midnight(day))

    def by_reported_to(
        self, requests: QuerySet[ServiceRequest], name: str, day: date
    ) -> QuerySet[ServiceRequest]:
        return requests.filter(reported_at__lt=self._local_midnight(day + timedelta(days=1)))

    def by_promise(
        self, requests: QuerySet[ServiceRequest], name: str, value: str
    ) -> QuerySet[ServiceRequest]:
        key, outcome = value.split(".", 1)
        milestones = Milestone.objects.filter(
            selectors.promise_outcome_q(outcome, now=self.now), request=OuterRef("pk"), key=key
        )
        return requests.filter(Exists(milestones))

    def by_symptom(
        self, requests: QuerySet[ServiceRequest], name: str, text: str
    ) -> QuerySet[ServiceRequest]:
        return requests.filter(description__icontains=text.strip())

    def search(
        self, requests: QuerySet[ServiceRequest], name: str, text: str
    ) -> QuerySet[ServiceRequest]:
        text = text.strip()
        return requests.filter(
            Q(number__icontains=text)
            | Q(device__serial_number__icontains=text)
            | Q(device__asset_tag__icontains=text)
        )

    def shape_form(self, form: forms.Form) -> None:
        if not self.user.is_vendor_staff:
            # Hospital users filter by their own hospital anyway; engineers are the vendor's.
            del form.fields["engineer"]


class CallFilterSet(ListFilterSet):
    """The hotline's calls (``GET /hotline/calls`` and the calls page): by the day they
    started on (the vendor's zone: one hotline for every hospital), kind, hospital, outcome,
    and the caller's phone in any written form."""

    day = DayFilter(
        label=_("Day"),
        method="on_day",
        api_description="The day the call started, in the vendor's time zone",
    )
    kind = ChoiceFilter(label=_("Kind of call"), choices=CallKind.choices, empty_label=_("Any"))
    hospital = RecordFilter(
        label=_("Hospital"), queryset=in_scope(Hospital), empty_label=_("All hospitals")
    )
    outcome = ChoiceFilter(
        label=_("Outcome"), choices=CallOutcome.choices, empty_label=_("Any outcome")
    )
    phone = TextFilter(label=_("Phone"), method="by_phone")

    field_order = ["day", "kind", "hospital", "outcome", "phone"]

    def on_day(self, calls: QuerySet[Call], name: str, day: date) -> QuerySet[Call]:
        start = datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
        return calls.filter(started_at__gte=start, started_at__lt=start + timedelta(days=1))

    def by_phone(self, calls: QuerySet[Call], name: str, text: str) -> QuerySet[Call]:
        return calls.filter(phone_normalised__in=phone_variants(text))
