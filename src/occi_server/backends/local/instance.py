"""The work of each compute action: what the embedded cloud does besides the state change
the lifecycle table (categories/lifecycles.py) declares.

Each function returns the action's outcome (a new OS template for save and create_image) and
the message to record (None: the step's `done`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from occi_server.backends.base import ActionOutcome
from occi_server.backends.local import (
    credentials,
    floating_ips,
    guests,
    images,
    resize,
    store,
    versions,
)
from occi_server.backends.local.offer import Image
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.states import ACTIVE, CORES, MEMORY, occi_state, settle
from occi_server.backends.local.store import EntityRecord
from occi_server.categories import appliances, openstack
from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Mixin

Work = Callable[[Scope, EntityRecord, dict[str, Any]], tuple[ActionOutcome, str | None]]
ALLOC, DEALLOC = openstack.ALLOC_FLOAT_IP.type_id, openstack.DEALLOC_FLOAT_IP.type_id


def _with_method(done: str) -> Work:
    """A state change only; the message names the method asked for, if any."""

    def work(scope: Scope, row: EntityRecord, parameters: dict[str, Any]) -> tuple[None, str]:
        method = parameters.get("method")
        return None, done + (f" ({method})" if method else "")

    return work


def _save(scope: Scope, row: EntityRecord, parameters: dict[str, Any]) -> tuple[Mixin, str]:
    mixin = snapshot(scope, row, parameters.get("name"))
    return mixin, f"saved as OS template {mixin.term}"


def _confirm(scope: Scope, row: EntityRecord, parameters: dict[str, Any]) -> tuple[None, None]:
    resize.confirm(scope, row)
    return None, None


def _revert(scope: Scope, row: EntityRecord, parameters: dict[str, Any]) -> tuple[None, None]:
    resize.revert(scope, row)
    guests.resize(scope, row, row.attributes.get(CORES), row.attributes.get(MEMORY))
    return None, None


def _alloc(scope: Scope, row: EntityRecord, parameters: dict[str, Any]) -> tuple[None, None]:
    pool = floating_ips.find_pool(scope.cloud.offer, parameters.get(openstack.FLOATING_POOL))
    floating_ips.allocate(scope, row, pool)
    floating_ips.refresh(scope, row)
    return None, None


def _dealloc(scope: Scope, row: EntityRecord, parameters: dict[str, Any]) -> tuple[None, None]:
    floating_ips.release(scope, row, parameters.get(openstack.FLOATING_IP))
    floating_ips.refresh(scope, row)
    return None, None


def _chg_pwd(scope: Scope, row: EntityRecord, parameters: dict[str, Any]) -> tuple[None, None]:
    change_password(scope, row, parameters)
    return None, None


def _create_image(scope: Scope, row: EntityRecord, parameters: dict[str, Any]) -> tuple[Mixin, str]:
    mixin = snapshot(scope, row, parameters.get(openstack.IMAGE_NAME))
    return mixin, f"image {mixin.term} created"


def _reboot(scope: Scope, row: EntityRecord, parameters: dict[str, Any]) -> tuple[None, str]:
    return None, f"rebooted ({parameters.get(openstack.REBOOT_TYPE) or 'SOFT'})"


WORK: dict[str, Work] = {
    infra.START.type_id: _with_method("started"),
    infra.STOP.type_id: _with_method("stopped"),
    infra.RESTART.type_id: _with_method("restarted"),
    infra.SUSPEND.type_id: _with_method("suspended"),
    infra.SAVE.type_id: _save,
    openstack.CONFIRM_RESIZE.type_id: _confirm,
    openstack.REVERT_RESIZE.type_id: _revert,
    ALLOC: _alloc,
    DEALLOC: _dealloc,
    openstack.CHG_PWD.type_id: _chg_pwd,
    openstack.CREATE_IMAGE.type_id: _create_image,
    openstack.REBOOT.type_id: _reboot,
    # The state is checked here; the package is written by an OVF job (service/appliances.py).
    appliances.EXPORT.type_id: _with_method("export started"),
}


def change_password(scope: Scope, row: EntityRecord, parameters: dict[str, Any]) -> None:
    resize.check_not_pending(row, "chg_pwd")
    state = occi_state(row.attributes)
    if state != ACTIVE:
        raise Conflict(f"action chg_pwd is not allowed while the state is {state}")
    password = credentials.take_password(dict(parameters))
    if password is None:
        raise BadRequest(f"parameter {credentials.ADMIN_PWD}: is required")
    credentials.set_password(scope, row, password)
    _note(scope, row, "administrative password changed")


def snapshot(scope: Scope, row: EntityRecord, name: Any) -> Mixin:
    """The compute's disk becomes an OS template of this project (409 when the name is used)."""
    chosen = str(name or f"{row.id}-snapshot")
    base = next(
        (image for m in store.mixins_of(scope, row) if (image := find_image(scope, m))), None
    )
    mixin = images.create(scope, chosen, row.location, base)
    versions.bump(scope)
    return mixin


def find_image(scope: Scope, type_id: str) -> Image | None:
    templates = scope.cloud.templates
    return templates.images.get(type_id) or images.find(scope, type_id)


def _note(scope: Scope, row: EntityRecord, message: str) -> None:
    attributes = dict(row.attributes)
    settle(attributes, message)
    store.write_attributes(scope, row, attributes)
