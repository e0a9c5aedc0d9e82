"""The ABNF productions of occi-spec §4.2, one value at a time."""

from __future__ import annotations

import pytest

from occi_server.errors import BadRequest
from occi_server.model.request import AttributeDef
from occi_server.rendering.text_grammar import (
    attribute_repr,
    category_value,
    link_value,
    location_value,
)
from occi_server.rendering.text_lexer import split_values

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
COMPUTE_ACTION = "http://schemas.ogf.org/occi/infrastructure/compute/action#"


# --- Category ------------------------------------------------------------------------------


def test_full_category_value_parses_every_parameter() -> None:
    ref = category_value(
        'my_stuff; scheme="http://example.com/occi/my_stuff#"; class="mixin"; title="Mine";'
        ' rel="http://example.com/occi/a#x http://example.com/occi/b#y"; location="/my_stuff/";'
        ' attributes="a.b{immutable required} c d{required}";'
        f' actions="{COMPUTE_ACTION}start {COMPUTE_ACTION}stop"'
    )
    assert ref.term == "my_stuff"
    assert ref.scheme == "http://example.com/occi/my_stuff#"
    assert ref.category_class == "mixin"
    assert ref.title == "Mine"
    assert ref.rel == ("http://example.com/occi/a#x", "http://example.com/occi/b#y")
    assert ref.location == "/my_stuff/"
    assert ref.attributes == (
        AttributeDef(name="a.b", required=True, mutable=False),
        AttributeDef(name="c"),
        AttributeDef(name="d", required=True),
    )
    assert ref.actions == (COMPUTE_ACTION + "start", COMPUTE_ACTION + "stop")


def test_category_without_class_is_accepted_as_a_filter() -> None:
    ref = category_value(f'compute; scheme="{INFRA}"')
    assert (ref.term, ref.scheme, ref.category_class) == ("compute", INFRA, None)


@pytest.mark.parametrize(
    "text",
    [
        f'compute; scheme="{INFRA}"; class="kind";',
        f'compute;scheme="{INFRA}";class=kind',
        f'compute ;  scheme = "{INFRA}" ;class= "kind" ; ',
        f'compute; SCHEME="{INFRA}"; Class="KIND"',
    ],
)
def test_category_tolerates_whitespace_trailing_semicolon_unquoted_class_and_case(
    text: str,
) -> None:
    ref = category_value(text)
    assert (ref.term, ref.scheme, ref.category_class) == ("compute", INFRA, "kind")


def test_scheme_without_trailing_hash_is_kept_as_sent() -> None:
    assert category_value('x; scheme="http://example.com/s"').scheme == "http://example.com/s"


def test_title_keeps_escaped_quotes_commas_and_semicolons() -> None:
    ref = category_value(r'x; scheme="http://e/#"; title="a \"b\", c; d \\ e"')
    assert ref.title == 'a "b", c; d \\ e'


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ('compute; scheme="http://e/#"; colour="red"', "unknown parameter 'colour'"),
        ("compute; scheme=http://e/#", "scheme must be a quoted string"),
        ('com pute; scheme="http://e/#"', "bad term"),
        ('-compute; scheme="http://e/#"', "bad term"),
        ('comp+ute; scheme="http://e/#"', "bad term"),
        ('compute; class="kind"', "missing scheme"),
        ('compute; scheme="http://e/#', "unterminated quoted string"),
        ('compute; scheme="http://e/#"; class="resource"', "bad class"),
        ('compute; scheme="a#"; scheme="b#"', "duplicate parameter 'scheme'"),
        ('compute; scheme="http://e/#"; title=Compute', "title must be a quoted string"),
        ('x; scheme="http://e/#"; attributes="a{mutable}"', "bad property 'mutable'"),
        ('x; scheme="http://e/#"; attributes="a {required}"', "bad attribute"),
        ('x; scheme="http://e/#"; attributes="a{}"', "empty properties"),
        ('x; scheme="http://e/#" junk', "expected ';'"),
        ('x; scheme="with space#"', "bad scheme"),
    ],
)
def test_bad_category_is_rejected_naming_header_and_text(text: str, culprit: str) -> None:
    with pytest.raises(BadRequest) as caught:
        category_value(text, "Category header")
    message = caught.value.message
    assert message.startswith("Category header: ")
    assert culprit in message
    assert text[:20] in message


def test_long_offending_text_is_truncated_in_the_message() -> None:
    text = "bad term " + "x" * 500
    with pytest.raises(BadRequest) as caught:
        category_value(text)
    assert len(caught.value.message) < 150
    assert caught.value.message.endswith("...'")


# --- Link ----------------------------------------------------------------------------------


