"""The lifecycle tables: every declared action is a category, and the tables hold together."""

from __future__ import annotations

import pytest

from occi_server.categories import appliances, lifecycles, openstack
from occi_server.categories import infrastructure as infra
from occi_server.model.lifecycle import Lifecycle

KNOWN_ACTIONS = {
    a.type_id for a in (*infra.ACTIONS, *openstack.INSTANCE_ACTIONS, *appliances.CATEGORIES)
}


@pytest.mark.parametrize("lifecycle", list(lifecycles.LIFECYCLES.values()), ids=str)
def test_every_step_is_a_known_action_from_and_to_drawn_states(lifecycle: Lifecycle) -> None:
    drawn = set(lifecycle.occi) | {lifecycle.initial, lifecycle.error}
    for step in lifecycle.steps:
        assert step.action in KNOWN_ACTIONS
        assert step.sources and step.busy and step.done
        assert not set(step.idle) & set(step.sources), step.term
        if not lifecycle.occi:  # statuses are the OCCI states themselves
            drawn |= set(step.sources)
        assert step.target is None or step.target in drawn, step.term
    assert len(set(lifecycle.actions)) == len(lifecycle.actions)


def test_compute_statuses_are_drawn_as_occi_states() -> None:
    compute = lifecycles.COMPUTE
    assert compute.occi_state("PAUSED") == "suspended"
    assert compute.occi_state("BUILD", "inactive") == "inactive"
    assert compute.status_for("inactive") == "SHUTOFF"
    assert compute.allowed("SHUTOFF")[0] == infra.START.type_id
    start = compute.step(infra.START.type_id)
    assert start is not None and "ACTIVE" in start.idle and start.busy == "starting"


def test_begin_and_settle_record_the_transitional_and_final_state() -> None:
    compute = lifecycles.COMPUTE
    restart = compute.step(infra.RESTART.type_id)
    assert restart is not None
    attributes = {"occi.compute.state": "active", openstack.NOVA_STATE: "ACTIVE"}
    compute.begin(attributes, restart)
    assert attributes[openstack.NOVA_STATE] == "REBOOT"
    assert attributes[openstack.NOVA_TASK] == "rebooting" and compute.busy(attributes)
    assert attributes["occi.compute.state.message"] == "restarting"
    assert compute.allowed(compute.status_of(attributes)) == []
    compute.settle(attributes, "ACTIVE", "restarted")
    assert not compute.busy(attributes) and attributes["occi.compute.state"] == "active"
