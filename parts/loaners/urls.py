"""Loaner units and loans (R-7.3), under the "parts" namespace."""

from django.urls import path

from . import views as loan_views

urlpatterns = [
    path("loaners/", loan_views.loaner_list, name="loaner_list"),
    path("loaners/new/", loan_views.loaner_create, name="loaner_create"),
    path("loaners/out/", loan_views.loans_out, name="loans_out"),
    path("loaners/out/board/", loan_views.loans_board, name="loans_board"),
    path("loaners/<int:pk>/", loan_views.loaner_detail, name="loaner_detail"),
    path("loaners/<int:pk>/install/", loan_views.loan_create, name="loan_create"),
    path("loaners/<int:pk>/return/", loan_views.loan_return, name="loan_return"),
    path(
        "loaners/<int:pk>/send-to-repair/",
        loan_views.loaner_send_to_repair,
        name="loaner_send_to_repair",
    ),
    path(
        "loaners/<int:pk>/back-in-service/",
        loan_views.loaner_back_in_service,
        name="loaner_back_in_service",
    ),
    path("loaners/<int:pk>/retire/", loan_views.loaner_retire, name="loaner_retire"),
    path("requests/<int:request_id>/loans/", loan_views.request_loans, name="request_loans"),
]
