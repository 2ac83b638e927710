"""The search page (``/search/?q=``): what the viewer may see, grouped by kind, a few of
each with a link to all of them; a text naming one record exactly opens it. The navbar box
asks ``suggest`` for the same groups, shorter, as one types (htmx)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from core.search import MAX_LENGTH, SearchQuery, SearchTextError, clean_text

from .selectors import KIND_PAGE_LIMIT, search
from .sources import kinds

# Records of each kind on the search page, and under the navbar box.
PAGE_LIMIT = 5
SUGGEST_LIMIT = 3


@login_required
@require_GET
def results(request: AuthenticatedHttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    known = kinds()
    kind = request.GET.get("kind", "")
    kind = kind if kind in known else ""
    context: dict = {"q": raw[:MAX_LENGTH], "kind": kind, "kind_label": known.get(kind, "")}
    try:
        text = clean_text(raw)
    except SearchTextError as exc:
        # An empty box is a page to type in, not a mistake.
        context["error"] = str(exc) if raw.strip() else ""
        return render(request, "search/results.html", context)
    query = SearchQuery(
        text=text,
        visible_to=request.user,
        kinds=frozenset({kind}) if kind else None,
        limit=KIND_PAGE_LIMIT if kind else PAGE_LIMIT,
    )
    found = search(query)
    exact = found.exact_hit
    if exact is not None and not kind:
        return redirect(exact.url)
    context["results"] = found
    return render(request, "search/results.html", context)


@login_required
@require_GET
def suggest(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The groups under the navbar box; nothing while the text cannot be searched."""
    try:
        text = clean_text(request.GET.get("q", ""))
    except SearchTextError:
        return render(request, "search/_suggestions.html", {"results": None})
    found = search(SearchQuery(text=text, visible_to=request.user, limit=SUGGEST_LIMIT))
    return render(request, "search/_suggestions.html", {"results": found, "q": text})
