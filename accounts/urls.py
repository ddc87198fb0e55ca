from django.urls import path

from accounts import login_views, views

app_name = "accounts"
urlpatterns = [
    path("users/", views.user_list, name="user_list"),
    path("users/<id:pk>/", views.user_edit, name="user_edit"),
    path("api-tokens/", views.token_list, name="token_list"),
    path("audit/", views.audit_log, name="audit_log"),
    path("account/two-factor/", login_views.two_factor_setup, name="two_factor"),
    path("account/password/", login_views.RelayPasswordChangeView.as_view(), name="password_change"),
]
