"""``{% export_menu "devices" %}``: a list page's download buttons (Excel, CSV) that keep
the page's filters (its query string, without the page number)."""

from __future__ import annotations

from django import template
from django.urls import reverse

register = template.Library()


@register.inclusion_tag("exports/_download_menu.html", takes_context=True)
def export_menu(context, list_name: str) -> dict:
    request = context["request"]
    query = request.GET.copy()
    for key in ("page", "list", "format"):
        query.pop(key, None)
    base = reverse("exports:download")
    links = {}
    for fmt in ("xlsx", "csv"):
        params = query.copy()
        params["list"] = list_name
        params["format"] = fmt
        links[fmt] = f"{base}?{params.urlencode()}"
    return {"links": links}
