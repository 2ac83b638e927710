from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("exports/download/", views.download, name="download"),
    path("exports/", views.job_list, name="job_list"),
    path("exports/<int:pk>/", views.job_detail, name="job_detail"),
    path("exports/<int:pk>/file", views.job_file, name="job_file"),
    path("exports/<int:pk>/retry", views.job_retry, name="job_retry"),
]
