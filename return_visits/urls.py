from django.urls import path

from . import views

app_name = "return_visits"
urlpatterns = [
    path("return-visits/", views.return_visit_list, name="return_visit_list"),
    path("return-visits/<int:pk>/", views.return_visit_detail, name="return_visit_detail"),
    path("return-visits/<int:pk>/sheet/", views.sheet_edit, name="sheet_edit"),
    path(
        "return-visits/<int:pk>/sign/<str:role>/",
        views.return_visit_sign,
        name="return_visit_sign",
    ),
    path("return-visits/<int:pk>/sheet.pdf", views.return_visit_pdf, name="return_visit_pdf"),
    path("return-visits/<int:pk>/cancel/", views.return_visit_cancel, name="return_visit_cancel"),
]
