"""The maintenance pages (issue 4 §1, §5), split by kind of page: the lists (visits, the
engineer's day, trips, completion, the device's card), one visit (page, checklist,
signature, photos) and special inspections."""

from .lists import completion, device_visits, trips, visit_list, visits_today
from .special import special_create
from .visit import (
    visit_checklist,
    visit_detail,
    visit_photo,
    visit_photo_add,
    visit_photo_remove,
    visit_sign,
)

__all__ = [
    "completion",
    "device_visits",
    "special_create",
    "trips",
    "visit_checklist",
    "visit_detail",
    "visit_list",
    "visit_photo",
    "visit_photo_add",
    "visit_photo_remove",
    "visit_sign",
    "visits_today",
]
