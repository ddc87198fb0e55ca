"""REST API for actions, the preview, presets, versions and configuration as code."""

from typing import Any, get_args

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action as route
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit import record
from accounts.roles import ADMIN, ENGINEER, MARKETER
from core.commands import Refused
from core.converters import MAX_ID_DIGITS, parse_id
from core.query_filters import LIST_PARAMETERS, an_id, parse_filters
from core.strict_serializers import RefusesUnknownFields, refuse_unknown
from destinations.definition import Preset
from destinations.models import Destination
from destinations.registry import DESTINATION_TYPES
from mapper import commands, config_io, versions
from mapper.models import Action, ActionVersion
from mapper.pipeline import OutcomeKind
from mapper.preview import preview, sample_problem
from mapper.serializers import ActionSerializer, MappingsField

MAX_ID = 10**MAX_ID_DIGITS - 1


def example_preset() -> tuple[str, Preset]:
    """The preset the API documentation shows (the first of the first destination type, Order Shipped):
    its event and mapping are real ones, run end to end by the presets' tests."""
    destination_type = next(iter(DESTINATION_TYPES.values()))
    action_type = next(action for action in destination_type.actions if action.presets)
    return action_type.key, action_type.presets[0]


def _action_example() -> OpenApiExample:
    action_type, preset = example_preset()
    value = {
        "destination": 1,
        "action_type": action_type,
        "name": preset.name,
        "trigger": preset.trigger,
        "mappings": dict(preset.mappings),
        "enabled": True,
    }
    return OpenApiExample(preset.name, value=value, request_only=True, description=preset.description)


def _preview_examples() -> list[OpenApiExample]:
    action_type, preset = example_preset()
    event = dict(preset.example_event)
    unsaved = {
        "destination": 1,
        "action_type": action_type,
        "trigger": preset.trigger,
        "mappings": dict(preset.mappings),
    }
    return [
        OpenApiExample(f"An unsaved {preset.name} action", value={**unsaved, "event": event}, request_only=True),
        OpenApiExample("A saved action", value={"action": 1, "event": event}, request_only=True),
    ]


class TestSendRequest(RefusesUnknownFields, serializers.Serializer):
    event = serializers.JSONField(help_text="The event to send the action's request for.")
    confirm = serializers.BooleanField(
        default=False,
        help_text="Send to a live destination: give it once the answer's `confirm` sentence has been read.",
    )


TestSendResult = inline_serializer(
    "TestSendResult",
    {
        "sent": serializers.BooleanField(help_text="Whether the request left for the destination."),
        "message": serializers.CharField(help_text="What happened, in a sentence (empty when asking first)."),
        "status": serializers.IntegerField(allow_null=True, help_text="The destination's HTTP status, if any."),
        "response": serializers.CharField(help_text="The destination's answer (masked), if any."),
        "confirm": serializers.CharField(
            help_text="Set when nothing was sent because a live send must be confirmed: what it will do."
        ),
    },
)


