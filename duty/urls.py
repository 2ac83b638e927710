from django.urls import path

from . import views

app_name = "duty"
urlpatterns = [
    path("duty/", views.roster, name="roster"),
    path("duty/shifts/new/", views.shift_create, name="shift_create"),
    path("duty/shifts/<int:pk>/edit/", views.shift_edit, name="shift_edit"),
    path("duty/shifts/<int:pk>/swap/", views.swap_propose, name="swap_propose"),
    path("duty/rotations/", views.rotation_list, name="rotation_list"),
    path("duty/rotations/new/", views.rotation_create, name="rotation_create"),
    path("duty/rotations/<int:pk>/edit/", views.rotation_edit, name="rotation_edit"),
    path("duty/generate/", views.generate, name="generate"),
    path("duty/mine/", views.my_shifts, name="my_shifts"),
    path("duty/swaps/", views.swaps, name="swaps"),
    path("duty/swaps/<int:pk>/<slug:action>/", views.swap_action, name="swap_action"),
    path("duty/gaps-panel/", views.gaps_panel, name="gaps_panel"),
    path("duty/on-duty/", views.on_duty_panel, name="on_duty_panel"),
]
