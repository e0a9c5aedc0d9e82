"""Golden renderings for text/plain, text/occi and text/uri-list (occi-spec §3.1, §4, §6)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from occi_server.categories import core, infrastructure
from occi_server.errors import BadRequest
from occi_server.model import Attribute, Kind, Link, Mixin, Resource
from occi_server.rendering.text_format import category_value, format_float, format_value
from occi_server.rendering.text_render import (
    TextOcciRenderer,
    TextPlainRenderer,
    UriListRenderer,
)

BASE = "https://cloud.example.com"
INFRA = "http://schemas.ogf.org/occi/infrastructure#"
ACTION = "http://schemas.ogf.org/occi/infrastructure/compute/action#"


def _compute() -> Resource:
    link = Link(
        id="9",
        kind=infrastructure.STORAGELINK,
        mixins=["http://example.com/occi/m#fast"],
        location="/storage/link/9",
        source="/compute/1",
        target="/storage/1",
        source_kind=infrastructure.COMPUTE,
        target_kind=infrastructure.STORAGE,
        attributes={"occi.storagelink.deviceid": "/dev/vdb", "occi.core.title": "disk"},
    )
    return Resource(
        id="1",
        kind=infrastructure.COMPUTE,
        location="/compute/1",
        mixins=["http://example.com/occi/os_tpl#ubuntu-22"],
        attributes={
            "occi.compute.memory": 2.0,
            "occi.compute.cores": 2,
            "occi.core.title": 'vm "one"',
            "occi.compute.state": "inactive",
            "occi.core.summary": None,
        },
        actions=[ACTION + "start", ACTION + "stop"],
        links=[link],
    )


COMPUTE_LINES = [
    f'Category: compute; scheme="{INFRA}"; class="kind"',
    'Category: ubuntu-22; scheme="http://example.com/occi/os_tpl#"; class="mixin"',
    f'Link: </compute/1?action=start>; rel="{ACTION}start"',
    f'Link: </compute/1?action=stop>; rel="{ACTION}stop"',
    f'Link: </storage/1>; rel="{INFRA}storage"; self="/storage/link/9";'
    f' category="{INFRA}storagelink http://example.com/occi/m#fast"; occi.core.id="9";'
    ' occi.core.title="disk"; occi.storagelink.deviceid="/dev/vdb"',
    'X-OCCI-Attribute: occi.core.id="1"',
    'X-OCCI-Attribute: occi.core.title="vm \\"one\\""',
    "X-OCCI-Attribute: occi.compute.cores=2",
    "X-OCCI-Attribute: occi.compute.memory=2.0",
    'X-OCCI-Attribute: occi.compute.state="inactive"',
]


def test_compute_kind_category_line() -> None:
    assert category_value(infrastructure.COMPUTE_KIND) == (
        f'compute; scheme="{INFRA}"; class="kind"; title="Compute Resource";'
        ' rel="http://schemas.ogf.org/occi/core#resource"; location="/compute/";'
        ' attributes="occi.compute.architecture occi.compute.cores occi.compute.hostname'
        " occi.compute.share occi.compute.memory occi.compute.speed"
        ' occi.compute.state{immutable} occi.compute.state.message{immutable}";'
        f' actions="{ACTION}start {ACTION}stop {ACTION}restart {ACTION}suspend {ACTION}save"'
    )


def test_action_category_line_has_only_its_parameters() -> None:
    assert category_value(infrastructure.STOP) == (
        f'stop; scheme="{ACTION}"; class="action"; title="Stop the compute"; attributes="method"'
    )
    assert category_value(infrastructure.RESIZE).endswith('attributes="size{required}"')


def test_mixin_without_depends_has_no_rel_and_never_renders_applies() -> None:
    assert category_value(infrastructure.IPNETWORK_MIXIN) == (
        'ipnetwork; scheme="http://schemas.ogf.org/occi/infrastructure/network#"; class="mixin";'
        ' title="IP Networking"; location="/mixin/ipnetwork/"; attributes="occi.network.address'
        ' occi.network.gateway occi.network.allocation"'
    )


def test_mixin_rel_is_the_first_depends_only() -> None:
    mixin = Mixin(
        scheme="http://example.com/occi/os_tpl#",
        term="ubuntu-22",
        title="Ubuntu 22.04",
        depends=(infrastructure.OS_TPL, "http://e/x#y"),
        applies=(infrastructure.COMPUTE,),
        location="/mixin/os_tpl/ubuntu-22/",
    )
    assert category_value(mixin) == (
        'ubuntu-22; scheme="http://example.com/occi/os_tpl#"; class="mixin"; title="Ubuntu 22.04";'
        f' rel="{INFRA}os_tpl"; location="/mixin/os_tpl/ubuntu-22/"'
    )


def test_attribute_properties_and_title_sanitising() -> None:
    kind = Kind(
        scheme="http://e/s#",
        term="k",
        title='A; b, "c" \\ d',
        attributes=(
            Attribute(name="a", required=True, mutable=False),
            Attribute(name="b", required=True),
            Attribute(name="c", mutable=False),
            Attribute(name="d"),
        ),
    )
    assert category_value(kind) == (
        'k; scheme="http://e/s#"; class="kind"; title="A  b  \\"c\\" \\\\ d";'
        ' attributes="a{immutable required} b{required} c{immutable} d"'
    )


def test_category_location_is_prefixed_with_the_deployment_base_path() -> None:
    renderer = TextPlainRenderer("text/plain", "http://h/occi/")
    body = renderer.categories([infrastructure.COMPUTE_KIND]).body.decode()
    assert 'location="/occi/compute/"' in body


def test_query_interface_in_text_plain_has_one_category_per_line() -> None:
    categories = [*core.KINDS, infrastructure.COMPUTE_KIND, infrastructure.START]
    rendered = TextPlainRenderer("text/occi+plain", BASE).categories(categories)
    lines = rendered.body.decode().splitlines()
    assert rendered.content_type == "text/occi+plain"
    assert len(lines) == 5
    assert lines[1].startswith('Category: resource; scheme="http://schemas.ogf.org/occi/core#";')
    assert all(line.startswith("Category: ") for line in lines)


def test_query_interface_in_text_occi_is_one_comma_joined_header() -> None:
    rendered = TextOcciRenderer("text/occi", BASE).categories(list(core.KINDS))
    assert rendered.body == b"OK"
    [(name, value)] = rendered.headers
    assert name == "Category"
    assert len(value.split(", ")) == 3


def test_resource_rendering_in_text_plain() -> None:
    rendered = TextPlainRenderer("text/plain", BASE).entity(_compute())
    assert rendered.content_type == "text/plain"
    assert rendered.body.decode().splitlines() == COMPUTE_LINES


def test_resource_rendering_in_text_occi_puts_action_links_first() -> None:
    rendered = TextOcciRenderer("text/occi", BASE).entity(_compute())
    headers = dict(rendered.headers)
    assert rendered.body == b"OK"
    assert [name for name, _ in rendered.headers] == ["Category", "Link", "X-OCCI-Attribute"]
    first_link = headers["Link"].split(",")[0]
    assert first_link == f'</compute/1?action=start>; rel="{ACTION}start"'
    expected = [line.split(": ", 1)[1] for line in COMPUTE_LINES if line.startswith("X-OCCI-A")]
    assert headers["X-OCCI-Attribute"] == ", ".join(expected)


def test_link_rendering_lists_source_and_target_in_order() -> None:
    link = _compute().links[0]
    link.actions = ["http://e/link/action#flip"]
    lines = TextPlainRenderer("text/plain", BASE).entity(link).body.decode().splitlines()
    assert lines == [
        f'Category: storagelink; scheme="{INFRA}"; class="kind"',
        'Category: fast; scheme="http://example.com/occi/m#"; class="mixin"',
        'Link: </storage/link/9?action=flip>; rel="http://e/link/action#flip"',
        'X-OCCI-Attribute: occi.core.id="9"',
        'X-OCCI-Attribute: occi.core.title="disk"',
        'X-OCCI-Attribute: occi.core.source="/compute/1"',
        'X-OCCI-Attribute: occi.core.target="/storage/1"',
        f'X-OCCI-Attribute: occi.core.target.kind="{INFRA}storage"',
        f'X-OCCI-Attribute: occi.core.source.kind="{INFRA}compute"',
        'X-OCCI-Attribute: occi.storagelink.deviceid="/dev/vdb"',
    ]


def test_external_link_target_is_kept_as_stored() -> None:
    link = _compute().links[0]
    link.target = "http://other.example.com/storage/7"
    body = TextPlainRenderer("text/plain", BASE).entity(link).body.decode()
    assert 'occi.core.target="http://other.example.com/storage/7"' in body


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-7, "-7"),
        (2.0, "2.0"),
        (0.125, "0.125"),
        (1e-7, "0.0000001"),
        (1e22, "10000000000000000000000.0"),
        ('a "b" \\ c', '"a \\"b\\" \\\\ c"'),
        ([1, "a"], '"[1,\\"a\\"]"'),
        ({"k": True}, '"{\\"k\\":true}"'),
        ("line\nbreak", '"line break"'),
    ],
)
def test_attribute_value_forms(value: object, text: str) -> None:
    assert format_value(value) == text


def test_float_never_uses_an_exponent() -> None:
    for number in (1e-300, 5e-324, 1.7976931348623157e308, 123456789.125):
        assert "e" not in format_float(number)
        assert float(format_float(number)) == number


def test_locations_are_absolute_urls() -> None:
    paths = ["/compute/1", "compute/2", "http://elsewhere/x/3"]
    urls = [f"{BASE}/compute/1", f"{BASE}/compute/2", "http://elsewhere/x/3"]
    plain = TextPlainRenderer("text/plain", BASE + "/").locations(paths)
    assert plain.body.decode().splitlines() == [f"X-OCCI-Location: {u}" for u in urls]
    occi = TextOcciRenderer("text/occi", BASE).locations(paths)
    assert occi.headers == [("X-OCCI-Location", ", ".join(urls))]
    assert occi.body == b"OK"
    uris = UriListRenderer("text/uri-list", BASE).locations(paths)
    assert uris.body.decode().splitlines() == urls
    assert uris.content_type == "text/uri-list"


def test_entities_render_as_their_locations() -> None:
    rendered = UriListRenderer("text/uri-list", BASE).entities([_compute()])
    assert rendered.body == f"{BASE}/compute/1\n".encode()


def test_empty_collections() -> None:
    assert TextPlainRenderer("text/plain", BASE).locations([]).body == b""
    assert TextOcciRenderer("text/occi", BASE).locations([]).headers == []
    assert UriListRenderer("text/uri-list", BASE).locations([]).body == b""


def test_created_gives_the_absolute_location() -> None:
    plain = TextPlainRenderer("text/plain", BASE).created("/compute/1")
    # No trailing newline: clients cut the id after the body's last '/' (issue 12).
    assert plain.body == f"X-OCCI-Location: {BASE}/compute/1".encode()
    assert plain.body.decode().rsplit("/", 1)[1] == "1"
    occi = TextOcciRenderer("text/occi", BASE).created("/compute/1")
    assert (occi.headers, occi.body) == ([("X-OCCI-Location", f"{BASE}/compute/1")], b"OK")


def test_ok_and_errors() -> None:
    plain = TextPlainRenderer("text/plain", BASE)
    assert plain.ok().body == b"OK"
    error = plain.error(404, "no such entity /compute/9")
    assert error.body == b"no such entity /compute/9\n"
    assert error.headers == [("X-OCCI-Error", "no such entity /compute/9")]
    occi = TextOcciRenderer("text/occi", BASE).error(400, "bad\r\nthing")
    assert (occi.content_type, occi.body) == ("text/occi", b"bad  thing")
    assert occi.headers == [("X-OCCI-Error", "bad  thing")]


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.entity(_compute()),
        lambda r: r.categories([infrastructure.COMPUTE_KIND]),
        lambda r: r.created("/compute/1"),
    ],
)
def test_uri_list_for_a_non_collection_is_a_400(call: Callable[[UriListRenderer], object]) -> None:
    with pytest.raises(BadRequest, match="text/uri-list is only available for collections") as e:
        call(UriListRenderer("text/uri-list", BASE))
    assert e.value.status == 400


def test_uri_list_still_renders_ok_and_errors() -> None:
    renderer = UriListRenderer("text/uri-list", BASE)
    assert renderer.ok().body == b"OK"
    error = renderer.error(400, "nope")
    assert (error.content_type, error.body) == ("text/plain", b"nope\n")


def test_category_lines_are_cached_per_category() -> None:
    first = category_value(infrastructure.NETWORK_KIND)
    assert category_value(infrastructure.NETWORK_KIND) is first


def test_unhashable_category_still_renders() -> None:
    kind = Kind(scheme="http://e/s#", term="k", attributes=(Attribute(name="a", default=[1]),))
    assert category_value(kind) == 'k; scheme="http://e/s#"; class="kind"; attributes="a"'
