"""The REST API under /api/v1: one NinjaAPI, one router per app."""

from ninja.security import django_auth

from core.api import BearerTokenAuth, MedserviceApi, install_error_handlers

api = MedserviceApi(
    title="medservice API",
    version="1",
    description=(
        "After-sales service platform for medical-equipment vendors. Authenticate with "
        "`Authorization: Bearer <token>` (`manage.py create_api_token USERNAME`) or the "
        "browser session. Every error answers `{detail, errors: [{loc, msg, type}]}`."
    ),
    auth=[BearerTokenAuth(), django_auth],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)

api.add_router("/", "customers.api.router")
api.add_router("/", "assets.api.router")
api.add_router("/", "contracts.api.router")
api.add_router("/", "accounts.api.router")
api.add_router("/", "service.api.router")
api.add_router("/", "charges.api.router")
api.add_router("/", "parts.api.router")
api.add_router("/", "maintenance.api.router")
api.add_router("/", "regimes.api.router")
api.add_router("/", "training.api.router")
api.add_router("/", "return_visits.api.router")
