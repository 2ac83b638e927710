from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .selectors import health_report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every check passes, 503 naming the failing ones (``failing``)."""
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)
