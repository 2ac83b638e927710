"""Web pages of the installed base, one module per kind of page."""

from .components import component_add, component_replace
from .devices import (
    device_by_public_id,
    device_clear_out_of_use,
    device_create,
    device_detail,
    device_edit,
    device_go_live,
    device_list,
    options,
)
from .labels import device_label, device_labels
from .procedures import (
    procedure_create,
    procedure_detail,
    procedure_document,
    procedure_list,
    procedure_receipt,
)
from .product_models import (
    product_model_create,
    product_model_detail,
    product_model_edit,
    product_model_list,
)

__all__ = [
    "component_add",
    "component_replace",
    "device_by_public_id",
    "device_clear_out_of_use",
    "device_create",
    "device_detail",
    "device_edit",
    "device_go_live",
    "device_label",
    "device_labels",
    "device_list",
    "options",
    "procedure_create",
    "procedure_detail",
    "procedure_document",
    "procedure_list",
    "procedure_receipt",
    "product_model_create",
    "product_model_detail",
    "product_model_edit",
    "product_model_list",
]
