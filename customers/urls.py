from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("organisation/edit/", views.organisation_edit, name="organisation_edit"),
    path("hospitals/", views.hospital_list, name="hospital_list"),
    path("hospitals/new/", views.hospital_create, name="hospital_create"),
    path("hospitals/<int:pk>/", views.hospital_detail, name="hospital_detail"),
    path("hospitals/<int:pk>/edit/", views.hospital_edit, name="hospital_edit"),
    path(
        "hospitals/<int:hospital_pk>/departments/new/",
        views.department_create,
        name="department_create",
    ),
    path("departments/<int:pk>/", views.department_detail, name="department_detail"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
    path("hospitals/<int:hospital_pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
]
