"""Quotas: past a project's limit a create, resize or allocation is a 403 naming the quota;
other projects and deletes are unaffected; a project's own limits override the defaults."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from sqlalchemy import Engine

from occi_server.backends.base import EntityChanges
from occi_server.backends.local import LocalBackend, default_offer, quotas
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack
from occi_server.config import QuotasConfig
from occi_server.drivers import Drivers
from occi_server.drivers.files import FileStore
from occi_server.drivers.simulated import SimulatedHypervisor
from occi_server.errors import Forbidden
from occi_server.model import Mixin

from .conftest import A, B, compute, network, new_entity, storage, template

ALLOC = openstack.ALLOC_FLOAT_IP.type_id


def _backend(engine: Engine, tmp_path: Path, **limits: int) -> LocalBackend:
    store = FileStore(tmp_path / "store")
    defaults = {**QuotasConfig().model_dump(), **limits}
    return LocalBackend(
        engine, default_offer(), Drivers(SimulatedHypervisor(store), store), quotas=defaults
    )


def _set(backend: LocalBackend, project: str, values: Mapping[str, int | None]) -> None:
    with backend.transaction(project) as scope:
        quotas.set_limits(scope, project, values)


def test_the_compute_past_the_limit_is_403_naming_the_quota(engine: Engine, tmp_path: Path) -> None:
    backend = _backend(engine, tmp_path, computes=2)
    with backend.open(A) as s:
        new_entity(s, compute())
        new_entity(s, compute())
    with (
        pytest.raises(Forbidden, match="quota exceeded for computes: 1 computes asked, 2 of 2"),
        backend.open(A) as s,
    ):
        new_entity(s, compute())
    with backend.open(B) as s:  # another project's quota is its own
        new_entity(s, compute())


def test_a_delete_gives_the_quota_back(engine: Engine, tmp_path: Path) -> None:
    backend = _backend(engine, tmp_path, computes=1)
    with backend.open(A) as s:
        first = new_entity(s, compute())
    with backend.open(A) as s:
        s.delete_entity(first.location)
    with backend.open(A) as s:
        new_entity(s, compute())


def test_cores_and_memory_count_the_flavor_of_each_compute(engine: Engine, tmp_path: Path) -> None:
    backend = _backend(engine, tmp_path, cores=3, memory=10)
    with backend.open(A) as s:
        new_entity(s, compute(template(s, "m1.medium")))  # 2 cores, 4 GiB
    with backend.transaction(A.project_id) as scope:
        used = quotas.usage(scope)
    assert (used["cores"], used["memory"]) == (2, 4)
    with (
        pytest.raises(Forbidden, match="quota exceeded for cores: 2 cores asked, 2 of 3"),
        backend.open(A) as s,
    ):
        new_entity(s, compute(template(s, "m1.medium")))


def test_a_resize_past_the_cores_quota_is_refused_and_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    backend = _backend(engine, tmp_path, cores=2)
    with backend.open(A) as s:
        tiny, large = template(s, "m1.tiny"), template(s, "m1.large")
        made = new_entity(s, compute(tiny))
    with pytest.raises(Forbidden, match="quota exceeded for cores"), backend.open(A) as s:
        s.update_entity(made.location, EntityChanges(add_mixins=[large]))
    with backend.open(A) as s:
        assert tiny.type_id in s.get_entity(made.location).mixins


def test_gigabytes_bound_new_volumes_and_growth(engine: Engine, tmp_path: Path) -> None:
    backend = _backend(engine, tmp_path, gigabytes=10)
    with backend.open(A) as s:
        volume = new_entity(s, storage(6.0))
    with (
        pytest.raises(Forbidden, match=r"quota exceeded for gigabytes: 5 GiB asked, 6 of 10"),
        backend.open(A) as s,
    ):
        new_entity(s, storage(5.0))
    with pytest.raises(Forbidden, match="quota exceeded for gigabytes"), backend.open(A) as s:
        s.invoke_action(volume.location, infra.RESIZE.type_id, {"size": 11.0})
    with backend.open(A) as s:
        new_entity(s, storage(4.0))  # exactly up to the limit


def test_networks_count_only_the_projects_own(engine: Engine, tmp_path: Path) -> None:
    backend = _backend(engine, tmp_path, networks=1)
    with backend.open(A) as s:  # the provider's networks (public, ...) are not counted
        new_entity(s, network("10.50.0.0/24"))
    with (
        pytest.raises(Forbidden, match="quota exceeded for networks: 1 networks asked, 1 of 1"),
        backend.open(A) as s,
    ):
        new_entity(s, network("10.51.0.0/24"))


def test_floating_ips_stop_one_project_taking_every_public_address(
    engine: Engine, tmp_path: Path
) -> None:
    backend = _backend(engine, tmp_path, floating_ips=2)
    with backend.open(A) as s:
        made = new_entity(s, compute())
        s.invoke_action(made.location, ALLOC, {openstack.FLOATING_POOL: "nova"})
        s.invoke_action(made.location, ALLOC, {openstack.FLOATING_POOL: "nova"})
    with (
        pytest.raises(
            Forbidden, match="quota exceeded for floating_ips: 1 addresses asked, 2 of 2"
        ),
        backend.open(A) as s,
    ):
        s.invoke_action(made.location, ALLOC, {openstack.FLOATING_POOL: "nova"})
    with backend.open(B) as s:
        other = new_entity(s, compute())
        s.invoke_action(other.location, ALLOC, {openstack.FLOATING_POOL: "nova"})


def test_user_mixins_and_security_groups_have_quotas(engine: Engine, tmp_path: Path) -> None:
    backend = _backend(engine, tmp_path, user_mixins=2, security_groups=1)
    group = Mixin(
        scheme="http://example.com/groups#",
        term="web",
        location="/mixin/web/",
        depends=(openstack.SECURITY_GROUP,),
        user_defined=True,
    )
    second = Mixin(
        scheme="http://example.com/groups#",
        term="db",
        location="/mixin/db/",
        depends=(openstack.SECURITY_GROUP,),
        user_defined=True,
    )
    tag = Mixin(scheme="http://example.com/tags#", term="a", location="/tags/a/", user_defined=True)
    with backend.open(A) as s:
        s.create_user_mixin(group)
    with (
        pytest.raises(Forbidden, match="quota exceeded for security_groups"),
        backend.open(A) as s,
    ):
        s.create_user_mixin(second)
    with backend.open(A) as s:
        s.create_user_mixin(tag)
    with pytest.raises(Forbidden, match="quota exceeded for user_mixins"), backend.open(A) as s:
        s.create_user_mixin(
            Mixin(
                scheme="http://example.com/tags#",
                term="b",
                location="/tags/b/",
                user_defined=True,
            )
        )


def test_a_projects_own_limit_overrides_the_default_and_default_restores_it(
    engine: Engine, tmp_path: Path
) -> None:
    backend = _backend(engine, tmp_path, computes=5)
    _set(backend, A.project_id, {"computes": 0})
    with pytest.raises(Forbidden, match="0 of 0 in use"), backend.open(A) as s:
        new_entity(s, compute())
    _set(backend, A.project_id, {"computes": None})
    with backend.open(A) as s:
        new_entity(s, compute())
    with backend.transaction(A.project_id) as scope:
        assert quotas.limits(scope)["computes"] == 5
        assert quotas.usage(scope)["computes"] == 1


def test_unlimited_is_minus_one(engine: Engine, tmp_path: Path) -> None:
    backend = _backend(engine, tmp_path, computes=0)
    _set(backend, A.project_id, {"computes": -1})
    with backend.open(A) as s:
        for _ in range(3):
            new_entity(s, compute())
