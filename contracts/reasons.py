"""Words for the coverage answer: the pure rule gives codes, people read sentences."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from .coverage import Cause, Cover, CoverageAnswer, Pricing, Reason

COVER_LABELS = {
    Cover.WARRANTY: gettext_lazy("Warranty"),
    Cover.EXTENDED_WARRANTY: gettext_lazy("Extended warranty"),
    Cover.AGREEMENT: gettext_lazy("Maintenance agreement"),
    Cover.NONE: gettext_lazy("No cover"),
}
PRICING_LABELS = {
    Pricing.FREE: gettext_lazy("free"),
    Pricing.COST: gettext_lazy("at cost price"),
    Pricing.LIST: gettext_lazy("at list price"),
}
CAUSE_LABELS = {
    Cause.QUALITY: gettext_lazy("quality fault"),
    Cause.NON_QUALITY: gettext_lazy("non-quality fault (misuse, accident, external cause)"),
    Cause.UNDETERMINED: gettext_lazy("cause not yet determined"),
}


def _last_day(until: datetime, zone: ZoneInfo) -> date:
    # ``until`` is the first uncovered instant, a local midnight: the day before is covered.
    return (until.astimezone(zone) - timedelta(seconds=1)).date()


def reason_sentence(reason: Reason, zone: ZoneInfo) -> str:
    p: dict[str, object] = dict(reason.params)
    for key in ("until", "since"):
        instant = p.get(key)
        if isinstance(instant, datetime):
            p[key] = _last_day(instant, zone).isoformat()
    for key in ("accepted_on", "replaced_on"):
        day = p.get(key)
        if isinstance(day, date):
            p[key] = day.isoformat()
    match reason.code:
        case "warranty":
            if p.get("contract"):
                return (
                    _(
                        "In warranty until %(until)s (%(months)s months from acceptance on "
                        "%(accepted_on)s, contract %(contract)s)"
                    )
                    % p
                )
            return (
                _(
                    "In warranty until %(until)s (%(months)s months from acceptance on "
                    "%(accepted_on)s, default term)"
                )
                % p
            )
        case "extended_warranty":
            return _("In extended warranty until %(until)s (contract %(contract)s)") % p
        case "component_warranty":
            return (
                _(
                    "Replaced component %(component)s %(serial)s in warranty until %(until)s "
                    "(replaced on %(replaced_on)s)"
                )
                % p
            )
        case "agreement":
            return _("Under maintenance agreement %(number)s until %(until)s") % p
        case "warranty_not_started":
            if p.get("accepted_on"):
                return _("Warranty not started: acceptance on %(accepted_on)s") % p
            return _("Warranty not started: no acceptance certificate date yet")
        case "out_of_cover":
            return _("Out of warranty since %(since)s, no maintenance agreement") % {
                "since": p.get("since") or "?"
            }
        case "cause_undetermined":
            return _("cause not yet determined, priced as a %(cause)s until classified") % {
                "cause": CAUSE_LABELS[Cause(str(p["priced_as"]))]
            }
    return reason.code


def coverage_reason_text(answer: CoverageAnswer, time_zone: str) -> str:
    """One sentence: why the device has this cover and why each line is priced so, e.g.
    "In warranty until 2027-03-01 (…); quality fault: parts free, labor free, travel free"."""
    zone = ZoneInfo(time_zone)
    main = [reason_sentence(r, zone) for r in answer.reasons if r.code != "cause_undetermined"]
    extra = [reason_sentence(r, zone) for r in answer.reasons if r.code == "cause_undetermined"]
    lines = _("%(cause)s: parts %(parts)s, labor %(labor)s, travel %(travel)s") % {
        "cause": CAUSE_LABELS[answer.cause],
        "parts": PRICING_LABELS[answer.parts],
        "labor": PRICING_LABELS[answer.labor],
        "travel": PRICING_LABELS[answer.travel],
    }
    # The separator is a message too: Chinese joins clauses with a full-width semicolon.
    return pgettext("clause separator", "; ").join([*main, lines, *extra])
