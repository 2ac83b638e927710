"""A request's parts: proposed, reserved and issued (issue 5 §1), under the "parts" namespace."""

from django.urls import path

from . import views as request_views

urlpatterns = [
    path(
        "requests/<int:request_id>/parts/",
        request_views.request_parts,
        name="request_parts",
    ),
    path(
        "requests/<int:request_id>/parts/reserve/",
        request_views.request_reserve,
        name="request_reserve",
    ),
    path(
        "requests/<int:request_id>/parts/unreserve/",
        request_views.request_unreserve,
        name="request_unreserve",
    ),
]
