from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.credentials import Revocable, hash_credential, new_credential
from core import crypto
from core.fields import EncryptedJSONField, EncryptedTextField
from destinations.models import Destination
from mapper.models import Action

WRITE_KEY_PREFIX = "rwk_"


def hash_write_key(raw: str) -> str:
    return hash_credential(raw)


class WriteKeyQuerySet(models.QuerySet["WriteKey"]):
    def active(self) -> "WriteKeyQuerySet":
        return self.filter(revoked_at__isnull=True)


class WriteKey(Revocable, models.Model):
    """A source and its credential for sending events.

    A *server* source's key is secret: stored hashed, shown once. A *browser* source's key is public by
    nature (it sits in every page of the website), so it is kept (encrypted, like all data at rest) for
    the snippet on the source page; it may only ingest, from the origins an admin listed (executor.sources).
    """

    class Kind(models.TextChoices):
        SERVER = "server", "Server (secret key)"
        BROWSER = "browser", "Website or app (public key)"

    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SERVER)
    # Browser sources: the origins (scheme://host[:port]) whose pages may send with this key.
    allowed_origins = models.JSONField(default=list, blank=True)
    # Browser sources only: the key itself, public by nature, shown in the snippet. Empty for server keys.
    public_key = EncryptedTextField(blank=True, default="")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False, help_text="The first characters, to tell keys apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = WriteKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"

    @classmethod
    def issue(
        cls, label: str, created_by: object = None, *, kind: str = "server", allowed_origins: list[str] | None = None
    ) -> tuple["WriteKey", str]:
        """Create a key and return it with its raw value. A server key's value is never stored nor shown
        again; a browser key's is kept for its snippet (it is public)."""
        raw, key_hash, prefix = new_credential(WRITE_KEY_PREFIX)
        key = cls.objects.create(
            label=label,
            kind=kind,
            allowed_origins=list(allowed_origins or []) if kind == cls.Kind.BROWSER else [],
            public_key=raw if kind == cls.Kind.BROWSER else "",
            key_hash=key_hash,
            prefix=prefix,
            created_by=created_by,
        )
        return key, raw

    @property
    def is_browser(self) -> bool:
        return self.kind == self.Kind.BROWSER


class InboundEvent(models.Model):
    """An accepted event. Its body is encrypted at rest."""

    class Source(models.TextChoices):
        API = "api", "Relay API"
        SEGMENT = "segment", "Segment tracking API"

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    write_key = models.ForeignKey(WriteKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    event_type = models.CharField(max_length=16)
    # Encrypted like the body: an event name can hold a health word, a message id an email.
    event_name = EncryptedTextField(blank=True)
    message_id = EncryptedTextField()
    # Finds an event by message id without storing it in clear (crypto.lookup_hash).
    message_id_hash = models.CharField(max_length=64, db_index=True, editable=False)
    # Keyed hash of (write key, message id): a source that sends the same event again (a retry
    # after a timeout) stores it once, as Segment's tracking API does. None without a write key.
    dedup_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    # None once purged (RELAY_RETENTION_DAYS); what happened to the event stays.
    body = EncryptedJSONField(null=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["routed_at", "received_at"], name="event_unrouted")]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.message_id_hash = crypto.lookup_hash(self.message_id)
        super().save(*args, **kwargs)


class Delivery(models.Model):
    """One action applied to one event: its payload, its attempts and its outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Retrying"
        DELIVERED = "delivered", "Delivered"
        SKIPPED = "skipped", "Skipped"
        INVALID = "invalid", "Invalid"
        BLOCKED = "blocked", "Blocked by privacy rules"
        FAILED = "failed", "Failed"
        DEAD = "dead", "Dead"

    PENDING = (Status.QUEUED, Status.RETRYING)
    FINAL = (Status.DELIVERED, Status.SKIPPED, Status.INVALID, Status.BLOCKED, Status.FAILED, Status.DEAD)

    event = models.ForeignKey(InboundEvent, on_delete=models.CASCADE, related_name="deliveries")
    action = models.ForeignKey(Action, on_delete=models.SET_NULL, null=True, related_name="deliveries")
    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="deliveries")
    # The action as it was used: {action_type, name, trigger, mappings}.
    action_snapshot = models.JSONField()
    sender_key = models.CharField(max_length=40, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    reason = models.CharField(max_length=500, blank=True)
    errors = models.JSONField(default=list, blank=True)
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=200, blank=True)
    payload = EncryptedJSONField(null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    # Retries stop once this is older than the retry window; a replay starts a new window.
    retry_window_start = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "action"], name="one_delivery_per_event_action")]
        indexes = [
            models.Index(fields=["sender_key", "status", "next_attempt_at"], name="delivery_due"),
            # Each endpoint of a key is claimed on its own (executor.sending).
            models.Index(fields=["sender_key", "path", "status", "next_attempt_at"], name="delivery_due_by_endpoint"),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"Delivery #{self.pk} ({self.status})"


class DeliveryAttempt(models.Model):
    """One request to the destination. Response excerpts are masked and encrypted."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        RETRY = "retry", "Will retry"
        FAILED = "failed", "Failed"
        DEAD = "dead", "Gave up"
        PAUSED = "paused", "Destination paused"
        LOST = "lost", "Worker stopped"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error = models.CharField(max_length=300, blank=True)
    # What was true of the request when it went out, such as an event too old for journeys.
    warning = models.CharField(max_length=300, blank=True)
    response_excerpt = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"Attempt {self.number} of delivery #{self.delivery_id}"


