from django.urls import path

from . import views

app_name = "archive"
urlpatterns = [
    path("devices/<int:pk>/archive/", views.device_archive, name="device_archive"),
]
