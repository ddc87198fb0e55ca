"""core.commands.Refused and accounts.roles.require: what every command shares; and how a refusal reads
on a page's form and in the API's problem answer."""

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from accounts.roles import SYSTEM, require
from core.commands import Refused, show_on_form
from core.problems import problem_exception_handler


def test_a_refusal_lists_each_message_with_its_field_and_code() -> None:
    refused = Refused({"label": "Give a label.", "trigger": ["One.", "Two."]}, codes={"trigger": "syntax"})
    assert list(refused.messages()) == [
        ("label", "invalid", "Give a label."),
        ("trigger", "syntax", "One."),
        ("trigger", "syntax", "Two."),
    ]


def test_a_refusal_of_the_whole_has_the_empty_field() -> None:
    assert list(Refused("Nothing to do.").messages()) == [("", "invalid", "Nothing to do.")]


def test_a_refusal_shows_on_a_form_on_its_field_else_on_the_whole() -> None:
    class LabelForm(forms.Form):
        label = forms.CharField(required=False)

    form = LabelForm({"label": ""})
    form.is_valid()
    show_on_form(form, Refused({"label": "Give a label.", "mappings.phone": "No phone."}))
    assert form.errors == {"label": ["Give a label."], "__all__": ["No phone."]}


def test_the_api_answers_a_refusal_as_a_problem_naming_each_field_with_its_status() -> None:
    class Late(Refused):
        status = 422

    response = problem_exception_handler(Late({"mappings.phone": "No phone."}, codes={"mappings.phone": "x"}), {})
    assert response.status_code == 422
    assert response.data["errors"] == [{"field": "mappings.phone", "code": "x", "message": "No phone."}]


def test_require_lets_the_command_line_in_and_nobody_unknown() -> None:
    require(SYSTEM, "admin")
    for nobody in (None, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            require(nobody, "engineer")
