"""Storage: online/offline, and the OCCI 1.1 backup, snapshot and resize actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from occi_server.backends.base import ActionOutcome, EntityDraft
from occi_server.backends.local import quotas, store
from occi_server.backends.local.rules import KindRules, Update, allowed, step_for
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.store import EntityRecord
from occi_server.categories import cdmi, lifecycles
from occi_server.categories import infrastructure as infra
from occi_server.drivers.volumes import gib, volume_of
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Mixin

LIFECYCLE = lifecycles.STORAGE
STATE, MESSAGE = LIFECYCLE.state, LIFECYCLE.message
SIZE = "occi.storage.size"
RESIZE = infra.RESIZE.type_id
# The 1.1 actions pass through transient states (backup, snapshot, resize) that this cloud
# completes within the request, so a client only ever sees them finished.
ACTIONS = frozenset(LIFECYCLE.actions)
# Where backup and snapshot keep their copy (the latest one) in the store.
_COPIES = {infra.BACKUP.type_id: "@backup", infra.SNAPSHOT.type_id: "@snapshot"}
SNAPSHOT_SUFFIXES = tuple(_COPIES.values())
# The state message of a volume (and its link) whose bytes are being copied in (imports.py).
IMPORTING = "importing from "


def importing(attributes: Mapping[str, Any]) -> bool:
    return str(attributes.get(MESSAGE, "")).startswith(IMPORTING)


def _refuse_while_importing(row: EntityRecord) -> None:
    if importing(row.attributes):
        raise Conflict(f"{row.location}: its bytes are still being copied in; wait until online")


def _bytes(scope: Scope, row: EntityRecord) -> str:
    """The volume's name in the store."""
    return volume_of(scope.project_id, row.id)


def _grow(scope: Scope, row: EntityRecord, size: float) -> None:
    # create() grows an existing file (or makes one for a volume older than the store).
    scope.cloud.drivers.volumes.create(_bytes(scope, row), gib(size))


class StorageRules(KindRules):
    def __init__(self, cdmi: bool = False) -> None:
        self.cdmi = cdmi  # whether its bytes are served at /cdmi/ (http/cdmi.py)

    def shown(self, scope: Scope, row: EntityRecord, attributes: dict[str, Any]) -> None:
        if self.cdmi:
            path = f"/cdmi/{quote(scope.project_id, safe='')}/volumes/{quote(row.id, safe='')}"
            attributes[cdmi.LOCATION] = scope.ctx.base_url + path

    def prepare(
        self, scope: Scope, draft: EntityDraft, attributes: dict[str, Any], mixins: list[Mixin]
    ) -> list[Mixin]:
        if attributes.get(SIZE) is None:
            raise BadRequest(f"attribute {SIZE} is required")
        # OCCI types the size as any Float; a volume of this cloud (as of Cinder) needs one > 0.
        if float(attributes[SIZE]) <= 0:
            raise BadRequest(f"attribute {SIZE}: this cloud's volumes need a size above 0 GiB")
        # OCCI starts storage offline; a new Cinder volume is "available" (usable at once):
        # we mirror Cinder and call that online.
        assert LIFECYCLE.create is not None
        LIFECYCLE.settle(attributes, LIFECYCLE.initial, LIFECYCLE.create.done)
        return mixins

    def after_create(self, scope: Scope, row: EntityRecord, draft: EntityDraft) -> None:
        """Its bytes: a sparse file of the size asked for (removed if the create fails)."""
        volumes, name = scope.cloud.drivers.volumes, _bytes(scope, row)
        _grow(scope, row, float(row.attributes.get(SIZE, 0.0)))
        scope.after_rollback.append(lambda: volumes.delete(name))

    def before_delete(self, scope: Scope, row: EntityRecord) -> None:
        """Its bytes go once the delete has committed (a rolled back delete keeps them)."""
        volumes, name = scope.cloud.drivers.volumes, _bytes(scope, row)
        copies = [name, *(name + suffix for suffix in _COPIES.values())]

        def remove() -> None:
            for copy in copies:
                volumes.delete(copy)

        scope.after_commit.append(remove)

    def before_update(self, scope: Scope, row: EntityRecord, change: Update) -> None:
        # OCCI 1.2 resizes by setting the size: the same rule as the 1.1 action.
        _refuse_while_importing(row)
        new_size = change.attributes.get(SIZE)
        if new_size is None:
            raise BadRequest(f"attribute {SIZE} is required")
        old_size = float(row.attributes.get(SIZE, 0.0))
        if float(new_size) != old_size:
            _check_growth(scope, old_size, float(new_size))
            change.attributes[MESSAGE] = f"resized to {float(new_size):g} GiB"
            _grow(scope, row, float(new_size))

    def actions(self, attributes: Mapping[str, Any]) -> list[str]:
        return [] if importing(attributes) else allowed(LIFECYCLE, attributes)

    def invoke(
        self, scope: Scope, row: EntityRecord, action: str, parameters: dict[str, Any]
    ) -> ActionOutcome:
        if action not in ACTIONS:
            return super().invoke(scope, row, action, parameters)
        _refuse_while_importing(row)
        step = step_for(LIFECYCLE, row.attributes, action)
        if step is None:
            return None
        attributes = dict(row.attributes)
        message = step.done
        if action == RESIZE:
            if parameters.get("size") is None:
                raise BadRequest("action resize needs the parameter size")
            size = float(parameters["size"])
            _check_growth(scope, float(attributes.get(SIZE, 0.0)), size)
            attributes[SIZE] = size
            message = f"resized to {size:g} GiB"
            _grow(scope, row, size)
        elif action in _COPIES:  # backup and snapshot: a copy of its bytes beside it
            volumes, name = scope.cloud.drivers.volumes, _bytes(scope, row)
            _grow(scope, row, float(attributes.get(SIZE, 0.0)))
            volumes.snapshot(name, name + _COPIES[action])
        assert step.target is not None
        LIFECYCLE.settle(attributes, step.target, message)
        store.write_attributes(scope, row, attributes)
        store.bump(scope, row)
        return None


def _check_growth(scope: Scope, old: float, new: float) -> None:
    # Cinder only extends volumes: shrinking would destroy data.
    if new < old:
        raise Conflict(f"storage cannot shrink from {old:g} GiB to {new:g} GiB")
    quotas.require(scope, {"gigabytes": new - old})
