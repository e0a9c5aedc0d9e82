import pytest

from occi_server.backends.base import EntityChanges
from occi_server.backends.local import LocalBackend
from occi_server.backends.local.templates import OS_SCHEME, RESOURCE_SCHEME
from occi_server.categories import appliances, openstack
from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Mixin

from .conftest import A, B, as_resource, compute, new_entity, storage, storagelink, template

START, STOP, RESTART, SUSPEND, SAVE = (a.type_id for a in infra.COMPUTE_ACTIONS)
EXPORT = appliances.EXPORT.type_id
CONFIRM, REVERT, ALLOC, DEALLOC, CHG_PWD, CREATE_IMAGE, REBOOT = (
    a.type_id for a in openstack.INSTANCE_ACTIONS
)


def test_a_compute_without_templates_gets_the_default_flavor_and_image(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
    assert RESOURCE_SCHEME + "m1.tiny" in vm.mixins
    assert OS_SCHEME + "cirros-0.3.0-x86_64-uec" in vm.mixins
    assert vm.attributes["occi.compute.cores"] == 1
    assert vm.attributes["occi.compute.memory"] == 0.5


def test_cores_and_memory_come_from_the_resource_template(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute(template(s, "bitsy"), occi__compute__cores=7))
    assert vm.attributes["occi.compute.cores"] == 1
    assert vm.attributes["occi.compute.memory"] == 0.25
    assert vm.attributes["org.openstack.flavor.name"] == "bitsy"


def test_cores_and_memory_given_without_template_are_kept_with_a_fitting_flavor(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute(occi__compute__cores=2, occi__compute__memory=3.0))
    assert vm.attributes["occi.compute.cores"] == 2
    assert vm.attributes["occi.compute.memory"] == 3.0
    assert RESOURCE_SCHEME + "m1.medium" in vm.mixins


def test_a_new_compute_is_active_like_a_nova_server(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
    assert vm.attributes["occi.compute.state"] == "active"
    assert sorted(vm.actions) == sorted(
        [STOP, RESTART, SUSPEND, SAVE, CHG_PWD, CREATE_IMAGE, ALLOC, REBOOT]
    )
    assert vm.attributes["org.openstack.compute.state"] == "ACTIVE"


def test_two_resource_templates_are_refused(backend: LocalBackend) -> None:
    with backend.open(A) as s, pytest.raises(BadRequest, match="only one resource template"):
        new_entity(s, compute(template(s, "itsy"), template(s, "bitsy")))


def test_an_unknown_template_is_refused(backend: LocalBackend) -> None:
    stranger = Mixin(
        scheme="http://example.org/tpl#",
        term="huge",
        depends=(infra.RESOURCE_TPL,),
        location="/huge/",
    )
    with backend.open(A) as s, pytest.raises(BadRequest, match="unknown resource template"):
        new_entity(s, compute(stranger))


@pytest.mark.parametrize(
    ("actions", "state"),
    [
        ([STOP], "inactive"),
        ([STOP, START], "active"),
        ([SUSPEND], "suspended"),
        ([SUSPEND, START], "active"),
        ([RESTART], "active"),
    ],
)
def test_state_machine_transitions(backend: LocalBackend, actions: list[str], state: str) -> None:
    with backend.open(A) as s:
        location = new_entity(s, compute()).location
    for action in actions:
        with backend.open(A) as s:
            s.invoke_action(location, action, {"method": "graceful"} if action == STOP else {})
    with backend.open(A) as s:
        assert s.get_entity(location).attributes["occi.compute.state"] == state


@pytest.mark.parametrize(
    ("first", "refused", "state"),
    [
        (STOP, SUSPEND, "inactive"),
        (SUSPEND, RESTART, "suspended"),
        (STOP, SAVE, "inactive"),
    ],
)
def test_an_action_the_state_forbids_is_a_conflict_naming_state_and_action(
    backend: LocalBackend, first: str, refused: str, state: str
) -> None:
    with backend.open(A) as s:
        location = new_entity(s, compute()).location
        s.invoke_action(location, first, {})
    term = refused.rpartition("#")[2]
    with backend.open(A) as s, pytest.raises(Conflict, match=f"{term}.*{state}"):
        s.invoke_action(location, refused, {})


def test_only_the_actions_of_the_current_state_are_advertised(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        location = new_entity(s, compute()).location
        stopped = s.invoke_action(location, STOP, {"method": "poweroff"})
    # A stopped compute's disks are stable: it may be exported (docs/ovf.md).
    assert getattr(stopped, "actions", None) == [START, CREATE_IMAGE, ALLOC, EXPORT]
    assert stopped is not None and stopped.attributes["org.openstack.compute.state"] == "SHUTOFF"
    assert stopped is not None and "poweroff" in stopped.attributes["occi.compute.state.message"]


def test_save_creates_an_os_template_of_the_project_only(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        location = new_entity(s, compute()).location
        saved = s.invoke_action(location, SAVE, {"name": "my image"})
    assert isinstance(saved, Mixin)
    assert (saved.scheme, saved.term) == (OS_SCHEME, "my_image")
    assert saved.depends == (infra.OS_TPL,) and saved.applies == (infra.COMPUTE,)
    assert saved.location == "/mixin/os_tpl/my_image/"
    with backend.open(A) as s:
        assert saved in s.provider_mixins()
        again = new_entity(s, compute(saved))
        assert saved.type_id in again.mixins
        assert again.attributes["org.openstack.image.os_family"] == "linux"
    with backend.open(B) as s:
        assert saved.type_id not in {m.type_id for m in s.provider_mixins()}
        with pytest.raises(BadRequest, match="unknown OS template"):
            new_entity(s, compute(saved))


def test_saving_twice_under_one_name_is_a_conflict(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        location = new_entity(s, compute()).location
        s.invoke_action(location, SAVE, {"name": "golden"})
    with backend.open(A) as s, pytest.raises(Conflict, match="golden"):
        s.invoke_action(location, SAVE, {"name": "golden"})


def test_a_new_resource_template_replaces_the_old_one(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute(template(s, "itsy")))
        resized = s.update_entity(vm.location, EntityChanges(add_mixins=[template(s, "bitsy")]))
    assert RESOURCE_SCHEME + "bitsy" in resized.mixins
    assert RESOURCE_SCHEME + "itsy" not in resized.mixins
    assert resized.attributes["occi.compute.memory"] == 0.25


def test_a_new_os_template_rebuilds_and_keeps_attached_volumes(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute(template(s, "cirros-0.3.0-x86_64-uec")))
        volume = new_entity(s, storage())
        new_entity(s, storagelink(vm.location, volume.location))
        rebuilt = s.update_entity(vm.location, EntityChanges(add_mixins=[template(s, "SmartOS")]))
    assert OS_SCHEME + "SmartOS" in rebuilt.mixins
    assert OS_SCHEME + "cirros-0.3.0-x86_64-uec" not in rebuilt.mixins
    assert rebuilt.attributes["org.openstack.image.name"] == "SmartOS"
    assert [link.target for link in as_resource(rebuilt).links] == [volume.location]


def test_removing_the_only_resource_template_is_refused(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        itsy = template(s, "itsy")
        vm = new_entity(s, compute(itsy))
        with pytest.raises(BadRequest, match="resource template"):
            s.update_entity(vm.location, EntityChanges(remove_mixins=[itsy]))


def test_start_on_an_active_compute_answers_and_changes_nothing(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = as_resource(new_entity(s, compute()))
        again = s.invoke_action(vm.location, START, {})
    assert isinstance(again, type(vm)) and again.version == vm.version
    assert again.attributes == vm.attributes


@pytest.mark.parametrize(("action", "state"), [(STOP, "inactive"), (SUSPEND, "suspended")])
def test_an_action_whose_target_state_holds_changes_nothing(
    backend: LocalBackend, action: str, state: str
) -> None:
    # As EC2 and systemctl: stop on a stopped compute is a success that does nothing.
    with backend.open(A) as s:
        location = new_entity(s, compute()).location
        s.invoke_action(location, action, {})
        before = s.get_entity(location)
        s.invoke_action(location, action, {})
        after = s.get_entity(location)
    assert after.attributes["occi.compute.state"] == state
    assert (after.version, after.attributes) == (before.version, before.attributes)


def test_reboot_is_a_restart_in_nova_terms(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        rebooted = as_resource(
            s.invoke_action(vm.location, REBOOT, {openstack.REBOOT_TYPE: "HARD"})
        )
        assert rebooted.attributes["occi.compute.state.message"] == "rebooted (HARD)"
        assert rebooted.attributes["org.openstack.compute.state"] == "ACTIVE"
        s.invoke_action(vm.location, STOP, {})
        with pytest.raises(Conflict, match=r"reboot.*inactive"):
            s.invoke_action(vm.location, REBOOT, {})
