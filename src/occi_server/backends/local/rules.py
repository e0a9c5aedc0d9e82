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

    def invoke(
        self, scope: Scope, row: EntityRecord, action: str, parameters: dict[str, Any]
    ) -> ActionOutcome:
        raise BadRequest(f"action {split_type_id(action)[1]} is not defined for {row.location}")


def transition(table: Mapping[tuple[str, str], str], state: str, action: str) -> str:
    """The state `action` leads to from `state`; a Conflict naming both when it cannot run."""
    target = table.get((state, action))
    if target is None:
        term = split_type_id(action)[1]
        raise Conflict(f"action {term} is not allowed while the state is {state}")
    return target


def allowed(table: Mapping[tuple[str, str], str], state: str) -> list[str]:
    return [action for (source, action) in table if source == state]
