"""Compute: templates (flavor, image), the OCCI state machine, and `save`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from occi_server.backends.base import ActionOutcome, EntityDraft
from occi_server.backends.local import store
from occi_server.backends.local.catalogue import Flavor, Image
from occi_server.backends.local.rules import KindRules, Update, allowed, transition
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.templates import OS_SCHEME, flavor_mixin, pick_one
from occi_server.categories import infrastructure as infra
from occi_server.db.tables import EntityRow
from occi_server.errors import BadRequest
from occi_server.model import Mixin

STATE = "occi.compute.state"
MESSAGE = "occi.compute.state.message"
CORES = "occi.compute.cores"
MEMORY = "occi.compute.memory"
ACTIVE, INACTIVE, SUSPENDED = "active", "inactive", "suspended"

START, STOP, RESTART, SUSPEND, SAVE = (a.type_id for a in infra.COMPUTE_ACTIONS)
TRANSITIONS = {
    (INACTIVE, START): ACTIVE,
    (SUSPENDED, START): ACTIVE,
    (ACTIVE, STOP): INACTIVE,
    (ACTIVE, SUSPEND): SUSPENDED,
    (ACTIVE, RESTART): ACTIVE,
    (ACTIVE, SAVE): ACTIVE,
}
ACTIONS = frozenset(action for _, action in TRANSITIONS)


class ComputeRules(KindRules):
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
        # OCCI draws `inactive` as the initial state, but Nova boots a server straight to
        # ACTIVE and the walkthrough stops the VM right after creating it: we mirror Nova.
        attributes[STATE] = ACTIVE
        attributes[MESSAGE] = "running"
        return mixins

    def before_update(self, scope: Scope, row: EntityRow, change: Update) -> None:
        lookup = _lookup(scope, change.add)
        # Templates the entity already carries are no change (a PUT re-sends them).
        added = [m for m in change.add if m.type_id not in change.current]
        new_flavor = pick_one(infra.RESOURCE_TPL, added, lookup, "resource template")
        new_image = pick_one(infra.OS_TPL, added, lookup, "OS template")
        old_flavors = [m for m in change.current if m in scope.cloud.templates.flavors]
        old_images = [m for m in change.current if m.startswith(OS_SCHEME)]
        if new_flavor is not None:
            _flavor(scope, new_flavor)
            # GFD.224: a new resource template replaces the old one at once (a resize).
            # TODO(issue 3): Nova's VERIFY_RESIZE step (confirm_resize / revert_resize).
            change.remove.extend(m for m in old_flavors if m != new_flavor.type_id)
            _apply_defaults(change.attributes, new_flavor, force=True)
        elif any(m in change.remove for m in old_flavors):
            raise BadRequest("a compute keeps its resource template; add another one to resize")
        if new_image is not None:
            _image(scope, new_image.type_id)
            # A rebuild: the OS is replaced, attached volumes (links) stay.
            change.remove.extend(m for m in old_images if m != new_image.type_id)
            _apply_defaults(change.attributes, new_image, force=True)
            change.attributes[MESSAGE] = f"rebuilt from {new_image.term}"
        elif any(m in change.remove for m in old_images):
            raise BadRequest("a compute keeps its OS template; add another one to rebuild")

    def actions(self, attributes: Mapping[str, Any]) -> list[str]:
        return allowed(TRANSITIONS, str(attributes.get(STATE, ACTIVE)))

    def invoke(
        self, scope: Scope, row: EntityRow, action: str, parameters: dict[str, Any]
    ) -> ActionOutcome:
        if action not in ACTIONS:
            return super().invoke(scope, row, action, parameters)
        target = transition(TRANSITIONS, str(row.attributes.get(STATE, ACTIVE)), action)
        outcome: ActionOutcome = None
        method = parameters.get("method")
        message = {
            START: "started",
            STOP: "stopped",
            SUSPEND: "suspended",
            RESTART: "restarted",
            SAVE: "saved",
        }[action]
        if action == SAVE:
            outcome = _save(scope, row, parameters)
            message = f"saved as OS template {outcome.term}"
        elif method:
            message = f"{message} ({method})"
        attributes = dict(row.attributes)
        attributes[STATE] = target
        attributes[MESSAGE] = message
        store.write_attributes(scope, row, attributes)
        store.bump(row)
        return outcome


def _save(scope: Scope, row: EntityRow, parameters: dict[str, Any]) -> Mixin:
    """`save`: the compute's disk becomes an OS template of this project."""
    name = str(parameters.get("name") or f"{row.id}-snapshot")
    base = next(
        (image for m in store.mixins_of(scope, row) if (image := _find_image(scope, m))), None
    )
    return scope.cloud.templates.create_snapshot(
        scope.db, scope.project_id, name, row.location, base
    )


def _lookup(scope: Scope, mixins: list[Mixin]) -> Callable[[str], Mixin | None]:
    given = {m.type_id: m for m in mixins}
    known = scope.cloud.templates.by_id
    return lambda type_id: known.get(type_id) or given.get(type_id)


def _flavor(scope: Scope, mixin: Mixin) -> Flavor:
    flavor = scope.cloud.templates.flavors.get(mixin.type_id)
    if flavor is None:
        raise BadRequest(f"unknown resource template {mixin.type_id}")
    return flavor


def _find_image(scope: Scope, type_id: str) -> Image | None:
    templates = scope.cloud.templates
    return templates.images.get(type_id) or templates.snapshot_image(
        scope.db, scope.project_id, type_id
    )


def _image(scope: Scope, type_id: str) -> Image:
    image = _find_image(scope, type_id)
    if image is None:
        raise BadRequest(f"unknown OS template {type_id}")
    return image


def _fitting_flavor(scope: Scope, attributes: dict[str, Any]) -> Flavor:
    """Without a template: the default flavor, or the smallest one holding what was asked."""
    catalogue = scope.cloud.catalogue
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
