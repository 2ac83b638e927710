"""The request type of a view that only a signed-in user reaches."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """For annotations only (Django still builds a plain ``HttpRequest``): behind
    ``login_required`` the user is a ``User``, never ``AnonymousUser``, and django-htmx's
    middleware sets ``htmx`` on every request. The stubs know neither."""

    user: User
    htmx: HtmxDetails
