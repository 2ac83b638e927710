"""The key figures through the API (issue 14 §2): the on-time rate of each promise and the
repair times, per group, over the requests reported in a window of local days."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema

from core.api import READ_ERRORS, WRITE_ERRORS, Day, Input, LocatedValidationError
from core.exports import EXPORT_OPENAPI, ExportQuery, table_response
from core.permissions import require_perm

from . import selectors
from .exports import on_time_table, repair_times_table
from .query import KpiQuery, kpi_query

router = Router(tags=["kpis"])
ERRORS = {**READ_ERRORS, 403: WRITE_ERRORS[403]}


class KpiQueryIn(Input):
    from_: Day | None = Field(
        None,
        alias="from",
        description="First day the requests were reported on (the caller's time zone), "
        "included; default: the first day of the month 11 months back.",
    )
    to: Day | None = Field(None, description="Last day, included; default: today.")
    group_by: Literal["month", "engineer", "hospital", "region", "model", "severity"] = Field(
        "month",
        description="The rows' groups. A hospital's users may not group by engineer.",
    )


class OnTimeOut(Schema):
    group: str = Field(description="The group as people read it (a month is YYYY-MM)")
    group_key: str = Field(description="YYYY-MM, a record id, a severity; '' for nobody")
    milestone: str
    met: int
    breached: int
    not_applicable: int
    rate: float | None = Field(description="met / (met + breached), 0 to 1; null: neither")


class RepairTimesOut(Schema):
    group: str
    group_key: str
    requests: int
    arrive_median_seconds: float | None
    arrive_p90_seconds: float | None
    resolve_median_seconds: float | None
    resolve_p90_seconds: float | None
    first_time_fix_rate: float | None


def _query(request, params: KpiQueryIn) -> KpiQuery:
    require_perm(request, "kpis.view_kpis")
    try:
        return kpi_query(
            user=request.user,
            first_day=params.from_,
            last_day=params.to,
            group_by=params.group_by,
        )
    except ValidationError as exc:
        raise LocatedValidationError(exc, loc_of=lambda name: ["query", name]) from exc


@router.get(
    "/kpis/on-time", response={200: list[OnTimeOut], **ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def kpis_on_time(request, params: Query[KpiQueryIn], output: Query[ExportQuery]):
    """The on-time rate of each promise per group, over the requests reported in the
    window (what counts: docs/kpis.md). A pending promise counts only once it is
    breached; a hospital's users see their hospital's requests only."""
    query = _query(request, params)
    if output.format:
        return table_response(on_time_table(query), fmt=output.format, name="kpis-on-time")
    return [asdict(row) for row in selectors.on_time(query)]


@router.get(
    "/kpis/repair-times",
    response={200: list[RepairTimesOut], **ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def kpis_repair_times(request, params: Query[KpiQueryIn], output: Query[ExportQuery]):
    """Time to arrive and to resolve (median and 90th percentile, in seconds, paused time
    excluded as the promise clock counts it) and the first-time-fix rate, per group, over
    the requests reported in the window."""
    query = _query(request, params)
    if output.format:
        name = "kpis-repair-times"
        return table_response(repair_times_table(query), fmt=output.format, name=name)
    return [asdict(row) for row in selectors.repair_times(query)]
