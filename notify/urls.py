from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.mark_all_read, name="mark_all_read"),
    path("inbox/<int:pk>/", views.message, name="message"),
    path("notifications/settings/", views.preferences, name="preferences"),
    path("notifications/told/<str:about>/<int:pk>/", views.deliveries_for, name="deliveries_for"),
]
