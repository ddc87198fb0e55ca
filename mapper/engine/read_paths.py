"""Which paths of the event an expression reads values from: privacy rules judge a value by where it
came from."""

from functools import lru_cache

import jmespath

from mapper.engine.errors import MappingError
from mapper.engine.expressions import compile_expression

MAX_SOURCE_PATHS = 64


@lru_cache(maxsize=4096)
def source_paths(source: str) -> tuple[str, ...]:
    """Return the paths of the event that `source` reads values from, such as
    ("properties.diagnosis",) for `lower(properties.diagnosis)`. `*` stands for any member; the
    current value (`@`) is "". Privacy rules judge a value by where it came from."""
    try:
        compile_expression(source)  # within the limits, so the walk below is bounded
    except MappingError:
        return ()
    found = _paths(jmespath.compile(source).parsed)
    return tuple(dict.fromkeys(".".join(path) for path in found))[:MAX_SOURCE_PATHS]


def _paths(node: dict) -> list[tuple[str, ...]]:
    """The relative paths a node reads, as tuples of names (an empty tuple is the current value)."""
    kind = node["type"]
    children = [child for child in node.get("children", ()) if isinstance(child, dict)]
    if kind == "field":
        return [(node["value"],)]
    if kind in ("current", "identity", "index", "slice"):
        return [()]
    if kind == "literal":
        return []
    if kind in ("subexpression", "pipe", "projection", "index_expression", "value_projection"):
        left, *rest = children
        paths = _paths(left)
        if kind == "value_projection":
            paths = [(*path, "*") for path in paths]
        for child in rest:
            inner = _paths(child)
            paths = [(*outer, *tail) for outer in paths for tail in inner] if inner else []
            paths = paths[:MAX_SOURCE_PATHS]
        return paths
    if kind == "filter_projection":
        left, right, condition = children
        outer = _paths(left)
        return [(*base, *tail) for base in outer for tail in _paths(right) + _paths(condition)][:MAX_SOURCE_PATHS]
    found: list[tuple[str, ...]] = []
    for child in children:  # functions, logic, comparisons, multi-selects, flatten, key/value pairs
        found.extend(_paths(child))
    return found[:MAX_SOURCE_PATHS]
