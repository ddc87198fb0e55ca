"""A destination's last 24 hours: deliveries per hour by outcome, latency, and the retry backlog."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Max
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from destinations.models import Destination
from executor.models import Delivery, DeliveryAttempt

OUTCOMES = [  # (label, statuses, colour): one colour per outcome, and the legend names each with its total
    ("Delivered", (Delivery.Status.DELIVERED,), "#2e7d4f"),
    ("Pending or retrying", (Delivery.Status.QUEUED, Delivery.Status.SENDING, Delivery.Status.RETRYING), "#c99a2e"),
    ("Failed", (Delivery.Status.FAILED,), "#b3261e"),
    ("Dead", (Delivery.Status.DEAD,), "#6d1a14"),
    ("Invalid", (Delivery.Status.INVALID,), "#d9731a"),
    ("Blocked by privacy rules", (Delivery.Status.BLOCKED,), "#7a3db8"),
    ("Skipped", (Delivery.Status.SKIPPED,), "#8a94a6"),
]


@dataclass(slots=True)
class Hour:
    start: datetime
    counts: dict[str, int] = field(default_factory=dict)
    latency_avg: float | None = None
    latency_max: float | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(slots=True)
class Overview:
    hours: list[Hour]
    backlog: int
    retrying: int
    oldest_pending: datetime | None

    def totals(self) -> list[tuple[str, str, int]]:
        """(label, colour, deliveries in the 24 hours) for every outcome, for the legend."""
        return [(label, colour, sum(hour.counts.get(label, 0) for hour in self.hours)) for label, _, colour in OUTCOMES]

    @property
    def total(self) -> int:
        return sum(hour.total for hour in self.hours)


def overview(destination: Destination, now: datetime | None = None) -> Overview:
    now = now or timezone.now()
    first = (now - timedelta(hours=23)).replace(minute=0, second=0, microsecond=0)
    hours = {first + timedelta(hours=i): Hour(first + timedelta(hours=i)) for i in range(24)}
    rows = (
        Delivery.objects.filter(destination=destination, created_at__gte=first)
        .annotate(hour=TruncHour("created_at"))
        .values("hour", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        hour = hours.get(row["hour"])
        if hour is not None:
            label = next(label for label, statuses, _ in OUTCOMES if row["status"] in statuses)
            hour.counts[label] = hour.counts.get(label, 0) + row["n"]
    latency = (
        DeliveryAttempt.objects.filter(
            delivery__destination=destination, started_at__gte=first, outcome=DeliveryAttempt.Outcome.DELIVERED
        )
        .annotate(hour=TruncHour("started_at"))
        .values("hour")
        .annotate(avg=Avg("latency_ms"), max=Max("latency_ms"))
    )
    for row in latency:
        hour = hours.get(row["hour"])
        if hour is not None:
            hour.latency_avg, hour.latency_max = row["avg"], row["max"]
    pending = Delivery.objects.filter(destination=destination, status__in=Delivery.PENDING)
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    return Overview(
        hours=list(hours.values()),
        backlog=pending.count(),
        retrying=pending.filter(status=Delivery.Status.RETRYING).count(),
        oldest_pending=oldest,
    )


def outcome_chart(data: Overview, width: int = 960, height: int = 220) -> SafeString:
    """A stacked bar per hour, as server-rendered SVG with a text alternative."""
    top = max([hour.total for hour in data.hours] + [1])
    bar = width / len(data.hours)
    parts = []
    for index, hour in enumerate(data.hours):
        y = height - 20
        for label, _, colour in OUTCOMES:
            count = hour.counts.get(label, 0)
            if not count:
                continue
            h = (height - 40) * count / top
            y -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} {}</title></rect>',
                    round(index * bar + 2, 1),
                    round(y, 1),
                    round(bar - 4, 1),
                    round(h, 1),
                    colour,
                    hour.start.strftime("%H:00"),
                    count,
                    label.lower(),
                )
            )
        if index % 3 == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="11" fill="#5b6475">{}</text>',
                    round(index * bar + 2, 1),
                    height - 4,
                    hour.start.strftime("%H:00"),
                )
            )
    summary = ", ".join(f"{label}: {sum(h.counts.get(label, 0) for h in data.hours)}" for label, _, _ in OUTCOMES)
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="Deliveries per hour, last 24 hours. {}">{}'
        '<text x="4" y="14" font-size="11" fill="#5b6475">max {} per hour</text></svg>',
        width,
        height,
        summary,
        format_html_join("", "{}", ((part,) for part in parts)),
        top,
    )


def latency_chart(data: Overview, width: int = 960, height: int = 140) -> SafeString:
    top = max([hour.latency_max or 0 for hour in data.hours] + [1.0])
    bar = width / len(data.hours)
    parts = []
    for index, hour in enumerate(data.hours):
        if hour.latency_avg is None:
            continue
        h = (height - 30) * hour.latency_avg / top
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="#2f5bd3"><title>{}: average {} ms, max {} ms</title></rect>',
                round(index * bar + 2, 1),
                round(height - 16 - h, 1),
                round(bar - 4, 1),
                round(h, 1),
                hour.start.strftime("%H:00"),
                round(hour.latency_avg),
                round(hour.latency_max or 0),
            )
        )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="Average delivery latency per hour">{}'
        '<text x="4" y="14" font-size="11" fill="#5b6475">max {} ms</text></svg>',
        width,
        height,
        format_html_join("", "{}", ((part,) for part in parts)),
        round(top),
    )
