"""OCCI Core conformance, one test per ETSI TS 103 142 test description, in both text renderings."""

from __future__ import annotations

from tests.support.occi_client import (
    COMPUTE_KIND,
    CORE,
    INFRA,
    NETWORK_KIND,
    STORAGE_KIND,
    OcciClient,
    parse,
)

USER_MIXIN_SCHEME = "http://example.com/occi/my_stuff#"


def _content_type(response: object) -> str:
    return response.headers["content-type"].split(";")[0]  # type: ignore[attr-defined]


def test_core_discovery_001(client: OcciClient) -> None:
    """Retrieve all categories from the query interface."""
    response = client.get("/-/")
    assert response.status_code == 200
    assert _content_type(response) == client.fmt
    terms = parse(response).categories
    for kind in ("entity", "resource", "link"):
        assert any(c.startswith(f'{kind}; scheme="{CORE}"; class="kind"') for c in terms)
    assert any(c.startswith(COMPUTE_KIND) for c in terms)


def test_core_discovery_002(client: OcciClient) -> None:
    """Filter the query interface by a category: exactly that category comes back."""
    response = client.get("/-/", headers={"Category": COMPUTE_KIND, "Content-Type": "text/occi"})
    assert response.status_code == 200
    categories = parse(response).categories
    assert len(categories) == 1
    assert categories[0].startswith(COMPUTE_KIND)
    assert 'location="/compute/"' in categories[0]


def test_core_create_001(client: OcciClient) -> None:
    """Create a resource by POST to its kind location: 201 + Location."""
    response = client.post(
        "/compute/", categories=[COMPUTE_KIND], attributes=['occi.core.title="core-create-001"']
    )
    assert response.status_code == 201
    assert _content_type(response) == client.fmt
    location = response.headers["location"]
    assert location.startswith(client.base + "/compute/")
    assert location in parse(response).locations


def test_core_create_002(client: OcciClient) -> None:
    """Create a resource with mixins (templates); they are visible on GET."""
    mixins = _templates(client)
    path = client.create("/compute/", categories=[COMPUTE_KIND, *mixins])
    got = parse(client.get(path))
    for mixin in mixins:
        assert mixin.split(";")[0] in got.category_terms()


def test_core_create_003(client: OcciClient) -> None:
    """Create a resource with an inline link to an existing resource."""
    storage = client.create(
        "/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=1.0"]
    )
    path = client.create(
        "/compute/",
        categories=[COMPUTE_KIND],
        links=[
            f'<{storage}>; rel="{INFRA}storage"; category="{INFRA}storagelink"; '
            'occi.storagelink.deviceid="/dev/vdb"'
        ],
    )
    links = parse(client.get(path)).links
    assert any(link.startswith(f"<{storage}>") for link in links)


def test_core_create_006(client: OcciClient) -> None:
    """Add a user-defined mixin through the query interface, then remove it."""
    term = "stufik" + client.fmt.replace("/", "").replace("+", "")
    category = (
        f'{term}; scheme="{USER_MIXIN_SCHEME}"; class="mixin"; '
        f'location="/mixin/resource_tpl/{term}/"; rel="{INFRA}resource_tpl"'
    )
    assert client.post("/-/", categories=[category]).status_code == 200
    listed = parse(client.get("/-/")).categories
    assert any(c.startswith(f'{term}; scheme="{USER_MIXIN_SCHEME}"') for c in listed)
    delete = client.delete(
        "/-/", categories=[f'{term}; scheme="{USER_MIXIN_SCHEME}"; class="mixin"']
    )
    assert delete.status_code == 200


def test_core_read_001(client: OcciClient) -> None:
    """The locations of all entities of a kind, as absolute URLs."""
    path = client.create("/compute/", categories=[COMPUTE_KIND])
    response = client.get("/compute/")
    assert response.status_code == 200
    assert client.base + path in parse(response).locations


def test_core_read_002(client: OcciClient) -> None:
    """Entities of a kind filtered by a category (a mixin) in the request headers."""
    mixins = _templates(client)
    tagged = client.create("/compute/", categories=[COMPUTE_KIND, *mixins])
    plain = client.create(
        "/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=2.0"]
    )
    response = client.get("/compute/", headers={"Category": mixins[0]})
    locations = parse(response).locations
    assert client.base + tagged in locations
    assert client.base + plain not in locations


def test_core_read_003(client: OcciClient) -> None:
    """Entities of a kind filtered by an attribute value."""
    title = f"read-003-{client.fmt}"
    wanted = client.create(
        "/compute/", categories=[COMPUTE_KIND], attributes=[f'occi.core.title="{title}"']
    )
    client.create("/compute/", categories=[COMPUTE_KIND], attributes=['occi.core.title="other"'])
    response = client.get("/compute/", headers={"X-OCCI-Attribute": f'occi.core.title="{title}"'})
    assert parse(response).locations == [client.base + wanted]


def test_core_read_004(client: OcciClient) -> None:
    """Entities of a mixin collection."""
    mixins = _templates(client)
    path = client.create("/compute/", categories=[COMPUTE_KIND, *mixins])
    location = mixins[0].split('location="')[1].split('"')[0] if "location" in mixins[0] else None
    listing = client.get(location or _location_of(client, mixins[0]))
    assert client.base + path in parse(listing).locations


