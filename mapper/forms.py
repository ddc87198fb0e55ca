"""The action editor's form: fixed fields of the action type, free rows, trigger and sample event."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict

from destinations.definition import ActionType, FieldError
from mapper import consent, hints, validation

MAP_PREFIX = "map__"


def map_name(key: str) -> str:
    return MAP_PREFIX + key


@dataclass(slots=True)
class Row:
    name: str
    expression: str
    errors: list[FieldError] = field(default_factory=list)


@dataclass(slots=True)
class RowGroupState:
    prefix: str
    label: str
    help: str
    name_label: str
    rows: list[Row]

    def keys(self) -> list[str]:
        return [f"{self.prefix}.{row.name}" for row in self.rows if row.name]


class ActionForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="Shown in the action list and the delivery log.")
    trigger = forms.CharField(
        required=False,
        label="Trigger expression",
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "class": "code"}),
        help_text="JMESPath over the event; the action runs when it is true. Example: "
        "type == 'track' && event == 'Order Shipped'",
    )
    enabled = forms.BooleanField(required=False, initial=True)
    consent_category = forms.CharField(
        required=False,
        max_length=consent.MAX_CATEGORY_LENGTH,
        label="Consent required",
        # The suggestions are a datalist: any category the site's consent tool uses may be typed.
        widget=forms.TextInput(attrs={"list": "consent-categories", "autocomplete": "off"}),
        help_text="A consent category the person must have granted on the page, such as Marketing (read from "
        "Segment's and RudderStack's consent tools). Empty: the destination's default, if any.",
    )
    consent_suggestions = consent.SUGGESTED_CATEGORIES
    consent_when_unknown = forms.ChoiceField(
        required=False,
        label="Events that carry no consent for it",
        choices=[("", "As the destination says"), *consent.WHEN_UNKNOWN_CHOICES],
        help_text="An event with no consent information, or none about this category. The destination requires "
        "consent unless an admin chose otherwise in its privacy rules.",
    )
    sample_event = forms.CharField(
        required=False,
        label="Sample event",
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "code"}),
        help_text="JSON. The preview runs the action on it exactly as the executor would.",
    )

    def __init__(
        self,
        *args: Any,
        action_type: ActionType,
        mappings: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.action_type = action_type
        initial = dict(mappings if mappings is not None else action_type.default_mappings())
        for target in action_type.fields:
            self.fields[map_name(target.key)] = forms.CharField(
                label=target.label + (" *" if target.required else ""),
                required=False,
                initial=initial.get(target.key, ""),
                help_text=target.help,
                widget=forms.TextInput(attrs={"spellcheck": "false", "class": "code", "data-field": target.key}),
            )
        self.groups = self._row_groups(initial)
        self.config_errors: list[FieldError] = []

    def mapping_fields(self) -> list[tuple[str, forms.BoundField]]:
        return [(target.key, self[map_name(target.key)]) for target in self.action_type.fields]

    def _row_groups(self, initial: Mapping[str, str]) -> list[RowGroupState]:
        groups = []
        for group in self.action_type.row_groups:
            if self.is_bound:
                names = self.data.getlist(f"rows__{group.prefix}__name") if isinstance(self.data, QueryDict) else []
                expressions = (
                    self.data.getlist(f"rows__{group.prefix}__expr") if isinstance(self.data, QueryDict) else []
                )
                rows = [Row(n.strip(), e) for n, e in zip(names, expressions, strict=False) if n.strip() or e.strip()]
                for index, warning in hints.duplicate_rows(group.prefix, [row.name for row in rows]).items():
                    rows[index].errors.append(warning)
            else:
                prefix = group.prefix + "."
                rows = [Row(key[len(prefix) :], value) for key, value in initial.items() if key.startswith(prefix)]
            groups.append(RowGroupState(group.prefix, group.label, group.help, group.name_label, rows))
        return groups

    def mappings(self) -> dict[str, str]:
        """The configuration as `{field_key: expression}`, in the order the form shows it."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        result = {}
        for target in self.action_type.fields:
            name = map_name(target.key)
            if name in data:
                value = data[name]
            elif self.is_bound:
                value = self.data.get(name, "")
            else:
                value = self.fields[name].initial or ""
            if value and value.strip():
                result[target.key] = value.strip()
        for group in self.groups:
            for row in group.rows:
                if row.name:
                    result[f"{group.prefix}.{row.name}"] = row.expression.strip()
        return result

    def make_read_only(self) -> None:
        """Show the configuration as text that cannot be changed (engineers), the sample aside."""
        for name, form_field in self.fields.items():
            if name == "sample_event":
                continue
            # A checkbox and a select have no read-only state: they are disabled (and not posted).
            if isinstance(form_field, forms.BooleanField | forms.ChoiceField):
                form_field.widget.attrs["disabled"] = True
            else:
                form_field.widget.attrs["readonly"] = True

    def row_warnings(self) -> list[FieldError]:
        """Warnings about the rows themselves (a repeated name), for the live preview to show."""
        return [
            error for group in self.groups for row in group.rows for error in row.errors if error.severity == "warning"
        ]

    def consent_settings(self) -> tuple[str, str]:
        """(category, choice for an event that says nothing) as typed, for the preview and saving."""
        if hasattr(self, "cleaned_data") and "consent_category" in self.cleaned_data:
            data: Mapping[str, Any] = self.cleaned_data
        else:
            data = self.data if self.is_bound else self.initial
        category = str(data.get("consent_category", "") or "").strip()[: consent.MAX_CATEGORY_LENGTH]
        when_unknown = str(data.get("consent_when_unknown", "") or "")
        return category, when_unknown if when_unknown in (consent.SKIP, consent.SEND) else ""

    def clean_consent_category(self) -> str:
        category = self.cleaned_data["consent_category"].strip()
        problem = consent.category_problem(category)
        if problem:
            raise forms.ValidationError(problem)
        return category

    def trigger_text(self) -> str:
        if hasattr(self, "cleaned_data") and "trigger" in self.cleaned_data:
            return self.cleaned_data["trigger"]
        return str(self.data.get("trigger", "")) if self.is_bound else str(self.initial.get("trigger", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for group in self.groups:
            for row in group.rows:
                if not row.name:
                    row.errors.append(
                        FieldError(group.prefix, "invalid_name", f"Give this row a {group.name_label.lower()}.")
                    )
        self.config_errors = validation.check_configuration(
            self.action_type, cleaned.get("trigger", ""), self.mappings()
        )
        self.attach(self.config_errors)
        if any(error.severity == "error" for group in self.groups for row in group.rows for error in row.errors):
            raise forms.ValidationError("Some rows have problems: see the messages beside them.")
        return cleaned

    def attach(self, errors: list[FieldError], *, as_form_errors: bool = True) -> dict[str, list[FieldError]]:
        """Put each error where its field is shown; return the ones no field shows."""
        unplaced: dict[str, list[FieldError]] = {}
        for error in errors:
            if error.field == validation.TRIGGER and as_form_errors:
                self.add_error("trigger", error.message)
                continue
            name = map_name(error.field)
            if name in self.fields and as_form_errors:
                self.add_error(name, error.message)
                continue
            row = self._row(error.field)
            if row is not None:
                if error not in row.errors:
                    row.errors.append(error)
                continue
            unplaced.setdefault(error.field, []).append(error)
        return unplaced

    def _row(self, key: str) -> Row | None:
        prefix, dot, name = key.partition(".")
        if not dot:
            return None
        for group in self.groups:
            if group.prefix == prefix:
                return next((row for row in group.rows if row.name == name), None)
        return None
