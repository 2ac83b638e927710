from django.urls import path

from . import views

app_name = "maintenance"
urlpatterns = [
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/today/", views.visits_today, name="visits_today"),
    path("visits/trips/", views.trips, name="trips"),
    path("visits/completion/", views.completion, name="completion"),
    path("visits/special/new/", views.special_create, name="special_create"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/checklist/", views.visit_checklist, name="checklist_edit"),
    path("visits/<int:pk>/sign/", views.visit_sign, name="visit_sign"),
    path("visits/<int:pk>/photos/", views.visit_photo_add, name="visit_photo_add"),
    path("visits/<int:pk>/photos/<int:photo_pk>/", views.visit_photo, name="visit_photo"),
    path(
        "visits/<int:pk>/photos/<int:photo_pk>/remove/",
        views.visit_photo_remove,
        name="visit_photo_remove",
    ),
    path("devices/<int:device_pk>/visits/", views.device_visits, name="device_visits"),
]
