"""Property tests: whatever our server's renderers write, the client's own parsers read back
the same categories and entities, in text/plain, text/occi and JSON.

The server's renderers are imported here, in the test, only to produce input; the client package
itself never imports occi_server (test_independent.py)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from occi_client import occijson, text
from occi_server.model import Attribute, Kind, Mixin
from occi_server.model.attribute import AttributeType
from occi_server.model.category import Action
from occi_server.model.entity import Link, Resource
from occi_server.rendering import json_render, text_format
from tests.client.helpers import json_response, occi_headers, plain

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
# Printable text without control characters (the server turns those into spaces on purpose).
_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)
_ASCII = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
_TERM = st.from_regex(r"[a-z][a-z0-9_\-]{0,15}", fullmatch=True)
_NAME = st.from_regex(r"[a-z][a-z0-9]{0,8}(\.[a-z][a-z0-9_]{0,8}){1,3}", fullmatch=True)
_VALUE = st.one_of(
    _TEXT,
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)
_SCHEME = st.sampled_from(["http://example.com/occi#", "http://schemas.openstack.org/template/os#"])


@st.composite
def attributes(draw: st.DrawFn) -> tuple[Attribute, ...]:
    names = draw(st.lists(_NAME, unique=True, max_size=5))
    return tuple(
        Attribute(
            name=n,
            required=draw(st.booleans()),
            mutable=draw(st.booleans()),
            type=draw(st.sampled_from(list(AttributeType))),
        )
        for n in names
    )


@st.composite
def categories(draw: st.DrawFn) -> Kind | Mixin | Action:
    which = draw(st.sampled_from(["kind", "mixin", "action"]))
    common = {
        "scheme": draw(_SCHEME),
        "term": draw(_TERM),
        "title": draw(_TEXT),
        "attributes": draw(attributes()),
    }
    if which == "kind":
        return Kind(
            parent="http://schemas.ogf.org/occi/core#resource",
            location=f"/{common['term']}/",
            actions=(INFRA + "compute/action#start",),
            **common,
        )
    if which == "mixin":
        return Mixin(depends=(INFRA + "os_tpl",), location=f"/mixin/{common['term']}/", **common)
    return Action(**common)


def _check_category(
    parsed: object, original: Kind | Mixin | Action, *, text_rendering: bool
) -> None:
    from occi_client.model import Category

    assert isinstance(parsed, Category)
    assert (parsed.term, parsed.scheme) == (original.term, original.scheme)
    assert parsed.category_class == original.category_class
    # In text the server turns ';' and ',' in titles into spaces (naive splitters), on purpose.
    title = text_format.title_text(original.title) if text_rendering else original.title
    assert (parsed.title or "") == title
    assert set(parsed.attributes) == {a.name for a in original.attributes}
    for attr in original.attributes:
        got = parsed.attributes[attr.name]
        assert (got.required, got.mutable) == (attr.required, attr.mutable)
        if not text_rendering:
            assert got.type == attr.type.json_type
    if isinstance(original, Kind):
        assert parsed.parent == original.parent and parsed.location == original.location
        assert parsed.actions == list(original.actions)
    if isinstance(original, Mixin):
        assert parsed.depends == list(original.depends)
        assert parsed.location == original.location


@settings(max_examples=40, deadline=None)
@given(st.lists(categories(), min_size=1, max_size=4, unique_by=lambda c: c.type_id))
def test_query_interface_in_every_rendering(found: list[Kind | Mixin | Action]) -> None:
    lines = [f"Category: {text_format.category_value(c)}" for c in found]
    parsed = text.parse_model(plain("\n".join(lines) + "\n"))
    for got, original in zip(parsed, found, strict=True):
        _check_category(got, original, text_rendering=True)
    header = ", ".join(text_format.category_value(c) for c in found)
    if header.isascii():
        parsed = text.parse_model(occi_headers([("Category", header)]))
        for got, original in zip(parsed, found, strict=True):
            _check_category(got, original, text_rendering=True)
    document = json.dumps(json_render.model_object(found))
    parsed = occijson.parse_model(json_response(document))
    by_id = {c.type_id: c for c in parsed}
    for original in found:
        _check_category(by_id[original.type_id], original, text_rendering=False)


@st.composite
def resources(draw: st.DrawFn) -> Resource:
    values = draw(
        st.dictionaries(_NAME.filter(lambda n: not n.startswith("occi.core")), _VALUE, max_size=6)
    )
    title = draw(st.one_of(st.none(), _TEXT))
    if title is not None:
        values["occi.core.title"] = title
    ident = draw(st.uuids()).hex
    links = [
        Link(
            id=f"l{i}",
            kind=INFRA + "storagelink",
            location=f"/storage/link/l{i}",
            source=f"/compute/{ident}",
            target=f"/storage/s{i}",
            target_kind=INFRA + "storage",
            attributes={"occi.storagelink.deviceid": draw(_TEXT)},
        )
        for i in range(draw(st.integers(0, 2)))
    ]
    return Resource(
        id=ident,
        kind=INFRA + "compute",
        location=f"/compute/{ident}",
        mixins=draw(
            st.lists(
                st.sampled_from(["http://example.com/occi#a", "http://x.org/t#b"]), unique=True
            )
        ),
        attributes=values,
        links=links,
        actions=draw(
            st.lists(
                st.sampled_from([INFRA + "compute/action#start", INFRA + "compute/action#stop"]),
                unique=True,
            )
        ),
    )


def _same_value(got: object, want: object) -> bool:
    if isinstance(want, float) and not isinstance(want, bool):
        return isinstance(got, int | float) and float(got) == want
    return got == want and type(got) is type(want)


def _check_entity(parsed: object, original: Resource) -> None:
    from occi_client.model import Entity

    assert isinstance(parsed, Entity)
    assert parsed.kind == original.kind and parsed.mixins == original.mixins
    assert parsed.id == original.id
    assert sorted(parsed.actions) == sorted(original.actions)
    for name, want in original.attributes.items():
        assert _same_value(parsed.attributes[name], want), (name, parsed.attributes[name], want)
    assert [(x.target, x.location, x.kind) for x in parsed.links] == [
        (x.target, x.location, x.kind) for x in original.links
    ]
    for got, want in zip(parsed.links, original.links, strict=True):
        assert (
            got.attributes["occi.storagelink.deviceid"]
            == want.attributes["occi.storagelink.deviceid"]
        )


@settings(max_examples=50, deadline=None)
@given(resources())
def test_entities_in_every_rendering(resource: Resource) -> None:
    locator = text_format.Locator("http://127.0.0.1:8787")
    pairs = text_format.entity_structures(resource, locator)
    body = "".join(f"{n}: {v}\n" for n, v in pairs)
    _check_entity(text.parse_entity(plain(body)), resource)
    if all(v.isascii() for _, v in pairs):
        _check_entity(text.parse_entity(occi_headers(pairs)), resource)
    document = json.dumps(json_render.entity_object(resource, locator))
    _check_entity(occijson.parse_entity(json_response(document)), resource)


@settings(max_examples=100, deadline=None)
@given(_NAME, _VALUE)
def test_attribute_values_and_the_clients_own_renderer(name: str, value: object) -> None:
    # server -> client
    (rendered,) = text_format.attribute_pairs([(name, value)])
    got = text.parse_attribute(rendered)
    assert got[0] == name and _same_value(got[1], value)
    # client -> server: the server's grammar reads what the client writes
    from occi_server.rendering.text_grammar import attribute_repr

    server_name, server_value = attribute_repr(text.attribute_value(name, value))
    assert server_name == name and _same_value(server_value, value)
