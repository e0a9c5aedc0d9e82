"""Listings at scale on the test bed, which pages at a few items (OCCI_TESTBED_PAGE_LIMIT): 60
servers and 60 volumes, every one listed in every rendering, and OCCI pages on the markers.

As erin, in a project of her own (occi-scale), so that no other test sees her objects.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.openstack.conftest import OpenStackServer, keystone_token
from tests.openstack.occi_http import JSON, Occi
from tests.support.occi_client import COMPUTE_KIND, STORAGE_KIND

SCALE_USER = 5  # erin (scripts/testbed/seed.py)
COUNT = 60
ITSY = 'itsy; scheme="http://schemas.openstack.org/template/resource#"; class="mixin"'


@pytest.fixture(scope="module")
def erin(testbed: dict[str, str]) -> str:
    return keystone_token(testbed, SCALE_USER)


@pytest.fixture(scope="module")
def crowd(
    testbed: dict[str, str], erin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict]:
    """COUNT computes and COUNT volumes made through OCCI, deleted at the end. Its own server,
    with a longer OpenStack timeout than the tier's 5 s: on a loaded machine Nova takes more
    than 5 s to accept a server now and then while it is making several."""
    assert int(testbed.get("OCCI_TESTBED_PAGE_LIMIT", "0")) in range(1, COUNT // 4), (
        "the test bed must page at a few items for this test to cross pages"
    )
    env = {**testbed, "OCCI_OPENSTACK_TIMEOUT": "60"}
    server = OpenStackServer(env, tmp_path_factory.mktemp("occi-scale")).start()
    occi = Occi(server, erin)
    made: dict[str, list[str]] = {"computes": [], "volumes": []}

    def make(kind: str) -> None:
        if kind == "computes":
            made[kind].append(occi.post("/compute/", COMPUTE_KIND, ITSY))
        else:
            made[kind].append(
                occi.post("/storage/", STORAGE_KIND, attributes=("occi.storage.size=1",))
            )

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(make, ["computes"] * COUNT + ["volumes"] * COUNT))
        yield {"occi": occi, **made}
    finally:
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(occi.http.delete, made["computes"]))
        _retry_deletes(occi, made["volumes"])  # a volume is deletable once Cinder has made it
        server.stop()


def _retry_deletes(occi: Occi, paths: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while paths and time.monotonic() < deadline:
        paths = [p for p in paths if occi.http.delete(p).status_code not in (200, 404)]
        time.sleep(1)


@pytest.mark.parametrize("accept", ["text/uri-list", "text/plain", JSON])
@pytest.mark.parametrize("kind", ["computes", "volumes"])
def test_every_compute_and_volume_is_listed(crowd: dict, accept: str, kind: str) -> None:
    occi: Occi = crowd["occi"]
    path = "/compute/" if kind == "computes" else "/storage/"
    listed = occi.listing(path, accept)
    assert sorted(listed) == sorted(crowd[kind]), f"{len(listed)} of {COUNT} listed"


@pytest.mark.parametrize("kind", ["computes", "volumes"])
def test_occi_pages_walk_the_services_markers(crowd: dict, kind: str) -> None:
    occi: Occi = crowd["occi"]
    path = "/compute/" if kind == "computes" else "/storage/"
    whole = occi.listing(path, "text/uri-list")
    pages = [occi.listing(path, "text/uri-list", page=str(n), number="7") for n in range(1, 10)]
    assert [len(p) for p in pages] == [7] * 8 + [4]
    assert [x for page in pages for x in page] == whole  # the same order, nothing twice
    assert occi.listing(path, JSON, page="3", number="7") == whole[14:21]
    assert occi.listing(path, "text/plain", page="10", number="7") == []


def test_the_whole_project_listing_holds_them_all(crowd: dict) -> None:
    occi: Occi = crowd["occi"]
    listed = set(occi.listing("/", "text/uri-list"))
    assert set(crowd["computes"]) | set(crowd["volumes"]) <= listed
