"""Resize with confirmation (Nova's VERIFY_RESIZE) and rebuild."""

import pytest

from occi_server.backends.base import EntityChanges, ProjectCloud
from occi_server.backends.local import LocalBackend
from occi_server.backends.local.templates import OS_SCHEME, RESOURCE_SCHEME
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Entity

from .conftest import A, as_resource, compute, new_entity, storage, storagelink, template

CONFIRM, REVERT = openstack.CONFIRM_RESIZE.type_id, openstack.REVERT_RESIZE.type_id
START, STOP, RESTART, SUSPEND, SAVE = (a.type_id for a in infra.COMPUTE_ACTIONS)
NOVA = "org.openstack.compute.state"


def _itsy_vm(s: ProjectCloud) -> Entity:
    return new_entity(s, compute(template(s, "itsy"), template(s, "cirros-0.3.0-x86_64-uec")))


def _resize(s: ProjectCloud, location: str, flavor: str) -> Entity:
    return s.update_entity(location, EntityChanges(add_mixins=[template(s, flavor)]))


def test_a_new_flavor_applies_at_once_and_waits_for_confirmation(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = _itsy_vm(s)
        resized = _resize(s, vm.location, "bitsy")
    assert RESOURCE_SCHEME + "bitsy" in resized.mixins
    assert RESOURCE_SCHEME + "itsy" not in resized.mixins
    assert resized.attributes["occi.compute.memory"] == 0.25
    assert resized.attributes["org.openstack.flavor.name"] == "bitsy"
    assert resized.attributes[NOVA] == "VERIFY_RESIZE"
    assert resized.attributes["occi.compute.state"] == "active"
    assert "confirm_resize" in resized.attributes["occi.compute.state.message"]


def test_confirm_and_revert_are_applicable_only_while_a_resize_is_pending(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        vm = _itsy_vm(s)
        assert CONFIRM not in vm.actions and REVERT not in vm.actions
        resized = _resize(s, vm.location, "bitsy")
    assert {CONFIRM, REVERT} <= set(resized.actions)
    assert not {START, STOP, RESTART, SUSPEND, SAVE} & set(resized.actions)
    assert openstack.CHG_PWD.type_id not in resized.actions


def test_confirm_resize_makes_the_new_flavor_final(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = _itsy_vm(s)
        _resize(s, vm.location, "bitsy")
    with backend.open(A) as s:
        confirmed = s.invoke_action(vm.location, CONFIRM, {})
    assert confirmed is not None
    assert confirmed.attributes[NOVA] == "ACTIVE"
    assert confirmed.attributes["occi.compute.memory"] == 0.25
    assert RESOURCE_SCHEME + "bitsy" in confirmed.mixins
    assert CONFIRM not in confirmed.actions and STOP in confirmed.actions
    with backend.open(A) as s, pytest.raises(Conflict, match="pending resize"):
        s.invoke_action(vm.location, REVERT, {})


def test_revert_resize_restores_the_old_flavor_and_values(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = _itsy_vm(s)
        _resize(s, vm.location, "m1.medium")
        reverted = s.invoke_action(vm.location, REVERT, {})
    assert reverted is not None
    assert RESOURCE_SCHEME + "itsy" in reverted.mixins
    assert RESOURCE_SCHEME + "m1.medium" not in reverted.mixins
    for name in ("occi.compute.cores", "occi.compute.memory", "org.openstack.flavor.name"):
        assert reverted.attributes[name] == vm.attributes[name]
    assert reverted.attributes[NOVA] == "ACTIVE"
    assert "reverted" in reverted.attributes["occi.compute.state.message"]


def test_a_second_resize_while_one_is_pending_is_a_conflict(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = _itsy_vm(s)
        _resize(s, vm.location, "bitsy")
    with backend.open(A) as s, pytest.raises(Conflict, match="pending"):
        _resize(s, vm.location, "m1.small")
    with backend.open(A) as s:
        assert RESOURCE_SCHEME + "bitsy" in s.get_entity(vm.location).mixins


def test_confirm_or_revert_without_a_pending_resize_is_a_conflict(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = _itsy_vm(s)
        for action in (CONFIRM, REVERT):
            with pytest.raises(Conflict, match="pending resize"):
                s.invoke_action(vm.location, action, {})


def test_state_actions_wait_for_the_pending_resize(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = _itsy_vm(s)
        _resize(s, vm.location, "bitsy")
        with pytest.raises(Conflict, match="confirm_resize or revert_resize"):
            s.invoke_action(vm.location, STOP, {})


def test_a_stopped_compute_can_be_resized_and_stays_shutoff(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = _itsy_vm(s)
        s.invoke_action(vm.location, STOP, {})
        pending = _resize(s, vm.location, "bitsy")
        assert pending.attributes[NOVA] == "VERIFY_RESIZE"
        confirmed = s.invoke_action(vm.location, CONFIRM, {})
    assert confirmed is not None
    assert confirmed.attributes["occi.compute.state"] == "inactive"
    assert confirmed.attributes[NOVA] == "SHUTOFF"


def test_a_suspended_compute_cannot_be_resized(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = _itsy_vm(s)
        s.invoke_action(vm.location, SUSPEND, {})
        with pytest.raises(Conflict, match="suspended"):
            _resize(s, vm.location, "bitsy")


def test_a_new_os_template_rebuilds_keeping_links_and_state(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = _itsy_vm(s)
        volume = new_entity(s, storage())
        attached = new_entity(s, storagelink(vm.location, volume.location))
        s.invoke_action(vm.location, STOP, {})
        rebuilt = s.update_entity(vm.location, EntityChanges(add_mixins=[template(s, "SmartOS")]))
    assert OS_SCHEME + "SmartOS" in rebuilt.mixins
    assert OS_SCHEME + "cirros-0.3.0-x86_64-uec" not in rebuilt.mixins
    assert rebuilt.attributes["org.openstack.image.os_family"] == "smartos"
    assert "rebuilt from SmartOS" in rebuilt.attributes["occi.compute.state.message"]
    assert rebuilt.attributes["occi.compute.state"] == "inactive"
    assert [link.location for link in as_resource(rebuilt).links] == [attached.location]
    assert CONFIRM not in rebuilt.actions  # nothing to confirm


def test_a_rebuild_while_a_resize_is_pending_is_a_conflict(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = _itsy_vm(s)
        _resize(s, vm.location, "bitsy")
        with pytest.raises(Conflict, match="rebuild"):
            s.update_entity(vm.location, EntityChanges(add_mixins=[template(s, "SmartOS")]))


def test_resize_and_rebuild_in_one_request_is_refused(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = _itsy_vm(s)
        both = [template(s, "bitsy"), template(s, "SmartOS")]
        with pytest.raises(BadRequest, match="one at a time"):
            s.update_entity(vm.location, EntityChanges(add_mixins=both))
