from django.urls import path

from mapper import views

app_name = "mapper"
urlpatterns = [
    path("destinations/<id:destination_id>/", views.action_list, name="action_list"),
    path("destinations/<id:destination_id>/actions/new/", views.action_new, name="action_new"),
    path(
        "destinations/<id:destination_id>/actions/preview/<str:type_key>/",
        views.action_preview,
        name="action_preview",
    ),
    path("destinations/<id:destination_id>/samples/", views.action_samples, name="action_samples"),
    path("actions/<id:pk>/", views.action_edit, name="action_edit"),
    path("actions/<id:pk>/toggle/", views.action_toggle, name="action_toggle"),
    path("actions/<id:pk>/move/<str:direction>/", views.action_move, name="action_move"),
    path("actions/<id:pk>/duplicate/", views.action_duplicate, name="action_duplicate"),
    path("actions/<id:pk>/delete/", views.action_delete, name="action_delete"),
    path("actions/<id:pk>/history/", views.action_history, name="action_history"),
]
