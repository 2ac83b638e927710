from django.urls import path

from . import views
from .hotline.urls import urlpatterns as hotline_urls

app_name = "service"
urlpatterns = [
    path("dispatch/", views.dispatch_board, name="board"),
    path("my-jobs/", views.my_jobs, name="my_jobs"),
    path("my-jobs/device/<int:device_pk>/", views.device_my_job, name="device_my_job"),
    path("service-requests/", views.request_list, name="request_list"),
    path("service-requests/new/", views.request_create, name="request_create"),
    path("service-requests/new/devices/", views.intake_devices, name="intake_devices"),
    path("service-requests/new/device/", views.intake_device, name="intake_device"),
    path("service-requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("service-requests/<int:pk>/events/", views.request_event, name="request_event"),
    path(
        "service-requests/<int:pk>/events/<int:event_pk>/confirm/",
        views.request_event_confirm,
        name="request_event_confirm",
    ),
    path(
        "service-requests/<int:pk>/fault-cause/",
        views.request_fault_cause,
        name="request_fault_cause",
    ),
    *hotline_urls,
]
