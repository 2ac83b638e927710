from django.urls import path

from . import import_views, loan_views, views

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
    path("stock/movements/new/", views.movement_create, name="movement_create"),
    path("my-bag/", views.my_bag, name="my_bag"),
    path("my-bag/issue/", views.bag_issue, name="bag_issue"),
    path("my-bag/reserve/", views.bag_reserve, name="bag_reserve"),
    path("loaners/", loan_views.loaner_list, name="loaner_list"),
    path("loaners/new/", loan_views.loaner_create, name="loaner_create"),
    path("loaners/out/", loan_views.loans_out, name="loans_out"),
    path("loaners/out/board/", loan_views.loans_board, name="loans_board"),
    path("loaners/<int:pk>/", loan_views.loaner_detail, name="loaner_detail"),
    path("loaners/<int:pk>/install/", loan_views.loan_create, name="loan_create"),
    path("loaners/<int:pk>/return/", loan_views.loan_return, name="loan_return"),
]
