"""The operation log's URLs, included in the ``assets`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("devices/<int:pk>/operation-log/", views.operation_log_list, name="operation_log"),
    path(
        "devices/<int:pk>/operation-log/new/",
        views.operation_log_create,
        name="operation_log_create",
    ),
    path("operation-log/<int:pk>/photo/", views.operation_log_photo, name="operation_log_photo"),
]
