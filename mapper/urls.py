from django.urls import path

from mapper import privacy_views, views

app_name = "mapper"
urlpatterns = [
    path("destinations/<int:destination_id>/", views.action_list, name="action_list"),
    path("destinations/<int:destination_id>/actions/new/", views.action_new, name="action_new"),
    path("destinations/<int:destination_id>/privacy/", privacy_views.privacy_settings, name="privacy_settings"),
    path(
        "destinations/<int:destination_id>/actions/preview/<str:type_key>/",
        views.action_preview,
        name="action_preview",
    ),
    path("actions/<int:pk>/", views.action_edit, name="action_edit"),
    path("actions/<int:pk>/toggle/", views.action_toggle, name="action_toggle"),
    path("actions/<int:pk>/move/<str:direction>/", views.action_move, name="action_move"),
    path("actions/<int:pk>/duplicate/", views.action_duplicate, name="action_duplicate"),
    path("actions/<int:pk>/delete/", views.action_delete, name="action_delete"),
    path("actions/<int:pk>/history/", views.action_history, name="action_history"),
]
