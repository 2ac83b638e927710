from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("training/plans/", views.plan_list, name="plan_list"),
    path("training/plans/new/", views.plan_create, name="plan_create"),
    path("training/plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("training/plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path(
        "training/plans/<int:plan_pk>/sessions/new/",
        views.session_create,
        name="session_create",
    ),
    path("training/", views.session_list, name="session_list"),
    path("training/sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("training/sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("training/sessions/<int:pk>/state/", views.session_state, name="session_state"),
    path("training/sessions/<int:pk>/sign-in/", views.attendance_sign, name="attendance_sign"),
    path("training/sessions/<int:pk>/sheet/", views.sheet_upload, name="sheet_upload"),
    path("training/sessions/<int:pk>/sheet/file/", views.sheet_file, name="sheet_file"),
    path("training/sessions/<int:pk>/materials/", views.material_add, name="material_add"),
    path("training/sessions/<int:pk>/attendance.pdf", views.attendance_pdf, name="attendance_pdf"),
    path("training/materials/<int:pk>/", views.material_file, name="material_file"),
    path(
        "training/attendance/<int:pk>/certificate.pdf",
        views.attendance_certificate,
        name="attendance_certificate",
    ),
    path(
        "training/attendance/<int:pk>/signature.png",
        views.signature_image,
        name="signature_image",
    ),
    path("training/attendance/<int:pk>/score/", views.attendance_score, name="attendance_score"),
]
