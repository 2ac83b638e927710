"""What the installed-base pages share: scoping, permissions, paging.

Every page reads through ``for_user`` (another hospital's object is a 404), checks the
``rules`` permission before a write (403) and makes exactly one service call per write.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from ..models import Device

PAGE_SIZE = 50
LABEL_SHEET_MAX = 500
# Uploaded procedures a browser may show in the page; anything else is downloaded.
GET_POST = require_http_methods(["GET", "POST"])


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _devices(request: HttpRequest):
    return Device.objects.for_user(request.user).select_related(
        "product_model", "hospital", "department"
    )


def _device_or_404(request: HttpRequest, pk: int) -> Device:
    return get_object_or_404(_devices(request), pk=pk)
