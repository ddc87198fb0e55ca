from typing import Any

from django import forms

from destinations.definition import DestinationType
from destinations.identifiers import is_supported_region
from destinations.models import Destination
from destinations.registry import DESTINATION_TYPES, default_destination_type, destination_type_choices


def adding_heading() -> str:
    """What adding a destination is called: the type it adds when there is only one ("Add an Attentive
    destination"), else "Add a destination"."""
    if len(DESTINATION_TYPES) > 1:
        return "Add a destination"
    definition = DESTINATION_TYPES[default_destination_type()]
    return f"Add {definition.article} {definition.title} destination"


class DestinationForm(forms.ModelForm):
    """Add or edit a destination. The API key is write-only: never rendered back. A new one's type is
    chosen from a select when more than one type is registered; otherwise the only type is implied.
    What the key field says and how a key is judged are the type's (DestinationType.api_key)."""

    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        error_messages={"required": "An API key is required."},  # the API's words (destinations.commands)
    )

    field_order = ["name", "type", "api_key", *Destination.SETTINGS_FIELDS]

    class Meta:
        model = Destination
        fields = ["name", *Destination.SETTINGS_FIELDS]
        widgets = {"subscription_disclosure": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, require_key: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        key = self.fields["api_key"]
        key.required = require_key and not self.instance.pk
        if self.instance.pk:
            key.label = "Replace API key"
            key.help_text = f"Current key: {self.instance.masked_api_key or 'none'}. Leave empty to keep it."
        elif len(DESTINATION_TYPES) > 1:
            self.fields["type"] = forms.ChoiceField(
                label="Destination type", choices=destination_type_choices(), initial=default_destination_type()
            )
            self.order_fields(self.field_order)
            key.help_text = " ".join(
                f"{definition.title}: {definition.key_help}" for definition in DESTINATION_TYPES.values()
            )
        else:
            key.help_text = self.destination_type.key_help
        self._show_declared_settings()

    def _show_declared_settings(self) -> None:
        """The settings only some types have are shown as their type declares them, and only when a type
        shown has them: a new destination's form with a choice of types shows every type's, each saying
        which types use it (the chosen type's alone are saved: chosen_settings)."""
        shown = [self.instance.definition] if self.instance.pk else list(DESTINATION_TYPES.values())
        for name in Destination.OPTIONAL_SETTINGS:
            declared = [(t, s) for t in shown for s in t.settings if s.field == name]
            if not declared:
                del self.fields[name]
                continue
            self.fields[name].label = declared[0][1].label
            if len(declared) < len(DESTINATION_TYPES) and not self.instance.pk:
                titles = " and ".join(definition.title for definition, _setting in declared)
                self.fields[name].help_text = f"{titles} only. {self.fields[name].help_text}"

    def chosen_settings(self) -> dict[str, Any]:
        """The settings the form saves: every destination's, and those the (chosen) type declares."""
        names = (*Destination.COMMON_SETTINGS, *(setting.field for setting in self.destination_type.settings))
        return {name: self.cleaned_data[name] for name in names}

    @property
    def destination_type(self) -> DestinationType:
        """The destination's type: its own when it exists, else the one chosen (or the only one)."""
        if self.instance.pk:
            return self.instance.definition
        chosen = getattr(self, "cleaned_data", {}).get("type")
        return DESTINATION_TYPES[chosen or default_destination_type()]

    @property
    def heading(self) -> str:
        return adding_heading()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        api_key = cleaned.get("api_key")
        if api_key and "type" not in self.errors and not self.destination_type.api_key.is_plausible(api_key):
            self.add_error("api_key", self.destination_type.key_refusal)
        return cleaned

    def clean_default_region(self) -> str:
        region = self.cleaned_data["default_region"].strip().upper()
        if not is_supported_region(region):
            raise forms.ValidationError("Not a known region code (ISO 3166 alpha-2, such as US or GB).")
        return region
