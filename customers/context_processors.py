from django.http import HttpRequest

from .services import service_organisation_get


def service_organisation(request: HttpRequest) -> dict:
    """The vendor profile for the page footer (R-1.1)."""
    return {"service_organisation": service_organisation_get()}
