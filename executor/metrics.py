"""Prometheus metrics at /metrics (prometheus-client).

Delivery metrics are read from the database at scrape time, so one scrape of any web process sees
what every worker did. Ingest requests are counted in the memory of the process that answered them;
under `manage.py serve` in prometheus-client's multiprocess files (executor.shared_state), which a
scrape sums over every web process of the run, whichever of them answers it. No label carries personal data: sender keys are keyed fingerprints (core.crypto.fingerprint,
HMAC under a key derived from SECRET_KEY), never API keys nor digests of them anyone could compute.
"""

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from executor import shared_state
from executor.models import AttemptTally, Delivery, DeliveryAttempt

LATENCY_BUCKETS_SECONDS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
RATE_WINDOW = timedelta(seconds=60)

REGISTRY = CollectorRegistry()
INGEST_REQUESTS = Counter(
    "relay_ingest_requests",
    "Ingest requests answered, by endpoint and HTTP status (summed over the web processes of a serve run).",
    ["endpoint", "status"],
    registry=REGISTRY,
)


class DeliveryCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        deliveries = GaugeMetricFamily(
            "relay_deliveries", "Deliveries by status and action type.", labels=["status", "action_type"]
        )
        for row in Delivery.objects.values("status", "action__action_type").annotate(n=Count("id")):
            deliveries.add_metric([row["status"], row["action__action_type"] or "deleted"], row["n"])
        yield deliveries

        yield GaugeMetricFamily(
            "relay_retry_backlog",
            "Deliveries waiting for a retry.",
            value=Delivery.objects.filter(status=Delivery.Status.RETRYING).count(),
        )
        oldest = Delivery.objects.filter(status__in=Delivery.PENDING).aggregate(oldest=Min("created_at"))["oldest"]
        yield GaugeMetricFamily(
            "relay_oldest_pending_delivery_age_seconds",
            "Age of the oldest delivery still queued or retrying (0 when none).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )

        attempts = CounterMetricFamily(
            "relay_delivery_attempts",
            "Requests sent to destinations, by HTTP status (none: no answer).",
            labels=["code"],
        )
        tallies = dict(AttemptTally.objects.values_list("code", "count"))
        for code, count in sorted(tallies.items()):
            attempts.add_metric([code], count)
        yield attempts
        yield CounterMetricFamily(
            "relay_rate_limited_responses", "Requests answered 429 (rate limited).", value=tallies.get("429", 0)
        )
        yield self._latency()

        rates = GaugeMetricFamily(
            "relay_sender_rate_per_second",
            "Requests sent per second over the last minute, per API key (fingerprint).",
            labels=["sender_key"],
        )
        recent = DeliveryAttempt.objects.filter(started_at__gte=now - RATE_WINDOW)
        for row in recent.values("delivery__sender_key").annotate(n=Count("id")):
            rates.add_metric([row["delivery__sender_key"]], row["n"] / RATE_WINDOW.total_seconds())
        yield rates

    @staticmethod
    def _latency() -> Metric:
        timed = DeliveryAttempt.objects.filter(latency_ms__isnull=False)
        buckets = {
            f"le_{index}": Count("id", filter=Q(latency_ms__lte=bound * 1000))
            for index, bound in enumerate(LATENCY_BUCKETS_SECONDS)
        }
        row = timed.aggregate(total=Count("id"), sum_ms=Sum("latency_ms"), **buckets)
        histogram = HistogramMetricFamily("relay_send_latency_seconds", "Time from request to answer.")
        histogram.add_metric(
            [],
            [(str(bound), row[f"le_{index}"]) for index, bound in enumerate(LATENCY_BUCKETS_SECONDS)]
            + [("+Inf", row["total"])],
            sum_value=(row["sum_ms"] or 0.0) / 1000,
        )
        return histogram


DELIVERIES = DeliveryCollector()
REGISTRY.register(DELIVERIES)


def scraped() -> CollectorRegistry:
    """What a scrape reports: this process's registry, or, in a serve run, the deliveries beside
    every web process's counters summed from their files."""
    directory = shared_state.metrics_directory()
    if not directory:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    registry.register(DELIVERIES)
    return registry


def forget_process(pid: int) -> None:
    """A web process of this run ended: drop its live gauges' files (its counts stay in the sums)."""
    directory = shared_state.metrics_directory()
    if directory:
        multiprocess.mark_process_dead(pid, directory)
