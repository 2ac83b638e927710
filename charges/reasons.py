"""Words for a charge line's reason: the pure pricing gives a code and parameters, people
read a sentence such as "In warranty until 2027-03-01 (…); quality fault: labor free"."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from contracts.coverage import Cause, Line, Pricing, Reason
from contracts.reasons import CAUSE_LABELS, PRICING_LABELS, coverage_reason_text, reason_sentence

__all__ = ["LINE_LABELS", "coverage_reason_text", "line_reason_text"]

LINE_LABELS = {
    Line.PARTS: gettext_lazy("parts"),
    Line.LABOR: gettext_lazy("labor"),
    Line.TRAVEL: gettext_lazy("travel"),
}


def line_reason_text(code: str, params: Mapping[str, object], time_zone: str) -> str:
    """One sentence: the cover, the cause, how this line is priced (and why it is 0)."""
    zone = ZoneInfo(time_zone)
    p = dict(params)
    cover_code = str(p.get("cover", code)) if code == "no_catalogue_price" else code
    clauses = [reason_sentence(Reason(cover_code, p), zone)]
    if cover_code == "agreement" and not p.get("agreement_covers_line", True):
        clauses.append(
            _("the agreement does not cover %(line)s") % {"line": LINE_LABELS[Line(str(p["line"]))]}
        )
    cause = Cause(str(p.get("cause", Cause.QUALITY)))
    clauses.append(
        _("%(cause)s: %(line)s %(pricing)s")
        % {
            "cause": CAUSE_LABELS[cause],
            "line": LINE_LABELS[Line(str(p["line"]))],
            "pricing": PRICING_LABELS[Pricing(str(p["pricing"]))],
        }
    )
    if cause == Cause.UNDETERMINED:
        clauses.append(
            reason_sentence(Reason("cause_undetermined", {"priced_as": p["priced_as"]}), zone)
        )
    if code == "no_catalogue_price":
        clauses.append(_("no catalogue price for this part yet: charged 0.00"))
    return pgettext("clause separator", "; ").join(str(c) for c in clauses)
