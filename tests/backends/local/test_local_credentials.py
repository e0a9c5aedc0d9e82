"""Passwords (hashed, write-only), keys and user data, and create_image."""

import pytest
from sqlalchemy import Engine, select, text

from occi_server.backends.base import EntityChanges
from occi_server.backends.local import LocalBackend
from occi_server.backends.local.templates import OS_SCHEME
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack
from occi_server.db.tables import EntityPrivateRow, EntityRow
from occi_server.errors import BadRequest, Conflict
from occi_server.identity.passwords import verify_password
from occi_server.model import Mixin

from .conftest import A, B, compute, new_entity, template

CHG_PWD, CREATE_IMAGE = openstack.CHG_PWD.type_id, openstack.CREATE_IMAGE.type_id
STOP = infra.COMPUTE_ACTIONS[1].type_id
PWD = "org.openstack.credentials.admin_pwd"


def _stored_hash(engine: Engine, location: str) -> str:
    with engine.connect() as db:
        pk = db.scalar(select(EntityRow.pk).where(EntityRow.location == location))
        value = db.scalar(
            select(EntityPrivateRow.value).where(
                EntityPrivateRow.entity_pk == pk, EntityPrivateRow.name == "admin_pwd_hash"
            )
        )
    assert isinstance(value, str)
    return value


def _database_text(engine: Engine) -> str:
    with engine.connect() as db:
        rows = [
            *db.execute(text("SELECT attributes FROM entities")),
            *db.execute(text("SELECT value_key FROM entity_attributes")),
            *db.execute(text("SELECT value FROM entity_private")),
        ]
    return " ".join(str(r[0]) for r in rows)


def test_a_password_given_at_creation_is_stored_hashed_and_never_returned(
    backend: LocalBackend, engine: Engine
) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute(**{PWD: "s3cret-at-boot"}))
    with backend.open(A) as s:
        again = s.get_entity(vm.location)
    assert PWD not in vm.attributes and PWD not in again.attributes
    stored = _stored_hash(engine, vm.location)
    assert stored.startswith("scrypt$") and verify_password("s3cret-at-boot", stored)
    assert "s3cret-at-boot" not in _database_text(engine)


def test_chg_pwd_replaces_the_hash(backend: LocalBackend, engine: Engine) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute(**{PWD: "old"}))
        changed = s.invoke_action(vm.location, CHG_PWD, {PWD: "new_pass"})
    assert changed is not None and PWD not in changed.attributes
    assert "password changed" in changed.attributes["occi.compute.state.message"]
    stored = _stored_hash(engine, vm.location)
    assert verify_password("new_pass", stored) and not verify_password("old", stored)
    assert "new_pass" not in _database_text(engine)


def test_a_password_set_by_partial_update_is_hashed_too(
    backend: LocalBackend, engine: Engine
) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        updated = s.update_entity(vm.location, EntityChanges(set_attributes={PWD: "via-post"}))
    assert PWD not in updated.attributes
    assert verify_password("via-post", _stored_hash(engine, vm.location))


def test_chg_pwd_needs_a_running_compute(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        stopped = s.invoke_action(vm.location, STOP, {})
        assert stopped is not None and CHG_PWD not in stopped.actions
        with pytest.raises(Conflict, match="inactive"):
            s.invoke_action(vm.location, CHG_PWD, {PWD: "x"})


def test_create_image_makes_an_os_template_of_the_project(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute(template(s, "SmartOS")))
        image = s.invoke_action(
            vm.location, CREATE_IMAGE, {"org.openstack.snapshot.image_name": "awesome_ware"}
        )
    assert isinstance(image, Mixin)
    assert image.type_id == OS_SCHEME + "awesome_ware"
    assert image.location == "/mixin/os_tpl/awesome_ware/"
    with backend.open(A) as s:
        assert image in s.provider_mixins()
        clone = new_entity(s, compute(image))
        assert clone.attributes["org.openstack.image.os_family"] == "smartos"
        assert "awesome_ware" in s.get_entity(vm.location).attributes["occi.compute.state.message"]
    with backend.open(B) as s:
        assert image not in s.provider_mixins()


@pytest.mark.parametrize("name", ["awesome_ware", "SmartOS", "cirros-0.3.0-x86_64-uec"])
def test_create_image_with_a_name_in_use_is_a_conflict(backend: LocalBackend, name: str) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        s.invoke_action(vm.location, CREATE_IMAGE, {openstack.IMAGE_NAME: "awesome_ware"})
    with backend.open(A) as s, pytest.raises(Conflict, match="already exists"):
        s.invoke_action(vm.location, CREATE_IMAGE, {openstack.IMAGE_NAME: name})


def test_keys_and_user_data_are_stored_and_rendered_back(backend: LocalBackend) -> None:
    values = {
        "org.openstack.credentials.publickey.name": "mykey",
        "org.openstack.credentials.publickey.data": "ssh-rsa AAAA alice@host",
        "org.openstack.compute.user_data": "I2Nsb3VkLWNvbmZpZw==",
        "occi.credentials.ssh.publickey": "ssh-ed25519 AAAA alice@laptop",
    }
    mixins = [openstack.PUBLIC_KEY_MIXIN, openstack.OS_USER_DATA_MIXIN, infra.SSH_KEY_MIXIN]
    with backend.open(A) as s:
        vm = new_entity(s, compute(*mixins, **values))
    with backend.open(A) as s:
        again = s.get_entity(vm.location)
    for name, value in values.items():
        assert again.attributes[name] == value
    assert {m.type_id for m in mixins} <= set(again.mixins)


def test_occi_user_data_alone_is_kept(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute(infra.USER_DATA_MIXIN, **{"occi.compute.userdata": "abc"}))
    assert vm.attributes["occi.compute.userdata"] == "abc"


def test_openstack_and_occi_user_data_together_are_a_conflict(backend: LocalBackend) -> None:
    both = {"org.openstack.compute.user_data": "b3M=", "occi.compute.userdata": "b2NjaQ=="}
    with backend.open(A) as s, pytest.raises(Conflict, match="user data"):
        new_entity(s, compute(openstack.OS_USER_DATA_MIXIN, infra.USER_DATA_MIXIN, **both))
    with backend.open(A) as s:
        vm = new_entity(
            s, compute(openstack.OS_USER_DATA_MIXIN, **{"org.openstack.compute.user_data": "b3M="})
        )
        with pytest.raises(Conflict, match="user data"):
            s.update_entity(
                vm.location,
                EntityChanges(
                    add_mixins=[infra.USER_DATA_MIXIN],
                    set_attributes={"occi.compute.userdata": "b2NjaQ=="},
                ),
            )


def test_an_empty_password_is_refused(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        with pytest.raises(BadRequest, match=PWD):
            s.invoke_action(vm.location, CHG_PWD, {PWD: ""})
