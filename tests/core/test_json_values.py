"""Walking a JSON document's values."""

from core.json_values import leaves


def test_leaves_are_every_value_that_is_not_an_object_or_a_list() -> None:
    document = {"a": 1, "b": [True, None, {"c": "text"}], "d": {}, "e": []}
    assert sorted(map(repr, leaves(document))) == sorted(map(repr, [1, True, None, "text"]))


def test_a_document_nested_far_deeper_than_the_stack_is_walked() -> None:
    document: object = "bottom"
    for _ in range(100_000):
        document = {"next": [document]}
    assert list(leaves(document)) == ["bottom"]


def test_a_scalar_document_is_its_own_leaf() -> None:
    assert list(leaves(0.5)) == [0.5]
