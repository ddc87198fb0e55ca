"""A request schema compiled to plain Python closures: valid or not, nothing more, fast.

The route step checks every body against its action type's schema. fastjsonschema's generated
code builds a name for every value it visits (string formatting on the hot path), which made the
check a fifth of the route step on real traffic. This compiles the small subset of JSON Schema our
request schemas use into closures that only answer "valid?"; anything outside that subset is
refused at compile time (`UnsupportedSchema`), so a schema that grows a new keyword falls back to
fastjsonschema instead of being checked loosely. Explaining what is wrong stays jsonschema's job.

Patterns are read as fastjsonschema reads them (a final `$` matches only at the very end), and
property tests hold the closures to jsonschema's verdict on generated bodies.
"""

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    # As JSON Schema counts: 2.0 is an integer too.
    "integer": lambda value: (
        (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())
    ),
    "number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
}
_OBJECT_KEYWORDS = frozenset(
    {"properties", "required", "additionalProperties", "propertyNames", "minProperties", "maxProperties"}
)
_STRING_KEYWORDS = frozenset({"minLength", "maxLength", "pattern"})
_ARRAY_KEYWORDS = frozenset({"items", "minItems", "maxItems"})
_MAX_REMEMBERED_NAMES = 4096
# Annotations: they say nothing about validity.
_IGNORED = frozenset({"$schema", "$id", "title", "description", "x-errors", "$defs", "examples"})


class UnsupportedSchema(ValueError):
    """The schema uses a keyword (or a form of one) these closures do not check."""


def compile_check(schema: Mapping[str, Any]) -> Check:
    """Return a function that says whether a value is valid against `schema`, or raise
    UnsupportedSchema."""
    definitions: dict[str, Check] = {}
    compiler = _Compiler(schema.get("$defs", {}), definitions)
    for name, definition in schema.get("$defs", {}).items():
        definitions[name] = compiler.node(definition)
    return compiler.node(schema)


