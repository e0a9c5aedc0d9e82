"""The walkthrough's instance actions (http://schemas.openstack.org/instance/action#) and
OCCI's `save`, which shares create_image's snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from occi_server.backends.base import ActionOutcome
from occi_server.backends.local import credentials, floating_ips, resize, store, versions
from occi_server.backends.local.catalogue import Image
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.states import (
    ACTIVE,
    FLOATING_IP,
    occi_state,
    resize_pending,
    settle,
)
from occi_server.backends.local.store import EntityRecord
from occi_server.categories import openstack
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Mixin

CONFIRM, REVERT, ALLOC, DEALLOC, CHG_PWD, CREATE_IMAGE = (
    a.type_id for a in openstack.INSTANCE_ACTIONS
)
ACTIONS = frozenset(a.type_id for a in openstack.INSTANCE_ACTIONS)


def applicable(attributes: Mapping[str, Any], floating: bool) -> list[str]:
    """The instance actions that can run now (Nova's rules)."""
    found: list[str] = []
    if resize_pending(attributes):
        found += [CONFIRM, REVERT]
    else:
        if occi_state(attributes) == ACTIVE:
            found.append(CHG_PWD)  # Nova sets passwords on running servers only
        found.append(CREATE_IMAGE)
    if floating:
        found.append(ALLOC)
        if attributes.get(FLOATING_IP):
            found.append(DEALLOC)
    return found


def invoke(
    scope: Scope, row: EntityRecord, action: str, parameters: dict[str, Any]
) -> ActionOutcome:
    outcome: ActionOutcome = None
    if action == CONFIRM:
        resize.confirm(scope, row)
    elif action == REVERT:
        resize.revert(scope, row)
    elif action == ALLOC:
        pool = floating_ips.find_pool(
            scope.cloud.catalogue, parameters.get(openstack.FLOATING_POOL)
        )
        floating_ips.allocate(scope, row, pool)
        floating_ips.refresh(scope, row)
    elif action == DEALLOC:
        floating_ips.release(scope, row, parameters.get(openstack.FLOATING_IP))
        floating_ips.refresh(scope, row)
    elif action == CHG_PWD:
        change_password(scope, row, parameters)
    elif action == CREATE_IMAGE:
        resize.check_not_pending(row, "create_image")
        outcome = snapshot(scope, row, parameters.get(openstack.IMAGE_NAME))
        _note(scope, row, f"image {outcome.term} created")
    store.bump(scope, row)
    return outcome


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
    mixin = scope.cloud.templates.create_snapshot(
        scope.db, scope.project_id, chosen, row.location, base
    )
    versions.bump(scope)
    return mixin


def find_image(scope: Scope, type_id: str) -> Image | None:
    templates = scope.cloud.templates
    return templates.images.get(type_id) or templates.snapshot_image(
        scope.db, scope.project_id, type_id
    )


def _note(scope: Scope, row: EntityRecord, message: str) -> None:
    attributes = dict(row.attributes)
    settle(attributes, message)
    store.write_attributes(scope, row, attributes)
