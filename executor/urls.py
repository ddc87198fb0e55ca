from django.urls import path, re_path

from executor import ingest_views

urlpatterns = [
    path("api/v1/events", ingest_views.events, name="ingest_events"),
    # Segment's HTTP tracking API, so analytics libraries can point their host here.
    re_path(r"^v1/(?P<call>track|identify|page|screen|group|alias|batch)$", ingest_views.segment, name="segment"),
]
