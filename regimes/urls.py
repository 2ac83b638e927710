from django.urls import path

from . import views

app_name = "regimes"
urlpatterns = [
    path("regimes/", views.overview, name="overview"),
    path("hospitals/<int:hospital_pk>/regime/", views.hospital_regime, name="hospital_regime"),
    path(
        "hospitals/<int:hospital_pk>/regime/documents/new/",
        views.document_create,
        name="document_create",
    ),
    path("regime-documents/<int:pk>/", views.document_detail, name="document_detail"),
    path("regime-documents/<int:pk>/versions/new/", views.version_create, name="version_create"),
    path("regime-documents/<int:pk>/receipts/new/", views.receipt_create, name="receipt_create"),
    path("regime-versions/<int:pk>/file/", views.version_file, name="version_file"),
    path("regime-receipts/<int:pk>/signature/", views.receipt_signature, name="receipt_signature"),
]
