"""The hooks through which each kind's module applies its rules (state machines, resources)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from occi_server.backends.base import ActionOutcome, EntityDraft
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.store import EntityRecord
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Mixin
from occi_server.model.category import split_type_id
from occi_server.model.lifecycle import Lifecycle, Step


@dataclass(slots=True)
class Update:
    """A change being applied to one entity; rules may adjust it before it is written."""

    attributes: dict[str, Any]  # the entity's attributes after the change
    current: list[str]  # mixin type ids before the change
    add: list[Mixin] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)

    def mixins(self) -> list[str]:
        kept = [m for m in self.current if m not in self.remove]
        return list(dict.fromkeys([*kept, *(m.type_id for m in self.add)]))


class KindRules:
    """Rules of a kind without behaviour of its own (core#resource): no state, no actions."""

    def prepare(
        self, scope: Scope, draft: EntityDraft, attributes: dict[str, Any], mixins: list[Mixin]
    ) -> list[Mixin]:
        """Complete a new entity's attributes and mixins before it is stored."""
        return mixins

    def after_create(self, scope: Scope, row: EntityRecord, draft: EntityDraft) -> None:
        """Take resources (addresses, ...) for a stored entity."""

    def before_update(self, scope: Scope, row: EntityRecord, change: Update) -> None:
        """Check or complete a change; raise to refuse it."""

    def before_delete(self, scope: Scope, row: EntityRecord) -> None:
        """Refuse a delete, or release what the entity holds beyond its links."""

    def actions(self, attributes: Mapping[str, Any]) -> list[str]:
        """Action type ids applicable in the entity's current state."""
        return []

    def shown(self, scope: Scope, row: EntityRecord, attributes: dict[str, Any]) -> None:
        """Add attributes a rendering shows but the row does not keep (derived ones)."""

    def invoke(
        self, scope: Scope, row: EntityRecord, action: str, parameters: dict[str, Any]
    ) -> ActionOutcome:
        raise BadRequest(f"action {split_type_id(action)[1]} is not defined for {row.location}")


def step_for(lifecycle: Lifecycle, attributes: Mapping[str, Any], action: str) -> Step | None:
    """The step `action` takes from the entity's status: None when there is nothing to do
    (the status is one the step leaves alone, e.g. start on an active compute), a Conflict
    naming the action and the state when it cannot run now."""
    step = lifecycle.step(action)
    if step is None:
        raise BadRequest(f"action {split_type_id(action)[1]} is not defined for {lifecycle.kind}")
    if lifecycle.busy(attributes):
        message = attributes.get(lifecycle.message, "an operation")
        raise Conflict(f"action {step.term} is not allowed while {message} is under way")
    status = lifecycle.status_of(attributes)
    if status in step.idle:
        return None
    if status not in step.sources:
        state = attributes.get(lifecycle.state, status)
        raise Conflict(f"action {step.term} is not allowed while the state is {state}")
    return step


def allowed(lifecycle: Lifecycle, attributes: Mapping[str, Any]) -> list[str]:
    """The actions advertised now: none while an operation is under way."""
    if lifecycle.busy(attributes):
        return []
    return lifecycle.allowed(lifecycle.status_of(attributes))
