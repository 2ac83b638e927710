"""The KPI page's sections: each selector's rows and, where a picture helps, its chart
(``charts``). The rows stay plain, as the selectors answer them, so an export can take
them as they are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import charts, rollups, selectors
from .query import GROUP_BY, KpiQuery
from .templatetags.kpis import percent

# More bars than this and a chart stops being read: the table has them all.
MAX_BARS = 24


@dataclass(frozen=True)
class Chart:
    title: str
    svg: SafeString


def on_time_charts(rows: list[selectors.OnTimeRow]) -> list[Chart]:
    """One bar chart per promise: its on-time rate per group, each bar a link to the
    promises kept in that group."""
    by_promise: dict[str, list[selectors.OnTimeRow]] = {}
    for row in rows:  # already in group order
        by_promise.setdefault(row.milestone, []).append(row)
    result = []
    for _milestone, mine in sorted(
        by_promise.items(), key=lambda item: selectors.PROMISE_ORDER.get(item[0], 99)
    ):
        title = _("On time: %(promise)s") % {"promise": mine[0].milestone_label}
        if len(mine) > MAX_BARS:
            # Hundreds of hospitals or engineers: the chart shows who needs attention.
            mine = sorted(mine, key=lambda r: (r.rate is None, r.rate or 0))[:MAX_BARS]
            title = _("On time: %(promise)s, the %(count)s lowest") % {
                "promise": mine[0].milestone_label,
                "count": MAX_BARS,
            }
        bars = [
            charts.Bar(label=r.group, value=r.rate, text=percent(r.rate), href=r.links.get("met"))
            for r in mine
        ]
        # Built from escaped parts only (``charts`` escapes every text and address).
        result.append(Chart(title=title, svg=mark_safe(charts.bar_chart(bars, title=title))))  # noqa: S308
    return result


def pareto_figure(rows: list[selectors.ParetoRow], title: str) -> Chart | None:
    if not rows:
        return None
    bars = [charts.Bar(label=r.label, value=r.count, text=str(r.count), href=r.link) for r in rows]
    svg = charts.pareto_chart(bars, [r.cumulative or 0 for r in rows], title=title)
    return Chart(title=title, svg=mark_safe(svg))  # noqa: S308 - escaped by ``charts``


def satisfaction_figure(rows: list[selectors.SatisfactionRow]) -> Chart | None:
    if not rows:
        return None
    title = _("Return-visit satisfaction per month")
    bars = [
        charts.Bar(
            label=f"{r.month:%Y-%m}",
            value=r.average,
            text=f"{r.average:.2f}" if r.average is not None else "—",
            href=r.link,
        )
        for r in rows
    ]
    svg = charts.bar_chart(
        bars, title=title, maximum=5, ticks=[(0, "0"), (0.6, "3"), (1, "5")], fill="#198754"
    )
    return Chart(title=title, svg=mark_safe(svg))  # noqa: S308 - escaped by ``charts``


def sections(query: KpiQuery) -> dict[str, Any]:
    """Everything the page shows for ``query``."""
    on_time = selectors.on_time(query)
    satisfaction = selectors.satisfaction(query)
    causes = selectors.fault_causes(query)
    symptoms = selectors.symptoms(query)
    completion = selectors.visit_completion(query)
    vendor = query.sees_engineers
    parts = selectors.parts_consumed(query) if vendor else []
    return {
        "group_label": GROUP_BY[query.group_by],
        "as_of": rollups.as_of(query),
        "on_time": on_time,
        "on_time_charts": on_time_charts(on_time),
        "repair_times": selectors.repair_times(query),
        "completion": [
            (row, selectors.visits_url(query, row.hospital.pk if row.hospital else None))
            for row in completion
        ],
        "satisfaction": satisfaction,
        "satisfaction_average": selectors.satisfaction_average(satisfaction),
        "satisfaction_chart": satisfaction_figure(satisfaction),
        "mtbf_models": selectors.mtbf(query, per="model"),
        "pareto_tables": [
            (pareto_figure(causes, _("Fault causes")), causes, "causes-table", "causes"),
            (pareto_figure(symptoms, _("Symptoms")), symptoms, "symptoms-table", "symptoms"),
        ],
        "vendor": vendor,
        "parts": parts,
        "parts_cost": sum((row.cost for row in parts), start=selectors.Decimal(0)),
        "loaners": selectors.loaner_days(query) if vendor else None,
    }
