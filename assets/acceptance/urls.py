"""The acceptance certificate's URLs, included in the ``assets`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "devices/<int:pk>/acceptance-certificate/",
        views.acceptance_certificate_upload,
        name="acceptance_certificate_upload",
    ),
    path(
        "acceptance-certificates/<int:pk>/file/",
        views.acceptance_certificate_file,
        name="acceptance_certificate_file",
    ),
]
