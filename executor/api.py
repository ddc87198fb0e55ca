"""REST API for deliveries (with replay and re-run), replay jobs, write keys, erasure requests and backfills."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import ADMIN, ENGINEER, MARKETER, has_role
from core.converters import MAX_ID_DIGITS, parse_id
from core.query_filters import LIST_PARAMETERS, BadFilter, parse_filters
from core.strict_serializers import RefusesUnknownFields, refuse_unknown
from executor import backfill_commands, commands, erasure, lifecycle
from executor.models import Backfill, Delivery, DeliveryAttempt, ErasureForward, ErasureRequest, Replay, WriteKey
from executor.queries import MAX_IDS, active_filters, filter_deliveries
from executor.replay import shown_description
from mapper import masking
from mapper.models import Action

FILTERS = [
    OpenApiParameter("status", OpenApiTypes.STR, description="A status, or dead_letters (failed or dead)."),
    OpenApiParameter("destination", OpenApiTypes.INT),
    OpenApiParameter("action", OpenApiTypes.INT),
    OpenApiParameter("event", OpenApiTypes.INT),
    OpenApiParameter("message_id", OpenApiTypes.STR),
    OpenApiParameter("period", OpenApiTypes.STR, enum=["1h", "24h", "7d", "30d"]),
]


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = [
            "number",
            "started_at",
            "status_code",
            "latency_ms",
            "outcome",
            "error",
            "warning",
            "response_excerpt",
        ]


class DeliverySerializer(serializers.ModelSerializer):
    payload = serializers.SerializerMethodField()
    message_id = serializers.SerializerMethodField()
    waiting = serializers.SerializerMethodField(
        help_text="Why a queued or retrying delivery is held back by its destination (disabled, paused, in test "
        "mode), and what sends it; empty when nothing holds it back."
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event",
            "message_id",
            "action",
            "destination",
            "action_snapshot",
            "status",
            "reason",
            "waiting",
            "errors",
            "method",
            "path",
            "payload",
            "attempt_count",
            "next_attempt_at",
            "last_status_code",
            "delivered_at",
            "created_at",
        ]

    def _is_admin(self) -> bool:
        request = self.context.get("request")
        return request is not None and has_role(request.user, ADMIN)

    def get_payload(self, delivery: Delivery) -> Any:
        return masking.payload_for_viewer(
            delivery.payload, delivery.destination.definition.body_layout, is_admin=self._is_admin()
        )

    def get_waiting(self, delivery: Delivery) -> str:
        return lifecycle.why_waiting(delivery)

    def get_message_id(self, delivery: Delivery) -> str:
        """The event's message id; masked for non-admins when it could be personal (an email)."""
        message_id = delivery.event.message_id
        return message_id if self._is_admin() else masking.message_id(message_id)


class DeliveryDetailSerializer(DeliverySerializer):
    attempts = AttemptSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "attempts"]


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    write_role = MARKETER
    lookup_value_regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def get_queryset(self):
        deliveries = Delivery.objects.all()
        if self.action == "list":  # the filters choose a list; one delivery is found by its id alone
            deliveries = filter_deliveries(self.request.query_params, others=LIST_PARAMETERS)
        return deliveries.select_related("event", "destination").prefetch_related("attempts")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return DeliveryDetailSerializer if self.action == "retrieve" else DeliverySerializer

    @extend_schema(parameters=FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=inline_serializer(
            "ReplayRequest",
            {
                "ids": serializers.ListField(child=serializers.IntegerField(), required=False),
                "filter": serializers.DictField(child=serializers.CharField(), required=False),
            },
        ),
        responses=inline_serializer(
            "ReplayResult",
            {
                "replay": serializers.IntegerField(),
                "total": serializers.IntegerField(),
                "done": serializers.IntegerField(),
                "state": serializers.CharField(),
            },
        ),
    )
    @action(detail=False, methods=["post"])
    def replay(self, request: Request) -> Response:
        """Send failed and dead deliveries again (by ids, or everything matching a filter), same externalEventId."""
        selection = _selection(request.data)
        job = commands.replay(request.user, **selection)
        return Response(
            {"replay": job.pk, "total": job.total, "done": job.done, "state": job.state},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        request=inline_serializer(
            "RerunRequest",
            {
                "ids": serializers.ListField(child=serializers.IntegerField(), required=False),
                "filter": serializers.DictField(child=serializers.CharField(), required=False),
            },
        ),
        responses=inline_serializer(
            "RerunResult", {"rerun": serializers.IntegerField(), "queued": serializers.IntegerField()}
        ),
    )
    @action(detail=False, methods=["post"])
    def rerun(self, request: Request) -> Response:
        """Run invalid deliveries again through their action as it is now (after fixing it): by ids, or the
        invalid ones matching a filter (the delivery log's filter fields, as for replay)."""
        selection = _selection(request.data)
        result = commands.rerun(request.user, **selection)
        return Response({"rerun": result.rerun, "queued": result.queued})


