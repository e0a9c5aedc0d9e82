"""A compute's state as OCCI draws it (occi.compute.state) and as Nova names it.

org.openstack.compute.state mirrors Nova: ACTIVE, SHUTOFF, SUSPENDED for the OCCI states, and
VERIFY_RESIZE while a resize waits for confirm_resize or revert_resize (the OCCI state then
stays what it was: the instance runs, or not, on its new flavor).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from occi_server.categories import openstack

STATE = "occi.compute.state"
MESSAGE = "occi.compute.state.message"
CORES = "occi.compute.cores"
MEMORY = "occi.compute.memory"
NOVA_STATE = openstack.NOVA_STATE
FLOATING_IP = openstack.FLOATING_IP
ACTIVE, INACTIVE, SUSPENDED = "active", "inactive", "suspended"
VERIFY_RESIZE = "VERIFY_RESIZE"
_NOVA = {ACTIVE: "ACTIVE", INACTIVE: "SHUTOFF", SUSPENDED: "SUSPENDED"}


def occi_state(attributes: Mapping[str, Any]) -> str:
    return str(attributes.get(STATE, ACTIVE))


def nova_state(state: str) -> str:
    return _NOVA.get(state, state.upper())


def resize_pending(attributes: Mapping[str, Any]) -> bool:
    return attributes.get(NOVA_STATE) == VERIFY_RESIZE


def settle(attributes: dict[str, Any], message: str) -> None:
    """Record a finished change: Nova's state follows the OCCI one again."""
    attributes[NOVA_STATE] = nova_state(occi_state(attributes))
    attributes[MESSAGE] = message
