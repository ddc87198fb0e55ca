from django import forms
from django.contrib.auth import get_user_model

from accounts.roles import ENGINEER, ROLES

ROLE_CHOICES = [(role, role.capitalize()) for role in ROLES]


class NewUserForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(
        choices=ROLE_CHOICES,
        # The least privilege unless an admin chooses more.
        initial=ENGINEER,
        help_text="Admin: everything. Marketer: actions. Engineer: read-only.",
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("A user with this name exists already.")
        return username


class UserForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    is_active = forms.BooleanField(required=False, label="Active", help_text="Inactive users cannot sign in.")