def _selection(data: Any) -> dict[str, Any]:
    """What a replay or re-run names, read as the delivery log's form reads it: `ids`, else every delivery
    matching `filter` (the log's filter fields). A filter it cannot read is refused, never ignored: ignored,
    it would select every delivery."""
    refuse_unknown(data, ("ids", "filter"))
    data = data if isinstance(data, dict) else {}
    if "ids" in data and not isinstance(data["ids"], list):  # given, in the wrong shape: say what it must be
        raise serializers.ValidationError({"ids": f"A list of at most {MAX_IDS} delivery ids (whole numbers)."})
    if "filter" in data and "ids" not in data and not isinstance(data["filter"], dict):
        raise serializers.ValidationError(
            {"filter": 'An object of the delivery log\'s filters, such as {"status": "dead"}.'}
        )
    if isinstance(data.get("ids"), list):
        ids = data["ids"]
        if len(ids) > MAX_IDS or not all(
            isinstance(i, int) and not isinstance(i, bool) and parse_id(i) is not None for i in ids
        ):
            raise serializers.ValidationError({"ids": f"A list of at most {MAX_IDS} delivery ids (whole numbers)."})
        return {"delivery_ids": ids}
    if isinstance(data.get("filter"), dict):
        try:
            return {"filters": active_filters({k: str(v) for k, v in data["filter"].items()}, others=())}
        except BadFilter as bad:
            raise serializers.ValidationError({"filter": bad.errors}) from None
    raise serializers.ValidationError({"ids": serializers.ErrorDetail("Give ids or a filter.", "required")})


class ReplaySerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    description = serializers.SerializerMethodField(help_text="What was replayed: a count of ids, or the filter.")

    def get_description(self, job: Replay) -> str:
        """The job's description; for non-admins, a message id the filter names is masked when it could be
        personal (an email), as the delivery's `message_id` is."""
        request = self.context.get("request")
        return shown_description(job, is_admin=request is None or has_role(request.user, ADMIN))

    class Meta:
        model = Replay
        fields = ["id", "description", "total", "done", "percent", "state", "created_at", "finished_at"]
        read_only_fields = fields


class ReplayViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Replay jobs, newest first, with their progress (the delivery log's "Recent replays"): a replay too
    large to be done at once runs in the background; follow `done`, `total` and `state`. Engineers read."""

    queryset = Replay.objects.order_by("-created_at", "-id")
    serializer_class = ReplaySerializer
    lookup_value_regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def get_queryset(self):
        if self.action == "list":  # no filters: an unknown parameter is refused by name, not ignored
            parse_filters(self.request.query_params, {}, others=LIST_PARAMETERS)
        return super().get_queryset()


class WriteKeySerializer(RefusesUnknownFields, serializers.ModelSerializer):
    key = serializers.SerializerMethodField(help_text="Only in the answer to create: shown once.")

    class Meta:
        model = WriteKey
        fields = ["id", "label", "kind", "allowed_origins", "prefix", "key", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
        extra_kwargs = {
            "kind": {"help_text": "server (a secret key, the default) or browser (a public key, for web pages)."},
            "allowed_origins": {
                "help_text": "Browser sources: the origins whose pages may send, such as https://shop.example.com."
            },
        }

    def get_key(self, key: WriteKey) -> str | None:
        return self.context.get("raw_key")


class OriginsSerializer(RefusesUnknownFields, serializers.Serializer):
    allowed_origins = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        help_text="A browser source's new list of origins, such as https://shop.example.com.",
    )


class WriteKeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Sources (write keys): everyone reads them (never a key: a server key is shown once, in the answer
    to create); admins create, change a browser source's origins (PATCH) and revoke (DELETE)."""

    queryset = WriteKey.objects.all()
    serializer_class = WriteKeySerializer
    lookup_value_regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    read_role = ENGINEER
    write_role = ADMIN

    @extend_schema(request=OriginsSerializer, responses={200: WriteKeySerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change a browser source's allowed origins (effective at the next request, in every process)."""
        key = self.get_object()
        given = OriginsSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        commands.change_source_origins(request.user, key=key, origins=given.validated_data["allowed_origins"])
        return Response(WriteKeySerializer(key).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        origins = serializer.validated_data.get("allowed_origins") or []
        if not isinstance(origins, list) or not all(isinstance(origin, str) for origin in origins):
            raise serializers.ValidationError({"allowed_origins": ["A list of origins (text)."]})
        key, raw = commands.issue_write_key(
            request.user,
            label=serializer.validated_data["label"],
            kind=serializer.validated_data.get("kind", WriteKey.Kind.SERVER),
            origins=origins,
        )
        return Response(WriteKeySerializer(key, context={"raw_key": raw}).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: WriteKey) -> None:
        """Revoke: the key stops working; the record stays."""
        commands.revoke_write_key(self.request.user, key=instance)


class ErasureForwardSerializer(serializers.ModelSerializer):
    destination = serializers.CharField(source="destination.name")

    class Meta:
        model = ErasureForward
        fields = ["destination", "state", "remote_id", "message", "attempts", "checked_at"]


class ErasureRequestSerializer(RefusesUnknownFields, serializers.ModelSerializer):
    """A person's erasure request. Give exactly one of email, phone, client_user_id; the answer
    never carries the person, only a masked form."""

    email = serializers.CharField(write_only=True, required=False, max_length=254)
    phone = serializers.CharField(write_only=True, required=False, max_length=40)
    client_user_id = serializers.CharField(write_only=True, required=False, max_length=200)
    forwards = ErasureForwardSerializer(many=True, read_only=True)

    class Meta:
        model = ErasureRequest
        fields = [
            "id",
            "email",
            "phone",
            "client_user_id",
            "kind",
            "masked",
            "state",
            "created_at",
            "purged_events",
            "purged_deliveries",
            "refuse_until",
            "forwards",
        ]
        read_only_fields = [
            "kind",
            "masked",
            "state",
            "created_at",
            "purged_events",
            "purged_deliveries",
            "refuse_until",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [kind for kind in ("email", "phone", "client_user_id") if attrs.get(kind)]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"email": serializers.ErrorDetail("Give exactly one of email, phone or client_user_id.", "invalid")}
            )
        (kind,) = given
        try:
            attrs["person"] = erasure.subject(kind, attrs[kind])
        except erasure.InvalidSubject as error:
            raise serializers.ValidationError({kind: serializers.ErrorDetail(str(error), "invalid")}) from None
        return attrs


class ErasureRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Erasure requests (admins): file one, see where it stands at each destination."""

    queryset = ErasureRequest.objects.prefetch_related("forwards__destination")
    serializer_class = ErasureRequestSerializer
    lookup_value_regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"
    read_role = ADMIN
    write_role = ADMIN

    @extend_schema(
        responses={202: ErasureRequestSerializer},
        description="Accepted: Relay purges and forwards in the background; follow `state` and `forwards`.",
        examples=[OpenApiExample("By email", value={"email": "jane.doe@example.com"}, request_only=True)],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kind = next(kind for kind in ("email", "phone", "client_user_id") if serializer.validated_data.get(kind))
        filed = commands.file_erasure(request.user, kind=kind, value=serializer.validated_data[kind])
        return Response(ErasureRequestSerializer(filed).data, status=status.HTTP_202_ACCEPTED)


class BackfillSerializer(RefusesUnknownFields, serializers.ModelSerializer):
    """A backfill: POST {action, since} counts it (a dry run, nothing leaves); `start` runs it, `cancel`
    stops it. `expected` are the dry run's counts, `counts` the run's, by executor.backfill.COUNTS
    (`queued` is "sent", or "would be sent" in `expected`)."""

    action = serializers.PrimaryKeyRelatedField(
        queryset=Action.objects.select_related("destination"),
        error_messages={"does_not_exist": "No action has the id {pk_value}."},
    )
    since = serializers.DateTimeField(help_text="Events received from this time on; within RELAY_RETENTION_DAYS.")
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Backfill
        fields = [
            "id",
            "action",
            "since",
            "until",
            "state",
            "expected",
            "counts",
            "total",
            "done",
            "percent",
            "reason",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = [name for name in fields if name not in ("action", "since")]


class BackfillViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Backfills: an action run over stored events since a time. Engineers read; marketers count, start, cancel."""

    queryset = Backfill.objects.select_related("action")
    serializer_class = BackfillSerializer
    lookup_value_regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"
    write_role = MARKETER

    @extend_schema(responses={201: BackfillSerializer}, description="The dry run: counts, sends nothing.")
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = backfill_commands.dry_run(request.user, data["action"], data["since"])
        return Response(BackfillSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: BackfillSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        """Run a counted backfill in the background; follow `done`, `total` and `state`."""
        job = backfill_commands.start(request.user, self.get_object())
        return Response(BackfillSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: BackfillSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Stop a running backfill; what it queued and no sender claimed yet does not leave."""
        job = backfill_commands.cancel(request.user, self.get_object())
        return Response(BackfillSerializer(job).data)
