"""Property tests: JSON render -> parse round trips, schema validity, and no non-OCCI errors."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from occi_server.errors import OcciError
from occi_server.model import Attribute, Link, Mixin, Resource
from occi_server.model.request import AttributeDef
from occi_server.rendering.json_parse import parse_json
from occi_server.rendering.json_render import JsonRenderer
from tests.support.json_schemas import errors

names = st.from_regex(r"[a-z][a-z0-9_-]{0,6}(\.[a-z0-9_-]{1,6}){0,3}", fullmatch=True).filter(
    lambda n: not n.startswith("occi.core.")
)
terms = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,12}", fullmatch=True)
schemes = st.from_regex(r"https?://[a-z]{1,8}\.example(/[a-z0-9_.-]{1,6}){0,3}#", fullmatch=True)
type_ids = st.builds(lambda s, t: s + t, schemes, terms)
paths = st.from_regex(r"(/[a-z0-9_-]{1,8}){1,3}", fullmatch=True)
scalars = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
# Values as JSON carries them natively: scalars, arrays and objects (hash attributes).
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
# Member names the parser looks at, so generated documents reach past the shape detection.
MEMBER_NAMES = ["kind", "mixins", "attributes", "links", "target", "location", "action"]
MEMBER_NAMES += ["resources", "term", "scheme", "kinds", "id", "title", "source", "x.y"]
json_documents = st.recursive(
    st.one_of(st.none(), scalars),
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(
            st.sampled_from(MEMBER_NAMES),
            inner,
            max_size=6,
        ),
    ),
    max_leaves=25,
)

RENDERER = JsonRenderer("application/occi+json", "http://h")


@st.composite
def resources(draw: st.DrawFn) -> Resource:
    location = draw(paths)
    links = [
        Link(
            id=draw(terms),
            kind=draw(type_ids),
            mixins=draw(st.lists(type_ids, max_size=2, unique=True)),
            location=draw(paths),
            source=location,
            target=draw(paths),
            target_kind=draw(st.none() | type_ids),
            attributes=draw(st.dictionaries(names, values, max_size=3)),
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    return Resource(
        id=draw(terms),
        kind=draw(type_ids),
        location=location,
        mixins=draw(st.lists(type_ids, max_size=3, unique=True)),
        attributes={
            **draw(st.dictionaries(names, values, max_size=5)),
            "occi.core.title": draw(st.text(max_size=20)),
        },
        actions=draw(st.lists(type_ids, max_size=2, unique=True)),
        links=links,
    )


@settings(max_examples=150, deadline=None)
@given(resource=resources())
def test_resources_round_trip_and_validate(resource: Resource) -> None:
    document = json.loads(RENDERER.entity(resource).body)
    assert errors(document, "resource") == []
    request = parse_json([], RENDERER.entity(resource).body)
    assert [c.type_id for c in request.categories] == [resource.kind, *resource.mixins]
    assert request.attributes == {**resource.attributes, "occi.core.id": resource.id}
    for ref, link in zip(request.links, resource.links, strict=True):
        assert (ref.target, ref.self_location) == (link.target, link.location)
        assert ref.rel == ((link.target_kind,) if link.target_kind else ())
        assert ref.categories == (link.kind, *link.mixins)
        assert ref.attributes == {**link.attributes, "occi.core.id": link.id}


@settings(max_examples=100, deadline=None)
@given(
    term=terms,
    scheme=schemes,
    title=st.text(max_size=20),
    depends=st.lists(type_ids, max_size=2, unique=True),
    flags=st.lists(st.tuples(names, st.booleans(), st.booleans()), max_size=4),
)
def test_mixins_round_trip_through_the_query_interface(
    term: str, scheme: str, title: str, depends: list[str], flags: list[tuple[str, bool, bool]]
) -> None:
    unique = {name: (required, mutable) for name, required, mutable in flags}
    mixin = Mixin(
        term=term,
        scheme=scheme,
        title=title,
        depends=tuple(depends),
        location=f"/tags/{term}/",
        attributes=tuple(Attribute(name=n, required=r, mutable=m) for n, (r, m) in unique.items()),
    )
    body = RENDERER.categories([mixin]).body
    assert errors(json.loads(body), "query_interface") == []
    (ref,) = parse_json([], body).categories
    assert (ref.term, ref.scheme, ref.category_class) == (term, scheme, "mixin")
    assert (ref.title or "", ref.rel, ref.location) == (title, tuple(depends), mixin.location)
    assert ref.attributes == tuple(
        AttributeDef(name=n, required=r, mutable=m) for n, (r, m) in unique.items()
    )


@settings(max_examples=300, deadline=None)
@given(document=json_documents)
def test_any_json_document_parses_or_is_a_bad_request(document: Any) -> None:
    with contextlib.suppress(OcciError):
        parse_json([], json.dumps(document).encode())


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=60))
def test_any_bytes_parse_or_are_a_bad_request(body: bytes) -> None:
    with contextlib.suppress(OcciError):
        parse_json([], body)
