from django.urls import path

from . import views

app_name = "kpis"
urlpatterns = [
    path("kpis/", views.dashboard, name="dashboard"),
    path("kpis/mtbf-devices/", views.mtbf_devices, name="mtbf_devices"),
    path("kpis/export/", views.export, name="export"),
]
