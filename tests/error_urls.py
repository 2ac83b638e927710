"""The project's URLs plus two views that fail, for tests/test_error_pages.py."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from medservice.urls import handler403, handler404, handler500
from medservice.urls import urlpatterns as project_urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


def refuse(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a failure in a view")


urlpatterns = [
    path("service-requests/refused/", refuse),
    path("service-requests/failing/", fail),
    *project_urlpatterns,
]
