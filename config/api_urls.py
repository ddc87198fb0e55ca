from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from accounts.api import AuditEntryViewSet
from destinations.api import DestinationViewSet
from destinations.privacy_api import DestinationPrivacyView
from executor.api import BackfillViewSet, DeliveryViewSet, ErasureRequestViewSet, ReplayViewSet, WriteKeyViewSet
from mapper.api import ActionViewSet, ConfigView, PresetsView, PreviewView

router = SimpleRouter(trailing_slash=False)
router.register("destinations", DestinationViewSet, basename="destination")
router.register("actions", ActionViewSet, basename="action")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("replays", ReplayViewSet, basename="replay")
router.register("backfills", BackfillViewSet, basename="backfill")
router.register("write-keys", WriteKeyViewSet, basename="write-key")
router.register("erasure-requests", ErasureRequestViewSet, basename="erasure-request")
router.register("audit-log", AuditEntryViewSet, basename="audit-entry")

urlpatterns = [
    path("api/v1/preview", PreviewView.as_view(), name="api_preview"),
    path("api/v1/presets", PresetsView.as_view(), name="api_presets"),
    path("api/v1/config", ConfigView.as_view(), name="api_config"),
    path("api/v1/destinations/<id:pk>/privacy", DestinationPrivacyView.as_view(), name="api_destination_privacy"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its start-up script as a file, so the strict CSP holds on this page too.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]