class _Compiler:
    def __init__(self, defs: Mapping[str, Any], definitions: dict[str, Check]) -> None:
        self.defs = defs
        self.definitions = definitions

    def node(self, schema: Any) -> Check:
        if schema is True:
            return lambda value: True
        if schema is False:
            return lambda value: False
        if not isinstance(schema, Mapping):
            raise UnsupportedSchema(f"A schema must be an object or a boolean, not {type(schema).__name__}.")
        if "$ref" in schema:
            return self._reference(schema)
        unknown = set(schema) - _OBJECT_KEYWORDS - _STRING_KEYWORDS - _ARRAY_KEYWORDS - _IGNORED - {"type"}
        if unknown:
            raise UnsupportedSchema(f"Keyword(s) not supported: {', '.join(sorted(unknown))}.")
        is_type = self._type(schema.get("type"))
        object_check, string_check, array_check = self._object(schema), self._string(schema), self._array(schema)
        if object_check is None and string_check is None and array_check is None:
            return is_type or (lambda value: True)
        if is_type is _TYPES["string"] and object_check is None and array_check is None:
            return self._text_only(schema) or (lambda value: isinstance(value, str) and string_check(value))
        if is_type is _TYPES["object"] and string_check is None and array_check is None:
            return self._object(schema, typed=True) or (lambda value: isinstance(value, dict) and object_check(value))
        if is_type is _TYPES["array"] and string_check is None and object_check is None:
            return lambda value: type(value) is list and array_check(value)

        def check(value: Any) -> bool:
            # Each keyword applies to values of its own type only; the others pass it.
            if is_type is not None and not is_type(value):
                return False
            if isinstance(value, str):
                return string_check is None or string_check(value)
            if isinstance(value, dict):
                return object_check is None or object_check(value)
            if isinstance(value, list):
                return array_check is None or array_check(value)
            return True

        return check

    @staticmethod
    def _type(kind: Any) -> Check | None:
        if kind is None:
            return None
        kinds = [kind] if isinstance(kind, str) else kind
        if not isinstance(kinds, list) or not kinds or any(not isinstance(k, str) or k not in _TYPES for k in kinds):
            raise UnsupportedSchema(f"Type {kind!r} is not supported.")
        if len(kinds) == 1:
            return _TYPES[kinds[0]]
        tests = [_TYPES[k] for k in kinds]
        return lambda value: any(test(value) for test in tests)

    def _reference(self, schema: Mapping[str, Any]) -> Check:
        if set(schema) - _IGNORED != {"$ref"}:
            raise UnsupportedSchema("$ref beside other keywords is not supported.")
        reference = schema["$ref"]
        name = reference.removeprefix("#/$defs/")
        if name == reference or name not in self.defs:
            raise UnsupportedSchema(f"Only references into $defs are supported, not {reference!r}.")
        definitions = self.definitions
        return lambda value: definitions[name](value)  # looked up late: definitions may refer to themselves

    def _object(self, schema: Mapping[str, Any], *, typed: bool = False) -> Check | None:
        """The object keywords' check, for values known to be objects; with `typed`, a check that
        also says no to anything else (and None when no faster form exists)."""
        if not _OBJECT_KEYWORDS & set(schema):
            return None
        properties = {name: self.node(member) for name, member in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties", True)
        extra_check = None if extra is True else self.node(extra)
        # Most members are plain values that a schema like propertyValue (no type, no text rules)
        # lets through: they skip the call.
        scalars_pass = extra is not True and self._passes_scalars(extra)
        names = self._remembered(self.node(schema["propertyNames"])) if "propertyNames" in schema else None
        required = tuple(schema.get("required", ()))
        least = schema.get("minProperties", 0)
        most = schema.get("maxProperties")

        if names is None and extra_check is not None and extra is False and not least and most is None:
            # The closed record (additionalProperties: false), the shape of most request parts:
            # every member must be a known one and valid.
            def closed(value: Any) -> bool:
                if typed and type(value) is not dict:
                    return False
                for name in required:
                    if name not in value:
                        return False
                for name, member in value.items():
                    known = properties.get(name)
                    if known is None or not known(member):
                        return False
                return True

            return closed
        if typed:
            return None

        def check(value: dict) -> bool:
            if len(value) < least or (most is not None and len(value) > most):
                return False
            for name in required:
                if name not in value:
                    return False
            for name, member in value.items():
                if names is not None and not names(name):
                    return False
                known = properties.get(name)
                if known is not None:
                    if not known(member):
                        return False
                elif extra_check is not None:
                    if scalars_pass and not isinstance(member, dict | list):
                        continue
                    if not extra_check(member):
                        return False
            return True

        return check

    def _passes_scalars(self, schema: Any) -> bool:
        """Whether `schema` accepts every value that is not an object or a list."""
        if isinstance(schema, Mapping) and "$ref" in schema:
            schema = self.defs.get(schema["$ref"].removeprefix("#/$defs/"))
        return isinstance(schema, Mapping) and "type" not in schema and not _STRING_KEYWORDS & set(schema)

    @staticmethod
    def _remembered(check: Check) -> Check:
        """`check` for names, remembering verdicts: bodies repeat the same few property names."""
        verdicts: dict[Any, bool] = {}

        def remembered(name: Any) -> bool:
            verdict = verdicts.get(name)
            if verdict is None:
                if len(verdicts) >= _MAX_REMEMBERED_NAMES:
                    verdicts.clear()
                verdict = verdicts[name] = check(name)
            return verdict

        return remembered

    @staticmethod
    def _text_only(schema: Mapping[str, Any]) -> Check | None:
        """The two shapes most text fields take, in one step: a least length, or a pattern."""
        rules = _STRING_KEYWORDS & set(schema)
        if rules == {"minLength"}:
            shortest = schema["minLength"]
            return lambda value: type(value) is str and len(value) >= shortest
        if rules == {"pattern"}:
            search = _pattern(schema["pattern"])
            return lambda value: type(value) is str and search(value) is not None
        return None

    def _string(self, schema: Mapping[str, Any]) -> Check | None:
        if not _STRING_KEYWORDS & set(schema):
            return None
        shortest = schema.get("minLength", 0)
        longest = schema.get("maxLength")
        pattern = _pattern(schema["pattern"]) if "pattern" in schema else None

        def check(value: str) -> bool:
            if len(value) < shortest or (longest is not None and len(value) > longest):
                return False
            return pattern is None or pattern(value) is not None

        return check

    def _array(self, schema: Mapping[str, Any]) -> Check | None:
        if not _ARRAY_KEYWORDS & set(schema):
            return None
        items = self.node(schema["items"]) if "items" in schema else None
        if isinstance(schema.get("items"), list):
            raise UnsupportedSchema("Tuple items are not supported.")
        fewest = schema.get("minItems", 0)
        most = schema.get("maxItems")

        def check(value: list) -> bool:
            if len(value) < fewest or (most is not None and len(value) > most):
                return False
            if items is not None:
                for member in value:
                    if not items(member):
                        return False
            return True

        return check


def _pattern(source: str) -> Callable[[str], Any]:
    # As fastjsonschema reads it: a final "$" is the very end, not "before a final newline".
    if source.endswith("$") and not source.endswith("\\$"):
        source = source[:-1] + r"\Z"
    return re.compile(source).search
