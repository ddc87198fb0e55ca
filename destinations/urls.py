from django.urls import path

from destinations import views

app_name = "destinations"
urlpatterns = [
    path("", views.destination_list, name="list"),
    path("new/", views.destination_create, name="create"),
    path("<id:pk>/edit/", views.destination_edit, name="edit"),
    path("<id:pk>/verify/", views.destination_verify, name="verify"),
]
