from django import forms

from destinations.identifiers import is_plausible_api_key, is_supported_region
from destinations.models import Destination


class DestinationForm(forms.ModelForm):
    """Add or edit a destination. The API key is write-only: never rendered back."""

    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="From Attentive: Marketplace → Create App, with Write permission for Custom Events and "
        "Custom Attributes. It is checked against Attentive at once and never shown again.",
    )

    field_order = ["name", "api_key", *Destination.SETTINGS_FIELDS]

    class Meta:
        model = Destination
        fields = ["name", *Destination.SETTINGS_FIELDS]
        widgets = {"subscription_disclosure": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "subscription_disclosure": "Sign-up disclosure",
            "default_locale": "Default locale for subscriptions",
            "default_sign_up_source_id": "Default sign-up source id",
        }

    def __init__(self, *args: object, require_key: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["api_key"].required = require_key and not self.instance.pk
        if self.instance.pk:
            self.fields["api_key"].label = "Replace API key"
            self.fields[
                "api_key"
            ].help_text = f"Current key: {self.instance.masked_api_key or 'none'}. Leave empty to keep it."

    def clean_api_key(self) -> str:
        api_key = self.cleaned_data["api_key"]
        if api_key and not is_plausible_api_key(api_key):
            raise forms.ValidationError("That is not an Attentive API key: expected 8 to 512 visible ASCII characters.")
        return api_key

    def clean_default_region(self) -> str:
        region = self.cleaned_data["default_region"].strip().upper()
        if not is_supported_region(region):
            raise forms.ValidationError("Not a known region code (ISO 3166 alpha-2, such as US or GB).")
        return region
