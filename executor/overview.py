"""A destination's last 24 hours: deliveries per hour by outcome, how long events took from received to
delivered, how long Attentive took to answer, and the retry backlog."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max
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
    latency_avg: float | None = None  # Attentive's answer time, ms
    latency_max: float | None = None
    # From the event received to its delivery recorded (ingest, routing, pacing, retries, the answer), ms.
    delivered_in_avg: float | None = None
    delivered_in_max: float | None = None

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
    waited = ExpressionWrapper(F("delivered_at") - F("event__received_at"), output_field=DurationField())
    delivered_in = (
        Delivery.objects.filter(destination=destination, delivered_at__gte=first, status=Delivery.Status.DELIVERED)
        .annotate(hour=TruncHour("delivered_at"), waited=waited)
        .values("hour")
        .annotate(avg=Avg("waited"), max=Max("waited"))
    )
    for row in delivered_in:
        hour = hours.get(row["hour"])
        if hour is not None and row["avg"] is not None:
            hour.delivered_in_avg = row["avg"].total_seconds() * 1000
            hour.delivered_in_max = row["max"].total_seconds() * 1000
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
    """Attentive's answer time per hour (average; the maximum in each bar's title)."""
    return _milliseconds_chart(
        [(hour.start, hour.latency_avg, hour.latency_max) for hour in data.hours],
        "Attentive's answer time per hour, average",
        "#2f5bd3",
        width,
        height,
    )


def delivered_in_chart(data: Overview, width: int = 960, height: int = 140) -> SafeString:
    """From received to delivered per hour (average; the maximum in each bar's title): what a person
    waiting for the text waited, where a backlog, a pause or retries show."""
    return _milliseconds_chart(
        [(hour.start, hour.delivered_in_avg, hour.delivered_in_max) for hour in data.hours],
        "Received to delivered per hour, average",
        "#2e7d4f",
        width,
        height,
    )


def _milliseconds_chart(
    bars: list[tuple[datetime, float | None, float | None]], label: str, colour: str, width: int, height: int
) -> SafeString:
    top = max([maximum or 0 for _, _, maximum in bars] + [1.0])
    bar = width / len(bars)
    parts = []
    for index, (start, average, maximum) in enumerate(bars):
        if average is None:
            continue
        h = (height - 30) * average / top
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: average {}, max {}</title></rect>',
                round(index * bar + 2, 1),
                round(height - 16 - h, 1),
                round(bar - 4, 1),
                round(h, 1),
                colour,
                start.strftime("%H:00"),
                _duration(average),
                _duration(maximum or 0),
            )
        )
    if not parts:
        return format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}: nothing delivered in these 24 hours">'
            '<text x="4" y="14" font-size="11" fill="#5b6475">Nothing delivered in these 24 hours.</text></svg>',
            width,
            height,
            label,
        )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">{}'
        '<text x="4" y="14" font-size="11" fill="#5b6475">max {}</text></svg>',
        width,
        height,
        label,
        format_html_join("", "{}", ((part,) for part in parts)),
        _duration(top),
    )


def _duration(milliseconds: float) -> str:
    return f"{milliseconds:.0f} ms" if milliseconds < 10_000 else f"{milliseconds / 1000:.0f} s"
