"""The calendar pages (month, week), the user's calendar feeds, and the public ICS feed
(issue 4 §5)."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.http import AuthenticatedHttpRequest
from core.forms import add_service_errors, id_from
from core.permissions import require_perm
from core.timeutil import local_today

from . import selectors, services
from .forms import EVERYONE, CalendarFeedForm, CalendarFilterForm
from .grid import (
    month_cells,
    month_grid,
    parse_day,
    parse_month,
    shift_month,
    week_cells,
    week_days,
)
from .ics import feed_ics
from .sources import collect
from .templatetags.agenda_tags import KIND_LABELS, STATE_LABELS


def _absolute(request: HttpRequest, path: str) -> str:
    base = getattr(settings, "SITE_URL", "")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


class _Page:
    """What both calendar pages share: the filters, the zone of their days, today."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.form = CalendarFilterForm(request.GET or None, user=request.user)
        hospital = self.form.selected_hospital
        # A hospital's days are its own; the vendor's overview uses the default zone.
        self.zone_name = hospital.time_zone if hospital else settings.DEFAULT_HOSPITAL_TIME_ZONE
        self.zone = ZoneInfo(self.zone_name)
        self.today = local_today(self.zone_name)

    def entries(self, start: date, end: date):
        hospital = self.form.selected_hospital
        return collect(
            start=start,
            end=end,
            visible_to=self.request.user,
            engineer_id=self.form.engineer_id,
            hospital_id=hospital.pk if hospital else None,
        )

    def link(self, name: str, **params: str) -> str:
        return f"{reverse(name)}?{urlencode({**self.form.query(), **params})}"

    def context(self) -> dict:
        return {
            "form": self.form,
            "fixed_hospital": self.form.fixed_hospital,
            "current_engineer": str(self.form.engineer_id or EVERYONE),
            "current_hospital": self.form.selected_hospital,
            "time_zone": self.zone,
            "time_zone_name": self.zone_name,
            "today": self.today,
            "kind_labels": KIND_LABELS,
            "state_labels": STATE_LABELS,
            "may_subscribe": self.request.user.has_perm("agenda.add_calendarfeed"),
            "subscribe_url": self.link("agenda:feed_create"),
        }


@login_required
def month(request: HttpRequest) -> HttpResponse:
    page = _Page(request)
    year, month_number = parse_month(request.GET.get("month")) or (
        page.today.year,
        page.today.month,
    )
    first = date(year, month_number, 1)
    grid = month_grid(year, month_number)
    entries = page.entries(grid[0][0], grid[-1][-1])
    weeks = month_cells(year, month_number, entries, today=page.today, time_zone=page.zone)
    previous, following = shift_month(year, month_number, -1), shift_month(year, month_number, 1)
    return render(
        request,
        "agenda/month.html",
        page.context()
        | {
            "first": first,
            "weeks": weeks,
            "month_days": [c for week in weeks for c in week if c.in_period and c.entries],
            "previous_url": page.link("agenda:month", month=f"{previous[0]}-{previous[1]:02d}"),
            "next_url": page.link("agenda:month", month=f"{following[0]}-{following[1]:02d}"),
            "today_url": page.link("agenda:month"),
            "week_url": page.link("agenda:week", day=first.isoformat()),
            "week_link_base": page.link("agenda:week"),
        },
    )


@login_required
def week(request: HttpRequest) -> HttpResponse:
    page = _Page(request)
    day = parse_day(request.GET.get("day")) or page.today
    days = week_days(day)
    cells = week_cells(day, page.entries(days[0], days[-1]), today=page.today, time_zone=page.zone)
    return render(
        request,
        "agenda/week.html",
        page.context()
        | {
            "days": cells,
            "first": days[0],
            "last": days[-1],
            "week_number": days[0].isocalendar().week,
            "previous_url": page.link("agenda:week", day=(day - timedelta(days=7)).isoformat()),
            "next_url": page.link("agenda:week", day=(day + timedelta(days=7)).isoformat()),
            "today_url": page.link("agenda:week"),
            "month_url": page.link("agenda:month", month=f"{day.year}-{day.month:02d}"),
        },
    )


# --- feeds ------------------------------------------------------------------------------
def feed_url(request: HttpRequest, raw_token: str) -> str:
    return _absolute(request, reverse("agenda:feed_ics", args=[raw_token]))


@never_cache
@login_required
def feed_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "agenda/feed_list.html",
        {
            "feeds": selectors.feeds_of(request.user),
            "may_create": request.user.has_perm("agenda.add_calendarfeed"),
        },
    )


def _initial(request: HttpRequest, form: CalendarFeedForm) -> dict:
    """Pre-select the calendar the user came from, if it is one he may subscribe to."""
    initial = {}
    for name in ("engineer", "hospital"):
        value = id_from(request.GET.get(name))
        field = form.fields.get(name)
        if field is not None and value is not None:
            chosen = field.queryset.filter(pk=value).first()  # type: ignore[attr-defined]
            if chosen is not None:
                initial[name] = chosen
                initial.setdefault("scope", name)
    return initial


@never_cache  # the page that shows a new feed's address must not be kept by any cache
@login_required
def feed_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_perm(request, "agenda.add_calendarfeed")
    if request.method != "POST":
        form = CalendarFeedForm(user=request.user)
        form.initial = _initial(request, form)
        return render(request, "agenda/feed_form.html", {"form": form})
    form = CalendarFeedForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            feed, raw = services.calendar_feed_create(
                owner=request.user,
                scope=data["scope"],
                engineer=data.get("engineer"),
                hospital=data.get("hospital"),
                name=data["name"],
                submission_key=data["submission_key"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if raw is None:
                messages.info(
                    request,
                    _(
                        "This form was already sent: the feed “%(name)s” exists and its "
                        "address was shown then. If you did not copy it, revoke the feed and "
                        "create a new one."
                    )
                    % {"name": feed.name},
                )
                return redirect("agenda:feed_list")
            url = feed_url(request, raw)
            return render(
                request,
                "agenda/feed_created.html",
                {"feed": feed, "url": url, "webcal_url": "webcal://" + url.split("://", 1)[-1]},
            )
    return render(request, "agenda/feed_form.html", {"form": form})


@login_required
@require_POST
def feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(selectors.feeds_of(request.user), pk=pk)
    require_perm(request, "agenda.revoke_calendarfeed", feed)
    services.calendar_feed_revoke(feed=feed)
    messages.success(
        request,
        _("Feed “%(name)s” was revoked: calendar apps subscribed to it get nothing more.")
        % {"name": feed.name},
    )
    return redirect("agenda:feed_list")


@require_safe  # GET and HEAD: some calendar apps check with HEAD first
def feed_ics_view(request: HttpRequest, token: str) -> HttpResponse:
    """The public feed: no login, the token is the key. Unknown and revoked tokens get the
    same 404."""
    feed = services.calendar_feed_by_token(raw_token=token)
    if feed is None:
        raise Http404
    with translation.override(selectors.feed_language(feed.owner)):
        body = feed_ics(
            selectors.feed_entries(feed),
            name=feed.name,
            time_zone=selectors.feed_time_zone(feed),
            absolute=lambda path: _absolute(request, path),
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)  # a revoked feed stops at once
    return response
