"""Parts used in a repair: the repair record's parts panel (issue 5 §2)."""

from django.urls import path

from . import views as repair_views

urlpatterns = [
    path(
        "service-requests/<int:pk>/parts-used/",
        repair_views.repair_parts,
        name="repair_parts",
    ),
    path(
        "service-requests/<int:pk>/parts-used/use/",
        repair_views.repair_part_use,
        name="repair_part_use",
    ),
    path(
        "service-requests/<int:pk>/parts-used/<int:movement_pk>/return/",
        repair_views.repair_part_return,
        name="repair_part_return",
    ),
]
