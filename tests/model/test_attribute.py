"""Attribute definitions coerce values to their type and reject what they cannot hold."""

from __future__ import annotations

import pytest

from occi_server.errors import BadRequest
from occi_server.model import Attribute, AttributeType


@pytest.mark.parametrize(
    ("kind", "given", "expected"),
    [
        (AttributeType.INTEGER, "2", 2),
        (AttributeType.INTEGER, 2.0, 2),
        (AttributeType.FLOAT, 1, 1.0),
        (AttributeType.FLOAT, "0.125", 0.125),
        (AttributeType.BOOLEAN, "true", True),
        (AttributeType.STRING, 3, "3"),
        (AttributeType.LIST, "[1, 2]", [1, 2]),
        (AttributeType.HASH, '{"a": 1}', {"a": 1}),
    ],
)
def test_values_are_coerced_to_the_declared_type(
    kind: AttributeType, given: object, expected: object
) -> None:
    assert Attribute(name="x", type=kind).coerce(given) == expected


@pytest.mark.parametrize(
    ("attribute", "given"),
    [
        (Attribute(name="n", type=AttributeType.INTEGER), "two"),
        (Attribute(name="n", type=AttributeType.INTEGER), True),
        (Attribute(name="n", type=AttributeType.INTEGER), 1.5),
        (Attribute(name="n", type=AttributeType.FLOAT), "nan"),
        (Attribute(name="n", type=AttributeType.FLOAT), "1e999"),
        (Attribute(name="n", type=AttributeType.BOOLEAN), "yes"),
        (Attribute(name="n", type=AttributeType.LIST), "{}"),
        (Attribute(name="n", enum=("a", "b")), "c"),
        (Attribute(name="n", pattern=r"[a-z]+"), "ABC"),
        (Attribute(name="n", type=AttributeType.INTEGER, minimum=0, maximum=10), 11),
        (Attribute(name="n", type=AttributeType.INTEGER, minimum=0, maximum=10), -1),
        (Attribute(name="n"), ["not", "a", "string"]),
    ],
)
def test_bad_values_are_a_400_naming_the_attribute(attribute: Attribute, given: object) -> None:
    with pytest.raises(BadRequest, match="attribute n"):
        attribute.coerce(given)


def test_pattern_must_match_the_whole_value() -> None:
    attribute = Attribute(name="host", pattern=r"[a-z]+")
    assert attribute.coerce("abc") == "abc"
    with pytest.raises(BadRequest):
        attribute.coerce("abc def")
