"""Imports refuse privacy rules that cannot be searched together, naming the rule list: never a
500 later, on every preview, save or event of that destination."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from destinations.models import Destination

pytestmark = pytest.mark.django_db


def too_many_rules() -> list[dict[str, str]]:
    """3,000 rules of about 420 characters: each valid, together past RE2's memory budget."""
    rules = []
    for index in range(3000):
        words = "|".join(f"r{index}w{word}[a-z]{{2,9}}" for word in range(40))
        rules.append({"label": f"Rule {index}", "pattern": words[:430].rsplit("|", 1)[0]})
    return rules


def document(**privacy: object) -> dict:
    return {"format": "relay-config", "version": 1, "destinations": [{"name": "Big rules", **privacy}]}


@pytest.mark.parametrize("key", ["blocked_names", "blocked_values"])
def test_the_api_refuses_rules_too_large_to_search_together(api_as, key: str) -> None:
    response = api_as("admin").post("/api/v1/config", document(**{key: too_many_rules()}), format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == f"destinations.0.{key}"
    assert "too large to be searched together" in error["message"]
    assert not Destination.objects.exists()


def test_import_config_refuses_them_too(tmp_path) -> None:
    path = tmp_path / "relay.json"
    path.write_text(json.dumps(document(blocked_names=too_many_rules())))
    with pytest.raises(CommandError) as refused:
        call_command("import_config", str(path), stdout=StringIO(), stderr=StringIO())
    assert "blocked_names" in str(refused.value) or "too large" in str(refused.value)
    assert not Destination.objects.exists()


def test_a_few_long_rules_still_import(api_as) -> None:
    rules = too_many_rules()[:20]
    response = api_as("admin").post("/api/v1/config", document(blocked_values=rules), format="json")
    assert response.status_code == 200
    assert Destination.objects.get().blocked_values == rules
