from django.urls import path, re_path

from executor import backfill_views, erasure_views, health_views, ingest_views, source_views, views

app_name = "executor"
urlpatterns = [
    path("api/v1/events", ingest_views.events, name="ingest_events"),
    # Segment's HTTP tracking API, so analytics libraries can point their host here.
    re_path(r"^v1/(?P<call>track|identify|page|screen|group|alias|batch)$", ingest_views.segment, name="segment"),
    # analytics.js 2.0's short paths (/v1/b: its batches, and the mobile SDKs').
    re_path(r"^v1/(?P<call>[tipsgab])$", ingest_views.segment, name="segment_short"),
    path("beacon/v1/batch", ingest_views.beacon, name="beacon"),
    # What the browser SDKs load first, when pointed at Relay instead of their vendors' CDNs.
    path("sourceConfig/", ingest_views.rudderstack_source_config, name="rudderstack_source_config"),
    path("v1/projects/<str:write_key>/settings", ingest_views.segment_settings, name="segment_settings"),
    path("healthz", health_views.healthz, name="healthz"),
    path("readyz", health_views.readyz, name="readyz"),
    path("metrics", health_views.metrics_view, name="metrics"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
    path("deliveries/replay/", views.replay, name="replay"),
    path("deliveries/rerun/", views.rerun, name="rerun"),
    path("events/<id:pk>/", views.event_detail, name="event_detail"),
    path("destinations/<id:destination_id>/overview/", views.overview, name="overview"),
    path("actions/<id:pk>/backfills/", backfill_views.action_backfills, name="action_backfills"),
    path("backfills/<id:pk>/", backfill_views.backfill_detail, name="backfill"),
    path("write-keys/", views.write_keys_moved, name="write_keys"),  # old links: Sources
    path("sources/", source_views.source_list, name="source_list"),
    path("sources/<id:pk>/", source_views.source_detail, name="source_detail"),
    path("sources/<id:pk>/live/", source_views.source_live, name="source_live"),
    path("privacy/erasure/", erasure_views.erasure_requests, name="erasure_requests"),
]
