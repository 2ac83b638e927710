from django.contrib import admin
from django.urls import include, path

from core.views import healthz

from .api import api
from .views import favicon, home

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("customers.urls")),
    path("", include("assets.urls")),
    path("", include("contracts.urls")),
    path("", include("service.urls")),
    path("", include("service.repair_records.urls")),
    path("", include("parts.urls")),
    path("", include("charges.urls")),
    path("", include("maintenance.urls")),
    path("", include("regimes.urls")),
    path("", include("training.urls")),
    path("", include("return_visits.urls")),
    path("", include("notify.urls")),
    path("", include("agenda.urls")),
    path("", include("duty.urls")),
    path("", include("archive.urls")),
    path("", include("search.urls")),
    path("", include("exports.urls")),
    path("", include("kpis.urls")),
    path("", include("reports.urls")),
]
# Uploaded files are never served from MEDIA_URL: each is served by a view that checks
# the viewer's scope first (a hospital's documents are that hospital's business).

# The error pages: the app's layout, the user's language, the ways back (medservice/errors.py).
handler403 = "medservice.errors.permission_denied"
handler404 = "medservice.errors.page_not_found"
handler500 = "medservice.errors.server_error"
