"""The groupings of the KPI tables: which request field a group is, how it reads, and
which filters of the request list narrow that list to it (the drill-down)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import F
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from accounts.models import User
from assets.models import ProductModel
from customers.models import Hospital, ServiceRegion
from service.models import Severity

from .query import KpiQuery

# The request's field each grouping reads (from ServiceRequest).
GROUP_PATHS = {
    "engineer": "engineers",
    "hospital": "hospital",
    "region": "hospital__region",
    "model": "device__product_model",
    "severity": "severity",
}
# The request list's filter that selects one group's requests.
LIST_PARAMS = {
    "engineer": "engineer",
    "hospital": "hospital",
    "region": "region",
    "model": "model",
    "severity": "severity",
}


@dataclass(frozen=True)
class Group:
    """One row group: ``key`` as the API names it ("2026-03", an id, "normal"; "" for
    requests nobody was assigned to), ``label`` as people read it, ``params`` the request
    list's filters that select it within the window (None: the list cannot select it)."""

    key: str
    label: str
    sort: tuple = ()
    params: dict[str, str] | None = field(default_factory=dict)


def group_expression(query: KpiQuery, *, prefix: str = "") -> Any:
    """The expression of the query's grouping on a queryset of requests (``prefix`` ""),
    or of rows that belong to a request (``"request__"``)."""
    if query.group_by == "month":
        # The viewer's calendar months, as the window's local days.
        return TruncMonth(f"{prefix}reported_at", tzinfo=query.zone)
    return F(f"{prefix}{GROUP_PATHS[query.group_by]}")


def month_of(value: Any, query: KpiQuery) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(query.zone)
        return value.date().replace(day=1)
    return value.replace(day=1)


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def resolve_groups(query: KpiQuery, values: Iterable[Any]) -> dict[Any, Group]:
    """Each raw grouping value (as the database answered it) with its ``Group``."""
    raw = set(values)
    groups: dict[Any, Group] = {}
    if query.group_by == "month":
        for value in raw:
            first = month_of(value, query)
            last = _next_month(first) - timedelta(days=1)
            groups[value] = Group(
                key=f"{first:%Y-%m}",
                label=f"{first:%Y-%m}",
                sort=(first,),
                params={
                    "reported_from": max(first, query.first_day).isoformat(),
                    "reported_to": min(last, query.last_day).isoformat(),
                },
            )
        return groups
    if query.group_by == "severity":
        labels = dict(Severity.choices)
        for position, value in enumerate(Severity.values):
            if value in raw:
                groups[value] = Group(
                    key=value,
                    label=str(labels[value]),
                    sort=(position,),
                    params={"severity": value},
                )
        return groups
    ids = {value for value in raw if value is not None}
    names: dict[int, str]
    if query.group_by == "engineer":
        names = {user.pk: str(user) for user in User.objects.filter(pk__in=ids)}
    elif query.group_by == "hospital":
        names = dict(Hospital.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif query.group_by == "region":
        names = dict(ServiceRegion.objects.filter(pk__in=ids).values_list("pk", "name"))
    else:
        names = {model.pk: str(model) for model in ProductModel.objects.filter(pk__in=ids)}
    param = LIST_PARAMS[query.group_by]
    for value in raw:
        if value is None:  # only engineers: a request nobody was sent to
            groups[value] = Group(key="", label=_("Nobody assigned"), sort=(1, ""), params=None)
        else:
            label = names.get(value, str(value))
            groups[value] = Group(
                key=str(value), label=label, sort=(0, label.casefold(), value),
                params={param: str(value)},
            )  # fmt: skip
    return groups
