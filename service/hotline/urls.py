"""The hotline desk's URLs, included in the ``service`` namespace: ``service:hotline`` is
the agent's main screen (the role homes link it)."""

from django.urls import path

from . import views

urlpatterns = [
    path("hotline/", views.desk, name="hotline"),
    path("hotline/lookup/", views.lookup, name="hotline_lookup"),
    path("hotline/departments/", views.departments, name="hotline_departments"),
    path("hotline/devices/", views.devices, name="hotline_devices"),
    path("hotline/device/", views.device, name="hotline_device"),
    path("hotline/calls/", views.call_list, name="hotline_calls"),
    path("hotline/calls/<int:pk>/", views.call_detail, name="hotline_call"),
    path("hotline/calls/<int:pk>/actions/", views.call_action, name="hotline_call_action"),
]
