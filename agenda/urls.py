from django.urls import path

from . import views

app_name = "agenda"
urlpatterns = [
    path("calendar/", views.month, name="month"),
    path("calendar/week/", views.week, name="week"),
    path("calendar/feeds/", views.feed_list, name="feed_list"),
    path("calendar/feeds/new/", views.feed_create, name="feed_create"),
    path("calendar/feeds/<int:pk>/revoke/", views.feed_revoke, name="feed_revoke"),
    # Public: the token is the key (no login; calendar apps cannot log in).
    path("calendar/feed/<slug:token>.ics", views.feed_ics_view, name="feed_ics"),
]
