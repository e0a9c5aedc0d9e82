"""The ETSI-named conformance suite (tests/conformance) against the openstack backend.

The very same test functions run, in text/plain, text/occi and JSON, against `occi-server serve
--backend openstack --auth keystone` on the test bed, as carol of the project occi-conformance.
Tests that delete whole collections (`fresh_client`) run as dave in occi-fresh, one at a time.
The clients wait for OpenStack's asynchronous states to settle and delete what they made.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conformance import test_etsi_core as core
from tests.conformance import test_etsi_infra as infra
from tests.openstack.conftest import OpenStackServer, keystone_token, tier_lock
from tests.openstack.settle import SettlingClient

FORMATS = ["text/plain", "text/occi", "application/occi+json"]
CONFORMANCE_USER, FRESH_USER = 3, 4  # carol, dave (scripts/testbed/seed.py)

# Tests that cannot hold on OpenStack, and why.
EXCLUDED = {
    "test_infra_create_002": (
        "Cinder allocates whole GiB: a storage of occi.storage.size=0.1 is a 1 GiB volume, and "
        "the backend shows the true size (1.0), not the size asked for"
    ),
}


@pytest.fixture(scope="session")
def carol(testbed: dict[str, str]) -> str:
    return keystone_token(testbed, CONFORMANCE_USER)


@pytest.fixture(scope="session")
def dave(testbed: dict[str, str]) -> str:
    return keystone_token(testbed, FRESH_USER)


# They read every entity of the project across several requests: no other test of the project
# may create or delete meanwhile (the others share the project with each other).
WHOLE_PROJECT = {"test_core_read_007", "test_collection_paging"}


@pytest.fixture(params=FORMATS)
def client(
    request: pytest.FixtureRequest, os_server: OpenStackServer, carol: str
) -> Iterator[SettlingClient]:
    alone = request.node.originalname in WHOLE_PROJECT
    with tier_lock("conformance-project", exclusive=alone):
        made = SettlingClient(os_server.url, carol, fmt=request.param)
        yield made
        assert not made.cleanup(), "left behind on the test bed"


@pytest.fixture
def fresh_client(
    os_server: OpenStackServer, dave: str, client: SettlingClient
) -> Iterator[SettlingClient]:
    """A project of its own for tests that delete whole collections: one such test at a time."""
    with tier_lock("fresh-project", exclusive=True):
        made = SettlingClient(os_server.url, dave, fmt=client.fmt)
        yield made
        assert not made.cleanup(), "left behind on the test bed"


test_core_discovery_001 = core.test_core_discovery_001
test_core_discovery_002 = core.test_core_discovery_002
test_core_create_001 = core.test_core_create_001
test_core_create_002 = core.test_core_create_002
test_core_create_003 = core.test_core_create_003
test_core_create_006 = core.test_core_create_006
test_core_read_001 = core.test_core_read_001
test_core_read_002 = core.test_core_read_002
test_core_read_003 = core.test_core_read_003
test_core_read_004 = core.test_core_read_004
test_core_read_005 = core.test_core_read_005
test_core_read_006 = core.test_core_read_006
test_core_read_007 = core.test_core_read_007
test_collection_paging = core.test_collection_paging
test_core_update_001 = core.test_core_update_001
test_core_delete_001 = core.test_core_delete_001
test_core_delete_002 = core.test_core_delete_002
test_core_misc_001 = core.test_core_misc_001
test_infra_create_001 = infra.test_infra_create_001
test_infra_create_003 = infra.test_infra_create_003
test_infra_create_004 = infra.test_infra_create_004
test_infra_create_005 = infra.test_infra_create_005
test_infra_create_006 = infra.test_infra_create_006
test_infra_create_007 = infra.test_infra_create_007


@pytest.mark.skip(reason=EXCLUDED["test_infra_create_002"])
def test_infra_create_002() -> None:
    """Excluded on OpenStack (see EXCLUDED)."""


def test_every_etsi_test_runs_or_is_excluded() -> None:
    """A test added to tests/conformance must be added here too, or excluded with a reason."""
    names = {n for m in (core, infra) for n in vars(m) if n.startswith("test_")}
    assert names == {n for n in globals() if n.startswith("test_") and n in names}
    assert set(EXCLUDED) <= names
