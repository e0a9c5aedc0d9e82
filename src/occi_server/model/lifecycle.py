"""A kind's state machine as data: which actions run from which states, what a client sees
while one runs, and what it sees after.

A step's states are *statuses* in the kind's own vocabulary: for a compute Nova's status
(ACTIVE, SHUTOFF, SUSPENDED, PAUSED, VERIFY_RESIZE, ERROR; `org.openstack.compute.state`),
which is finer than OCCI's four states; for storage and networks their OCCI state. `occi`
maps a status to the OCCI state (`occi.<kind>.state`) it is drawn as.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from occi_server.model.category import split_type_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One action (or operation, such as create) of a kind's state machine."""

    action: str  # the action's type id ("" for an operation that is not an action)
    sources: tuple[str, ...]  # the statuses it may run from
    target: str | None  # the status after it; None: the work decides (or nothing changes)
    busy: str  # state.message while it runs ("starting")
    done: str  # state.message after it ("started")
    during: str | None = None  # the status while it runs (BUILD, REBOOT...); None: unchanged
    task: str | None = None  # Nova's task_state while it runs ("powering-on")
    # Statuses in which asking for it answers at once and changes nothing (start when active).
    idle: tuple[str, ...] = ()

    @property
    def term(self) -> str:
        return split_type_id(self.action)[1]


@dataclass(frozen=True, slots=True, kw_only=True)
class Lifecycle:
    """The steps of one kind, and how its statuses are stored and drawn."""

    kind: str
    state: str  # attribute holding the OCCI state
    message: str  # attribute holding the state message
    status: str  # attribute holding the status the steps speak of (== state when no finer one)
    task: str | None = None  # attribute holding what the cloud is doing (absent when idle)
    initial: str  # the status of a new entity once made
    steps: tuple[Step, ...]
    occi: Mapping[str, str] = field(default_factory=dict)  # status -> OCCI state (identity else)
    create: Step | None = None  # what making a new entity looks like while it is made
    error: str = "error"  # the status of a failed operation

    def step(self, action: str) -> Step | None:
        for step in self.steps:
            if step.action == action:
                return step
        return None

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(step.action for step in self.steps)

    def allowed(self, status: str) -> list[str]:
        """The actions that can run from `status`, in the table's order (idle ones are not
        advertised: they would do nothing)."""
        return [step.action for step in self.steps if status in step.sources]

    def occi_state(self, status: str, default: str | None = None) -> str:
        """The OCCI state a status is drawn as (`default`, else the status itself, if unmapped)."""
        found = self.occi.get(status)
        if found is not None:
            return found
        return status if default is None else default

    def status_of(self, attributes: Mapping[str, Any]) -> str:
        value = attributes.get(self.status)
        if value is None:  # rows made before the status was stored: from the OCCI state
            state = str(attributes.get(self.state, self.occi_state(self.initial)))
            return self.status_for(state)
        return str(value)

    def settle(self, attributes: dict[str, Any], status: str, message: str) -> None:
        """Record a finished change: the status, the OCCI state drawn from it, the message."""
        attributes[self.status] = status
        attributes[self.state] = self.occi_state(status, attributes.get(self.state))
        attributes[self.message] = message
        if self.task is not None:
            attributes.pop(self.task, None)

    def begin(self, attributes: dict[str, Any], step: Step) -> None:
        """Record a change under way: the transitional status, the task, the busy message."""
        if step.during is not None:
            attributes[self.status] = step.during
        attributes[self.message] = step.busy
        if self.task is not None and step.task is not None:
            attributes[self.task] = step.task

    def busy(self, attributes: Mapping[str, Any]) -> bool:
        """Whether an operation is under way (a task is recorded)."""
        return self.task is not None and attributes.get(self.task) is not None

    def step_of_task(self, task: str) -> Step | None:
        """The step a cloud's task state belongs to (Nova's OS-EXT-STS:task_state)."""
        create = (self.create,) if self.create is not None else ()
        return next((s for s in (*create, *self.steps) if s.task == task), None)

    def status_for(self, state: str) -> str:
        """The status an OCCI state settles in (the first status drawn as it)."""
        for status, occi in self.occi.items():
            if occi == state:
                return status
        return state
