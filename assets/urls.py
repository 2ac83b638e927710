from django.urls import path

from . import views
from .acceptance.urls import urlpatterns as acceptance_urls
from .operation_log.urls import urlpatterns as operation_log_urls

app_name = "assets"
urlpatterns = [
    # product models
    path("product-models/", views.product_model_list, name="product_model_list"),
    path("product-models/new/", views.product_model_create, name="product_model_create"),
    path("product-models/<int:pk>/", views.product_model_detail, name="product_model_detail"),
    path("product-models/<int:pk>/edit/", views.product_model_edit, name="product_model_edit"),
    # devices
    path("devices/", views.device_list, name="device_list"),
    path("devices/new/", views.device_create, name="device_create"),
    path("devices/labels/", views.device_labels, name="device_labels"),
    path("devices/options/", views.options, name="options"),
    path("devices/<int:pk>/", views.device_detail, name="device_detail"),
    path("devices/<int:pk>/edit/", views.device_edit, name="device_edit"),
    path("devices/<int:pk>/go-live/", views.device_go_live, name="device_go_live"),
    path(
        "devices/<int:pk>/clear-out-of-use/",
        views.device_clear_out_of_use,
        name="device_clear_out_of_use",
    ),
    path("devices/<int:pk>/label.<str:fmt>/", views.device_label, name="device_label"),
    path("d/<uuid:public_id>/", views.device_by_public_id, name="device_by_public_id"),
    # main components
    path("devices/<int:pk>/components/new/", views.component_add, name="component_add"),
    path("components/<int:pk>/replace/", views.component_replace, name="component_replace"),
    # emergency procedures
    path("emergency-procedures/", views.procedure_list, name="procedure_list"),
    path("emergency-procedures/new/", views.procedure_create, name="procedure_create"),
    path("emergency-procedures/<int:pk>/", views.procedure_detail, name="procedure_detail"),
    path(
        "emergency-procedures/<int:pk>/receipt/", views.procedure_receipt, name="procedure_receipt"
    ),
    path(
        "emergency-procedures/<int:pk>/document/",
        views.procedure_document,
        name="procedure_document",
    ),
    # the acceptance certificate
    *acceptance_urls,
    # the operation log
    *operation_log_urls,
]
