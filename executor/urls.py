from django.urls import path, re_path

from executor import backfill_views, erasure_views, health_views, ingest_views, views

app_name = "executor"
urlpatterns = [
    path("api/v1/events", ingest_views.events, name="ingest_events"),
    # Segment's HTTP tracking API, so analytics libraries can point their host here.
    re_path(r"^v1/(?P<call>track|identify|page|screen|group|alias|batch)$", ingest_views.segment, name="segment"),
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
    path("write-keys/", views.write_keys, name="write_keys"),
    path("privacy/erasure/", erasure_views.erasure_requests, name="erasure_requests"),
]
