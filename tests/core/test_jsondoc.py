"""core/jsondoc.py: the shape check's quick answer is the walk's."""

import math

from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core import jsondoc

# Texts and names rich in what the check looks for: NULs, lone surrogates, the text of a NUL's escape.
texts = st.text(alphabet=st.sampled_from(["a", "é", "\x00", "\ud800", "\\", "u", "0", '"', "\n", "😀"]), max_size=8)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from([math.inf, -math.inf, math.nan])
    | texts
    | st.just("\\u0000")
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(texts | st.just("\\u0000"), children, max_size=4)
        | st.tuples(children)
    ),
    max_leaves=20,
)


def _deep(levels: int, leaf: object) -> object:
    value = leaf
    for _ in range(levels):
        value = {"n": value}
    return value


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(values, st.integers(0, 8), st.integers(0, 200))
@example(_deep(3, 1), 3, 1000)
@example(_deep(3, {}), 3, 1000)
@example(_deep(2, 1), 3, 1000)
@example(_deep(40, 1), 32, 10_000)
@example({1: "a"}, 32, 1000)
@example({"a": "\\u0000"}, 32, 1000)
def test_the_quick_answer_is_the_walks(value: object, max_depth: int, max_bytes: int) -> None:
    def answer(check):
        try:
            return check()
        except Exception as error:  # a value no JSON could hold: both must refuse it alike
            return type(error)

    assert answer(lambda: jsondoc.shape_problem(value, max_depth=max_depth, max_bytes=max_bytes)) == answer(
        lambda: jsondoc._walked_shape_problem(value, max_depth, max_bytes)
    )


def test_a_fine_event_is_told_fine_without_the_walk(monkeypatch) -> None:
    monkeypatch.setattr(jsondoc, "_walked_shape_problem", None)  # called, it would fail
    event = {"type": "track", "event": "Order Shipped", "properties": {"items": [{"sku": "é", "n": 1.5}]}}
    assert jsondoc.shape_problem(event) is None


def test_a_value_nested_too_deep_is_pointed_at_where_it_passes_the_limit() -> None:
    assert jsondoc.shape_problem({"properties": _deep(40, 1)}, max_depth=32)[0] == "/properties" + "/n" * 31
    assert jsondoc.shape_problem({"items": [[[1]]]}, max_depth=3)[0] == "/items/0/0"
