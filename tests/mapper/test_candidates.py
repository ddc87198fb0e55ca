"""A mapping as a list of candidates: written as `a || b || c`, read back as the same list."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapper import candidates, engine
from mapper.trigger_builder import path_text, quote_text

_name = st.text(max_size=8).filter(lambda s: s and "\x00" not in s)
_keys = st.tuples(_name, st.lists(st.one_of(_name, st.integers(0, 9)), max_size=3)).map(lambda t: [t[0], *t[1]])
_candidate = st.one_of(_keys.map(path_text), st.text(max_size=12).map(quote_text))


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)  # the machine is shared: time is noise
@given(st.lists(_candidate, max_size=5))
def test_any_candidate_list_written_then_parsed_is_the_same_list(listed: list[str]) -> None:
    assert candidates.parse(candidates.write(listed)) == listed


def test_a_hand_written_fallback_chain_reopens_as_its_list() -> None:
    typed = "context.traits.email||properties.email ||  traits.\"e mail\" || 'none'"
    assert candidates.parse(typed) == ["context.traits.email", "properties.email", 'traits."e mail"', "'none'"]


def test_the_written_list_means_what_the_typed_expression_meant() -> None:
    typed = 'a.b || `"x"` || c[0]'
    written = candidates.write(candidates.parse(typed))
    assert written == "a.b || 'x' || c[0]"
    for event in ({"a": {"b": "1"}}, {"c": ["2"]}, {}):
        assert engine.compile_expression(written).evaluate(event) == engine.compile_expression(typed).evaluate(event)


def test_an_empty_mapping_is_an_empty_list() -> None:
    assert candidates.parse("  ") == []
    assert candidates.write([]) == ""


def test_anything_but_a_plain_list_is_not_a_list() -> None:
    for source in ("join(' ', [a, b]) || c", "a && b", "a | b", "a[*].b || c", "`1` || a", "a ||", "a == 'x'"):
        assert candidates.parse(source) is None, source


def test_blank_candidates_are_not_written() -> None:
    assert candidates.write(["a", " ", "b"]) == "a || b"