def test_inline_link_with_quoted_category_and_attributes() -> None:
    ref = link_value(
        f'</network/public>; rel="{INFRA}network"; self="/link/1";'
        f' category="{INFRA}networkinterface http://e/m#ip";'
        ' occi.networkinterface.interface="eth0"; x.count=3; x.flag=true; x.mac=02:00:00:00:00:01'
    )
    assert ref.target == "/network/public"
    assert ref.rel == (INFRA + "network",)
    assert ref.self_location == "/link/1"
    assert ref.categories == (INFRA + "networkinterface", "http://e/m#ip")
    assert ref.attributes == {
        "occi.networkinterface.interface": "eth0",
        "x.count": 3,
        "x.flag": True,
        "x.mac": "02:00:00:00:00:01",
    }
    assert not ref.is_action_link


def test_link_category_may_be_unquoted() -> None:
    ref = link_value(f'</storage/1>; rel="{INFRA}storage"; category={INFRA}storagelink;')
    assert ref.categories == (INFRA + "storagelink",)


def test_action_link_is_recognised() -> None:
    ref = link_value(f'</compute/1?action=start>; rel="{COMPUTE_ACTION}start"')
    assert ref.is_action_link
    assert ref.rel == (COMPUTE_ACTION + "start",)


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ('/compute/1; rel="x#y"', "expected '<'"),
        ('</compute/1; rel="x#y"', "bad link target"),
        ("</compute/1", "expected '>'"),
        ("</compute/1>; rel=x#y", "rel must be a quoted string"),
        ('</compute/1>; rel="x#y"; rel="x#z"', "duplicate parameter 'rel'"),
        ('</com pute/1>; rel="x#y"', "bad link target"),
        ('</c>; rel="x#y"; b@d=1', "expected '='"),
    ],
)
def test_bad_link_is_rejected(text: str, culprit: str) -> None:
    with pytest.raises(BadRequest, match=r"^Link: .*" + culprit):
        link_value(text)


# --- X-OCCI-Attribute ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('occi.core.title="vm1"', ("occi.core.title", "vm1")),
        ("occi.compute.cores=2", ("occi.compute.cores", 2)),
        ("occi.compute.memory=3.6", ("occi.compute.memory", 3.6)),
        ("x.n=-4", ("x.n", -4)),
        ("x.f=-0.5", ("x.f", -0.5)),
        ("x.f=.5", ("x.f", 0.5)),
        ("x.f=2.", ("x.f", 2.0)),
        ("x.b=true", ("x.b", True)),
        ("x.b=false;", ("x.b", False)),
        ('x.s = "a \\"q\\" \\\\ b"', ("x.s", 'a "q" \\ b')),
        ('x.s=""', ("x.s", "")),
    ],
)
def test_attribute_values_are_typed_by_their_lexical_form(
    text: str, expected: tuple[str, object]
) -> None:
    name, value = attribute_repr(text)
    assert (name, value) == expected
    assert type(value) is type(expected[1])


@pytest.mark.parametrize(
    "text",
    ["x.s=vm1", "x.n=1e5", "x=True", "=1", "x.n=", 'x.s="open', "x.n=1 2", 'x.s="a" b', "x y=1"],
)
def test_bad_attribute_is_rejected(text: str) -> None:
    with pytest.raises(BadRequest, match=r"^X-OCCI-Attribute: "):
        attribute_repr(text)


def test_huge_numbers_are_a_bad_request_not_a_crash() -> None:
    with pytest.raises(BadRequest, match="out of range"):
        attribute_repr("x.n=" + "9" * 10000)
    with pytest.raises(BadRequest, match="out of range"):
        attribute_repr("x.f=" + "9" * 400 + ".0")


# --- X-OCCI-Location and list splitting ----------------------------------------------------


def test_location_accepts_paths_and_urls() -> None:
    assert location_value(" /compute/1 ") == "/compute/1"
    assert location_value("http://h:8/compute/1") == "http://h:8/compute/1"
    with pytest.raises(BadRequest, match=r"^X-OCCI-Location: bad location"):
        location_value("/compute/a b")


def test_split_ignores_commas_inside_quotes_and_angle_brackets() -> None:
    value = 'a="x, \\"y\\", z", <http://h/a,b>; rel="r", c=1,, '
    assert split_values(value, "H") == ['a="x, \\"y\\", z"', '<http://h/a,b>; rel="r"', "c=1"]


def test_split_reports_unterminated_structures() -> None:
    with pytest.raises(BadRequest, match="unterminated quoted string"):
        split_values('a="x, b=1', "H")
    with pytest.raises(BadRequest, match="unterminated <"):
        split_values("<http://h/a, b", "H")
