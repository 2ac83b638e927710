from django.urls import path

from . import views

app_name = "records"
urlpatterns = [
    path("service-requests/<int:pk>/record/", views.record_edit, name="record_edit"),
    path("service-requests/<int:pk>/record/sign/", views.record_sign, name="record_sign"),
    path("service-requests/<int:pk>/record.pdf", views.record_pdf, name="record_pdf"),
    path("service-requests/<int:pk>/record/amend/", views.record_amend, name="record_amend"),
    path("service-requests/<int:pk>/record/file/", views.record_file, name="record_file"),
    path(
        "service-requests/<int:pk>/record/signatures/<int:signature_pk>.png",
        views.signature_image,
        name="signature_image",
    ),
    path("service-requests/<int:pk>/root-cause/", views.root_cause, name="root_cause"),
]