def test_core_read_005(client: OcciClient) -> None:
    """The full rendering of one resource."""
    path = client.create(
        "/compute/",
        categories=[COMPUTE_KIND],
        attributes=['occi.core.title="read-005"', "occi.compute.cores=2"],
    )
    response = client.get(path)
    assert response.status_code == 200
    got = parse(response)
    assert got.categories[0].startswith(COMPUTE_KIND)
    assert got.attr("occi.core.id") == path.rsplit("/", 1)[1]
    assert got.attr("occi.core.title") == "read-005"
    assert got.attr("occi.compute.state") in ("active", "inactive")
    assert response.headers.get("etag")


def test_core_read_006(client: OcciClient) -> None:
    """Entities filtered by a kind category on the name-space root: only that kind's."""
    compute = client.create("/compute/", categories=[COMPUTE_KIND])
    storage = client.create(
        "/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=1.0"]
    )
    locations = parse(client.get("/", headers={"Category": COMPUTE_KIND})).locations
    assert client.base + compute in locations
    assert client.base + storage not in locations


def test_collection_paging(client: OcciClient) -> None:
    """Pages are disjoint, 1-based; a page size above the limit is 413."""
    for _ in range(3):
        client.create("/compute/", categories=[COMPUTE_KIND])
    first = parse(client.get("/compute/", params={"page": "1", "number": "2"})).locations
    second = parse(client.get("/compute/", params={"page": "2", "number": "2"})).locations
    assert len(first) == 2
    assert second and not set(first) & set(second)
    assert client.get("/compute/", params={"number": "100000"}).status_code == 413
    assert client.get("/compute/", params={"page": "x"}).status_code == 400


def test_core_read_007(client: OcciClient) -> None:
    """Every listed entity can be read, and its rendering carries categories."""
    client.create("/compute/", categories=[COMPUTE_KIND])
    for location in parse(client.get("/compute/")).locations[:5]:
        response = client.get(location)
        assert response.status_code == 200
        assert _content_type(response) == client.fmt
        assert parse(response).categories


def test_core_update_001(client: OcciClient) -> None:
    """Full update (PUT) with the entity's own rendering and a new title: 200 + rendering."""
    path = client.create("/compute/", categories=[COMPUTE_KIND])
    got = parse(client.get(path))
    attributes = [f"{k}={v}" for k, v in got.attributes.items() if k != "occi.core.title"]
    response = client.put(
        path,
        categories=got.categories,
        links=got.links,
        attributes=[*attributes, 'occi.core.title="updated"'],
    )
    assert response.status_code == 200, response.text
    assert parse(response).attr("occi.core.title") == "updated"
    assert parse(client.get(path)).attr("occi.core.title") == "updated"


def test_core_delete_001(client: OcciClient) -> None:
    """Delete an entity: 200, then 404."""
    path = client.create("/compute/", categories=[COMPUTE_KIND])
    assert client.get(path).status_code == 200
    assert client.delete(path).status_code == 200
    assert client.delete(path).status_code == 404
    assert client.get(path).status_code == 404


def test_core_delete_002(fresh_client: OcciClient) -> None:
    """Delete all entities of a kind; the collection is empty afterwards."""
    client = fresh_client
    for _ in range(2):
        client.create("/compute/", categories=[COMPUTE_KIND])
    network = client.create("/network/", categories=[NETWORK_KIND])
    assert client.delete("/compute/").status_code == 200
    assert parse(client.get("/compute/")).locations == []
    assert client.get(network).status_code == 200


def test_core_misc_001(client: OcciClient) -> None:
    """Trigger an action the entity advertises: 200, and the state follows."""
    path = client.create("/compute/", categories=[COMPUTE_KIND])
    got = parse(client.get(path))
    state = got.attr("occi.compute.state")
    term = "stop" if state == "active" else "start"
    assert any(f"?action={term}>" in link for link in got.links)
    action = f'{term}; scheme="{INFRA[:-1]}/compute/action#"; class="action"'
    response = client.post(path, params={"action": term}, categories=[action])
    assert response.status_code == 200, response.text
    after = parse(client.get(path)).attr("occi.compute.state")
    assert after == ("inactive" if term == "stop" else "active")


def _templates(client: OcciClient) -> list[str]:
    """One OS template and one resource template category from the query interface."""
    categories = parse(client.get("/-/")).categories
    os_tpl = next(c for c in categories if f'rel="{INFRA}os_tpl"' in c)
    res_tpl = next(c for c in categories if f'rel="{INFRA}resource_tpl"' in c)
    return [_identity(os_tpl), _identity(res_tpl)]


def _identity(category: str) -> str:
    return "; ".join(category.split("; ")[:3])


def _location_of(client: OcciClient, mixin: str) -> str:
    scheme = mixin.split('scheme="')[1].split('"')[0]
    term = mixin.split(";")[0]
    for category in parse(client.get("/-/")).categories:
        if category.startswith(f'{term}; scheme="{scheme}"'):
            return category.split('location="')[1].split('"')[0]
    raise AssertionError(f"no location for {mixin}")