@extend_schema_view(
    create=extend_schema(examples=[_action_example()]),
    update=extend_schema(examples=[_action_example()]),
)
class ActionViewSet(viewsets.ModelViewSet):
    serializer_class = ActionSerializer
    write_role = MARKETER
    lookup_value_regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def get_queryset(self):
        queryset = Action.objects.select_related("destination").order_by("destination_id", "position", "id")
        if self.action != "list":  # the filter chooses a list; one action is found by its id alone
            return queryset
        filters = parse_filters(self.request.query_params, {"destination": an_id}, others=LIST_PARAMETERS)
        return queryset.filter(destination_id=filters["destination"]) if "destination" in filters else queryset

    @extend_schema(
        parameters=[OpenApiParameter("destination", OpenApiTypes.INT, description="Only this destination's actions.")]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer: ActionSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = commands.save_action(
            self.request.user,
            destination=data["destination"],
            action_type=data["action_type"],
            name=data["name"],
            trigger=data["trigger"],
            mappings=data["mappings"],
            enabled=data.get("enabled", True),
            consent=(data.get("consent_category", ""), data.get("consent_when_unknown", "")),
        )

    def perform_update(self, serializer: ActionSerializer) -> None:
        action, data = serializer.instance, serializer.validated_data
        if "destination" in data and data["destination"] != action.destination:
            raise serializers.ValidationError({"destination": "An action cannot move to another destination."})
        commands.save_action(
            self.request.user,
            destination=action.destination,
            action=action,
            action_type=data.get("action_type", action.action_type),
            name=data.get("name", action.name),
            trigger=data.get("trigger", action.trigger),
            mappings=data.get("mappings", action.mappings),
            enabled=data.get("enabled", action.enabled),
            consent=(
                data.get("consent_category", action.consent_category),
                data.get("consent_when_unknown", action.consent_when_unknown),
            ),
        )

    def perform_destroy(self, instance: Action) -> None:
        commands.delete_action(self.request.user, action=instance)

    @extend_schema(request=None, responses=ActionSerializer)
    @route(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        refuse_unknown(request.data)
        return Response(ActionSerializer(commands.enable_action(request.user, action=self.get_object())).data)

    @extend_schema(request=None, responses=ActionSerializer)
    @route(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str | None = None) -> Response:
        refuse_unknown(request.data)
        return Response(ActionSerializer(commands.disable_action(request.user, action=self.get_object())).data)

    @extend_schema(request=None, responses={201: ActionSerializer})
    @route(detail=True, methods=["post"])
    def duplicate(self, request: Request, pk: str | None = None) -> Response:
        """A disabled copy of the action, placed right after it (as the page's Duplicate makes it)."""
        refuse_unknown(request.data)
        copy = commands.duplicate_action(request.user, action=self.get_object())
        return Response(ActionSerializer(copy).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TestSendRequest,
        responses={200: TestSendResult},
        description="Send a test event through the saved action, as the editor's *Send test event* does (a "
        "marketer): recorded, not sent, in test mode; to a live destination only once `confirm` is true (until "
        "then nothing is sent and `confirm` in the answer says what the send will do); every send and refusal is "
        "audited. A request that could not be sent (the preview has errors, or the event holds masked values "
        "•••) is a 422 naming `event`.",
    )
    @route(detail=True, methods=["post"], url_path="test-send")
    def test_send(self, request: Request, pk: str | None = None) -> Response:
        action = self.get_object()
        body = TestSendRequest(data=request.data)
        body.is_valid(raise_exception=True)
        event, confirmed = body.validated_data["event"], body.validated_data["confirm"]
        problem = sample_problem(event)
        if problem is not None:
            raise serializers.ValidationError({"event": serializers.ErrorDetail(problem.message, problem.code)})
        destination = action.destination
        action_type = destination.definition.action(action.action_type)
        if action_type is None:  # a type its destination no longer declares: nothing could be built
            raise serializers.ValidationError({"action_type": "This destination has no such action type."})
        judged = preview(
            destination,
            action.action_type,
            action.trigger,
            action.mappings,
            event,
            action_id=action.pk,
            consent_category=action.consent_category,
            consent_when_unknown=action.consent_when_unknown,
        )
        # The caller gave the event, so the confirmation may name who it is about (as for an editor's pasted one).
        sent = commands.send_test_event(
            request.user,
            destination=destination,
            action_type=action_type,
            preview=judged,
            action=action,
            confirmed=confirmed,
        )
        if sent.refused:  # audited as refused by the command; nothing left
            refusal = serializers.ValidationError({"event": serializers.ErrorDetail(sent.message, "not_sendable")})
            refusal.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
            raise refusal
        return Response(
            {
                "sent": sent.sent,
                "message": sent.message,
                "status": sent.status,
                "response": sent.response,
                "confirm": sent.confirm,
            }
        )

    @extend_schema(
        request=inline_serializer(
            "ReorderRequest",
            {
                "destination": serializers.IntegerField(),
                "order": serializers.ListField(child=serializers.IntegerField()),
            },
        ),
        responses=ActionSerializer(many=True),
    )
    @route(detail=False, methods=["post"], pagination_class=None)
    def reorder(self, request: Request) -> Response:
        """Set the order of a destination's actions: `order` lists every action id, first to last."""
        refuse_unknown(request.data, ("destination", "order"))
        destination = get_object_or_404(Destination, pk=_int(request.data, "destination"))
        order = request.data.get("order") if isinstance(request.data, dict) else None
        if not isinstance(order, list):
            raise serializers.ValidationError({"order": "List every action id of this destination exactly once."})
        actions = commands.reorder_actions(request.user, destination=destination, order=order)
        return Response(ActionSerializer(actions, many=True).data)

    @extend_schema(
        responses=inline_serializer(
            "Version",
            {
                "number": serializers.IntegerField(),
                "note": serializers.CharField(),
                "created_at": serializers.DateTimeField(),
                "created_by": serializers.CharField(allow_null=True),
                "snapshot": serializers.JSONField(),
                "changes": serializers.ListField(child=serializers.DictField()),
            },
            many=True,
        )
    )
    @route(detail=True, methods=["get"], pagination_class=None)
    def versions(self, request: Request, pk: str | None = None) -> Response:
        """Every saved version, newest first, with what changed from the one before."""
        rows = versions.history(self.get_object())
        return Response(
            [
                {
                    "number": version.number,
                    "note": version.note,
                    "created_at": version.created_at,
                    "created_by": version.created_by.get_username() if version.created_by else None,
                    "snapshot": version.snapshot,
                    "changes": [
                        {"field": c.field, "kind": c.kind, "before": c.before, "after": c.after} for c in changes
                    ],
                }
                for version, changes in rows
            ]
        )

    @extend_schema(
        request=inline_serializer("RestoreRequest", {"version": serializers.IntegerField()}), responses=ActionSerializer
    )
    @route(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str | None = None) -> Response:
        """Make the action what an older version was; saved as a new version."""
        refuse_unknown(request.data, ("version",))
        action = self.get_object()
        number = _int(request.data, "version")
        version = ActionVersion.objects.filter(action=action, number=number).first()
        if version is None:  # the action exists: what is wrong is the number asked for
            raise Refused({"version": f"This action has no version {number} (it is at version {action.version})."})
        commands.restore_action(request.user, action=action, version=version)
        return Response(ActionSerializer(action).data)


def _int(data: Any, name: str) -> int:
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or parse_id(value) is None:
        raise serializers.ValidationError({name: serializers.ErrorDetail("A whole number is required.", "invalid")})
    return value


class PreviewRequest(serializers.Serializer):
    # Not strict: a client previews the action it holds, whatever else that object carries (a name, an id).
    event = serializers.JSONField(help_text="The sample event.")
    action = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="A saved action's id; or give the fields below."
    )
    destination = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    action_type = serializers.CharField(required=False)
    trigger = serializers.CharField(required=False, allow_blank=True)
    mappings = MappingsField(required=False)
    consent_category = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Without `action`: the consent category the event must grant, such as Marketing (empty: the "
        "destination's default).",
    )
    consent_when_unknown = serializers.ChoiceField(
        required=False,
        choices=["", "skip", "send"],
        help_text="Without `action`: what an event that says nothing about the category gets (empty: the "
        "destination's choice).",
    )


PreviewOutcome = inline_serializer(
    "PreviewOutcome",
    {
        "kind": serializers.ChoiceField(
            choices=list(get_args(OutcomeKind)),
            help_text="What the executor would do with the event.",
        ),
        "reason": serializers.CharField(help_text="Why, in a sentence (empty when queued)."),
    },
    allow_null=True,
)

PreviewResponse = inline_serializer(
    "PreviewResult",
    {
        "trigger_matched": serializers.BooleanField(),
        "outcome": PreviewOutcome,
        "fields": serializers.DictField(help_text="Each mapped field's value."),
        "request": serializers.DictField(allow_null=True, help_text="The request that would be sent (key masked)."),
        "errors": serializers.ListField(child=serializers.DictField()),
        "summary": serializers.CharField(
            help_text="What the person receives because of this request (subscriptions), in a sentence; else empty."
        ),
    },
)


class PreviewView(APIView):
    """Run a saved or unsaved action on an event, exactly as the executor would, without sending."""

    write_role = ENGINEER  # a preview changes nothing

    @extend_schema(request=PreviewRequest, responses=PreviewResponse, examples=_preview_examples())
    def post(self, request: Request) -> Response:
        body = PreviewRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        problem = sample_problem(data["event"])
        if problem is not None:
            raise serializers.ValidationError({"event": serializers.ErrorDetail(problem.message, problem.code)})
        if "action" in data:
            action = get_object_or_404(Action.objects.select_related("destination"), pk=data["action"])
            destination, action_type, trigger, mappings = (
                action.destination,
                action.action_type,
                action.trigger,
                action.mappings,
            )
            action_id: object = action.pk
            consent_settings = (action.consent_category, action.consent_when_unknown)
        else:
            missing = [name for name in ("destination", "action_type", "trigger", "mappings") if name not in data]
            if missing:
                raise serializers.ValidationError(
                    {name: serializers.ErrorDetail("Required without `action`.", "required") for name in missing}
                )
            destination = get_object_or_404(Destination, pk=data["destination"])
            if destination.definition.action(data["action_type"]) is None:
                raise serializers.ValidationError({"action_type": "This destination has no such action type."})
            action_type, trigger, mappings, action_id = data["action_type"], data["trigger"], data["mappings"], ""
            consent_settings = (data.get("consent_category", ""), data.get("consent_when_unknown", ""))
        result = preview(
            destination,
            action_type,
            trigger,
            mappings,
            data["event"],
            action_id=action_id,
            consent_category=consent_settings[0],
            consent_when_unknown=consent_settings[1],
        )
        return Response(result.as_dict())


class PresetsView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "Preset",
            {
                "destination_type": serializers.CharField(),
                "action_type": serializers.CharField(),
                "key": serializers.CharField(),
                "name": serializers.CharField(),
                "description": serializers.CharField(),
                "trigger": serializers.CharField(),
                "mappings": serializers.DictField(),
                "example_event": serializers.DictField(),
            },
            many=True,
        )
    )
    def get(self, request: Request) -> Response:
        """The ready-made actions, per action type, with an example event each."""
        return Response(
            [
                {
                    "destination_type": destination.key,
                    "action_type": action_type.key,
                    "key": preset.key,
                    "name": preset.name,
                    "description": preset.description,
                    "trigger": preset.trigger,
                    "mappings": dict(preset.mappings),
                    "example_event": dict(preset.example_event),
                }
                for destination in DESTINATION_TYPES.values()
                for action_type in destination.actions
                for preset in action_type.presets
            ]
        )


class ConfigView(APIView):
    """Configuration as code: every destination's settings and actions, never keys."""

    read_role = ADMIN
    write_role = ADMIN

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        record(request.user, "config_exported")
        return Response(config_io.export_config())

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        """Import: validated completely first, then applied all or nothing. Importing twice changes nothing."""
        result = commands.import_configuration(request.user, document=request.data)
        return Response(result.summary())
