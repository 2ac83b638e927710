from django.urls import path

from . import views
from .dossier import views as dossier_views

app_name = "archive"
urlpatterns = [
    path("devices/<int:pk>/archive/", views.device_archive, name="device_archive"),
    path("hospitals/<int:pk>/archive/", views.hospital_archive, name="hospital_archive"),
    path("contracts/<int:pk>/archive/", views.contract_archive, name="contract_archive"),
    path("devices/<int:pk>/dossier/", dossier_views.device_dossier, name="device_dossier"),
    path("hospitals/<int:pk>/dossier/", dossier_views.hospital_dossier, name="hospital_dossier"),
    path("dossiers/<str:token>/", dossier_views.dossier_job, name="dossier_job"),
    path("dossiers/<str:token>/file/", dossier_views.dossier_job_file, name="dossier_job_file"),
]
