"""A compute's state as OCCI draws it (occi.compute.state) and as Nova names it.

The lifecycle table (categories/lifecycles.py) speaks Nova's statuses, kept in
org.openstack.compute.state: ACTIVE, SHUTOFF, SUSPENDED, PAUSED, ERROR for the OCCI states,
VERIFY_RESIZE while a resize waits for confirm_resize or revert_resize (the OCCI state then
stays what it was: the instance runs, or not, on its new flavor), and while an operation runs
the transitional one (BUILD, REBOOT) with org.openstack.compute.task_state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from occi_server.categories import lifecycles, openstack

LIFECYCLE = lifecycles.COMPUTE
STATE = LIFECYCLE.state
MESSAGE = LIFECYCLE.message
CORES = "occi.compute.cores"
MEMORY = "occi.compute.memory"
NOVA_STATE = openstack.NOVA_STATE
NOVA_TASK = openstack.NOVA_TASK
FLOATING_IP = openstack.FLOATING_IP
ACTIVE, INACTIVE, SUSPENDED = "active", "inactive", "suspended"
VERIFY_RESIZE = openstack.VERIFY_RESIZE


def occi_state(attributes: Mapping[str, Any]) -> str:
    return str(attributes.get(STATE, ACTIVE))


def status(attributes: Mapping[str, Any]) -> str:
    """Nova's status of the compute: what the lifecycle's steps run from."""
    return LIFECYCLE.status_of(attributes)


def resize_pending(attributes: Mapping[str, Any]) -> bool:
    return attributes.get(NOVA_STATE) == VERIFY_RESIZE


def settle(attributes: dict[str, Any], message: str) -> None:
    """Record a finished change: Nova's status follows the OCCI state again (a PAUSED
    compute stays PAUSED: both are drawn as suspended)."""
    state, current = occi_state(attributes), attributes.get(NOVA_STATE)
    kept = current is not None and LIFECYCLE.occi.get(str(current)) == state
    LIFECYCLE.settle(attributes, str(current) if kept else LIFECYCLE.status_for(state), message)
