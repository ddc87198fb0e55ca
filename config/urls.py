from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from accounts.login_views import RelayLoginView, login_code
from config.docs_views import doc_page
from core import converters  # noqa: F401 - registers <id:…>, which the apps' URL modules use

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="destinations:list", permanent=False)),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("relay/favicon.svg"), permanent=True)),
    path("login/", RelayLoginView.as_view(), name="login"),
    path("login/code/", login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("docs/<slug:name>/", doc_page, name="doc"),
    path("destinations/", include("destinations.urls")),
    path("", include("accounts.urls")),
    path("", include("mapper.urls")),
    path("", include("executor.urls")),
    path("", include("config.api_urls")),
]

# A filter that cannot be read is a 400 page naming it (core.query_filters).
handler400 = "config.views.bad_request"
