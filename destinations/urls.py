from django.urls import path

from destinations import privacy_views, views

app_name = "destinations"
urlpatterns = [
    path("", views.destination_list, name="list"),
    path("new/", views.destination_create, name="create"),
    path("<id:pk>/edit/", views.destination_edit, name="edit"),
    path("<id:pk>/verify/", views.destination_verify, name="verify"),
    path("<id:pk>/privacy/", privacy_views.privacy_settings, name="privacy"),
    path("<id:pk>/privacy/not-health/", privacy_views.not_health_information, name="not_health"),
]