class Replay(models.Model):
    """A request to send failed or dead deliveries again, run in the background with its progress."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    description = models.CharField(max_length=300)
    # The delivery log's filter, as query parameters, or {"ids": [...]}.
    selection = models.JSONField()
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Replay #{self.pk}: {self.description}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


class WorkSignal(models.Model):
    """Coalesces wake-ups: at most one pending routing task, one sending task per sender key.

    `name` is "route", "send:<sender key>" or "purge". The key lease (`lease_token`,
    `lease_expires_at`) of a "send:" row says which worker sends for that API key, so that one
    pacer sees all of the key's traffic; "purge" uses `lease_expires_at` as its next run time.
    """

    name = models.CharField(max_length=64, primary_key=True)
    pending = models.BooleanField(default=False)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class AttemptTally(models.Model):
    """How many requests were ever sent, by HTTP status ("none": no answer), counted as they are
    recorded: /metrics reports these counters, which must never go down, while the attempts
    themselves are deleted by retention and erasure."""

    code = models.CharField(max_length=8, primary_key=True)
    count = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.code}: {self.count}"


class WorkerHeartbeat(models.Model):
    """A worker process says it is alive every few seconds; /readyz reads the newest."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=200, blank=True)
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.host} {self.worker_id[:8]}"


class ErasureRequest(models.Model):
    """A person's request to be forgotten: Relay purges what it stores of them, forwards the request
    to each destination, follows its status there, and refuses their events for a while after.

    The person is kept only as a keyed hash (to refuse later events) and, encrypted, for as long as
    the destinations still need to be asked; never in the audit log or on a page in the clear.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        CLIENT_USER_ID = "client_user_id", "Client user id"

    class State(models.TextChoices):
        PURGING = "purging", "Purging what Relay stores"
        FORWARDED = "forwarded", "Forwarded: waiting for the destinations"
        COMPLETED = "completed", "Completed everywhere"
        FAILED = "failed", "Needs attention"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject_hash = models.CharField(max_length=64, db_index=True)
    # The person as the destinations need it; cleared once every destination has processed it.
    subject = EncryptedTextField(blank=True, default="")
    # As shown on pages: j•••@example.com.
    masked = models.CharField(max_length=120)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PURGING)
    purged_events = models.PositiveIntegerField(default=0)
    purged_deliveries = models.PositiveIntegerField(default=0)
    # Later events about this person are refused until then.
    refuse_until = models.DateTimeField(db_index=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Erasure request #{self.pk}"


class ErasureForward(models.Model):
    """An erasure request as one destination received it, and what that destination says of it."""

    class State(models.TextChoices):
        PENDING = "pending", "Not sent yet"
        SENT = "sent", "Sent: being processed"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    request = models.ForeignKey(ErasureRequest, on_delete=models.CASCADE, related_name="forwards")
    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="+")
    remote_id = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    message = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["destination__name"]
        constraints = [models.UniqueConstraint(fields=["request", "destination"], name="one_forward_per_destination")]

    def __str__(self) -> str:
        return f"Erasure request #{self.request_id} at {self.destination}"


class Backfill(models.Model):
    """An action run over the events stored since a time (executor.backfill): first counted (a dry run,
    nothing leaves), then, once started, run in the background into ordinary deliveries."""

    class State(models.TextChoices):
        COUNTING = "counting", "Counting (dry run)"
        DRY_RUN = "dry_run", "Dry run: nothing sent"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="backfills")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The window: events received from `since` up to `until` (the dry run's time; later events are routed live).
    since = models.DateTimeField()
    until = models.DateTimeField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRY_RUN)
    # The dry run's counts, and what the run has done so far, by executor.backfill.COUNTS.
    expected = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)
    # While counting, the events to count and counted; once started, those to go through and gone through.
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # The last event gone through (counted, while counting): the work resumes after it.
    last_event_id = models.PositiveBigIntegerField(default=0)
    # The task chain working on it (each run enqueues the next): a run of another chain stops, so a chain
    # the sweep started after a worker died never works beside one that was only late. And when it last
    # worked on it: one untouched for long lost its worker (executor.backfill.resume_stranded).
    chain = models.CharField(max_length=32, blank=True)
    touched_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Why it stopped before the end (cancelled, the action turned off), in words; never personal data.
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Backfill #{self.pk} of {self.action.name}"

    @property
    def percent(self) -> int:
        if self.state in (self.State.DONE, self.State.DRY_RUN):
            return 100
        return min(100, int(100 * self.done / self.total)) if self.total else 0
