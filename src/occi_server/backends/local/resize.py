"""Resize with confirmation, as Nova does it (VERIFY_RESIZE).

Adding another resource template to a compute starts a resize: the new flavor mixin replaces
the old one and its values (cores, memory, org.openstack.flavor.*) apply at once, Nova's state
becomes VERIFY_RESIZE, and the old flavor and values are kept privately. `confirm_resize` makes
the resize final; `revert_resize` puts the old flavor and values back. While one is pending,
another resize (or a rebuild, or a state change) is a 409, as in Nova.
"""

from __future__ import annotations

from typing import Any

from occi_server.backends.local import guests, private, store
from occi_server.backends.local.rules import Update
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.states import (
    ACTIVE,
    CORES,
    INACTIVE,
    MEMORY,
    MESSAGE,
    NOVA_STATE,
    VERIFY_RESIZE,
    occi_state,
    resize_pending,
    settle,
)
from occi_server.backends.local.store import EntityRecord
from occi_server.errors import Conflict
from occi_server.model import Mixin

# Nova resizes ACTIVE and SHUTOFF servers.
RESIZABLE = (ACTIVE, INACTIVE)


def check_not_pending(row: EntityRecord, what: str) -> None:
    if resize_pending(row.attributes):
        raise Conflict(
            f"{what} is not allowed while a resize of {row.location} is pending: "
            "confirm_resize or revert_resize first"
        )


def start(scope: Scope, row: EntityRecord, change: Update, new: Mixin, old: str | None) -> None:
    """Put `new` in place of the flavor `old` and wait for confirm_resize / revert_resize."""
    check_not_pending(row, "another resize")
    state = occi_state(row.attributes)
    if state not in RESIZABLE:
        raise Conflict(f"a resize is not allowed while the state is {state}")
    if old is not None:
        change.remove.append(old)
        old_mixin = scope.cloud.templates.by_id.get(old)
        old_attributes = old_mixin.attributes if old_mixin is not None else ()
        names = sorted({a.name for a in (*new.attributes, *old_attributes)})
        private.put(
            scope,
            row,
            private.PENDING_RESIZE,
            {"flavor": old, "values": {n: row.attributes.get(n) for n in names}},
        )
    for attribute in new.attributes:
        if attribute.default is not None:
            change.attributes[attribute.name] = attribute.default
    if old is None:
        return
    change.attributes[NOVA_STATE] = VERIFY_RESIZE
    change.attributes[MESSAGE] = (
        f"resized from {old.rpartition('#')[2]} to {new.term}: "
        "confirm_resize or revert_resize pending"
    )


def confirm(scope: Scope, row: EntityRecord) -> None:
    _pending(scope, row, "confirm_resize")
    private.drop(scope, row, private.PENDING_RESIZE)
    attributes = dict(row.attributes)
    flavor = str(attributes.get("org.openstack.flavor.name", "the new flavor"))
    settle(attributes, f"resize to {flavor} confirmed")
    store.write_attributes(scope, row, attributes)


def revert(scope: Scope, row: EntityRecord) -> None:
    pending = _pending(scope, row, "revert_resize")
    private.drop(scope, row, private.PENDING_RESIZE)
    old = str(pending["flavor"])
    flavors = scope.cloud.templates.flavors
    store.remove_mixins(scope, row, [m for m in store.mixins_of(scope, row) if m in flavors])
    store.add_mixins(scope, row, [old])
    attributes = dict(row.attributes)
    for name, value in dict(pending.get("values", {})).items():
        if value is None:
            attributes.pop(name, None)
        else:
            attributes[name] = value
    settle(attributes, f"resize reverted to {old.rpartition('#')[2]}")
    store.write_attributes(scope, row, attributes)
    # The guest goes back to its old size too (a real hypervisor boots it again).
    guests.resize(scope, row, attributes.get(CORES), attributes.get(MEMORY))


def _pending(scope: Scope, row: EntityRecord, action: str) -> dict[str, Any]:
    pending = private.get(scope, row, private.PENDING_RESIZE)
    if not resize_pending(row.attributes) or not isinstance(pending, dict):
        raise Conflict(f"action {action} needs a pending resize; {row.location} has none")
    return pending
