from django.urls import include, path

from executor import backfill_views, erasure_views, health_views, ingest_urls, source_views, views

app_name = "executor"
urlpatterns = [
    path("", include(ingest_urls)),
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
