"""The addresses that take events (executor.ingest_views): included in executor.urls under its names, and
resolved on their own by the ingest handler (config.handlers), which need not try every other pattern."""

from django.urls import path, re_path

from executor import ingest_views

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
]
