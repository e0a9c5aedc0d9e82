"""Every kind's actions, declared once: from which states they run, what a client sees while
one runs (the transitional state: a state.message such as "starting", and for a compute Nova's
own status and task state), and the state and message after it.

Both backends read these tables; a backend keeps only the code that does the work (a driver
call, a Nova request). A compute's steps speak Nova's statuses (org.openstack.compute.state),
which the embedded cloud keeps beside the OCCI state, as Nova does.
"""

from __future__ import annotations

from occi_server.categories import appliances
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack as ext
from occi_server.categories.openstack import (
    ACTIVE,
    BUILD,
    ERROR,
    PAUSED,
    REBOOT_STATUS,
    SHUTOFF,
    SUSPENDED,
)
from occi_server.model.lifecycle import Lifecycle, Step

COMPUTE = Lifecycle(
    kind=infra.COMPUTE,
    state="occi.compute.state",
    message="occi.compute.state.message",
    status=ext.NOVA_STATE,
    task=ext.NOVA_TASK,
    initial=ACTIVE,  # Nova boots a server straight to ACTIVE (OCCI would draw inactive)
    occi={
        ACTIVE: "active",
        SHUTOFF: "inactive",
        SUSPENDED: "suspended",
        PAUSED: "suspended",
        ERROR: "error",
        BUILD: "inactive",  # being made: not running yet
    },
    error=ERROR,
    create=Step(
        action="",
        sources=(),
        target=ACTIVE,
        busy="building",
        done="running",
        during=BUILD,
        task="spawning",
    ),
    steps=(
        Step(
            action=infra.START.type_id,
            sources=(SHUTOFF, SUSPENDED, PAUSED),
            target=ACTIVE,
            busy="starting",
            done="started",
            task="powering-on",
            idle=(ACTIVE,),  # the OCCI-WG's 1.1 test script starts active computes
        ),
        Step(
            action=infra.STOP.type_id,
            sources=(ACTIVE,),
            target=SHUTOFF,
            busy="stopping",
            done="stopped",
            task="powering-off",
            idle=(SHUTOFF,),  # as EC2 and systemctl: the asked-for state already holds
        ),
        Step(
            action=infra.RESTART.type_id,
            sources=(ACTIVE, ERROR),
            target=ACTIVE,
            busy="restarting",
            done="restarted",
            during=REBOOT_STATUS,
            task="rebooting",
        ),
        Step(
            action=infra.SUSPEND.type_id,
            sources=(ACTIVE,),
            target=SUSPENDED,
            busy="suspending",
            done="suspended",
            task="suspending",
            idle=(SUSPENDED,),
        ),
        Step(
            action=infra.SAVE.type_id,
            sources=(ACTIVE,),
            target=None,
            busy="saving",
            done="saved",
            task="image_snapshot",
        ),
        *ext.INSTANCE_STEPS,
        Step(
            # Disks are read as they are: a stopped compute's do not change (a running one is
            # refused with 409 rather than snapshotted; docs/ovf.md).
            action=appliances.EXPORT.type_id,
            sources=(SHUTOFF,),
            target=None,
            busy="exporting",
            done="export started",
        ),
    ),
)

ONLINE, OFFLINE = "online", "offline"
STORAGE = Lifecycle(
    kind=infra.STORAGE,
    state="occi.storage.state",
    message="occi.storage.state.message",
    status="occi.storage.state",
    initial=ONLINE,  # a new Cinder volume is "available", usable at once: we call that online
    create=Step(action="", sources=(), target=ONLINE, busy="creating", done="available"),
    steps=(
        Step(
            action=infra.ONLINE.type_id,
            sources=(OFFLINE,),
            target=ONLINE,
            busy="going online",
            done="online",
            idle=(ONLINE,),
        ),
        Step(
            action=infra.OFFLINE.type_id,
            sources=(ONLINE,),
            target=OFFLINE,
            busy="going offline",
            done="offline",
            idle=(OFFLINE,),
        ),
        Step(
            action=infra.BACKUP.type_id,
            sources=(ONLINE,),
            target=ONLINE,
            busy="backing up",
            done="backup completed",
        ),
        Step(
            action=infra.SNAPSHOT.type_id,
            sources=(ONLINE,),
            target=ONLINE,
            busy="snapshotting",
            done="snapshot completed",
        ),
        Step(
            action=infra.RESIZE.type_id,
            sources=(ONLINE,),
            target=ONLINE,
            busy="resizing",
            done="resized",
        ),
    ),
)

UP_STATE, DOWN_STATE = "active", "inactive"
NETWORK = Lifecycle(
    kind=infra.NETWORK,
    state="occi.network.state",
    message="occi.network.state.message",
    status="occi.network.state",
    initial=UP_STATE,  # Neutron networks are ACTIVE once created
    create=Step(action="", sources=(), target=UP_STATE, busy="creating", done="up"),
    steps=(
        Step(
            action=infra.UP.type_id,
            sources=(DOWN_STATE,),
            target=UP_STATE,
            busy="going up",
            done="up",
            idle=(UP_STATE,),
        ),
        Step(
            action=infra.DOWN.type_id,
            sources=(UP_STATE,),
            target=DOWN_STATE,
            busy="going down",
            done="down",
            idle=(DOWN_STATE,),
        ),
    ),
)

LIFECYCLES = {lifecycle.kind: lifecycle for lifecycle in (COMPUTE, STORAGE, NETWORK)}
# What the table declares for each kind (a kind's Kind.actions lists the standard ones).
ACTIONS = frozenset(a for lifecycle in LIFECYCLES.values() for a in lifecycle.actions)
