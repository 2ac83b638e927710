from django.urls import path

from . import views

app_name = "charges"
urlpatterns = [
    path("charges/", views.statement_list, name="statement_list"),
    path("service-requests/<int:pk>/charges/", views.statement, name="statement"),
    path(
        "service-requests/<int:pk>/charges/accept/",
        views.statement_accept,
        name="statement_accept",
    ),
    path(
        "service-requests/<int:pk>/charges/dispute/",
        views.statement_dispute,
        name="statement_dispute",
    ),
    path(
        "service-requests/<int:pk>/charges/review/",
        views.statement_review,
        name="statement_review",
    ),
    path(
        "service-requests/<int:pk>/charges/send/",
        views.statement_send,
        name="statement_send",
    ),
    path(
        "service-requests/<int:pk>/charges/reply/",
        views.statement_reply,
        name="statement_reply",
    ),
    path(
        "service-requests/<int:pk>/charges/correct/",
        views.statement_correct,
        name="statement_correct",
    ),
    path(
        "service-requests/<int:pk>/charges/edit/",
        views.statement_edit,
        name="statement_edit",
    ),
    path("service-requests/<int:pk>/charges.pdf", views.statement_pdf, name="statement_pdf"),
    path(
        "service-requests/<int:pk>/charges/credit-note/",
        views.credit_note_create,
        name="credit_note_create",
    ),
]
