from django import forms

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


class UserForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    is_active = forms.BooleanField(required=False, label="Active", help_text="Inactive users cannot sign in.")
