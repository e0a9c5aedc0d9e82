"""The data object body a CDMI client sends, as the specification's create examples write it."""

from __future__ import annotations

import pytest

from occi_server.cdmi.bodies import BodyError, parse_object


def test_the_spec_example_body_gives_its_value_and_mimetype() -> None:
    body = (
        b'{"mimetype": "text/plain", "metadata": {}, '
        b'"value": "This is the Value of this Data Object"}'
    )
    parsed = parse_object(body)
    assert parsed.mimetype == "text/plain"
    assert parsed.value == b"This is the Value of this Data Object"


def test_base64_and_json_values_and_the_defaults() -> None:
    assert parse_object(b'{"valuetransferencoding": "base64", "value": "AAEC"}').value == b"\0\1\2"
    assert (
        parse_object(b'{"valuetransferencoding": "json", "value": {"a": 1}}').value == b'{"a": 1}'
    )
    assert parse_object(b"{}").mimetype == "text/plain"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b'{"copy": "/x"}', "copy"),
        (b'{"valuetransferencoding": "base64", "value": "***"}', "value"),
        (b'{"metadata": {"colour": "blue"}}', "metadata"),
        (b'{"valu": "x"}', "valu"),
        (b"[1]", "JSON object"),
        (b"{", "not JSON"),
    ],
)
def test_what_cannot_be_honoured_is_refused_naming_the_field(body: bytes, named: str) -> None:
    with pytest.raises(BodyError, match=named):
        parse_object(body)
