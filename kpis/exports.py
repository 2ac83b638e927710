"""The key figures' tables as files (issue 14 §3): each table of the page, from the same
selector as the page, as ``core.exports`` tables of rows (not querysets). The page's
download buttons (``kpis:export``) and the API's ``format=`` both write these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.exports import Column, Table

from . import selectors
from .query import GROUP_BY, KpiQuery


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _group_column(query: KpiQuery) -> Column:
    return Column(GROUP_BY[query.group_by], lambda row: row.group, 24)


def on_time_table(query: KpiQuery) -> Table:
    return Table(
        title=_("Promises kept on time"),
        rows=selectors.on_time(query),
        columns=(
            _group_column(query),
            Column(_("Promise"), lambda r: r.milestone_label, 16),
            Column(_("Kept"), lambda r: r.met, 8),
            Column(_("Broken"), lambda r: r.breached, 8),
            Column(_("Not applicable"), lambda r: r.not_applicable, 8),
            Column(_("On-time rate (%)"), lambda r: _percent(r.rate), 10),
        ),
    )


def repair_times_table(query: KpiQuery) -> Table:
    return Table(
        title=_("Time to arrive and to repair"),
        rows=selectors.repair_times(query),
        columns=(
            _group_column(query),
            Column(_("Requests"), lambda r: r.requests, 8),
            Column(_("Arrival, median (min)"), lambda r: _minutes(r.arrive_median_seconds), 12),
            Column(_("Arrival, 90th percentile (min)"), lambda r: _minutes(r.arrive_p90_seconds),
                   12),
            Column(_("Repair, median (min)"), lambda r: _minutes(r.resolve_median_seconds), 12),
            Column(_("Repair, 90th percentile (min)"), lambda r: _minutes(r.resolve_p90_seconds),
                   12),
            Column(_("First-time fix (%)"), lambda r: _percent(r.first_time_fix_rate), 10),
        ),
    )  # fmt: skip


def completion_table(query: KpiQuery) -> Table:
    return Table(
        title=_("Planned visits done within their window"),
        rows=selectors.visit_completion(query),
        columns=(
            Column(_("Hospital"), lambda r: r.hospital.name if r.hospital else _("Total"), 24),
            Column(_("Due"), lambda r: r.scheduled, 8),
            Column(_("Done"), lambda r: r.done, 8),
            Column(_("Done within the window"), lambda r: r.done_in_window, 10),
            Column(_("Done (%)"), lambda r: r.rate, 8),
            Column(_("Within the window (%)"), lambda r: r.rate_in_window, 10),
        ),
    )


def satisfaction_table(query: KpiQuery) -> Table:
    return Table(
        title=_("Return-visit satisfaction"),
        rows=selectors.satisfaction(query),
        columns=(
            Column(_("Month"), lambda r: f"{r.month:%Y-%m}", 10),
            Column(_("Sheets"), lambda r: r.sheets, 8),
            Column(_("Average (1-5)"), lambda r: r.average and round(r.average, 2), 10),
        ),
    )


def mtbf_table(query: KpiQuery) -> Table:
    return Table(
        title=_("Mean time between failures"),
        rows=selectors.mtbf(query, per="model"),
        columns=(
            Column(_("Model"), lambda r: r.label, 24),
            Column(_("Devices"), lambda r: r.devices, 8),
            Column(_("Operating hours"), lambda r: round(r.operating_hours), 12),
            Column(_("Failures"), lambda r: r.failures, 8),
            Column(_("MTBF (hours)"), lambda r: r.mtbf_hours and round(r.mtbf_hours), 10),
        ),
    )


def _pareto_table(title: str | Promise, rows: list[selectors.ParetoRow]) -> Table:
    return Table(
        title=title,
        rows=rows,
        columns=(
            Column(_("Cause or symptom"), lambda r: r.label, 24),
            Column(_("Requests"), lambda r: r.count, 8),
            Column(_("Share (%)"), lambda r: _percent(r.share), 8),
            Column(_("Cumulative (%)"), lambda r: _percent(r.cumulative), 10),
        ),
    )


def causes_table(query: KpiQuery) -> Table:
    return _pareto_table(_("Fault causes"), selectors.fault_causes(query))


def symptoms_table(query: KpiQuery) -> Table:
    return _pareto_table(_("Symptoms"), selectors.symptoms(query))


def parts_table(query: KpiQuery) -> Table:
    return Table(
        title=_("Parts consumed"),
        rows=selectors.parts_consumed(query),
        columns=(
            Column(_("Part number"), lambda r: r.part_number, 14),
            Column(_("Part"), lambda r: r.name, 24),
            Column(_("Quantity"), lambda r: r.quantity, 8),
            Column(_("Unit cost"), lambda r: r.unit_cost, 10),
            Column(_("Cost"), lambda r: r.cost, 10),
            Column(_("Currency"), lambda r: r.currency, 8),
        ),
    )


@dataclass(frozen=True)
class KpiTable:
    build: Callable[[KpiQuery], Table]
    vendor_only: bool = False  # the figures a hospital's users do not see on the page


TABLES: dict[str, KpiTable] = {
    "on-time": KpiTable(on_time_table),
    "repair-times": KpiTable(repair_times_table),
    "visits": KpiTable(completion_table),
    "satisfaction": KpiTable(satisfaction_table),
    "mtbf": KpiTable(mtbf_table),
    "causes": KpiTable(causes_table),
    "symptoms": KpiTable(symptoms_table),
    "parts": KpiTable(parts_table, vendor_only=True),
}
