"""Model fields that keep their content encrypted at rest."""

import json
from collections.abc import Sequence
from typing import Any

from django.db import models

from core import crypto
from core.jsondoc import json_text


class EncryptedJSONField(models.TextField):
    """A JSON value stored as Fernet ciphertext: the database never holds it in clear."""

    description = "JSON, encrypted at rest"

    def from_db_value(self, value: str | None, expression: object, connection: object) -> Any:
        text = self.text_of(value)
        return None if text is None else json.loads(text)

    @staticmethod
    def text_of(value: str | None) -> str | None:
        """The JSON text a stored value (a token, as the column holds it) encrypts: compact, text as is
        (json_text's); None for none."""
        if value is None or value == "":
            return None
        return crypto.decrypt(value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return crypto.encrypt(json_text(value))

    def get_prep_values(self, values: Sequence[Any]) -> list[str | None]:
        """get_prep_value of each value, the tokens written in one call (core.compiled.CompiledInsert.rows_of)."""
        tokens = iter(crypto.encrypt_many([json_text(value) for value in values if value is not None]))
        return [None if value is None else next(tokens) for value in values]


class EncryptedTextField(models.TextField):
    """Text stored as Fernet ciphertext."""

    description = "Text, encrypted at rest"

    def from_db_value(self, value: str | None, expression: object, connection: object) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))

    def get_prep_values(self, values: Sequence[Any]) -> list[str | None]:
        """get_prep_value of each value, the tokens written in one call (core.compiled.CompiledInsert.rows_of)."""
        tokens = iter(crypto.encrypt_many([str(value) for value in values if value is not None and value != ""]))
        return [value if value is None or value == "" else next(tokens) for value in values]
