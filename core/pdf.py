"""HTML templates to PDF with WeasyPrint, without ever touching the network.

The same Django templates as the web. Fonts come from the system (Debian's
``fonts-noto-cjk``): the template's CSS asks for "Noto Sans CJK SC", so Chinese is embedded and
subsetted. Every URL the document names goes through ``OnlyLocalStatic``: it serves
``data:`` URLs and files under the static directories or the media root, and refuses
everything else (a hospital network is often closed, and a template must never make the
server fetch a URL someone typed).

Importing this module loads WeasyPrint (~0.5 s): import it where a PDF is rendered.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils._os import safe_join
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Relative URLs resolve against this: ``{% static %}`` gives ``/static/...``, which
# becomes ``file:///static/...`` and is looked up by the static finders, not on disk.
BASE_URL = "file:///"


class LocalOnlyRefused(ValueError):
    """A document asked for something that is not a local static or media file."""


def _allowed_roots() -> list[Path]:
    roots = [Path(settings.MEDIA_ROOT)]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    for entry in settings.STATICFILES_DIRS:
        roots.append(Path(entry[1] if isinstance(entry, tuple | list) else entry))
    return [root.resolve() for root in roots]


def _under_allowed_root(path: Path) -> Path:
    resolved = path.resolve()
    if not any(resolved.is_relative_to(root) for root in _allowed_roots()):
        raise LocalOnlyRefused(f"{path} is outside the static and media directories")
    if not resolved.is_file():
        raise LocalOnlyRefused(f"{path} does not exist")
    return resolved


def local_path_for(url_path: str) -> Path:
    """The file a ``file:`` URL's path names, if it is a static or media file."""
    static_url = urlsplit(settings.STATIC_URL or "/static/").path
    media_url = urlsplit(settings.MEDIA_URL or "/media/").path
    try:
        if static_url and url_path.startswith(static_url):
            name = url_path[len(static_url) :]
            found = finders.find(name)
            if found:
                return _under_allowed_root(Path(found))
            if settings.STATIC_ROOT:
                return _under_allowed_root(Path(safe_join(settings.STATIC_ROOT, name)))
            raise LocalOnlyRefused(f"no static file {name}")
        if media_url and url_path.startswith(media_url):
            name = url_path[len(media_url) :]
            return _under_allowed_root(Path(safe_join(settings.MEDIA_ROOT, name)))
    except SuspiciousFileOperation as exc:
        raise LocalOnlyRefused(str(exc)) from exc
    return _under_allowed_root(Path(url_path))


def _data_response(url: str) -> URLFetcherResponse:
    header, comma, payload = url[len("data:") :].partition(",")
    if not comma:
        raise LocalOnlyRefused("malformed data URL")
    params = header.split(";")
    body = (
        base64.b64decode(unquote(payload)) if params[-1] == "base64" else unquote_to_bytes(payload)
    )
    media_type = params[0] or "text/plain"
    return URLFetcherResponse(url, body=body, headers={"Content-Type": media_type})


class OnlyLocalStatic(URLFetcher):
    """WeasyPrint's URL fetcher, restricted to ``data:`` and local static/media files."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return _data_response(url)
        if scheme != "file":
            raise LocalOnlyRefused(f"refused to fetch {url}: only local files")
        path = local_path_for(unquote(urlsplit(url).path))
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def render_pdf(template_name: str, context: dict[str, Any] | None = None) -> bytes:
    """Render a Django template to PDF bytes (A4 and fonts are the template's CSS)."""
    html = render_to_string(template_name, context or {})
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=OnlyLocalStatic())
    return document.write_pdf()
