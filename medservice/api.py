"""The REST API under /api/v1: one NinjaAPI, one router per app."""

from accounts.api_auth import BearerTokenAuth
from core.api import MedserviceApi, SessionAuth, install_error_handlers

api = MedserviceApi(
    title="medservice API",
    version="1",
    description=(
        "After-sales service platform for medical-equipment vendors. Authenticate with "
        "`Authorization: Bearer <token>` (`manage.py create_api_token USERNAME`) or the "
        "browser session (changes then need the `X-CSRFToken` header). Every error answers "
        "`{detail, errors: [{loc, msg, type}]}`. A request without credentials gets 401; an "
        "address that sent too many wrong bearer tokens gets 429 with `Retry-After` for "
        "every token until its lockout ends (`LOGIN_FAILURE_LIMIT` failures within "
        "`LOGIN_LOCKOUT_MINUTES`, 10 and 15 by default)."
    ),
    auth=[BearerTokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)

api.add_router("/", "customers.api.router")
api.add_router("/", "assets.api.router")
api.add_router("/", "assets.operation_log.api.router")
api.add_router("/", "contracts.api.router")
api.add_router("/", "accounts.api.router")
api.add_router("/", "service.api.router")
api.add_router("/", "service.hotline.api.router")
api.add_router("/", "charges.api.router")
api.add_router("/", "parts.api.router")
api.add_router("/", "maintenance.api.router")
api.add_router("/", "regimes.api.router")
api.add_router("/", "training.api.router")
api.add_router("/", "return_visits.api.router")
api.add_router("/", "notify.api.router")
api.add_router("/", "notify.api.webhooks_router")
api.add_router("/", "duty.api.router")
api.add_router("/", "archive.api.router")
api.add_router("/", "search.api.router")
api.add_router("/", "kpis.api.router")
api.add_router("/", "reports.api.router")
