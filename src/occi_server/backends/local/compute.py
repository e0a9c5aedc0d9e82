"""Compute: templates (flavor, image), the lifecycle, and the instance extensions.

The actions, their states and messages are declared in categories/lifecycles.py; resize
(resize.py), floating IPs (floating_ips.py), credentials (credentials.py) and the work of each
action (instance.py) each live in their own module; this one wires them into the hooks of a
compute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from occi_server.backends.base import ActionOutcome, EntityDraft
from occi_server.backends.local import (
    credentials,
    floating_ips,
    guests,
    instance,
    quotas,
    resize,
    store,
)
from occi_server.backends.local.offer import Flavor, Image
from occi_server.backends.local.rules import KindRules, Update, allowed, step_for
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.states import (
    ACTIVE,
    CORES,
    FLOATING_IP,
    INACTIVE,
    LIFECYCLE,
    MEMORY,
    MESSAGE,
    VERIFY_RESIZE,
    occi_state,
    status,
)
from occi_server.backends.local.store import EntityRecord
from occi_server.backends.local.templates import OS_SCHEME, flavor_mixin, pick_one
from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Mixin

# The actions this cloud does the work of: every one of the table's compute steps.
ACTIONS = frozenset(LIFECYCLE.actions) & frozenset(instance.WORK)
FLOATING_ACTIONS = frozenset({instance.ALLOC, instance.DEALLOC})
# Nova rebuilds ACTIVE and SHUTOFF servers.
REBUILDABLE = (ACTIVE, INACTIVE)


class ComputeRules(KindRules):
    def __init__(self, floating: bool = False) -> None:
        self._floating = floating  # the cloud has floating-IP pools and a public network

    def prepare(
        self, scope: Scope, draft: EntityDraft, attributes: dict[str, Any], mixins: list[Mixin]
    ) -> list[Mixin]:
        templates = scope.cloud.templates
        lookup = _lookup(scope, mixins)
        chosen_flavor = pick_one(infra.RESOURCE_TPL, mixins, lookup, "resource template")
        chosen_image = pick_one(infra.OS_TPL, mixins, lookup, "OS template")
        mixins = list(mixins)
        if chosen_flavor is not None:
            _flavor(scope, chosen_flavor)  # known?
            _apply_defaults(attributes, chosen_flavor, force=True)  # templates win (GFD.224)
        else:
            fallback = flavor_mixin(_fitting_flavor(scope, attributes))
            mixins.append(fallback)
            _apply_defaults(attributes, fallback, force=False)  # given cores/memory stay
        if chosen_image is not None:
            _image(scope, chosen_image.type_id)
            _apply_defaults(attributes, chosen_image, force=True)
        else:
            mixins.append(templates.default_image)
            _apply_defaults(attributes, templates.default_image, force=False)
        credentials.check_user_data(attributes)
        credentials.take_password(attributes)  # hashed in after_create, never stored as is
        attributes.pop(FLOATING_IP, None)
        # OCCI draws `inactive` as the initial state, but Nova boots a server straight to
        # ACTIVE and the walkthrough stops the VM right after creating it: we mirror Nova.
        assert LIFECYCLE.create is not None
        LIFECYCLE.settle(attributes, LIFECYCLE.initial, LIFECYCLE.create.done)
        return mixins

    def after_create(self, scope: Scope, row: EntityRecord, draft: EntityDraft) -> None:
        password = credentials.take_password(dict(draft.attributes))
        if password is not None:
            credentials.set_password(scope, row, password)
        pools = [m for m in draft.mixins if floating_ips.is_pool(m.type_id)]
        for mixin in pools:
            floating_ips.allocate(
                scope, row, floating_ips.pool_by_mixin(scope.cloud.offer, mixin.type_id)
            )
        if pools:
            floating_ips.refresh(scope, row)
        guests.create(scope, row)

    def before_update(self, scope: Scope, row: EntityRecord, change: Update) -> None:
        lookup = _lookup(scope, change.add)
        # Templates the entity already carries are no change (a PUT re-sends them).
        added = [m for m in change.add if m.type_id not in change.current]
        new_flavor = pick_one(infra.RESOURCE_TPL, added, lookup, "resource template")
        new_image = pick_one(infra.OS_TPL, added, lookup, "OS template")
        old_flavors = [m for m in change.current if m in scope.cloud.templates.flavors]
        old_images = [m for m in change.current if m.startswith(OS_SCHEME)]
        if new_flavor is not None and new_image is not None:
            raise BadRequest("resize and rebuild a compute one at a time")
        if LIFECYCLE.busy(row.attributes) and (new_flavor or new_image):
            under_way = row.attributes.get(MESSAGE, "an operation")
            raise Conflict(f"{row.location} cannot change while {under_way} is under way")
        if new_flavor is not None:
            _flavor(scope, new_flavor)
            resize.start(scope, row, change, new_flavor, old_flavors[0] if old_flavors else None)
            guests.resize(scope, row, change.attributes.get(CORES), change.attributes.get(MEMORY))
            change.remove.extend(m for m in old_flavors[1:] if m != new_flavor.type_id)
        elif any(m in change.remove for m in old_flavors):
            raise BadRequest("a compute keeps its resource template; add another one to resize")
        if new_image is not None:
            _rebuild(scope, row, change, new_image, old_images)
        elif any(m in change.remove for m in old_images):
            raise BadRequest("a compute keeps its OS template; add another one to rebuild")
        password = credentials.take_password(change.attributes)
        if password is not None:
            instance.change_password(scope, row, {credentials.ADMIN_PWD: password})
        credentials.check_user_data(change.attributes)
        floating_ips.on_update(scope, row, change)
        quotas.require(scope, _growth(row.attributes, change.attributes))

    def before_delete(self, scope: Scope, row: EntityRecord) -> None:
        guests.destroy(scope, row)

    def actions(self, attributes: Mapping[str, Any]) -> list[str]:
        found = [a for a in allowed(LIFECYCLE, attributes) if a in ACTIONS]
        if not self._floating:
            return [a for a in found if a not in FLOATING_ACTIONS]
        if not attributes.get(FLOATING_IP):
            found = [a for a in found if a != instance.DEALLOC]
        return found

    def invoke(
        self, scope: Scope, row: EntityRecord, action: str, parameters: dict[str, Any]
    ) -> ActionOutcome:
        if action not in ACTIONS:
            return super().invoke(scope, row, action, parameters)
        term = action.rpartition("#")[2]
        if action not in LIFECYCLE.allowed(VERIFY_RESIZE):
            resize.check_not_pending(row, f"action {term}")
        elif action not in LIFECYCLE.allowed(status(row.attributes)):
            raise Conflict(f"action {term} needs a pending resize; {row.location} has none")
        step = step_for(LIFECYCLE, row.attributes, action)
        if step is None:  # already there: nothing to do
            return None
        outcome, message = instance.WORK[action](scope, row, parameters)
        if guests.act(scope, row, step, parameters, outcome, message):
            pass  # the hypervisor's outcome (or the transitional state) is recorded
        elif step.target is not None:
            attributes = dict(row.attributes)
            LIFECYCLE.settle(attributes, step.target, message or step.done)
            store.write_attributes(scope, row, attributes)
        store.bump(scope, row)
        return outcome


def _rebuild(
    scope: Scope, row: EntityRecord, change: Update, image: Mixin, old_images: list[str]
) -> None:
    """A new OS: the old one goes, links (attached volumes, interfaces) and state stay."""
    _image(scope, image.type_id)
    resize.check_not_pending(row, "a rebuild")
    state = occi_state(row.attributes)
    if state not in REBUILDABLE:
        raise Conflict(f"a rebuild is not allowed while the state is {state}")
    change.remove.extend(m for m in old_images if m != image.type_id)
    _apply_defaults(change.attributes, image, force=True)
    change.attributes[MESSAGE] = f"rebuilt from {image.term}"
    guests.rebuild(scope, row, image)


def _growth(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, float]:
    """The cores and memory a change adds (a resize), for the quotas."""
    return {
        name: float(new.get(attribute) or 0) - float(old.get(attribute) or 0)
        for name, attribute in (("cores", CORES), ("memory", MEMORY))
    }


def _lookup(scope: Scope, mixins: list[Mixin]) -> Callable[[str], Mixin | None]:
    given = {m.type_id: m for m in mixins}
    known = scope.cloud.templates.by_id
    return lambda type_id: known.get(type_id) or given.get(type_id)


def _flavor(scope: Scope, mixin: Mixin) -> Flavor:
    flavor = scope.cloud.templates.flavors.get(mixin.type_id)
    if flavor is None:
        raise BadRequest(f"unknown resource template {mixin.type_id}")
    return flavor


def _image(scope: Scope, type_id: str) -> Image:
    image = instance.find_image(scope, type_id)
    if image is None:
        raise BadRequest(f"unknown OS template {type_id}")
    return image


def _fitting_flavor(scope: Scope, attributes: dict[str, Any]) -> Flavor:
    """Without a template: the default flavor, or the smallest one holding what was asked."""
    catalogue = scope.cloud.offer
    default = catalogue.flavor(catalogue.default_flavor)
    assert default is not None
    cores, memory = attributes.get(CORES), attributes.get(MEMORY)
    if cores is None and memory is None:
        return default
    fitting = [
        f for f in catalogue.flavors if f.vcpus >= (cores or 0) and f.memory_gib >= (memory or 0)
    ]
    # Nothing big enough: keep the default flavor; the asked cores and memory are recorded.
    return min(fitting, key=lambda f: (f.vcpus, f.ram_mb, f.disk_gb), default=default)


def _apply_defaults(attributes: dict[str, Any], mixin: Mixin, *, force: bool) -> None:
    for attribute in mixin.attributes:
        if attribute.default is None:
            continue
        if force or attribute.name not in attributes:
            attributes[attribute.name] = attribute.default
