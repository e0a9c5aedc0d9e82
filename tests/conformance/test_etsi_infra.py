"""OCCI Infrastructure conformance (ETSI TS 103 142 INFRA/CREATE/001-007), both text renderings."""

from __future__ import annotations

from tests.conformance.test_etsi_core import _templates
from tests.support.occi_client import (
    COMPUTE_KIND,
    INFRA,
    NETWORK_KIND,
    STORAGE_KIND,
    OcciClient,
    parse,
)


def _listed(client: OcciClient, collection: str, path: str) -> bool:
    return client.base + path in parse(client.get(collection)).locations


def test_infra_create_001(client: OcciClient) -> None:
    """Create a compute: 201, content type as requested, location listed in /compute/."""
    response = client.post(
        "/compute/", categories=[COMPUTE_KIND], attributes=['occi.core.title="infra-001"']
    )
    assert response.status_code == 201
    assert response.headers["content-type"].startswith(client.fmt)
    path = "/" + response.headers["location"].split("/", 3)[3]
    assert _listed(client, "/compute/", path)


def test_infra_create_002(client: OcciClient) -> None:
    """Create a storage with a title and a size in GiB."""
    path = client.create(
        "/storage/",
        categories=[STORAGE_KIND],
        attributes=['occi.core.title="disk"', "occi.storage.size=0.1"],
    )
    got = parse(client.get(path))
    assert float(got.attr("occi.storage.size") or 0) == 0.1
    assert _listed(client, "/storage/", path)


def test_infra_create_003(client: OcciClient) -> None:
    """Create a network."""
    path = client.create(
        "/network/",
        categories=[NETWORK_KIND],
        attributes=['occi.core.title="net"', 'occi.network.label="www"'],
    )
    assert parse(client.get(path)).attr("occi.network.label") == "www"
    assert _listed(client, "/network/", path)


def test_infra_create_004(client: OcciClient) -> None:
    """Create a compute with an OS template and a resource template; cores come from the size."""
    os_tpl, res_tpl = _templates(client)
    path = client.create("/compute/", categories=[COMPUTE_KIND, os_tpl, res_tpl])
    got = parse(client.get(path))
    assert os_tpl.split(";")[0] in got.category_terms()
    assert res_tpl.split(";")[0] in got.category_terms()
    assert got.attr("occi.compute.cores") is not None


def test_infra_create_005(client: OcciClient) -> None:
    """Create a compute with inline storage and network links: 201, links rendered."""
    storage = client.create(
        "/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=1.0"]
    )
    network = client.create("/network/", categories=[NETWORK_KIND])
    path = client.create(
        "/compute/",
        categories=[COMPUTE_KIND],
        links=[
            f'<{storage}>; rel="{INFRA}storage"; category="{INFRA}storagelink"; '
            'occi.storagelink.deviceid="/dev/vdb"',
            f'<{network}>; rel="{INFRA}network"; category="{INFRA}networkinterface"',
        ],
    )
    links = parse(client.get(path)).links
    assert any(link.startswith(f"<{storage}>") and "self=" in link for link in links)
    assert any(link.startswith(f"<{network}>") and "self=" in link for link in links)


def test_infra_create_006(client: OcciClient) -> None:
    """Create a storagelink between an existing compute and storage; the compute shows it."""
    compute = client.create("/compute/", categories=[COMPUTE_KIND])
    storage = client.create(
        "/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=1.0"]
    )
    link = client.create(
        "/storage/link/",
        categories=[f'storagelink; scheme="{INFRA}"; class="kind"'],
        attributes=[
            f'occi.core.source="{client.base}{compute}"',
            f'occi.core.target="{storage}"',
            'occi.storagelink.deviceid="/dev/blk0"',
        ],
    )
    links = parse(client.get(compute)).links
    assert any(f'self="{link}"' in item and item.startswith(f"<{storage}>") for item in links)
    got = parse(client.get(link))
    assert got.attr("occi.core.source") == compute
    assert got.attr("occi.core.target") == storage


def test_infra_create_007(client: OcciClient) -> None:
    """Create a networkinterface between an existing compute and network."""
    compute = client.create("/compute/", categories=[COMPUTE_KIND])
    network = client.create("/network/", categories=[NETWORK_KIND])
    link = client.create(
        "/networklink/",
        categories=[f'networkinterface; scheme="{INFRA}"; class="kind"'],
        attributes=[f'occi.core.source="{compute}"', f'occi.core.target="{client.base}{network}"'],
    )
    links = parse(client.get(compute)).links
    assert any(f'self="{link}"' in item and item.startswith(f"<{network}>") for item in links)
