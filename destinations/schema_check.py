"""A request schema compiled to plain Python: valid or not, nothing more, fast.

The route step checks every body against its action type's schema. fastjsonschema's generated
code builds a name for every value it visits (string formatting on the hot path), which made the
check a fifth of the route step on real traffic. This writes the small subset of JSON Schema our
request schemas use out as Python source (one function per definition, nested objects and lists
as nested loops, one call per reference) that only answers "valid?"; anything outside that subset
is refused at compile time (`UnsupportedSchema`), so a schema that grows a new keyword falls back
to fastjsonschema instead of being checked loosely. Explaining what is wrong stays jsonschema's job.

Patterns are read as fastjsonschema reads them (a final `$` matches only at the very end), and
property tests hold the generated checks to jsonschema's verdict on generated bodies and on
generated schemas of the subset.
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
# JSON's scalar types, exactly (no subclass): a value of one of these is neither an object nor a list.
_SCALARS = frozenset({str, int, float, bool, type(None)})
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
    return _Generator(schema).compile()


class _Generator:
    """Writes the schema out as the source of one Python function per definition (and one for the
    root): each keyword becomes a test that returns False, nested objects and lists become nested
    loops, so a body is checked in a handful of calls instead of one closure call per value.
    References ($ref, recursive ones included) are calls to their definition's function."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self.defs: Mapping[str, Any] = schema.get("$defs", {})
        self.namespace: dict[str, Any] = {"_TYPES": _TYPES, "_SCALARS": _SCALARS}
        self.functions: list[str] = []
        self.def_names = {name: f"_def{index}" for index, name in enumerate(self.defs)}
        self.counter = 0

    def compile(self) -> Check:
        for name, definition in self.defs.items():
            self._function(self.def_names[name], definition)
        self._function("_root", self.schema)
        exec("\n\n".join(self.functions), self.namespace)  # noqa: S102 - our own generated source
        return self.namespace["_root"]

    def _name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _function(self, name: str, schema: Any) -> None:
        body = self._node(schema, "value", 1)
        self.functions.append("\n".join([f"def {name}(value):", *body, "    return True"]))

    def _constant(self, prefix: str, value: Any) -> str:
        name = self._name(prefix)
        self.namespace[name] = value
        return name

    def _node(self, schema: Any, var: str, depth: int) -> list[str]:
        """Lines that return False when `var` is not valid against `schema`."""
        pad = "    " * depth
        if schema is True:
            return []
        if schema is False:
            return [f"{pad}return False"]
        if not isinstance(schema, Mapping):
            raise UnsupportedSchema(f"A schema must be an object or a boolean, not {type(schema).__name__}.")
        if "$ref" in schema:
            return [f"{pad}if not {self._reference(schema)}({var}):", f"{pad}    return False"]
        unknown = set(schema) - _OBJECT_KEYWORDS - _STRING_KEYWORDS - _ARRAY_KEYWORDS - _IGNORED - {"type"}
        if unknown:
            raise UnsupportedSchema(f"Keyword(s) not supported: {', '.join(sorted(unknown))}.")
        kinds = self._kinds(schema.get("type"))
        lines = []
        if kinds is not None:
            lines += [f"{pad}if not ({self._type_test(kinds, var)}):", f"{pad}    return False"]
        # Each keyword applies to values of its own type only; the others pass it.
        for keywords, python_type, kind, emit in (
            (_STRING_KEYWORDS, "str", "string", self._string),
            (_OBJECT_KEYWORDS, "dict", "object", self._object),
            (_ARRAY_KEYWORDS, "list", "array", self._array),
        ):
            if not keywords & set(schema):
                continue
            if kinds == [kind]:  # the type test above said so already
                lines += emit(schema, var, depth)
            else:
                inner = emit(schema, var, depth + 1)
                if inner:
                    lines += [f"{pad}if isinstance({var}, {python_type}):", *inner]
        return lines

    @staticmethod
    def _kinds(kind: Any) -> list[str] | None:
        if kind is None:
            return None
        kinds = [kind] if isinstance(kind, str) else kind
        if not isinstance(kinds, list) or not kinds or any(not isinstance(k, str) or k not in _TYPES for k in kinds):
            raise UnsupportedSchema(f"Type {kind!r} is not supported.")
        return kinds

    @staticmethod
    def _type_test(kinds: list[str], var: str) -> str:
        simple = {"object": "dict", "array": "list", "string": "str"}
        tests = [
            f"isinstance({var}, {simple[kind]})" if kind in simple else f"_TYPES[{kind!r}]({var})" for kind in kinds
        ]
        return " or ".join(tests)

    def _reference(self, schema: Mapping[str, Any]) -> str:
        if set(schema) - _IGNORED != {"$ref"}:
            raise UnsupportedSchema("$ref beside other keywords is not supported.")
        reference = schema["$ref"]
        name = reference.removeprefix("#/$defs/")
        if name == reference or name not in self.defs:
            raise UnsupportedSchema(f"Only references into $defs are supported, not {reference!r}.")
        return self.def_names[name]

    def _string(self, schema: Mapping[str, Any], var: str, depth: int) -> list[str]:
        pad = "    " * depth
        lines = []
        shortest = schema.get("minLength", 0)
        longest = schema.get("maxLength")
        if shortest:
            lines += [f"{pad}if len({var}) < {int(shortest)}:", f"{pad}    return False"]
        if longest is not None:
            lines += [f"{pad}if len({var}) > {int(longest)}:", f"{pad}    return False"]
        if "pattern" in schema:
            search = self._constant("_pattern", _pattern(schema["pattern"]))
            lines += [f"{pad}if {search}({var}) is None:", f"{pad}    return False"]
        return lines

    def _array(self, schema: Mapping[str, Any], var: str, depth: int) -> list[str]:
        pad = "    " * depth
        if isinstance(schema.get("items"), list):
            raise UnsupportedSchema("Tuple items are not supported.")
        lines = []
        fewest = schema.get("minItems", 0)
        most = schema.get("maxItems")
        if fewest:
            lines += [f"{pad}if len({var}) < {int(fewest)}:", f"{pad}    return False"]
        if most is not None:
            lines += [f"{pad}if len({var}) > {int(most)}:", f"{pad}    return False"]
        if "items" in schema:
            item = self._name("item")
            inner = self._member(schema["items"], item, depth + 1)
            if inner:
                lines += [f"{pad}for {item} in {var}:", *inner]
        return lines

    def _member(self, schema: Any, var: str, depth: int) -> list[str]:
        """A member's check; a member that is neither an object nor a list skips it when the
        schema lets every such value through (propertyValue: most members are plain values)."""
        if self._passes_scalars(schema):
            inner = self._node(schema, var, depth + 1)
            pad = "    " * depth
            # An exact scalar type first: isinstance saying no (a text is no dict) costs several times
            # what saying yes does, and most members are texts and numbers.
            test = f"type({var}) not in _SCALARS and (isinstance({var}, dict) or isinstance({var}, list))"
            return [f"{pad}if {test}:", *inner] if inner else []
        return self._node(schema, var, depth)

    def _passes_scalars(self, schema: Any) -> bool:
        """Whether `schema` accepts every value that is not an object or a list."""
        if isinstance(schema, Mapping) and "$ref" in schema and isinstance(schema["$ref"], str):
            schema = self.defs.get(schema["$ref"].removeprefix("#/$defs/"))
        return isinstance(schema, Mapping) and "type" not in schema and not _STRING_KEYWORDS & set(schema)

    def _object(self, schema: Mapping[str, Any], var: str, depth: int) -> list[str]:
        pad = "    " * depth
        lines = []
        least = schema.get("minProperties", 0)
        most = schema.get("maxProperties")
        if least:
            lines += [f"{pad}if len({var}) < {int(least)}:", f"{pad}    return False"]
        if most is not None:
            lines += [f"{pad}if len({var}) > {int(most)}:", f"{pad}    return False"]
        for name in schema.get("required", ()):
            lines += [f"{pad}if {name!r} not in {var}:", f"{pad}    return False"]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        names = schema.get("propertyNames")
        if not properties and extra is True and names in (None, True):
            return lines
        key, member = self._name("key"), self._name("member")
        loop = []
        inner_pad = pad + "    "
        if names is not None:
            verdicts = self._constant("_verdicts", {})
            check = self._constant("_names", self._remembered(self._standalone(names), self.namespace[verdicts]))
            loop += [
                f"{inner_pad}verdict = {verdicts}.get({key})",
                f"{inner_pad}if verdict is None:",
                f"{inner_pad}    verdict = {check}({key})",
                f"{inner_pad}if not verdict:",
                f"{inner_pad}    return False",
            ]
        branches = []
        for index, (name, member_schema) in enumerate(properties.items()):
            keyword = "if" if index == 0 else "elif"
            checks = self._node(member_schema, member, depth + 2) or [f"{inner_pad}    pass"]
            branches += [f"{inner_pad}{keyword} {key} == {name!r}:", *checks]
        extra_checks = [] if extra is True else self._member(extra, member, depth + 2 if branches else depth + 1)
        if branches:
            if extra_checks:
                branches += [f"{inner_pad}else:", *extra_checks]
            loop += branches
        else:
            loop += extra_checks
        if loop:
            lines += [f"{pad}for {key}, {member} in {var}.items():", *loop]
        return lines

    def _standalone(self, schema: Any) -> Check:
        """A schema as a function of its own (for property names, whose verdicts are remembered)."""
        name = self._name("_node")
        self._function(name, schema)
        return lambda value: self.namespace[name](value)

    @staticmethod
    def _remembered(check: Check, verdicts: dict[Any, bool]) -> Check:
        """`check` for names, remembering verdicts: bodies repeat the same few property names."""

        def remembered(name: Any) -> bool:
            if len(verdicts) >= _MAX_REMEMBERED_NAMES:
                verdicts.clear()
            verdict = verdicts[name] = check(name)
            return verdict

        return remembered


def _pattern(source: str) -> Callable[[str], Any]:
    # As fastjsonschema reads it: a final "$" is the very end, not "before a final newline".
    if source.endswith("$") and not source.endswith("\\$"):
        source = source[:-1] + r"\Z"
    return re.compile(source).search
