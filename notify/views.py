"""The inbox pages: a person's own messages only (another's answers 404)."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest

from . import selectors, services
from .filters import InboxFilterSet
from .models import InboxMessage

PAGE_SIZE = 50


@login_required
@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = InboxFilterSet(request.GET, selectors.inbox_of(request.user), request=request)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/inbox.html",
        {"page_obj": page, "form": filters.form, "unread": selectors.unread_count(request.user)},
    )


@login_required
@require_GET
def message(request: HttpRequest, pk: int) -> HttpResponse:
    """Open one message: it is read now, and the reader goes where it points."""
    item = get_object_or_404(InboxMessage.objects.for_user(request.user), pk=pk)
    services.inbox_message_mark_read(message=item)
    if item.url and url_has_allowed_host_and_scheme(
        item.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(item.url)
    return render(request, "notify/message.html", {"message": item})


@login_required
@require_POST
def mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = services.inbox_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All messages marked as read."))
    return redirect("notify:inbox")


@login_required
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "My notifications": the channels I get per kind (the inbox is always on)."""
    status = 200
    if request.method == "POST":
        choices = {
            row["kind"]: request.POST.getlist(f"channels-{row['kind']}")
            for row in selectors.preferences_of(request.user)
        }
        try:
            services.preferences_set(user=request.user, choices=choices)
        except ValidationError as error:
            # Only a tampered form names a channel that is not offered: say so, keep all.
            for message in error.messages:
                messages.error(request, message)
            status = 422
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notify:preferences")
    rows = selectors.preferences_of(request.user)
    return render(
        request,
        "notify/preferences.html",
        {"rows": rows, "channels": [(c.value, c.label) for c in services.CHOOSABLE]},
        status=status,
    )


@login_required
@require_GET
def deliveries_for(request: AuthenticatedHttpRequest, about: str, pk: int) -> HttpResponse:
    """The fragment "told: 张伟 by WeCom 09:02 ✓" of one record (loaded by htmx from the
    record's page). The record must be in the viewer's scope (its model's ``for_user``);
    another hospital's record is a 404."""
    try:
        model = apps.get_model(about)
    except (LookupError, ValueError):
        raise Http404 from None
    manager = model._default_manager
    if not hasattr(manager, "for_user"):
        raise Http404
    get_object_or_404(manager.for_user(request.user), pk=pk)
    rows = selectors.deliveries_about(about_type=about, about_id=pk, user=request.user)[:50]
    return render(request, "notify/_deliveries.html", {"deliveries": rows})
