"""The consistency checker (bench/consistency.py) that the fuzz, concurrency and crash tests
rely on: silent on a healthy database, and it names each kind of damage when there is some."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from bench.consistency import check_engine
from sqlalchemy import Connection, Engine, delete, insert, text, update

from occi_server.backends.base import EntityDraft, LinkDraft
from occi_server.backends.local import LocalBackend, default_offer
from occi_server.categories import infrastructure as infra
from occi_server.context import RequestContext
from occi_server.db.engine import make_engine
from occi_server.db.migrate import upgrade
from occi_server.db.tables import EntityAttributeRow, EntityMixinRow, EntityRow, IpAllocationRow
from tests.backends.local.conftest import new_entity

A = RequestContext(project_id="p-a", project_name="a", user_id="u-a", user_name="alice")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def estate(engine: Engine) -> dict[str, str]:
    """A compute on a network (with an address) and an attached volume."""
    backend = LocalBackend(engine, default_offer())
    with backend.open(A) as s:
        net = new_entity(
            s,
            EntityDraft(
                kind=infra.NETWORK_KIND,
                mixins=[infra.IPNETWORK_MIXIN],
                attributes={"occi.network.address": "10.9.9.0/24"},
            ),
        )
        volume = new_entity(
            s, EntityDraft(kind=infra.STORAGE_KIND, attributes={"occi.storage.size": 1.0})
        )
        vm = new_entity(
            s,
            EntityDraft(
                kind=infra.COMPUTE_KIND,
                links=[LinkDraft(kind=infra.NETWORKINTERFACE_KIND, target=net.location)],
            ),
        )
        link = new_entity(
            s,
            EntityDraft(
                kind=infra.STORAGELINK_KIND,
                link=LinkDraft(
                    kind=infra.STORAGELINK_KIND,
                    source=vm.location,
                    target=volume.location,
                    attributes={"occi.storagelink.deviceid": "/dev/vdb"},
                ),
            ),
        )
    return {
        "vm": vm.location,
        "volume": volume.location,
        "net": net.location,
        "link": link.location,
    }


def damaged(engine: Engine, change: Callable[[Connection], object]) -> list[str]:
    """Apply a change behind the server's back, then check."""
    with engine.begin() as connection:
        change(connection)
    return check_engine(engine)


def pk_of(engine: Engine, location: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT pk FROM entities WHERE location = :l"), {"l": location}
            ).scalar_one()
        )


def test_a_healthy_database_has_no_problems(engine: Engine, estate: dict[str, str]) -> None:
    assert check_engine(engine) == []


def test_a_compute_without_its_os_template_is_reported(
    engine: Engine, estate: dict[str, str]
) -> None:
    vm = pk_of(engine, estate["vm"])
    found = damaged(
        engine,
        lambda c: c.execute(
            delete(EntityMixinRow).where(
                EntityMixinRow.entity_pk == vm,
                EntityMixinRow.mixin.startswith("http://schemas.openstack.org/template/os#"),
            )
        ),
    )
    assert any("without an OS template" in p for p in found), found


def test_an_unknown_kind_and_a_stale_attribute_index_are_reported(
    engine: Engine, estate: dict[str, str]
) -> None:
    volume = pk_of(engine, estate["volume"])
    found = damaged(
        engine,
        lambda c: (
            c.execute(
                update(EntityRow).where(EntityRow.pk == volume).values(kind="http://x#nothing")
            ),
            c.execute(
                insert(EntityAttributeRow).values(
                    entity_pk=volume, name="x.ghost", value_key="1", project_id="p-a"
                )
            ),
        ),
    )
    assert any("unknown kind" in p for p in found), found
    assert any("attribute index differs" in p for p in found), found


def test_a_link_pointing_at_another_project_is_reported(
    engine: Engine, estate: dict[str, str]
) -> None:
    volume = pk_of(engine, estate["volume"])
    found = damaged(
        engine,
        lambda c: c.execute(
            update(EntityRow).where(EntityRow.pk == volume).values(project_id="p-b")
        ),
    )
    assert any("is in project p-b" in p for p in found), found


def test_an_interface_address_without_its_allocation_is_reported(
    engine: Engine, estate: dict[str, str]
) -> None:
    found = damaged(engine, lambda c: c.execute(delete(IpAllocationRow)))
    assert any("not allocated" in p for p in found), found
