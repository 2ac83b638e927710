from django.urls import include, path

from . import views
from .catalogue_import import views as import_views

app_name = "parts"
urlpatterns = [
    path("parts/", views.part_list, name="part_list"),
    path("parts/new/", views.part_create, name="part_create"),
    path("parts/import/", import_views.import_create, name="import_create"),
    path("parts/import/review/", import_views.import_review, name="import_review"),
    path("parts/import/confirm/", import_views.import_confirm, name="import_confirm"),
    path("parts/import/template.xlsx", import_views.import_template, name="import_template"),
    path("parts/<int:pk>/", views.part_detail, name="part_detail"),
    path("parts/<int:pk>/edit/", views.part_edit, name="part_edit"),
    path("stock/", views.stock, name="stock"),
    path("stock/movements/", views.movement_list, name="movement_list"),
    path("stock/movements/new/", views.movement_create, name="movement_create"),
    path("my-bag/", views.my_bag, name="my_bag"),
    path("my-bag/issue/", views.bag_issue, name="bag_issue"),
    path("my-bag/reserve/", views.bag_reserve, name="bag_reserve"),
    # Each of these modules adds views under this same "parts" namespace.
    path("", include("parts.loaners.urls")),
    path("", include("parts.repair.urls")),
    path("", include("parts.reservations.urls")),
]
