from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="destinations:list", permanent=False)),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("destinations/", include("destinations.urls")),
    path("", include("accounts.urls")),
    path("", include("mapper.urls")),
    path("", include("executor.urls")),
    path("", include("config.api_urls")),
    path("admin/", admin.site.urls),
]
